// Regression (fuzzer, target xop, seed 72410931): a UTF-16BE root part with
// no byte order mark and no charset parameter is recognised by its first code
// unit, 00 3C ('<'). The decoder decided the encoding as soon as it held one
// byte when that byte was 0x00: not '<', no XML declaration, so UTF-8. Whole,
// the envelope scanned fine; byte by byte (or split after its first byte) the
// NUL that followed was ERR_XML_MALFORMED, and a document ending in an odd
// byte gave ERR_XML_MALFORMED instead of ERR_XML_BAD_ENCODING. A leading 0x00
// now waits for the second byte, as a possible byte order mark already did.
// corpus/regressions/xop-chunking-utf16be-no-bom-*.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isXopError, SoapScanner, type SoapScanResult } from '../src/index.js';
import { CHUNKINGS } from './support/corpus.js';

const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';
const ENVELOPE = `<s:Envelope xmlns:s="${SOAP12}"><s:Body><m:a xmlns:m="m">caf\u00e9</m:a></s:Body></s:Envelope>`;

/** UTF-16BE without a byte order mark. */
function utf16be(text: string): Buffer {
  return Buffer.from(text, 'utf16le').swap16();
}

function scan(chunks: readonly Uint8Array[], contentType: string): SoapScanResult | { code: string; offset: number | undefined } {
  const scanner = new SoapScanner({ contentType });
  try {
    for (const c of chunks) scanner.write(c);
    return scanner.end();
  } catch (error) {
    assert.ok(isXopError(error), String(error));
    return { code: error.code, offset: error.offset };
  }
}

/** Every chunking of the matrix and every split in two. */
function splits(bytes: Buffer): Array<{ name: string; chunks: Uint8Array[] }> {
  const out = CHUNKINGS.map((c) => ({ name: c.name, chunks: c.split(bytes) }));
  for (let at = 0; at <= bytes.length; at++) out.push({ name: `split at ${at}`, chunks: [bytes.subarray(0, at), bytes.subarray(at)] });
  return out;
}

test('UTF-16BE without a BOM or charset scans the same whatever the chunking, its first byte alone included', () => {
  const bytes = utf16be(ENVELOPE);
  // No charset, and the fuzzer's mangled one (a parameter that is not charset).
  for (const contentType of ['application/soap+xml', 'application/soap+xml; char;et=utf-16']) {
    for (const { name, chunks } of splits(bytes)) {
      const result = scan(chunks, contentType);
      assert.ok(!('code' in result), `${contentType} (${name}): ${JSON.stringify(result)}`);
      assert.equal(result.encoding, 'utf-16be', `${contentType} (${name})`);
      assert.equal(result.version, '1.2', `${contentType} (${name})`);
      assert.equal(result.bodyElement, '{m}a', `${contentType} (${name})`);
      assert.equal(result.envelope?.toString('utf8'), ENVELOPE, `${contentType} (${name})`);
    }
  }
});

test('UTF-16BE without a BOM ending in an odd byte is ERR_XML_BAD_ENCODING whatever the chunking', () => {
  const bytes = Buffer.concat([utf16be(ENVELOPE), Buffer.from([0x2d])]);
  const whole = scan([bytes], 'application/soap+xml');
  assert.ok('code' in whole);
  assert.equal(whole.code, 'ERR_XML_BAD_ENCODING');
  for (const { name, chunks } of splits(bytes)) {
    assert.deepEqual(scan(chunks, 'application/soap+xml'), whole, name);
  }
});

test('a document that is one 0x00 byte, or starts with 0x00 then not "<", is still decided (UTF-8) at the end', () => {
  for (const bytes of [Buffer.from([0x00]), Buffer.from([0x00, 0x41]), Buffer.from('\0<x/>', 'latin1')]) {
    const whole = scan([bytes], 'application/soap+xml');
    assert.ok('code' in whole, `${bytes.toString('hex')}: a NUL is no XML character`);
    for (const { name, chunks } of splits(bytes)) assert.deepEqual(scan(chunks, 'application/soap+xml'), whole, `${bytes.toString('hex')} (${name})`);
  }
});
