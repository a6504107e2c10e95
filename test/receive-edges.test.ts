// Edges of the receive layer, table-driven: the error → HTTP status / fault
// code table, fault and answer XML, the SOAP version a refused request is
// answered in, option checks, the guarded source, and onMessage reply forms.

import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import {
  ErrorCodes, MemoryCache, XopError, createReceiver, createReceiverServer, receive, xopError,
  type ReceiverOptions,
} from '../src/index.js';
import { announcedSoapVersion, faultReply, receivedReply, statusOf } from '../src/receive/reply.js';
import { guardSource } from '../src/receive/source.js';
import { SOAP11, SOAP12, buildMessage, faultSummary, listen, post } from './support/receive.js';

describe('error → HTTP status', () => {
  const table: Array<[string, unknown, number]> = [
    ['a plain Error (a bug, a handler failure)', new Error('boom'), 500],
    ['malformed XML', xopError(ErrorCodes.XML_MALFORMED, 'x'), 400],
    ['truncated MIME', xopError(ErrorCodes.MIME_TRUNCATED, 'x'), 400],
    ['a part over its limit', xopError(ErrorCodes.MIME_PART_TOO_LARGE, 'x'), 413],
    ['too deep', xopError(ErrorCodes.XML_TOO_DEEP, 'x'), 413],
    ['a full cache', xopError(ErrorCodes.CACHE_FULL, 'x', { status: 413 }), 413],
    ['an unsupported media type', xopError(ErrorCodes.MIME_UNSUPPORTED_MEDIA_TYPE, 'x'), 415],
    ['a failing sink', xopError(ErrorCodes.CACHE_SINK_FAILED, 'x'), 500],
    ['a slow client', xopError(ErrorCodes.TIMEOUT, 'x'), 408],
    ['an internal inconsistency', xopError(ErrorCodes.PARSER_STATE, 'x'), 500],
    ['a missing part (status 400 in details)', xopError(ErrorCodes.XOP_MISSING_PART, 'x', { status: 400 }), 400],
    ['a handler-chosen status', xopError(ErrorCodes.BAD_ARGUMENT, 'x', { status: 422 }), 422],
    ['a nonsense status is ignored', xopError(ErrorCodes.BAD_ARGUMENT, 'x', { status: 200 }), 400],
  ];
  for (const [what, error, status] of table) it(`${what} → ${status}`, () => assert.equal(statusOf(error), status));

  it("by default the status does not depend on the SOAP version; faultStatus 'soap' gives the binding's (1.1: 500, 1.2: 400 Sender / 500 Receiver), except 415, 408, 405", () => {
    const httpLevel = new Set([415, 408, 405]);
    for (const [what, error, status] of table) {
      assert.equal(statusOf(error, '1.1'), status, what);
      assert.equal(statusOf(error, '1.2', 'http'), status, what);
      assert.equal(statusOf(error, '1.1', 'soap'), httpLevel.has(status) ? status : 500, what);
      assert.equal(statusOf(error, '1.2', 'soap'), httpLevel.has(status) ? status : status >= 500 ? 500 : 400, what);
    }
    const malformed = xopError(ErrorCodes.XML_MALFORMED, 'not well-formed', { offset: 7 });
    assert.equal(faultReply(malformed, '1.1').status, 400);
    const soap11 = faultReply(malformed, '1.1', 'soap');
    assert.equal(soap11.status, 500);
    assert.match(soap11.body.toString(), /<faultcode>soap:Client<\/faultcode>/, "still the client's fault");
    assert.match(soap11.body.toString(), /offset="7"/);
    assert.equal(faultReply(xopError(ErrorCodes.MIME_PART_TOO_LARGE, 'x'), '1.2', 'soap').status, 400);
    assert.equal(faultReply(xopError(ErrorCodes.CACHE_SINK_FAILED, 'x'), '1.2', 'soap').status, 500);
  });
});

describe('fault XML', () => {
  it('SOAP 1.1 client fault with offset, part and limit in the detail', () => {
    const reply = faultReply(xopError(ErrorCodes.MIME_PART_TOO_LARGE, 'part 2 too large <&>', { offset: 99, part: 2, limit: 10 }), '1.1');
    assert.equal(reply.status, 413);
    assert.equal(reply.headers['Content-Type'], 'text/xml; charset=utf-8');
    assert.equal(reply.headers['Content-Length'], String(reply.body.length));
    const text = reply.body.toString();
    assert.match(text, /<faultcode>soap:Client<\/faultcode><faultstring>part 2 too large &lt;&amp;&gt; \(at byte 99\)<\/faultstring>/);
    assert.match(text, /code="ERR_MIME_PART_TOO_LARGE" offset="99" part="2" limit="10"/);
    assert.ok(text.includes(SOAP11));
  });

  it('SOAP 1.2 VersionMismatch, and a 500 that tells nothing of its cause', () => {
    const mismatch = xopError(ErrorCodes.SOAP_NOT_ENVELOPE, 'unknown namespace');
    mismatch.details['faultCode'] = 'VersionMismatch';
    assert.deepEqual(faultSummary(faultReply(mismatch, '1.2').body), { faultCode: 'soap:VersionMismatch', code: ErrorCodes.SOAP_NOT_ENVELOPE });
    const internal = faultReply(new Error('/var/secret/path exploded'), '1.2');
    assert.equal(internal.status, 500);
    assert.deepEqual(faultSummary(internal.body), { faultCode: 'soap:Receiver', code: 'ERR_INTERNAL' });
    assert.doesNotMatch(internal.body.toString(), /secret/);
    assert.match(internal.body.toString(), /could not be processed/);
    assert.ok(internal.body.toString().includes(SOAP12));
  });

  it('characters XML cannot carry are replaced, not sent', () => {
    const text = faultReply(xopError(ErrorCodes.MIME_BAD_HEADER, 'bad \u0001 byte \uFFFE'), '1.1').body.toString();
    assert.match(text, /bad \uFFFD byte \uFFFD/);
  });

  it('a 405 carries Allow: POST', () => {
    assert.equal(faultReply(xopError(ErrorCodes.BAD_ARGUMENT, 'GET', { status: 405 }), '1.1').headers['Allow'], 'POST');
  });
});

describe('the default answer', () => {
  it('names every attachment; a part index as content id is marked; attribute values are escaped', () => {
    const reply = receivedReply('r-1', [
      { properties: { wss_root_document_id: 'r-1', wss_attachment_content_id: 'a"b@x', wss_attachment_content_type: 'text/plain; x="1"' },
        index: 1, size: 3, xxh64: '0123456789abcdef', contentLocation: null, contentTransferEncoding: null, referencedBy: [], storedAt: 0, expiresAt: null },
      { properties: { wss_root_document_id: 'r-1', wss_attachment_content_id: 2, wss_attachment_content_type: 'application/octet-stream' },
        index: 2, size: 0, xxh64: 'ef46db3751d8e999', contentLocation: null, contentTransferEncoding: null, referencedBy: [], storedAt: 0, expiresAt: null },
    ], '1.2');
    assert.equal(reply.headers['X-Wss-Root-Document-Id'], 'r-1');
    const text = reply.body.toString();
    assert.match(text, /rootDocumentId="r-1" attachments="2"/);
    assert.match(text, /contentId="a&quot;b@x" contentType="text\/plain; x=&quot;1&quot;" index="1" size="3"/);
    assert.match(text, /contentId="2" contentIdIsIndex="true"/);
  });
});

describe('the SOAP version of a refused request', () => {
  const table: Array<[string | undefined, '1.1' | '1.2']> = [
    [undefined, '1.1'],
    ['text/xml', '1.1'],
    ['application/soap+xml; charset=utf-8', '1.2'],
    ['application/xop+xml; type="application/soap+xml"', '1.2'],
    ['multipart/related; type="application/soap+xml"; boundary=x', '1.2'],
    ['multipart/related; type="application/xop+xml"; start-info="application/soap+xml"; boundary=x', '1.2'],
    ['multipart/related; type="application/xop+xml"; start-info="text/xml"; boundary=x', '1.1'],
    ['multipart/related; boundary=x', '1.1'],
    ['image/png', '1.1'],
    ['not a content type', '1.1'],
  ];
  for (const [contentType, version] of table) it(`${String(contentType)} → ${version}`, () => assert.equal(announcedSoapVersion(contentType), version));
});

describe('createReceiver options', () => {
  const cache = new MemoryCache();
  const bad: Array<[string, unknown]> = [
    ['no options', null],
    ['no cache', {}],
    ['a cache without begin()', { cache: {} }],
    ['onMessage not a function', { cache, onMessage: 'yes' }],
    ['a negative limit', { cache, limits: { parts: -1 } }],
    ['a negative timeout', { cache, timeouts: { idleMs: -5 } }],
    ['a NaN timeout', { cache, timeouts: { bodyMs: Number.NaN } }],
    ['a fractional lingerBytes', { cache, lingerBytes: 1.5 }],
  ];
  for (const [what, options] of bad) {
    it(`${what} → ERR_BAD_ARGUMENT`, () => {
      assert.throws(() => createReceiver(options as ReceiverOptions), (e: unknown) => e instanceof XopError && e.code === ErrorCodes.BAD_ARGUMENT);
    });
  }
  it('createReceiverServer without a header deadline still builds a server', () => {
    const server = createReceiverServer({ cache, timeouts: { headersMs: 0 } });
    assert.equal(server.requestTimeout, 0);
    assert.equal(server.keepAliveTimeout, 5000);
  });
});

describe('guardSource', () => {
  it('refuses chunks that are not bytes, and stays failed', async () => {
    const guarded = guardSource((async function* () { yield 'text' as unknown as Uint8Array; })());
    const it = guarded[Symbol.asyncIterator]();
    await assert.rejects(it.next(), (e: unknown) => e instanceof XopError && e.code === ErrorCodes.BAD_ARGUMENT);
    await assert.rejects(it.next(), (e: unknown) => e instanceof XopError && e.code === ErrorCodes.BAD_ARGUMENT);
  });

  it('counts bytes and closes the source on return()', async () => {
    let closed = false;
    const source = {
      [Symbol.asyncIterator]() {
        let n = 0;
        return {
          next: async () => (n++ < 2 ? { done: false as const, value: new Uint8Array(10) } : { done: true as const, value: undefined }),
          return: async () => { closed = true; return { done: true as const, value: undefined }; },
        };
      },
    };
    const guarded = guardSource(source);
    const it = guarded[Symbol.asyncIterator]();
    await it.next();
    await it.next();
    assert.equal(guarded.bytes, 20);
    assert.ok(guarded.waitedMs >= 0);
    await it.return!();
    assert.equal(closed, true);
  });

  it('a string thrown by the source is still a typed ERR_ABORTED', async () => {
    const guarded = guardSource((async function* () { throw 'gone'; })()); // eslint-disable-line no-throw-literal
    await assert.rejects(guarded[Symbol.asyncIterator]().next(),
      (e: unknown) => e instanceof XopError && e.code === ErrorCodes.ABORTED && /gone/.test(e.message));
  });
});

describe('receive: a Content-ID no cache would take', () => {
  it('longer than 4096 characters → ERR_CACHE_BAD_KEY (400), nothing stored', async () => {
    const m = buildMessage('swa', '1.1', [{ contentId: 'x'.repeat(5000), contentType: 'text/plain', body: Buffer.from('a') }]);
    const cache = new MemoryCache();
    await assert.rejects(receive([m.body], { contentType: m.contentType, cache }),
      (e: unknown) => e instanceof XopError && e.code === ErrorCodes.CACHE_BAD_KEY && e.details.status === 400);
    assert.equal(cache.usedBytes, 0);
  });
});

describe('onMessage reply forms', () => {
  const m = buildMessage('swa', '1.1', [{ contentId: 'a@x', contentType: 'text/plain', body: Buffer.from('abc') }]);
  const table: Array<[string, unknown, (r: { status: number; headers: Record<string, unknown>; body: Buffer }) => void]> = [
    ['{ headers, body: string } with a status', { status: 201, headers: { 'content-type': 'text/plain' }, body: 'created' }, (r) => {
      assert.equal(r.status, 201);
      assert.equal(r.body.toString(), 'created');
    }],
    ['{ headers, body: async iterable } streamed', {
      headers: { 'content-type': 'application/octet-stream' },
      body: (async function* () { yield Buffer.from('one,'); yield Buffer.from('two'); })(),
    }, (r) => assert.equal(r.body.toString(), 'one,two')],
    ['{ headers, body: Readable }', { headers: { 'content-type': 'text/plain' }, body: Readable.from([Buffer.from('readable')]) },
      (r) => assert.equal(r.body.toString(), 'readable')],
    ['{ xml: bytes with a BOM and declaration } → wrapped without the declaration', {
      xml: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<?xml version="1.0"?><r:ok xmlns:r="urn:r"/>')]),
      headers: { 'x-extra': 'yes' },
    }, (r) => {
      assert.equal(r.headers['x-extra'], 'yes');
      assert.match(r.body.toString(), /<soap:Body><r:ok xmlns:r="urn:r"\/><\/soap:Body>/);
      assert.doesNotMatch(r.body.toString(), /<\?xml version="1.0"\?>/);
    }],
    ['something else → 500', { nothing: true }, (r) => assert.equal(r.status, 500)],
  ];
  for (const [what, reply, check] of table) {
    it(what, async () => {
      const server = await listen(createReceiver({ cache: new MemoryCache(), onMessage: () => reply as never }));
      try {
        const response = await post(server.url, m.body, m.contentType);
        check({ status: response.status, headers: response.headers as Record<string, unknown>, body: response.body });
        if (response.status < 300) assert.equal(typeof response.headers['x-wss-root-document-id'], 'string');
      } finally {
        await server.close();
      }
    });
  }

  it('a handler that starts a response and does not end it: the connection is cut', async () => {
    const server = await listen(createReceiver({
      cache: new MemoryCache(),
      onMessage: (_message, ctx) => { ctx.res.writeHead(200); ctx.res.write('partial'); return undefined; },
    }));
    try {
      const outcome = await post(server.url, m.body, m.contentType).then((r) => r.body.toString(), (e: Error) => e.message);
      assert.ok(outcome === 'partial' || /socket hang up|aborted|ECONNRESET/.test(outcome), outcome);
      await server.idle();
    } finally {
      await server.close();
    }
  });

  it('a body stream that fails mid-answer cuts the connection (the client sees a truncated answer)', async () => {
    const server = await listen(createReceiver({
      cache: new MemoryCache(),
      onMessage: () => ({
        headers: { 'content-type': 'application/octet-stream', 'content-length': '100' },
        body: (async function* () { yield Buffer.from('some'); throw new Error('cache read failed'); })(),
      }),
    }));
    try {
      const outcome = await post(server.url, m.body, m.contentType).then((r) => `complete ${r.body.length}`, (e: Error) => e.message);
      assert.doesNotMatch(outcome, /^complete 100$/);
      await server.idle();
    } finally {
      await server.close();
    }
  });
});
