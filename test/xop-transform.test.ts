/**
 * inflate, optimize and streaming base64: the edges the round-trip property
 * does not aim at.
 */

import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { Base64Encoder, inflate, isXopError, optimize, scanSoap, SoapScanner, XOP_NAMESPACE } from '../src/index.js';
import { canonicalBase64Length, decodeBase64Pieces } from '../src/xop/base64.js';
import { canonicalEvents } from './support/xop.js';

const S12 = 'http://www.w3.org/2003/05/soap-envelope';

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const out: Uint8Array[] = [];
  for await (const piece of source) out.push(piece);
  return Buffer.concat(out);
}

test('Base64Encoder: any split of the input gives the base64 of the whole', () => {
  const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 31 + 7) % 256));
  for (const size of [1, 2, 3, 4, 5, 7, 64, 999, 1000]) {
    const encoder = new Base64Encoder(9); // tiny pieces: many outputs per chunk
    const out: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += size) out.push(...encoder.push(bytes.subarray(i, i + size)));
    out.push(encoder.end());
    assert.equal(Buffer.concat(out).toString('latin1'), bytes.toString('base64'), `chunks of ${size}`);
    assert.ok(out.every((piece) => piece.length <= 12), 'pieces are bounded');
  }
  const empty = new Base64Encoder();
  assert.deepEqual(empty.push(new Uint8Array(0)), []);
  assert.equal(empty.end().length, 0);
});

test('canonicalBase64Length accepts only the canonical lexical form of xs:base64Binary', () => {
  const check = (text: string): number => canonicalBase64Length(Buffer.from(text, 'latin1'), 0, text.length);
  assert.equal(check('QUJD'), 3);
  assert.equal(check('QUI='), 2);
  assert.equal(check('QQ=='), 1);
  assert.equal(check(''), 0);
  assert.equal(check('QUJ'), -1, 'not a multiple of 4');
  assert.equal(check('QU JD'), -1, 'whitespace');
  assert.equal(check('QUJ\nD'), -1, 'line break');
  assert.equal(check('QUJ='), -1, 'non-zero bits under the padding');
  assert.equal(check('QR=='), -1, 'non-zero bits under the padding');
  assert.equal(check('Q=JD'), -1, 'padding in the middle');
  assert.equal(check('QUJ&'), -1, 'an entity reference');
  const bytes = Buffer.from('xxQUJDxx', 'latin1');
  assert.equal(canonicalBase64Length(bytes, 2, 6), 3, 'a range of a larger buffer');
  assert.deepEqual(Buffer.concat([...decodeBase64Pieces(Buffer.from('QUJDREVGR0hJ'), 0, 16, 3)]).toString(), 'ABCDEFGHI');
});

const MTOM = `<s:Envelope xmlns:s="${S12}"><s:Body><m:a xmlns:m="urn:m"><m:one>` +
  `<xop:Include xmlns:xop="${XOP_NAMESPACE}" href="cid:one@x"/></m:one><m:empty>\n ` +
  `<xop:Include xmlns:xop="${XOP_NAMESPACE}" href="cid:empty@x"/>\n</m:empty></m:a></s:Body></s:Envelope>`;

test('inflate: attachments as bytes, promises and async iterables; a zero-length part gives empty content', async () => {
  const scan = await scanSoap(Buffer.from(MTOM), { contentType: 'application/xop+xml; type="application/soap+xml"' });
  const one = Buffer.from('hello, world');
  const inflated = await collect(inflate(scan, {
    attachment: async (cid) => (cid === 'one@x' ? (async function* () { yield one.subarray(0, 4); yield one.subarray(4); })() : new Uint8Array(0)),
  }));
  assert.equal(inflated.toString(), MTOM
    .replace(/<m:one>.*?<\/m:one>/, `<m:one>${one.toString('base64')}</m:one>`)
    .replace(/<m:empty>[\s\S]*?<\/m:empty>/, '<m:empty></m:empty>'));
  const root = await collect(inflate(scan, { target: 'rootDocument', attachment: (cid) => Promise.resolve(cid === 'one@x' ? one : Buffer.alloc(0)) }));
  assert.equal(root.toString(), `<m:a xmlns:m="urn:m"><m:one>${one.toString('base64')}</m:one><m:empty></m:empty></m:a>`);
});

test('inflate: from a spooled envelope (retainEnvelope: false) through an envelope reader', async () => {
  const bytes = Buffer.from(MTOM);
  const scan = await scanSoap(Readable.from([bytes.subarray(0, 50), bytes.subarray(50)]), { retainEnvelope: false });
  assert.equal(scan.envelope, null);
  await assert.rejects(collect(inflate(scan, { attachment: () => Buffer.alloc(0) })), { code: 'ERR_BAD_ARGUMENT' });
  const ranges: Array<[number, number]> = [];
  const inflated = await collect(inflate(scan, {
    attachment: () => [Buffer.from('AB')],
    envelope: (start, end) => {
      ranges.push([start, end]);
      return [bytes.subarray(start, end)];
    },
  }));
  assert.ok(ranges.length >= 3);
  assert.deepEqual(canonicalEvents(inflated), canonicalEvents(MTOM
    .replace(/<m:one>.*?<\/m:one>/, '<m:one>QUI=</m:one>').replace(/<m:empty>[\s\S]*?<\/m:empty>/, '<m:empty>QUI=</m:empty>')));
});

test('inflate: errors of readers pass through; a bad reader result is ERR_BAD_ARGUMENT; no root document is ERR_BAD_ARGUMENT', async () => {
  const scan = await scanSoap(Buffer.from(MTOM), {});
  const failure = new Error('cache gone');
  await assert.rejects(collect(inflate(scan, { attachment: () => { throw failure; } })), (e: unknown) => e === failure);
  await assert.rejects(collect(inflate(scan, { attachment: () => 42 as unknown as Uint8Array })), { code: 'ERR_BAD_ARGUMENT' });
  await assert.rejects(collect(inflate(scan, { attachment: () => ['x' as unknown as Uint8Array] })), { code: 'ERR_BAD_ARGUMENT' });
  const empty = await scanSoap(Buffer.from(`<s:Envelope xmlns:s="${S12}"><s:Body/></s:Envelope>`), {});
  await assert.rejects(collect(inflate(empty, { target: 'rootDocument', attachment: () => [] })), { code: 'ERR_BAD_ARGUMENT' });
});

test('scanSoap reads a Web ReadableStream and a sync iterable', async () => {
  const bytes = Buffer.from(MTOM);
  const web = new ReadableStream<Uint8Array>({ start(c) { c.enqueue(bytes.subarray(0, 10)); c.enqueue(bytes.subarray(10)); c.close(); } });
  assert.equal((await scanSoap(web)).includes.length, 2);
  assert.equal((await scanSoap([bytes])).bodyElement, '{urn:m}a');
  // A failing source is released and its error passes through.
  const failing = (async function* () { yield bytes.subarray(0, 10); throw new Error('socket reset'); })();
  await assert.rejects(scanSoap(failing), /socket reset/);
  await assert.rejects(scanSoap([Buffer.from('<a:b/>')]), { code: 'ERR_XML_MALFORMED' });
});

const BIG = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 13) % 256));

test('optimize: only canonical base64 in the Body above the threshold moves out; xmime:contentType is the part type', () => {
  const b64 = BIG.toString('base64');
  const xml = `<s:Envelope xmlns:s="${S12}" xmlns:xmime="http://www.w3.org/2005/05/xmlmime">` +
    `<s:Header><wsse:Token xmlns:wsse="urn:wsse">${b64}</wsse:Token></s:Header>` +
    `<s:Body><m:a xmlns:m="urn:m"><m:pic xmime:contentType="image/png">${b64}</m:pic><m:small>QUJD</m:small>` +
    `<m:wrapped>${b64.slice(0, 76)}\n${b64.slice(76, 152)}</m:wrapped><m:mixed>${b64}<m:x/></m:mixed>` +
    `<m:cdata><![CDATA[${b64}]]></m:cdata><m:other>${b64}</m:other></m:a></s:Body></s:Envelope>`;
  const message = optimize(xml, { threshold: 100, contentId: (i) => `p${i}@x` });
  assert.equal(message.soapVersion, '1.2');
  assert.deepEqual(message.parts.map((p) => [p.contentId, p.contentType, p.size, p.element]), [
    ['p0@x', 'image/png', 5000, '{urn:m}pic'],
    ['p1@x', 'application/octet-stream', 5000, '{urn:m}other'],
  ]);
  const root = Buffer.concat(message.root).toString();
  assert.equal(Buffer.concat(message.root).length, message.rootLength);
  assert.ok(root.includes(`<wsse:Token xmlns:wsse="urn:wsse">${b64}</wsse:Token>`), 'Header blocks stay inline');
  assert.ok(root.includes(`<m:pic xmime:contentType="image/png"><xop:Include xmlns:xop="${XOP_NAMESPACE}" href="cid:p0@x"/></m:pic>`));
  assert.ok(root.includes('<m:small>QUJD</m:small>'), 'below the threshold');
  assert.ok(root.includes(`<m:mixed>${b64}<m:x/></m:mixed>`), 'mixed content');
  assert.ok(root.includes(`<![CDATA[${b64}]]>`), 'CDATA is not the canonical form');
  for (const part of message.parts) {
    assert.deepEqual(Buffer.concat([...part.body()]), BIG);
    assert.equal(part.path.startsWith('/s:Envelope/s:Body/m:a/'), true);
  }
  // The input views are reused, not copied.
  const input = Buffer.from(xml);
  const again = optimize(input, { threshold: 100 });
  assert.equal(again.root[0]!.buffer, input.buffer);
});

test('optimize: select filters candidates; default Content-IDs are unique; a non-SOAP document is optimized anywhere', async () => {
  const b64 = BIG.toString('base64');
  const xml = `<doc xmlns="urn:d"><a>${b64}</a><b>${b64}</b></doc>`;
  const all = optimize(xml, { threshold: 1 });
  assert.equal(all.soapVersion, null);
  assert.equal(all.parts.length, 2);
  assert.notEqual(all.parts[0]!.contentId, all.parts[1]!.contentId);
  assert.match(all.parts[0]!.contentId, /^[0-9a-f-]{36}-1@xopstream$/);
  const some = optimize(xml, { threshold: 1, select: (c) => c.element === '{urn:d}b', contentType: 'application/pdf' });
  assert.deepEqual(some.parts.map((p) => [p.element, p.contentType]), [['{urn:d}b', 'application/pdf']]);
  const chunks: Buffer[] = [];
  for await (const piece of some.parts[0]!.body()) chunks.push(piece);
  assert.deepEqual(Buffer.concat(chunks), BIG);
  const none = optimize(xml, { threshold: 10_000 });
  assert.equal(none.parts.length, 0);
  assert.equal(Buffer.concat(none.root).toString(), xml);
});

test('optimize: typed errors for bad XML, DOCTYPE, limits and non-UTF-8 input', () => {
  const code = (fn: () => unknown): string => {
    try {
      fn();
    } catch (error) {
      assert.ok(isXopError(error));
      return error.code;
    }
    return 'no error';
  };
  assert.equal(code(() => optimize('<a><b></a>')), 'ERR_XML_MALFORMED');
  assert.equal(code(() => optimize('<!DOCTYPE a><a/>')), 'ERR_XML_DOCTYPE');
  assert.equal(code(() => optimize('<a><b><c/></b></a>', { limits: { depth: 2 } })), 'ERR_XML_TOO_DEEP');
  assert.equal(code(() => optimize('<a x="1" y="2"/>', { limits: { attributes: 1 } })), 'ERR_XML_TOO_MANY_ATTRIBUTES');
  assert.equal(code(() => optimize('<a/>', { limits: { rootBytes: 2 } })), 'ERR_XML_TOO_LARGE');
  assert.equal(code(() => optimize(Buffer.from('\ufeff<a/>', 'utf16le'))), 'ERR_BAD_ARGUMENT');
  assert.equal(code(() => optimize(Buffer.from([0x3c, 0x61, 0xff, 0x2f, 0x3e]))), 'ERR_XML_BAD_ENCODING');
});

test('an optimized envelope scans as MTOM and its includes point at the parts', () => {
  const b64 = BIG.toString('base64');
  const xml = `<s:Envelope xmlns:s="${S12}"><s:Body><m:a xmlns:m="urn:m">${b64}</m:a></s:Body></s:Envelope>`;
  const message = optimize(xml, { threshold: 1 });
  const scanner = new SoapScanner({ contentType: 'application/xop+xml; type="application/soap+xml"', strict: true });
  for (const piece of message.root) scanner.write(piece);
  const scan = scanner.end();
  assert.deepEqual(scan.includes.map((i) => [i.cid, i.element, i.path]),
    [[message.parts[0]!.contentId, '{urn:m}a', '/s:Envelope/s:Body/m:a']]);
  assert.deepEqual(scan.warnings, []);
});
