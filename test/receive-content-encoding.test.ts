// HTTP content codings (RFC 9110 §8.4): a gzip, x-gzip or deflate body is
// inflated before the MIME parser sees it (Axis2's MC_GZIP_REQUEST, CXF's
// GZIPFeature with force), through receive() and through the receiver over
// loopback; an unknown coding is 415 before a byte is read; a body that does
// not inflate is ERR_MIME_BAD_ENCODING (400); a compression bomb stops at
// limits.totalBytes (413). Nothing is left in the cache when a message is refused.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import zlib from 'node:zlib';
import { describe, test } from 'node:test';
import { createReceiverServer, isXopError, MemoryCache, parseSoapResponse, receive, type HttpResponseLike } from '../src/index.js';
import { contentCodingOf } from '../src/receive/content-coding.js';
import { buildMessage, faultSummary, post, readAll, receivedSummary, sha256 } from './support/receive.js';

const photo = Buffer.alloc(300_000);
for (let i = 0; i < photo.length; i++) photo[i] = (i * 7919) >>> 5 & 0xff; // compressible, not trivial
const message = buildMessage('mtom', '1.2', [
  { contentId: 'photo@x', contentType: 'image/jpeg', body: photo },
  { contentId: 'note@x', contentType: 'text/plain', body: Buffer.from('a note\r\n--not a boundary\r\n') },
]);

/** [Content-Encoding value, what the body is, encoder]. */
const CODERS: ReadonlyArray<[string, string, (b: Buffer) => Buffer]> = [
  ['gzip', 'gzip', (b) => zlib.gzipSync(b)],
  ['x-gzip', 'gzip', (b) => zlib.gzipSync(b)],
  ['deflate', 'zlib (RFC 9110: deflate is the zlib format, RFC 1950)', (b) => zlib.deflateSync(b)],
  ['deflate', 'raw deflate (RFC 1951: .NET DeflateStream)', (b) => zlib.deflateRawSync(b)],
  ['identity', 'as is', (b) => b],
];

function chunked(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size));
  return out;
}

async function storedBodies(cache: MemoryCache, rootId: string): Promise<Map<string | number, string>> {
  const out = new Map<string | number, string>();
  for (const doc of await cache.list(rootId)) {
    const id = doc.properties.wss_attachment_content_id;
    out.set(id, sha256(await readAll(await cache.open(rootId, id))));
  }
  return out;
}

const expected = new Map<string | number, string>(message.attachments.map((a) => [a.contentId!, sha256(a.body)]));

describe('content codings', () => {
  test('contentCodingOf: gzip, x-gzip, deflate and identity (any case, identity entries ignored); anything else is 415', () => {
    assert.equal(contentCodingOf(undefined), 'identity');
    assert.equal(contentCodingOf(''), 'identity');
    assert.equal(contentCodingOf('Identity'), 'identity');
    assert.equal(contentCodingOf(' GZIP '), 'gzip');
    assert.equal(contentCodingOf('x-gzip'), 'gzip');
    assert.equal(contentCodingOf('deflate, identity'), 'deflate');
    for (const refused of ['br', 'compress', 'zstd', 'gzip, gzip', 'gzip, deflate']) {
      assert.throws(() => contentCodingOf(refused), (e: unknown) =>
        isXopError(e) && e.code === 'ERR_MIME_UNSUPPORTED_MEDIA_TYPE' && e.details['status'] === 415 && e.message.includes('gzip, deflate, identity'), refused);
    }
  });

  test('receive() inflates the body its contentEncoding names, in any chunking; the attachments are the original bytes', async () => {
    for (const [coding, what, encode] of CODERS) {
      const coded = encode(message.body);
      for (const size of [1, 2, 997, 65_536]) {
        if (size <= 2 && coding !== 'deflate') continue; // byte by byte (the wrapper is read from the first two bytes) once per wrapper
        const cache = new MemoryCache();
        const rootId = randomUUID();
        const received = await receive(chunked(coded, size), { contentType: message.contentType, contentEncoding: coding, cache, rootId });
        assert.equal(received.soap.version, '1.2', `${what} / ${size}`);
        assert.deepEqual(await storedBodies(cache, rootId), expected, `${what} / ${size}`);
        await cache.close();
      }
    }
  });

  test('receive() refuses an unknown coding with 415 and a body that does not inflate with ERR_MIME_BAD_ENCODING, leaving nothing', async () => {
    const cache = new MemoryCache();
    await assert.rejects(receive([message.body], { contentType: message.contentType, contentEncoding: 'br', cache }),
      (e: unknown) => isXopError(e) && e.code === 'ERR_MIME_UNSUPPORTED_MEDIA_TYPE');
    const gz = zlib.gzipSync(message.body);
    const corrupt = Buffer.from(gz);
    corrupt.fill(0x55, gz.length >> 1, (gz.length >> 1) + 64); // the middle of the deflate stream
    for (const body of [corrupt, gz.subarray(0, gz.length - 100), message.body, Buffer.alloc(0), zlib.deflateRawSync(message.body)]) {
      const rootId = randomUUID();
      await assert.rejects(receive(chunked(body, 4096), { contentType: message.contentType, contentEncoding: 'gzip', cache, rootId }),
        (e: unknown) => isXopError(e) && e.code === 'ERR_MIME_BAD_ENCODING' && e.details['status'] === 400 && /gzip/.test(e.message));
      assert.deepEqual(await cache.list(rootId), []);
    }
    assert.equal(cache.usedBytes, 0);
    await cache.close();
  });

  test('receiver over loopback: Content-Encoding gzip/deflate is stored as sent before compression; br is 415; corrupt is 400; a bomb is 413', async () => {
    const cache = new MemoryCache();
    const server = createReceiverServer({ cache, limits: { totalBytes: 4 * 1024 * 1024 } });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
    try {
      for (const [coding, what, encode] of CODERS) {
        const response = await post(url, encode(message.body), message.contentType, { chunkSize: 8192, headers: { 'content-encoding': coding } });
        assert.equal(response.status, 200, `${what}: ${response.body.toString()}`);
        const rootId = receivedSummary(response.body).rootDocumentId!;
        assert.deepEqual(await storedBodies(cache, rootId), expected, what);
        assert.equal(await cache.delete(rootId), true);
      }
      const br = await post(url, message.body, message.contentType, { headers: { 'content-encoding': 'br' } });
      assert.equal(br.status, 415);
      assert.equal(faultSummary(br.body).code, 'ERR_MIME_UNSUPPORTED_MEDIA_TYPE');
      assert.equal(br.headers['accept-encoding'], 'gzip, deflate, identity', 'RFC 7694 §3: the codings the server takes');
      // A 415 for the media type itself names no codings.
      const plain = await post(url, Buffer.from('hello'), 'text/plain');
      assert.equal(plain.status, 415);
      assert.equal(plain.headers['accept-encoding'], undefined);
      const gz = zlib.gzipSync(message.body);
      gz.fill(0x55, gz.length >> 1, (gz.length >> 1) + 64);
      const corrupt = await post(url, gz, message.contentType, { headers: { 'content-encoding': 'gzip' } });
      assert.equal(corrupt.status, 400);
      assert.equal(faultSummary(corrupt.body).code, 'ERR_MIME_BAD_ENCODING');
      // 64 MiB of zeros inside one attachment, sent as ~64 KiB of gzip: the limit counts inflated bytes.
      const bombMessage = buildMessage('mtom', '1.2', [{ contentId: 'zeros@x', contentType: 'application/octet-stream', body: Buffer.alloc(64 * 1024 * 1024) }]);
      const bombBody = zlib.gzipSync(bombMessage.body, { level: 9 });
      assert.ok(bombBody.length < 256 * 1024, `${bombBody.length} bytes on the wire`);
      const bomb = await post(url, bombBody, bombMessage.contentType, { headers: { 'content-encoding': 'gzip' } });
      assert.equal(bomb.status, 413, bomb.body.toString());
      assert.equal(faultSummary(bomb.body).code, 'ERR_MIME_MESSAGE_TOO_LARGE');
      assert.equal(cache.usedBytes, 0, 'nothing stored from the refused messages');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await cache.close();
    }
  });

  test('parseSoapResponse inflates a gzip answer, and a gzip-coded fault is read as the fault', async () => {
    const answer = (status: number, body: Buffer, contentType: string): HttpResponseLike => ({
      status, statusText: '', headers: { 'content-type': contentType, 'content-encoding': 'gzip' }, body: chunked(zlib.gzipSync(body), 1000) as never,
    });
    const result = await parseSoapResponse(answer(200, message.body, message.contentType));
    const rootId = result.rootDocument.properties.wss_root_document_id;
    assert.deepEqual(await storedBodies(result.cache as MemoryCache, rootId), expected);
    const fault = Buffer.from('<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>' +
      '<faultcode>s:Server</faultcode><faultstring>compressed failure</faultstring></s:Fault></s:Body></s:Envelope>');
    await assert.rejects(parseSoapResponse(answer(500, fault, 'text/xml; charset=utf-8')),
      (e: unknown) => isXopError(e) && e.code === 'ERR_SOAP_FAULT' && e.message.includes('compressed failure'));
    // A raw-deflate fault (.NET) is read too.
    const raw: HttpResponseLike = { status: 500, statusText: '', headers: { 'content-type': 'text/xml', 'content-encoding': 'deflate' }, body: [zlib.deflateRawSync(fault)] as never };
    await assert.rejects(parseSoapResponse(raw), (e: unknown) => isXopError(e) && e.code === 'ERR_SOAP_FAULT');
  });

  test('parseSoapResponse: a compressed error page is kept inflated; one past maxErrorBodyBytes is kept as received, its coding named', async () => {
    const page = Buffer.from('<html><body>502 Bad Gateway</body></html>');
    const gzipPage = (body: Buffer): HttpResponseLike => ({ status: 502, statusText: 'Bad Gateway', headers: { 'content-type': 'text/html', 'content-encoding': 'gzip' }, body: [zlib.gzipSync(body)] as never });
    await assert.rejects(parseSoapResponse(gzipPage(page)), (e: unknown) => {
      assert.ok(isXopError(e) && e.code === 'ERR_HTTP_STATUS');
      assert.deepEqual(e.details['body'], page);
      assert.equal(e.details['contentEncoding'], undefined);
      return true;
    });
    const big = Buffer.alloc(100_000, 0x61);
    await assert.rejects(parseSoapResponse(gzipPage(big), { maxErrorBodyBytes: 1000 }), (e: unknown) => {
      assert.ok(isXopError(e) && e.code === 'ERR_HTTP_STATUS');
      assert.equal(e.details['contentEncoding'], 'gzip');
      assert.deepEqual(e.details['body'], zlib.gzipSync(big), 'the compressed bytes as received (they fit the bound)');
      return true;
    });
  });
});
