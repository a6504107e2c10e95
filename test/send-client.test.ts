// The client against real node:http servers on loopback: plain SOAP,
// multipart/related answers with attachments (kept, not dropped), SOAP 1.1
// and 1.2 faults, HTTP errors without SOAP, an endpoint that closes while the
// request is uploading, timeouts, aborts and safe retries.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { compose, isXopError, send, SoapFaultError, parseMultipart } from '../src/index.js';
import { MemoryCache } from '../src/cache/memory.js';
import { cacheWith, parseParts, pseudoRandomBytes, readAll, sha256 } from './support/send.js';

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void | Promise<void>;

/** A loopback server whose handler each test sets; it records what it received. */
class TestServer {
  server = http.createServer((req, res) => { void this.#serve(req, res); });
  handler: Handler = (_req, res) => { res.end(); };
  /** Set to handle the raw request before its body is read. */
  raw: ((req: http.IncomingMessage, res: http.ServerResponse) => void) | null = null;
  received: Array<{ headers: http.IncomingHttpHeaders; body: Buffer }> = [];
  url = '';

  async #serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (this.raw !== null) {
      this.raw(req, res);
      return;
    }
    const body = await readAll(req).catch(() => Buffer.alloc(0));
    this.received.push({ headers: req.headers, body });
    await this.handler(req, res, body);
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/service`;
  }

  reset(handler: Handler): void {
    this.handler = handler;
    this.raw = null;
    this.received = [];
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const server = new TestServer();
before(() => server.start());
after(() => server.stop());

function envelope11(body: string): string {
  return `<?xml version="1.0"?><soap:Envelope xmlns:soap="${SOAP11}"><soap:Body>${body}</soap:Body></soap:Envelope>`;
}

async function rejectsWith(promise: Promise<unknown>, code: string, check?: (e: Record<string, unknown> & { details: Record<string, unknown> }) => void): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isXopError(error), `expected an XopError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    check?.(error as never);
    return true;
  });
}

describe('answers', () => {
  test('plain SOAP 1.1: the request arrives whole, the answer is parsed', async () => {
    server.reset((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8' });
      res.end(envelope11('<r:ok xmlns:r="urn:r">done</r:ok>'));
    });
    const pdf = pseudoRandomBytes(200_000, 5);
    const result = await send(server.url, {
      xml: '<m:put xmlns:m="urn:m"/>', mode: 'swa', attachments: [{ contentId: 'a.pdf', contentType: 'application/pdf', body: pdf }],
    }, { soapAction: 'urn:put' });
    assert.equal(result.status, 200);
    assert.equal(result.soap.version, '1.1');
    assert.equal(result.soap.bodyElement, '{urn:r}ok');
    assert.ok(result.rootDocument.envelope.toString().includes('<r:ok xmlns:r="urn:r">done</r:ok>'));
    assert.equal(result.rootDocument.xml.toString(), '<r:ok xmlns:r="urn:r">done</r:ok>');
    assert.match(result.rootDocument.properties.wss_root_document_id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(result.attachments, []);
    const [received] = server.received;
    assert.equal(received!.headers['soapaction'], '"urn:put"');
    assert.equal(received!.headers['content-length'], String(received!.body.length));
    assert.equal(received!.headers['transfer-encoding'], undefined);
    const parts = await parseParts([received!.body], received!.headers['content-type']!);
    assert.equal(sha256(parts[1]!.body), sha256(pdf));
  });

  test('a streamed attachment of unknown size goes chunked', async () => {
    server.reset((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/xml' });
      res.end(envelope11('<ok/>'));
    });
    const bytes = pseudoRandomBytes(300_000, 9);
    async function* stream(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < bytes.length; i += 10_000) yield bytes.subarray(i, i + 10_000);
    }
    await send(server.url, await compose({ xml: '<x/>', mode: 'mtom', attachments: [{ contentType: 'image/jpeg', body: stream() }] }));
    const [received] = server.received;
    assert.equal(received!.headers['transfer-encoding'], 'chunked');
    assert.equal(received!.headers['content-length'], undefined);
    const parts = await parseParts([received!.body], received!.headers['content-type']!);
    assert.equal(sha256(parts[1]!.body), sha256(bytes));
  });

  test('multipart/related answers keep their attachments (a private MemoryCache by default)', async () => {
    const jpeg = pseudoRandomBytes(150_000, 21);
    const answer = await compose({
      xml: `<e:Envelope xmlns:e="${SOAP12}"><e:Body><r:ok xmlns:r="urn:r"/></e:Body></e:Envelope>`, mode: 'mtom',
      attachments: [{ contentId: 'back.jpg', contentType: 'image/jpeg', body: jpeg }, { contentType: 'text/plain', body: Buffer.from('note') }],
    });
    const answerBytes = await readAll(answer.body);
    server.reset((_req, res) => {
      res.writeHead(200, { 'Content-Type': answer.contentType });
      res.end(answerBytes);
    });
    const result = await send(server.url, { xml: '<q/>', mode: 'mtom', soapVersion: '1.2', soapAction: 'urn:get' });
    assert.equal(result.soap.version, '1.2');
    assert.equal(result.attachments.length, 2);
    const rootId = result.rootDocument.properties.wss_root_document_id;
    const [first, second] = result.attachments;
    assert.equal(first!.properties.wss_attachment_content_id, 'back.jpg');
    assert.equal(first!.properties.wss_attachment_content_type, 'image/jpeg');
    assert.equal(first!.properties.wss_root_document_id, rootId);
    assert.equal(sha256(await readAll(await result.cache.open(rootId, 'back.jpg'))), sha256(jpeg));
    assert.equal((await readAll(await result.cache.open(rootId, second!.properties.wss_attachment_content_id))).toString(), 'note');
    assert.ok(result.cache instanceof MemoryCache);
    await result.cache.close();
    assert.equal(server.received[0]!.headers['soapaction'], undefined);
  });

  test('multipart/related answers go into a cache when one is given', async () => {
    const jpeg = pseudoRandomBytes(150_000, 22);
    const answer = await compose({ xml: '<ok/>', mode: 'swa', attachments: [{ contentId: 'c1', contentType: 'image/jpeg', body: jpeg }] });
    const answerBytes = await readAll(answer.body);
    server.reset((_req, res) => {
      res.writeHead(200, { 'Content-Type': answer.contentType });
      res.end(answerBytes);
    });
    const cache = new MemoryCache();
    const result = await send(server.url, { xml: '<q/>', mode: 'swa' }, { cache });
    assert.equal(result.cache, cache);
    const rootId = result.rootDocument.properties.wss_root_document_id;
    const [doc] = await cache.list(rootId);
    assert.equal(doc!.properties.wss_attachment_content_id, 'c1');
    assert.equal(doc!.size, jpeg.length);
    assert.equal(result.attachments[0]!.xxh64, doc!.xxh64);
    assert.deepEqual(result.attachments[0]!.referencedBy, [], 'an SwA answer without references');
    assert.equal(sha256(await readAll(await cache.open(rootId, 'c1'))), sha256(jpeg));
    await cache.close();
  });

  test('202 Accepted with no body is a one-way answer', async () => {
    server.reset((_req, res) => { res.writeHead(202); res.end(); });
    const result = await send(server.url, { xml: '<q/>', mode: 'swa' });
    assert.equal(result.status, 202);
    assert.equal(result.rootDocument.envelope.length, 0);
    assert.equal(result.soap.version, null);
    assert.deepEqual(result.attachments, []);
  });

  test('a 200 that is not SOAP is a typed error', async () => {
    server.reset((_req, res) => { res.writeHead(200, { 'Content-Type': 'text/html' }); res.end('<html/>'); });
    await rejectsWith(send(server.url, { xml: '<q/>', mode: 'swa' }), 'ERR_MIME_UNSUPPORTED_MEDIA_TYPE');
    server.reset((_req, res) => { res.writeHead(200, { 'Content-Type': 'text/xml' }); res.end('<notsoap/>'); });
    await rejectsWith(send(server.url, { xml: '<q/>', mode: 'swa' }), 'ERR_SOAP_NOT_ENVELOPE');
    server.reset((_req, res) => { res.writeHead(200); res.end('body without type'); });
    await rejectsWith(send(server.url, { xml: '<q/>', mode: 'swa' }), 'ERR_MIME_UNSUPPORTED_MEDIA_TYPE');
  });

  test('answers over the limits are refused: attachments over maxBufferedBytes, an envelope over limits.rootBytes', async () => {
    const big = await compose({ xml: '<ok/>', mode: 'swa', attachments: [{ contentType: 'application/octet-stream', body: pseudoRandomBytes(5000, 3) }] });
    const bigBytes = await readAll(big.body);
    server.reset((_req, res) => { res.writeHead(200, { 'Content-Type': big.contentType }); res.end(bigBytes); });
    await rejectsWith(send(server.url, { xml: '<q/>', mode: 'swa' }, { maxBufferedBytes: 1000 }), 'ERR_CACHE_FULL');
    server.reset((_req, res) => { res.writeHead(200, { 'Content-Type': 'text/xml' }); res.end(envelope11('x'.repeat(5000))); });
    await rejectsWith(send(server.url, { xml: '<q/>', mode: 'swa' }, { limits: { rootBytes: 1000 } }), 'ERR_XML_TOO_LARGE');
  });
});

describe('faults and HTTP errors', () => {
  test('SOAP 1.1 fault with HTTP 500 → SoapFaultError with code, reason and detail', async () => {
    server.reset((_req, res) => {
      res.writeHead(500, { 'Content-Type': 'text/xml; charset=utf-8' });
      res.end(envelope11('<soap:Fault><faultcode>soap:Server</faultcode><faultstring>disk full</faultstring>' +
        '<faultactor>urn:store</faultactor><detail><e:info xmlns:e="urn:e">no space</e:info></detail></soap:Fault>'));
    });
    await assert.rejects(send(server.url, { xml: '<q/>', mode: 'swa' }), (error: unknown) => {
      assert.ok(error instanceof SoapFaultError);
      assert.equal(error.code, 'ERR_SOAP_FAULT');
      assert.equal(error.details['faultCode'], 'soap:Server');
      assert.equal(error.details['faultCodeName'], `{${SOAP11}}Server`);
      assert.equal(error.details['reason'], 'disk full');
      assert.equal(error.details['actor'], 'urn:store');
      assert.equal(error.details['detail'], '<e:info xmlns:e="urn:e">no space</e:info>');
      assert.equal(error.details.status, 500);
      assert.equal(error.details['soapVersion'], '1.1');
      return true;
    });
  });

  test('SOAP 1.2 fault (MTOM answer) → code, subcodes and the English reason', async () => {
    const faultXml = `<env:Envelope xmlns:env="${SOAP12}" xmlns:app="urn:app"><env:Body><env:Fault>` +
      '<env:Code><env:Value>env:Sender</env:Value><env:Subcode><env:Value>app:BadInvoice</env:Value></env:Subcode></env:Code>' +
      '<env:Reason><env:Text xml:lang="de">Ungültig</env:Text><env:Text xml:lang="en-US">Invalid invoice</env:Text></env:Reason>' +
      '<env:Node>urn:node</env:Node><env:Role>urn:role</env:Role><env:Detail><app:line>7</app:line></env:Detail></env:Fault></env:Body></env:Envelope>';
    const answer = await compose({ xml: faultXml, mode: 'mtom' });
    const bytes = await readAll(answer.body);
    server.reset((_req, res) => { res.writeHead(400, { 'Content-Type': answer.contentType }); res.end(bytes); });
    await rejectsWith(send(server.url, { xml: '<q/>', mode: 'mtom', soapVersion: '1.2' }), 'ERR_SOAP_FAULT', (e) => {
      assert.equal(e.details['faultCode'], 'env:Sender');
      assert.equal(e.details['faultCodeName'], `{${SOAP12}}Sender`);
      assert.deepEqual(e.details['subcodes'], ['app:BadInvoice']);
      assert.equal(e.details['reason'], 'Invalid invoice');
      assert.equal(e.details['node'], 'urn:node');
      assert.equal(e.details['actor'], 'urn:role');
      assert.equal(e.details['detail'], '<app:line>7</app:line>');
      assert.equal(e.details.status, 400);
    });
  });

  test('a fault in a 200 answer is still a fault', async () => {
    server.reset((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/xml' });
      res.end(envelope11('<soap:Fault><faultcode>Client</faultcode><faultstring>nope</faultstring></soap:Fault>'));
    });
    await rejectsWith(send(server.url, { xml: '<q/>', mode: 'swa' }), 'ERR_SOAP_FAULT', (e) => {
      assert.equal(e.details['faultCode'], 'Client');
      assert.equal(e.details['faultCodeName'], 'Client');
      assert.equal(e.details.status, 200);
    });
  });

  test('HTTP 500 without SOAP → ERR_HTTP_STATUS keeping the start of the body', async () => {
    const html = '<html>' + 'x'.repeat(200_000) + '</html>';
    server.reset((_req, res) => { res.writeHead(500, 'Internal Server Error', { 'Content-Type': 'text/html' }); res.end(html); });
    await rejectsWith(send(server.url, { xml: '<q/>', mode: 'swa' }), 'ERR_HTTP_STATUS', (e) => {
      assert.equal(e.details.status, 500);
      assert.equal((e.details['body'] as Buffer).length, 64 * 1024);
      assert.equal((e.details['body'] as Buffer).toString(), html.slice(0, 64 * 1024));
      assert.equal(e.details['bodyTruncated'], true);
      assert.equal(e.details['contentType'], 'text/html');
    });
    server.reset((_req, res) => { res.writeHead(404, { 'Content-Type': 'text/xml' }); res.end('<not-soap/>'); });
    await rejectsWith(send(server.url, { xml: '<q/>', mode: 'swa' }, { maxErrorBodyBytes: 100 }), 'ERR_HTTP_STATUS', (e) => {
      assert.equal((e.details['body'] as Buffer).toString(), '<not-soap/>');
      assert.equal(e.details['bodyTruncated'], false);
    });
  });
});

describe('transport failures', () => {
  test('the endpoint closing mid-request → ERR_NETWORK, and the cache is intact', async () => {
    const rootId = '3d6e7c62-8d52-4d38-a4f5-0c4b1d4a8e10';
    const big = pseudoRandomBytes(8 * 1024 * 1024, 31);
    const cache = await cacheWith(rootId, [{ contentId: 'big.bin', contentType: 'application/octet-stream', bytes: big }]);
    let requests = 0;
    server.raw = null;
    server.reset(() => undefined);
    server.raw = (req) => {
      requests++;
      req.once('data', () => req.socket.destroy());
    };
    await rejectsWith(send(server.url, { xml: '<q/>', rootId, cache, mode: 'mtom' }, { retries: 3 }), 'ERR_NETWORK', (e) => {
      assert.equal(e.details['phase'], 'request');
    });
    assert.equal(requests, 1, 'a request that reached the server is not retried');
    const [doc] = await cache.list(rootId);
    assert.equal(doc!.size, big.length);
    assert.equal(sha256(await readAll(await cache.open(rootId, 'big.bin'))), sha256(big));
    await cache.close();
  });

  test('the connection dropped in the middle of the answer → ERR_NETWORK in the response phase, nothing cached', async () => {
    server.reset((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'multipart/related; boundary=b' });
      res.write(`--b\r\nContent-Type: text/xml\r\n\r\n${envelope11('<ok/>')}\r\n--b\r\nContent-ID: <a>\r\n\r\n`);
      res.write(Buffer.alloc(100_000, 1), () => res.socket?.destroy());
    });
    const cache = new MemoryCache();
    await rejectsWith(send(server.url, { xml: '<q/>', mode: 'swa' }, { cache }), 'ERR_NETWORK', (e) => {
      assert.equal(e.details['phase'], 'response');
    });
    assert.equal(cache.usedBytes, 0);
    await cache.close();
  });

  test('nothing listening → ERR_NETWORK in the connect phase', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await rejectsWith(send(`http://127.0.0.1:${port}/`, { xml: '<q/>', mode: 'swa' }, { retries: 2, retryDelay: 5 }), 'ERR_NETWORK', (e) => {
      assert.equal(e.details['phase'], 'connect');
      assert.equal(e.details['systemCode'], 'ECONNREFUSED');
    });
  });

  test('no answer in time → ERR_TIMEOUT', async () => {
    server.reset(() => undefined); // reads the request, never answers
    const started = Date.now();
    await rejectsWith(send(server.url, { xml: '<q/>', mode: 'swa' }, { timeout: 300 }), 'ERR_TIMEOUT', (e) => {
      assert.equal(e.details['phase'], 'wait');
    });
    assert.ok(Date.now() - started < 5000);
  });

  test('an abort signal → ERR_ABORTED, before or during the exchange', async () => {
    server.reset(() => undefined);
    const controller = new AbortController();
    const pending = send(server.url, { xml: '<q/>', mode: 'swa' }, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('user gave up')), 50);
    await rejectsWith(pending, 'ERR_ABORTED');
    await rejectsWith(send(server.url, { xml: '<q/>', mode: 'swa' }, { signal: AbortSignal.abort() }), 'ERR_ABORTED');
  });

  test('503 with Retry-After is retried with the same bytes when asked for', async () => {
    let calls = 0;
    server.reset((_req, res) => {
      calls++;
      if (calls === 1) {
        res.writeHead(503, { 'Retry-After': '0', 'Content-Type': 'text/plain' });
        res.end('busy');
      } else {
        res.writeHead(200, { 'Content-Type': 'text/xml' });
        res.end(envelope11('<ok/>'));
      }
    });
    const pdf = pseudoRandomBytes(50_000, 41);
    const result = await send(server.url, { xml: '<q/>', mode: 'swa', attachments: [{ contentType: 'application/pdf', body: pdf }] }, { retries: 1 });
    assert.equal(result.status, 200);
    assert.equal(server.received.length, 2);
    assert.deepEqual(server.received[0]!.body, server.received[1]!.body);
    // Without retries the 503 surfaces, with its Retry-After.
    calls = 0;
    await rejectsWith(send(server.url, { xml: '<q/>', mode: 'swa' }), 'ERR_HTTP_STATUS', (e) => {
      assert.equal(e.details.status, 503);
      assert.equal(e.details['retryAfter'], 0);
    });
  });

  test('an attachment source failing mid-upload rejects with its own error, not a network error', async () => {
    server.reset((_req, res) => { res.writeHead(200, { 'Content-Type': 'text/xml' }); res.end(envelope11('<ok/>')); });
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield Buffer.alloc(256 * 1024, 1);
      throw Object.assign(new Error('disk gone'), { code: 'EIO' });
    }
    await assert.rejects(send(server.url, { xml: '<q/>', mode: 'swa', attachments: [{ contentType: 'application/octet-stream', body: failing() }] }),
      (e: unknown) => e instanceof Error && e.message === 'disk gone');
    const rootId = '0b7d5a1e-2c3f-4e5a-8b9c-0d1e2f3a4b5c';
    const cache = await cacheWith(rootId, [{ contentId: 'gone', contentType: 'text/plain', bytes: Buffer.from('soon deleted') }]);
    const msg = await compose({ xml: '<q/>', rootId, cache, mode: 'swa' });
    await cache.delete(rootId);
    await rejectsWith(send(server.url, msg), 'ERR_CACHE_NOT_FOUND');
    await cache.close();
  });

  test('503 without Retry-After backs off; an abort during the wait ends it', async () => {
    server.reset((_req, res) => { res.writeHead(503); res.end(); });
    const started = Date.now();
    // Counted by a marker header: a straggler from the previous test may still arrive.
    const mine = (tag: string): number => server.received.filter((r) => r.headers['x-test'] === tag).length;
    await rejectsWith(send(server.url, { xml: '<q/>', mode: 'swa' }, { retries: 2, retryDelay: 20, headers: { 'X-Test': 'backoff' } }), 'ERR_HTTP_STATUS');
    assert.equal(mine('backoff'), 3);
    assert.ok(Date.now() - started >= 60, 'waited 20 + 40 ms');
    server.reset((_req, res) => { res.writeHead(503, { 'Retry-After': '30' }); res.end(); });
    const controller = new AbortController();
    const pending = send(server.url, { xml: '<q/>', mode: 'swa' }, { retries: 1, signal: controller.signal, headers: { 'X-Test': 'abort' } });
    setTimeout(() => controller.abort(), 100);
    await rejectsWith(pending, 'ERR_ABORTED');
    assert.equal(mine('abort'), 1);
  });

  test('a once-only stream is not retried', async () => {
    server.reset((_req, res) => { res.writeHead(503, { 'Retry-After': '0' }); res.end(); });
    async function* once(): AsyncGenerator<Uint8Array> { yield Buffer.from('x'); }
    await rejectsWith(send(server.url, { xml: '<q/>', mode: 'swa', attachments: [{ contentType: 'text/plain', body: once() }] }, { retries: 3 }),
      'ERR_HTTP_STATUS');
    assert.equal(server.received.length, 1);
  });

  test('an early answer (before the upload ended) is read, and the upload stops', async () => {
    server.reset(() => undefined);
    server.raw = (_req, res) => {
      res.writeHead(413, { 'Content-Type': 'text/xml', Connection: 'close' });
      res.end(envelope11('<soap:Fault><faultcode>soap:Client</faultcode><faultstring>too large</faultstring></soap:Fault>'));
    };
    const big = pseudoRandomBytes(16 * 1024 * 1024, 51);
    await rejectsWith(send(server.url, { xml: '<q/>', mode: 'swa', attachments: [{ contentType: 'application/octet-stream', body: big }] }),
      'ERR_SOAP_FAULT', (e) => {
        assert.equal(e.details.status, 413);
        assert.equal(e.details['reason'], 'too large');
      });
  });
});

describe('arguments', () => {
  test('bad URLs, options and headers are refused before anything is sent', async () => {
    await rejectsWith(send('not a url', { xml: '<q/>', mode: 'swa' }), 'ERR_BAD_ARGUMENT');
    await rejectsWith(send('ftp://x/', { xml: '<q/>', mode: 'swa' }), 'ERR_BAD_ARGUMENT');
    await rejectsWith(send(server.url, { xml: '<q/>', mode: 'swa' }, { timeout: 0 }), 'ERR_BAD_ARGUMENT');
    await rejectsWith(send(server.url, { xml: '<q/>', mode: 'swa' }, { retries: -1 }), 'ERR_BAD_ARGUMENT');
    await rejectsWith(send(server.url, { xml: '<q/>', mode: 'swa' }, { headers: { 'Content-Type': 'text/plain' } }), 'ERR_BAD_ARGUMENT');
    await rejectsWith(send(server.url, { xml: '<q/>', mode: 'swa' }, { headers: { 'X-A': 'a\r\nb' } }), 'ERR_BAD_ARGUMENT');
    const soap12 = await compose({ xml: '<q/>', mode: 'swa', soapVersion: '1.2', soapAction: 'urn:a' });
    await rejectsWith(send(server.url, soap12, { soapAction: 'urn:b' }), 'ERR_BAD_ARGUMENT');
  });

  test('caller headers go out; SOAPAction from send() options for SOAP 1.1 composed messages', async () => {
    server.reset((_req, res) => { res.writeHead(200, { 'Content-Type': 'text/xml' }); res.end(envelope11('<ok/>')); });
    const msg = await compose({ xml: '<q/>', mode: 'swa' });
    await send(server.url, msg, { soapAction: 'urn:late', headers: { 'X-Trace': 't1', Accept: 'text/xml' } });
    const headers = server.received[0]!.headers;
    assert.equal(headers['soapaction'], '"urn:late"');
    assert.equal(headers['x-trace'], 't1');
    assert.equal(headers['accept'], 'text/xml');
    const again = await compose({ xml: '<q/>', mode: 'swa' });
    await send(server.url, again, { headers: { SOAPAction: '"urn:raw"' } });
    assert.equal(server.received[1]!.headers['soapaction'], '"urn:raw"');
  });
});

test('the server side sees a message our parser reads with the start part as root', async () => {
  server.reset(async (req, res, body) => {
    let roots = 0;
    for await (const part of parseMultipart([body], req.headers['content-type']!)) {
      if (part.isRoot) roots++;
      for await (const _ of part.body) { /* drain */ }
    }
    res.writeHead(200, { 'Content-Type': 'text/xml' });
    res.end(envelope11(`<roots>${roots}</roots>`));
  });
  const result = await send(server.url, { xml: '<q/>', mode: 'mtom', attachments: [{ contentType: 'text/plain', body: Buffer.from('a') }] });
  assert.ok(result.rootDocument.envelope.toString().includes('<roots>1</roots>'));
});
