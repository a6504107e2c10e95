// Hostile root parts against the SOAP/XOP layer: XOP hrefs that point
// outside the message (SSRF, local files), DOCTYPEs and entities (billion
// laughs, XXE), nesting and attribute bombs, broken and split encodings, and
// malformed xop:Include elements. Each case has its expected outcome; the
// memory checks are deterministic bounds (bytes pulled before the error).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import {
  MemoryCache, isXopError, receive, resolveXopReferences, scanSoap, type SoapScanResult, type XopError,
} from '../src/index.js';

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const XOP = 'http://www.w3.org/2004/08/xop/include';
const envelope = (body: string): string => `<s:Envelope xmlns:s="${SOAP11}"><s:Body>${body}</s:Body></s:Envelope>`;
const include = (href: string): string => `<m:photo xmlns:m="urn:m"><xop:Include xmlns:xop="${XOP}" href="${href}"/></m:photo>`;

async function scanError(bytes: Buffer | Iterable<Uint8Array>, options: Parameters<typeof scanSoap>[1] = { contentType: 'text/xml' }): Promise<XopError> {
  try {
    await scanSoap(bytes, options);
  } catch (error) {
    assert.ok(isXopError(error), `a typed error, not ${String(error)}`);
    return error;
  }
  assert.fail('the scan succeeded');
}

/** A local server that counts requests: any fetch of an href or a DTD would show up here. */
async function tripwire(): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server = http.createServer((_req, res) => { hits++; res.end('<secret/>'); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, hits: () => hits, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function mtom(rootXml: string, attachmentId = 'att@x'): { bytes: Buffer; contentType: string } {
  const bytes = Buffer.from(
    '--b\r\nContent-Type: application/xop+xml; type="text/xml"; charset=utf-8\r\nContent-ID: <root@x>\r\n\r\n' + rootXml +
    `\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-ID: <${attachmentId}>\r\n\r\nBINARY\r\n--b--\r\n`, 'utf8');
  return { bytes, contentType: 'multipart/related; type="application/xop+xml"; start="<root@x>"; start-info="text/xml"; boundary=b' };
}

test('xop:Include with an http:, https:, file: or ftp: href is ERR_XOP_BAD_HREF and is never fetched (SSRF, CXF CVE-2022-46364 class)', async () => {
  const wire = await tripwire();
  try {
    for (const href of [`${wire.url}/secret`, 'https://127.0.0.1:1/x', 'file:///etc/passwd', 'ftp://127.0.0.1/x', `//127.0.0.1/x`, 'mid:x@y']) {
      const e = await scanError(Buffer.from(envelope(include(href))));
      assert.equal(e.code, 'ERR_XOP_BAD_HREF', href);
      // End to end: the receive pipeline rejects it and stores nothing.
      const cache = new MemoryCache();
      const { bytes, contentType } = mtom(envelope(include(href)));
      await assert.rejects(receive([bytes], { contentType, cache, rootId: 'ssrf' }), { code: 'ERR_XOP_BAD_HREF' });
      assert.deepEqual(await cache.list('ssrf'), []);
      assert.equal(cache.usedBytes, 0);
    }
    assert.equal(wire.hits(), 0, 'no request reached the tripwire server');
  } finally {
    await wire.close();
  }
});

test('DOCTYPE: billion laughs, XXE and an external DTD are ERR_XML_DOCTYPE; nothing is expanded or fetched', async () => {
  const wire = await tripwire();
  try {
    const laughs = '<!DOCTYPE lolz [<!ENTITY lol "lol">' +
      Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('') + ']>';
    const cases = [
      laughs + envelope('<a>&lol9;</a>'),
      '<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + envelope('<a>&xxe;</a>'),
      `<!DOCTYPE foo SYSTEM "${wire.url}/evil.dtd">` + envelope('<a/>'),
      `<?xml version="1.0"?>\n<!DOCTYPE s:Envelope>` + envelope('<a/>'),
    ];
    for (const xml of cases) {
      const e = await scanError(Buffer.from(xml));
      assert.equal(e.code, 'ERR_XML_DOCTYPE');
      assert.doesNotMatch(e.message, /root:|lollol/, 'no entity text in the error');
      const { bytes, contentType } = mtom(xml);
      const cache = new MemoryCache();
      await assert.rejects(receive([bytes], { contentType, cache, rootId: 'doctype' }), { code: 'ERR_XML_DOCTYPE' });
      assert.equal(cache.usedBytes, 0);
    }
    // An entity that was never declared is not looked up anywhere either.
    assert.equal((await scanError(Buffer.from(envelope('<a>&xxe;</a>')))).code, 'ERR_XML_MALFORMED');
    assert.equal(wire.hits(), 0);
  } finally {
    await wire.close();
  }
});

test('an unterminated 10 MB DOCTYPE is ERR_XML_DOCTYPE as soon as "<!DOCTYPE" is read, far below limits.rootBytes', async () => {
  let pulled = 0;
  function* source(): Iterable<Uint8Array> {
    const head = Buffer.from('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "');
    pulled += head.length;
    yield head;
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    for (let i = 0; i < 160; i++) {
      pulled += chunk.length;
      yield chunk;
    }
  }
  const e = await scanError(source(), { contentType: 'text/xml', limits: { rootBytes: 1024 * 1024 } });
  assert.equal(e.code, 'ERR_XML_DOCTYPE');
  assert.equal(e.offset, '<?xml version="1.0"?>'.length);
  assert.ok(pulled < 64 * 1024, `pulled ${pulled} bytes`);
});

test('nesting 100,000 deep is ERR_XML_TOO_DEEP at depth 129, read no further than the chunk that crosses it', async () => {
  let pulled = 0;
  function* source(): Iterable<Uint8Array> {
    const head = Buffer.from(`<s:Envelope xmlns:s="${SOAP11}"><s:Body>`);
    pulled += head.length;
    yield head;
    const chunk = Buffer.from('<a>'.repeat(1000));
    for (let i = 0; i < 100; i++) {
      pulled += chunk.length;
      yield chunk;
    }
  }
  const e = await scanError(source());
  assert.equal(e.code, 'ERR_XML_TOO_DEEP');
  assert.equal(e.details.limit, 128);
  assert.ok(pulled <= 2 * 3000 + 100, `pulled ${pulled} bytes`);
});

test('300 attributes on one element is ERR_XML_TOO_MANY_ATTRIBUTES', async () => {
  const attrs = Array.from({ length: 300 }, (_, i) => `a${i}="${i}"`).join(' ');
  const e = await scanError(Buffer.from(envelope(`<a ${attrs}/>`)));
  assert.equal(e.code, 'ERR_XML_TOO_MANY_ATTRIBUTES');
  assert.equal(e.details.limit, 256);
});

async function scanSplit(bytes: Buffer, at: number, contentType = 'text/xml; charset=utf-8'): Promise<SoapScanResult | XopError> {
  try {
    return await scanSoap([bytes.subarray(0, at), bytes.subarray(at)], { contentType });
  } catch (error) {
    assert.ok(isXopError(error));
    return error;
  }
}

test('UTF-8 split inside a multi-byte character, at every byte: the same root document', async () => {
  const xml = Buffer.from(envelope('<m:r xmlns:m="urn:m" note="caf\u00e9 \u20ac">\u{1F600} \u00fcber \u4e2d\u6587</m:r>'), 'utf8');
  const whole = await scanSoap(xml, { contentType: 'text/xml; charset=utf-8' });
  assert.ok(whole.rootDocument !== null);
  for (let at = 0; at <= xml.length; at++) {
    const split = await scanSplit(xml, at);
    assert.ok(!isXopError(split), `split at ${at}: ${String(split)}`);
    assert.ok(split.rootDocument!.equals(whole.rootDocument!), `split at ${at}`);
    assert.equal(split.bodyElement, '{urn:m}r');
  }
});

test('UTF-16 with a byte order mark, split at every byte: transcoded to the same UTF-8 root document', async () => {
  const text = envelope('<m:r xmlns:m="urn:m">\u00e9\u{1F600}</m:r>');
  const xml = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  const whole = await scanSoap(xml, { contentType: 'text/xml' });
  assert.equal(whole.encoding, 'utf-16le');
  assert.equal(whole.rootDocument!.toString('utf8'), '<m:r xmlns:m="urn:m">\u00e9\u{1F600}</m:r>');
  for (let at = 0; at <= xml.length; at++) {
    const split = await scanSplit(xml, at, 'text/xml');
    assert.ok(!isXopError(split), `split at ${at}: ${String(split)}`);
    assert.ok(split.rootDocument!.equals(whole.rootDocument!), `split at ${at}`);
  }
});

test('invalid UTF-8 is ERR_XML_BAD_ENCODING at the invalid byte, under every split; an earlier XML error wins over it', async () => {
  const good = Buffer.from(`<s:Envelope xmlns:s="${SOAP11}"><s:Body><a>\u00e9`, 'utf8');
  const xml = Buffer.concat([good, Buffer.from([0xe2, 0x28, 0xa1]), Buffer.from('</a></s:Body></s:Envelope>')]);
  for (let at = 0; at <= xml.length; at++) {
    const result = await scanSplit(xml, at);
    assert.ok(isXopError(result), `split at ${at}`);
    assert.equal(result.code, 'ERR_XML_BAD_ENCODING');
    assert.equal(result.offset, good.length, `split at ${at}`);
  }
  const doctypeFirst = Buffer.concat([Buffer.from('<!DOCTYPE x>'), Buffer.from([0xff])]);
  for (let at = 0; at <= doctypeFirst.length; at++) {
    const result = await scanSplit(doctypeFirst, at);
    assert.ok(isXopError(result));
    assert.equal(result.code, 'ERR_XML_DOCTYPE', `split at ${at}`);
  }
});

test('malformed xop:Include elements are ERR_XOP_BAD_INCLUDE; an include naming no part is ERR_XOP_MISSING_PART', async () => {
  const bad = [
    `<m:d xmlns:m="urn:m"><xop:Include xmlns:xop="${XOP}" href="cid:a"><c/></xop:Include></m:d>`,
    `<m:d xmlns:m="urn:m"><xop:Include xmlns:xop="${XOP}"/></m:d>`,
    `<m:d xmlns:m="urn:m"><xop:Include xmlns:xop="${XOP}" href="cid:a"/><xop:Include xmlns:xop="${XOP}" href="cid:b"/></m:d>`,
    `<m:d xmlns:m="urn:m">text<xop:Include xmlns:xop="${XOP}" href="cid:a"/></m:d>`,
  ];
  for (const body of bad) assert.equal((await scanError(Buffer.from(envelope(body)))).code, 'ERR_XOP_BAD_INCLUDE', body);
  const scan = await scanSoap(Buffer.from(envelope(include('cid:missing@x'))), { contentType: 'text/xml' });
  assert.throws(() => resolveXopReferences(scan, [{ index: 0, contentId: '<root@x>' }, { index: 1, contentId: '<att@x>' }]),
    { code: 'ERR_XOP_MISSING_PART' });
});

test('cid: hrefs with ../ and NUL only ever match a Content-ID, compared as a string', async () => {
  const scan = await scanSoap(Buffer.from(envelope(include('cid:..%2F..%2Fetc%2Fpasswd'))), { contentType: 'text/xml' });
  assert.equal(scan.includes[0]!.cid, '../../etc/passwd');
  // No part with that exact Content-ID: missing, not a file.
  assert.throws(() => resolveXopReferences(scan, [{ index: 0, contentId: 'root' }, { index: 1, contentId: 'passwd' }]), { code: 'ERR_XOP_MISSING_PART' });
  // A part that carries exactly that id is the one it names.
  const resolved = resolveXopReferences(scan, [{ index: 0, contentId: 'root' }, { index: 1, contentId: '<../../etc/passwd>' }]);
  assert.equal(resolved.includes[0]!.part, 1);
  const nul = await scanSoap(Buffer.from(envelope(include('cid:a%00b'))), { contentType: 'text/xml' });
  assert.equal(nul.includes[0]!.cid, 'a\u0000b');
  assert.throws(() => resolveXopReferences(nul, [{ index: 0, contentId: 'root' }, { index: 1, contentId: 'ab' }]), { code: 'ERR_XOP_MISSING_PART' });
});

test('invalid UTF-16 (a lone surrogate) and invalid Shift_JIS: ERR_XML_BAD_ENCODING under every split, UTF-16 at the surrogate', async () => {
  const head = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`<s:Envelope xmlns:s="${SOAP11}"><s:Body><a>x`, 'utf16le')]);
  const utf16 = Buffer.concat([head, Buffer.from([0x00, 0xdc]), Buffer.from('</a></s:Body></s:Envelope>', 'utf16le')]);
  for (let at = 0; at <= utf16.length; at++) {
    const result = await scanSplit(utf16, at, 'text/xml');
    assert.ok(isXopError(result), `split at ${at}`);
    assert.equal(result.code, 'ERR_XML_BAD_ENCODING');
    assert.equal(result.offset, head.length, `split at ${at}`);
  }
  // A legacy multi-byte encoding: the error is still typed, whatever the split (its offset is the chunk's end).
  const sjis = Buffer.concat([
    Buffer.from(`<?xml version="1.0" encoding="Shift_JIS"?><s:Envelope xmlns:s="${SOAP11}"><s:Body><a>`),
    Buffer.from([0x81, 0x20]), Buffer.from('</a></s:Body></s:Envelope>'),
  ]);
  for (let at = 0; at <= sjis.length; at++) {
    const result = await scanSplit(sjis, at, 'text/xml');
    assert.ok(isXopError(result), `split at ${at}`);
    assert.equal(result.code, 'ERR_XML_BAD_ENCODING', `split at ${at}`);
  }
});
