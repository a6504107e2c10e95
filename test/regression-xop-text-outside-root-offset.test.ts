// Regression (hardening, issue 6): non-whitespace text before or after the
// document element (XML 1.0 §2.1: only comments, PIs and whitespace may be
// there) was ERR_XML_MALFORMED at the offset where saxes noticed it — the end
// of the text run *in the current chunk* — so whole, byte by byte and in
// slices the same root part gave different offsets (and messages with
// different columns). It is now reported at the text's first character, with
// one message, whatever the chunking.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isXopError, SoapScanner, type XopError } from '../src/index.js';
import { CHUNKINGS } from './support/corpus.js';

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const ENVELOPE = `<s:Envelope xmlns:s="${SOAP11}"><s:Body><m:a xmlns:m="urn:m">caf\u00e9 \u20ac</m:a></s:Body></s:Envelope>`;

function scanChunks(chunks: Uint8Array[], options: { contentType?: string; requireEnvelope?: boolean; retainEnvelope?: boolean } = {}): XopError | null {
  const scanner = new SoapScanner({ contentType: 'text/xml', ...options });
  try {
    for (const c of chunks) scanner.write(c);
    scanner.end();
    return null;
  } catch (error) {
    assert.ok(isXopError(error), String(error));
    return error;
  }
}

/** Every chunking of the matrix and every split in two: ERR_XML_MALFORMED at `offset`, one message. */
function assertTextOutside(bytes: Buffer, offset: number, label: string, options: Parameters<typeof scanChunks>[1] = {}): void {
  const splits: Array<{ name: string; chunks: Uint8Array[] }> = CHUNKINGS.map((c) => ({ name: c.name, chunks: c.split(bytes) }));
  for (let at = 0; at <= bytes.length; at++) splits.push({ name: `split at ${at}`, chunks: [bytes.subarray(0, at), bytes.subarray(at)] });
  let message: string | null = null;
  for (const { name, chunks } of splits) {
    const error = scanChunks(chunks, options);
    assert.ok(error !== null, `${label} (${name}): no error`);
    assert.equal(error.code, 'ERR_XML_MALFORMED', `${label} (${name}): ${error.message}`);
    assert.equal(error.offset, offset, `${label} (${name}): ${error.message}`);
    assert.match(error.message, /text outside the document element/);
    message ??= error.message;
    assert.equal(error.message, message, `${label} (${name})`);
  }
}

test('text before the document element: offset of its first character, under every chunking', () => {
  const cases: Array<[string, string]> = [
    ['', 'junk'],
    ['  \r\n\t', 'x'],
    ['<?xml version="1.0"?>\n', 'hello world '],
    ['<!-- c --> ', '&amp;'],
    ['<?pi data?>', ']]>'],
    ['\ufeff ', '\u00e9t\u00e9'],
  ];
  for (const [before, text] of cases) {
    const bytes = Buffer.from(before + text + ENVELOPE, 'utf8');
    assertTextOutside(bytes, Buffer.byteLength(before, 'utf8'), JSON.stringify(before + text));
  }
});

test('text after the document element: offset of its first character, under every chunking', () => {
  const cases: Array<[string, string]> = [
    ['', 'trailing'],
    ['\r\n  ', 'x'],
    ['<!-- after --> \n', 'garbage after the envelope'],
    ['<?pi?>', '&lt;'],
    ['\n', '\u20ac'],
  ];
  for (const [after, text] of cases) {
    const bytes = Buffer.from(ENVELOPE + after + text + '\n', 'utf8');
    assertTextOutside(bytes, Buffer.byteLength(ENVELOPE + after, 'utf8'), JSON.stringify(after + text));
    assertTextOutside(bytes, Buffer.byteLength(ENVELOPE + after, 'utf8'), `${JSON.stringify(after + text)}, not retained`, { retainEnvelope: false });
  }
  // A self-closing document element of a non-SOAP document.
  const plain = Buffer.from('<doc/> tail');
  assertTextOutside(plain, 7, 'after <doc/>', { requireEnvelope: false });
});

test('text outside the document element of a UTF-16 root part: offset in the UTF-8 space', () => {
  const bytes = Buffer.from('\ufeff' + ENVELOPE + ' z', 'utf16le');
  assertTextOutside(bytes, Buffer.byteLength(ENVELOPE + ' ', 'utf8'), 'utf-16le');
});

test('whitespace, comments and PIs around the document element are fine under every chunking', () => {
  const bytes = Buffer.from(`\ufeff<?xml version="1.0"?>\r\n<!-- a --><?b c?>\n${ENVELOPE}\n<!-- d -->\t<?e?>\r\n`, 'utf8');
  for (const { name, split } of CHUNKINGS) assert.equal(scanChunks(split(bytes)), null, name);
});

test('an earlier error still wins over later text outside the document element', () => {
  // A malformed comment before the text: saxes's error at the comment, the same under every chunking.
  const bytes = Buffer.from(`<!-- a -- b --> text${ENVELOPE}`);
  const whole = scanChunks([bytes]);
  assert.ok(whole !== null);
  assert.equal(whole.code, 'ERR_XML_MALFORMED');
  assert.doesNotMatch(whole.message, /text outside/);
  for (const { name, split } of CHUNKINGS) {
    const error = scanChunks(split(bytes));
    assert.equal(error?.code, 'ERR_XML_MALFORMED', name);
    assert.equal(error?.offset, whole.offset, name);
  }
  // A CDATA section outside the document element: saxes rejects it where it stands.
  const cdata = Buffer.from(`${ENVELOPE}<![CDATA[x]]>`);
  const first = scanChunks([cdata]);
  assert.equal(first?.code, 'ERR_XML_MALFORMED');
  for (const { name, split } of CHUNKINGS) assert.equal(scanChunks(split(cdata))?.offset, first!.offset, name);
});
