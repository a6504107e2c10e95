// SoapScanner: text other than whitespace directly inside soap:Envelope or
// soap:Header (between their children). SOAP 1.2 part 1 §5.1/§5.2 allow only
// whitespace character information items there, and SOAP 1.1's schema gives
// both element-only content; the scanner let such text through unnoticed.
// Now it is treated like the other structure problems: a warning naming the
// byte offset of the text's first character (lenient), ERR_SOAP_NOT_ENVELOPE
// at that offset (strict) — the same under every chunking and every split in
// two, comments/PIs/CDATA before the text skipped, long text included; a
// lone CDATA section holding text there is stray text too (it raised no text
// event, so it went unnoticed until the scanner listened for CDATA). Text
// inside Header blocks and inside the Body's children is payload and is never
// flagged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SoapScanner, isXopError } from '../src/index.js';
import { CHUNKINGS } from './support/corpus.js';
import { contentTypeOf, expectStrictVerdict, scan, splits } from './support/soap-scan.js';
import { expectReceiveStructureVerdict } from './support/receive.js';

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';
const PAYLOAD = '<m:op xmlns:m="urn:m"><m:v>caf\u00e9 \u20ac text is fine here</m:v></m:op>';
const BODY = `<s:Body>${PAYLOAD}</s:Body>`;
const HEADER = '<s:Header><h:a xmlns:h="urn:h">h\u00e9ader text is fine</h:a>\r\n<h:b xmlns:h="urn:h"/></s:Header>';

interface Case {
  name: string;
  version: '1.1' | '1.2';
  /** The envelope: `@` marks the stray text's first character (removed before scanning); none: nothing to flag. */
  xml: string;
  /** The warning's text before " (at byte N)", or null. */
  warning: string | null;
}

function envelope(ns: string, inner: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\r\n<s:Envelope xmlns:s="${ns}">${inner}</s:Envelope>\r\n`;
}

const LONG = 'A'.repeat(5000);
const SPACES = ' \r\n\t'.repeat(1500);
const CASES: Case[] = [];
for (const [version, ns] of [['1.1', SOAP11], ['1.2', SOAP12]] as const) {
  const text = (where: 'Envelope' | 'Header', t: string): string =>
    `the ${where} has text ${JSON.stringify(t)} between its child elements; it is ignored`;
  CASES.push(
    { name: `SOAP ${version}: text before the Header`, version, xml: envelope(ns, `@junk${HEADER}${BODY}`), warning: text('Envelope', 'junk') },
    {
      name: `SOAP ${version}: text between Header and Body, whitespace around`, version,
      xml: envelope(ns, `${HEADER}\r\n  @oops, a stray \u00e9 \r\n  ${BODY}`), warning: text('Envelope', 'oops, a stray \u00e9'),
    },
    {
      name: `SOAP ${version}: text inside the Header between blocks`, version,
      xml: envelope(ns, `<s:Header><h:a xmlns:h="urn:h">\u20ac</h:a>\n  @stray<h:b xmlns:h="urn:h"/></s:Header>${BODY}`),
      warning: text('Header', 'stray'),
    },
    {
      name: `SOAP ${version}: text at the end of the Header`, version,
      xml: envelope(ns, `<s:Header><h:a xmlns:h="urn:h"/>@x </s:Header>${BODY}`), warning: text('Header', 'x'),
    },
    { name: `SOAP ${version}: text after the Body`, version, xml: envelope(ns, `${HEADER}${BODY}\n@trailing\n`), warning: text('Envelope', 'trailing') },
    {
      name: `SOAP ${version}: a comment and a PI before the text are skipped`, version,
      xml: envelope(ns, `${HEADER} <!-- a > b --> <?pi x?>\n@late${BODY}`), warning: text('Envelope', 'late'),
    },
    {
      name: `SOAP ${version}: a whitespace CDATA section before the text is skipped`, version,
      xml: envelope(ns, `${HEADER}<![CDATA[ \n ]]>@z${BODY}`), warning: text('Envelope', 'z'),
    },
    {
      name: `SOAP ${version}: a lone CDATA section with text, before the Body`, version,
      xml: envelope(ns, `${HEADER}\n<![CDATA[ @cdata text]]>\n${BODY}`), warning: text('Envelope', 'cdata text'),
    },
    {
      name: `SOAP ${version}: a lone CDATA section with text, inside the Header between blocks`, version,
      xml: envelope(ns, `<s:Header><h:a xmlns:h="urn:h"/><!-- c --><![CDATA[@x]]></s:Header>${BODY}`), warning: text('Header', 'x'),
    },
    { name: `SOAP ${version}: a whitespace-only CDATA section alone is whitespace`, version, xml: envelope(ns, `${HEADER}<![CDATA[ \r\n\t]]>${BODY}`), warning: null },
    { name: `SOAP ${version}: an entity reference is text`, version, xml: envelope(ns, `${HEADER} @&amp;${BODY}`), warning: text('Envelope', '&') },
    {
      name: `SOAP ${version}: long text (beyond the 4 KiB text probe)`, version,
      xml: envelope(ns, `${HEADER}\n@${LONG}${BODY}`), warning: text('Envelope', LONG.slice(0, 40)),
    },
    {
      name: `SOAP ${version}: long whitespace, then text`, version,
      xml: envelope(ns, `${HEADER}${SPACES}@tail${BODY}`), warning: text('Envelope', 'tail'),
    },
    { name: `SOAP ${version}: whitespace only (CR LF, tabs, long runs)`, version, xml: envelope(ns, `\r\n\t${HEADER}${SPACES}${BODY}\r\n `), warning: null },
    {
      name: `SOAP ${version}: text in Header blocks and Body children is payload`, version,
      xml: envelope(ns, `<s:Header><h:a xmlns:h="urn:h">t<h:in>u</h:in>v<![CDATA[c]]></h:a></s:Header><s:Body><m:op xmlns:m="urn:m">w<m:x>y</m:x><![CDATA[d]]>${LONG}</m:op></s:Body>`),
      warning: null,
    },
  );
}

function parse(c: Case): { bytes: Buffer; offset: number } {
  const at = c.xml.indexOf('@');
  const xml = at < 0 ? c.xml : c.xml.slice(0, at) + c.xml.slice(at + 1);
  return { bytes: Buffer.from(xml, 'utf8'), offset: at < 0 ? -1 : Buffer.byteLength(c.xml.slice(0, at), 'utf8') };
}

/** Every split in two is slow for the long cases: their every 97th split, and the ones around the marker. */
function chunkingsOf(bytes: Buffer, offset: number): Array<{ name: string; chunks: Uint8Array[] }> {
  if (bytes.length < 2000) return splits(bytes);
  return splits(bytes).filter((s) => !s.name.startsWith('split at ') ||
    Number(s.name.slice(9)) % 97 === 0 || Math.abs(Number(s.name.slice(9)) - offset) < 8);
}

test('lenient: one warning at the stray text\'s first byte, under every chunking; the scan result is otherwise unchanged', () => {
  for (const c of CASES) {
    const { bytes, offset } = parse(c);
    for (const { name, chunks } of chunkingsOf(bytes, offset)) {
      const label = `${c.name} (${name})`;
      const result = scan(chunks, false, contentTypeOf(c.version));
      assert.ok(!isXopError(result), `${label}: ${String(result)}`);
      assert.deepEqual(result.warnings, c.warning === null ? [] : [`${c.warning} (at byte ${offset})`], label);
      assert.equal(result.bodyElement, '{urn:m}op', label);
    }
  }
});

test('strict: ERR_SOAP_NOT_ENVELOPE at the stray text\'s first byte, under every chunking; clean envelopes pass', () => {
  for (const c of CASES) {
    const { bytes, offset } = parse(c);
    for (const { name, chunks } of chunkingsOf(bytes, offset)) {
      const label = `${c.name} (${name})`;
      expectStrictVerdict(scan(chunks, true, contentTypeOf(c.version)), c.warning, offset, label);
    }
  }
});

test('every stray text is reported, each at its own offset', () => {
  const xml = envelope(SOAP11, `@one<s:Header>@two<h:a xmlns:h="urn:h"/></s:Header> <!-- c --> @three${BODY}`);
  const offsets: number[] = [];
  let plain = '';
  for (const piece of xml.split('@')) {
    if (plain !== '') offsets.push(Buffer.byteLength(plain, 'utf8'));
    plain += piece;
  }
  for (const { name, chunks } of splits(Buffer.from(plain, 'utf8'))) {
    const result = scan(chunks, false, contentTypeOf('1.1'));
    assert.ok(!isXopError(result), `${name}: ${String(result)}`);
    assert.deepEqual(result.warnings, [
      `the Envelope has text "one" between its child elements; it is ignored (at byte ${offsets[0]})`,
      `the Header has text "two" between its child elements; it is ignored (at byte ${offsets[1]})`,
      `the Envelope has text "three" between its child elements; it is ignored (at byte ${offsets[2]})`,
    ], name);
  }
});

test('offsets are in the UTF-8 space for a UTF-16 root part; without retained bytes, the text run\'s start', () => {
  const xml = envelope(SOAP11, `${HEADER}\r\n @stray \u00e9${BODY}`).replace('<?xml version="1.0" encoding="UTF-8"?>\r\n', '');
  const { bytes: utf8, offset } = parse({ name: '', version: '1.1', xml, warning: null });
  const plain = utf8.toString('utf8');
  for (const bytes of [Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(plain, 'utf16le')]), Buffer.from(plain, 'utf16le')]) {
    for (const { name, chunks } of CHUNKINGS.map((k) => ({ name: k.name, chunks: k.split(bytes) }))) {
      const lenient = scan(chunks, false, 'text/xml; charset=utf-16');
      assert.ok(!isXopError(lenient), `${name}: ${String(lenient)}`);
      assert.deepEqual(lenient.warnings, [`the Envelope has text "stray \u00e9" between its child elements; it is ignored (at byte ${offset})`], name);
    }
  }
  // retainEnvelope: false keeps no bytes to look at: the offset is where the text run begins (after </s:Header>).
  for (const { name, split } of CHUNKINGS) {
    const scanner = new SoapScanner({ contentType: 'text/xml', retainEnvelope: false });
    for (const chunk of split(utf8)) scanner.write(chunk);
    const runStart = Buffer.byteLength(plain.slice(0, plain.indexOf('</s:Header>') + '</s:Header>'.length), 'utf8');
    assert.deepEqual(scanner.end().warnings,
      [`the Envelope has text "stray \u00e9" between its child elements; it is ignored (at byte ${runStart})`], name);
  }
});

test('receive(): the warning reaches the message; strict rejects with ERR_SOAP_NOT_ENVELOPE and stores nothing', async () => {
  const boundary = 'b-stray-text';
  const root = envelope(SOAP12, `${HEADER}\n@garbage${BODY}`);
  const { bytes, offset } = parse({ name: '', version: '1.2', xml: root, warning: null });
  const message = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Type: application/soap+xml; charset=UTF-8\r\nContent-ID: <root@x>\r\n\r\n`), bytes,
    Buffer.from(`\r\n--${boundary}\r\nContent-Type: application/octet-stream\r\nContent-ID: <att@x>\r\n\r\nbinary\x00data\r\n--${boundary}--\r\n`, 'latin1'),
  ]);
  const contentType = `multipart/related; type="application/soap+xml"; start="<root@x>"; boundary="${boundary}"`;
  await expectReceiveStructureVerdict(message, contentType,
    [`the Envelope has text "garbage" between its child elements; it is ignored (at byte ${offset})`], offset);
});
