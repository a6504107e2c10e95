// receive(): the platform's semantics over the corpus/receive-* fixtures (every
// chunking, MemoryCache and FileCache), the shared corpus's real SwA and MTOM
// messages, and messages built around real PDFs and JPEGs; and all-or-nothing
// on every failure (malformed, abort, limit, full cache, failing sink).

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import {
  ErrorCodes, FileCache, MemoryCache, XopError, isLimitCode, parseMultipart, receive,
  type DocumentCache, type ReceivedMessage,
} from '../src/index.js';
import { xxh64Hex } from '../src/cache/digest.js';
import { CHUNKINGS, SHARED_CORPUS_ABSENT, sharedBinaryFiles, sharedCorpusDir, sharedMimeMessages } from './support/corpus.js';
import {
  FailingMemoryCache, buildMessage, checkReceived, fileCacheState, readAll, receiveCases, sha256, tempDir, type ReceiveCase,
} from './support/receive.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Checks a received message against a fixture's expectations, the cache included; the envelope holds the root. */
async function checkResult(c: ReceiveCase, message: ReceivedMessage, cache: DocumentCache, rootId: string): Promise<void> {
  await checkReceived(c, message, cache, rootId);
  assert.ok(message.rootDocument.envelope.toString('utf8').includes(c.result!.rootXml));
}

async function receiveCase(c: ReceiveCase, chunks: Uint8Array[], cache: DocumentCache, rootId: string): Promise<ReceivedMessage> {
  return receive(chunks, { contentType: c.contentType, cache, rootId, ...c.options });
}

describe('receive: corpus/receive-* fixtures', () => {
  const cases = receiveCases();
  it('has the fixtures', () => assert.ok(cases.length >= 20));
  for (const c of cases) {
    describe(`${c.name}: ${c.description}`, () => {
      for (const chunking of CHUNKINGS) {
        it(`MemoryCache, ${chunking.name}`, async () => {
          const cache = new MemoryCache();
          const rootId = randomUUID();
          const run = receiveCase(c, chunking.split(c.message), cache, rootId);
          if (c.error !== undefined) {
            await assert.rejects(run, (e: unknown) => e instanceof XopError && e.code === c.error!.code);
            assert.equal(cache.usedBytes, 0, 'nothing staged or stored');
            assert.deepEqual(await cache.list(rootId), []);
          } else {
            await checkResult(c, await run, cache, rootId);
          }
        });
      }
      it('FileCache, 7-byte slices', async () => {
        const dir = tempDir('receive-case');
        const cache = new FileCache({ dir, fsync: false });
        try {
          const rootId = randomUUID();
          const run = receiveCase(c, CHUNKINGS[3]!.split(c.message), cache, rootId);
          if (c.error !== undefined) {
            await assert.rejects(run, (e: unknown) => e instanceof XopError && e.code === c.error!.code);
            assert.deepEqual(fileCacheState(dir), { roots: [], temporary: [] });
          } else {
            const message = await run;
            await checkResult(c, message, cache, rootId);
            assert.deepEqual(fileCacheState(dir), { roots: message.attachments.length > 0 ? [rootId] : [], temporary: [] });
          }
        } finally {
          await cache.close();
          fs.rmSync(dir, { recursive: true, force: true });
        }
      });
    });
  }
});

describe('receive: the shared corpus', () => {
  const messages = sharedMimeMessages();
  it('real SwA and MTOM messages: each part but the root stored byte for byte with the platform properties', async (t) => {
    if (sharedCorpusDir === null) return t.skip(SHARED_CORPUS_ABSENT);
    let soapMessages = 0;
    let attachmentsSeen = 0;
    for (const m of messages) {
      const cache = new MemoryCache();
      let message: ReceivedMessage;
      try {
        message = await receive([m.body], { contentType: m.contentType, cache });
      } catch (error) {
        // Non-SOAP and malformed messages are refused with a typed error and leave nothing behind.
        assert.ok(error instanceof XopError, `${m.name}: ${String(error)}`);
        assert.equal(cache.usedBytes, 0, m.name);
        continue;
      }
      soapMessages++;
      const rootId = message.rootDocument.properties.wss_root_document_id;
      assert.match(rootId, UUID);
      assert.ok(message.soap.version === '1.1' || message.soap.version === '1.2', m.name);
      // An independent parse of the same bytes says what each stored attachment must be.
      const parsed = parseMultipart([m.body], m.contentType);
      const expected: Array<{ index: number; contentId: string | null; contentType: string | null; sha256: string }> = [];
      for await (const part of parsed) {
        const bytes = await readAll(part.body);
        if (!part.isRoot) expected.push({ index: part.index, contentId: part.contentId, contentType: part.contentType, sha256: sha256(bytes) });
      }
      const rootIndex = parsed.rootIndex;
      const stored = await cache.list(rootId);
      assert.deepEqual(stored, message.attachments, m.name);
      assert.deepEqual(stored.map((d) => d.index), expected.filter((e) => e.index !== rootIndex).map((e) => e.index), m.name);
      for (const doc of stored) {
        const part = expected.find((e) => e.index === doc.index)!;
        assert.deepEqual(doc.properties, {
          wss_root_document_id: rootId,
          wss_attachment_content_id: part.contentId === null || part.contentId === '' ? part.index : part.contentId,
          wss_attachment_content_type: part.contentType ?? 'application/octet-stream',
        }, `${m.name} part ${doc.index}`);
        const bytes = await readAll(await cache.open(rootId, doc.properties.wss_attachment_content_id));
        assert.equal(sha256(bytes), part.sha256, `${m.name} part ${doc.index}`);
        assert.equal(doc.size, bytes.length);
        assert.equal(doc.xxh64, await xxh64Hex(bytes));
        attachmentsSeen++;
      }
      // Every xop:Include names a stored attachment, whose document says which element referenced it.
      for (const include of message.xopIncludes) {
        const doc = stored.find((d) => d.index === include.part);
        assert.ok(doc !== undefined, `${m.name}: include ${include.cid} names a stored part`);
        assert.ok(doc.referencedBy.some((r) => r.kind === 'xop' && r.element === include.element && r.path === include.path),
          `${m.name}: ${include.cid} referencedBy`);
      }
    }
    assert.ok(soapMessages >= 25, `SOAP messages received: ${soapMessages}`);
    assert.ok(attachmentsSeen >= 80, `attachments stored: ${attachmentsSeen}`);
  });

  it('names what known messages hold (Axiom MTOM sample, CXF 3383, SoapUI SwA)', async (t) => {
    if (sharedCorpusDir === null) return t.skip(SHARED_CORPUS_ABSENT);
    const byName = new Map(messages.map((m) => [m.name, m]));
    const run = async (name: string) => {
      const m = byName.get(name)!;
      return receive([m.body], { contentType: m.contentType, cache: new MemoryCache() });
    };
    const axiom = await run('ws-axiom__mtom_sample1.msg');
    assert.equal(axiom.soap.version, '1.2');
    assert.equal(axiom.soap.bodyElement, '{urn://fakenamespace}mtomSample');
    assert.deepEqual(axiom.attachments.map((d) => [d.properties.wss_attachment_content_id, d.properties.wss_attachment_content_type, d.size]), [
      ['1.urn:uuid:A3ADBAEE51A1A87B2A11443668160943@apache.org', 'image/jpeg', 47999],
      ['2.urn:uuid:A3ADBAEE51A1A87B2A11443668160994@apache.org', 'image/jpeg', 13887],
    ]);
    assert.deepEqual(axiom.attachments.map((d) => d.referencedBy.map((r) => r.kind)), [['xop'], ['xop']]);
    const cxf = await run('cxf__attachment_cxf3383.data');
    assert.equal(cxf.attachments.length, 49);
    assert.equal(cxf.xopIncludes.length, 49);
    assert.deepEqual(cxf.attachments.map((d) => d.size), Array.from({ length: 49 }, (_, i) => i + 1));
    const soapui = await run('BeSimpleSoap__AttachmentsAndLowerCaseHeaders.request.mimepart.message');
    assert.equal(soapui.soap.version, '1.1');
    assert.deepEqual(soapui.attachments.map((d) => d.properties.wss_attachment_content_id), ['test-page.html', 'testscript.sh']);
    const missing = await run('axis2__mtom_wmtom.bin').then(() => null, (e: unknown) => e);
    assert.ok(missing instanceof XopError && missing.code === ErrorCodes.XOP_MISSING_PART, 'Axis2 fault test: an include names no part');
    assert.equal(missing.details['soapVersion'], '1.2');
  });
});

describe('receive: messages built around real PDFs and JPEGs', () => {
  const pdfs = sharedBinaryFiles('pdf');
  const jpegs = sharedBinaryFiles('jpeg');
  for (const mode of ['swa', 'mtom'] as const) {
    for (const version of ['1.1', '1.2'] as const) {
      it(`${mode.toUpperCase()} SOAP ${version}: stored bytes equal the files (sha256), properties exact (FileCache)`, async (t) => {
        if (sharedCorpusDir === null) return t.skip(SHARED_CORPUS_ABSENT);
        const files = [pdfs[0]!, jpegs[0]!, pdfs[pdfs.length - 1]!, jpegs[jpegs.length - 1]!];
        const attachments = files.map((f, i) => ({
          contentId: i === 2 ? null : `${path.basename(f)}@corpus.test`,
          contentType: f.endsWith('.pdf') ? 'application/pdf' : 'image/jpeg',
          body: fs.readFileSync(f),
          encoding: i === 1 ? 'base64' as const : 'binary' as const,
        }));
        const built = buildMessage(mode, version, attachments);
        const dir = tempDir('receive-real');
        const cache = new FileCache({ dir, fsync: false });
        try {
          const message = await receive(Readable.from(built.body.length > 1 << 16 ? chunks64k(built.body) : [built.body]),
            { contentType: built.contentType, cache });
          const rootId = message.rootDocument.properties.wss_root_document_id;
          assert.match(rootId, UUID);
          assert.equal(message.soap.version, version);
          assert.equal(message.rootDocument.xml.toString('utf8'), built.payload);
          assert.deepEqual(message.attachments.map((d) => d.properties), attachments.map((a, i) => ({
            wss_root_document_id: rootId,
            wss_attachment_content_id: a.contentId ?? i + 1,
            wss_attachment_content_type: a.contentType,
          })));
          for (const [i, doc] of message.attachments.entries()) {
            const bytes = await readAll(await cache.open(rootId, doc.properties.wss_attachment_content_id));
            assert.equal(sha256(bytes), sha256(attachments[i]!.body), files[i]);
            assert.equal(doc.size, attachments[i]!.body.length);
            assert.equal(doc.contentTransferEncoding, attachments[i]!.encoding);
            const referenced = attachments[i]!.contentId !== null;
            assert.deepEqual(doc.referencedBy, referenced
              ? [{ element: '{urn:store}file', path: '/s:Envelope/s:Body/m:store/m:file', kind: mode === 'mtom' ? 'xop' : 'swaRef' }]
              : []);
          }
          assert.equal(message.xopIncludes.length, mode === 'mtom' ? 3 : 0);
        } finally {
          await cache.close();
          fs.rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  }
});

function* chunks64k(bytes: Buffer): Generator<Buffer> {
  for (let i = 0; i < bytes.length; i += 65536) yield bytes.subarray(i, i + 65536);
}

/** A source that yields `head`, then stalls until `release` (or forever). */
function stalling(head: Buffer): { source: AsyncIterable<Uint8Array>; reached: Promise<void> } {
  let reached!: () => void;
  const promise = new Promise<void>((resolve) => { reached = resolve; });
  return {
    reached: promise,
    source: (async function* () {
      yield head;
      reached();
      await new Promise(() => undefined); // a client that went quiet
    })(),
  };
}

describe('receive: all or nothing', () => {
  const mtom = buildMessage('mtom', '1.2', [
    { contentId: 'a@x', contentType: 'application/octet-stream', body: Buffer.alloc(200_000, 7) },
    { contentId: 'b@x', contentType: 'application/octet-stream', body: Buffer.alloc(300_000, 9) },
  ]);

  it('an abort mid-attachment (source stalled) rejects with ERR_ABORTED at once; FileCache keeps no file', async () => {
    const dir = tempDir('receive-abort');
    const cache = new FileCache({ dir, fsync: false });
    try {
      const { source, reached } = stalling(mtom.body.subarray(0, 350_000));
      const controller = new AbortController();
      const run = receive(source, { contentType: mtom.contentType, cache, signal: controller.signal });
      await reached;
      assert.ok(fileCacheState(dir).temporary.length > 0, 'the first attachment was being staged');
      controller.abort();
      await assert.rejects(run, (e: unknown) => e instanceof XopError && e.code === ErrorCodes.ABORTED);
      assert.deepEqual(fileCacheState(dir), { roots: [], temporary: [] });
    } finally {
      await cache.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the signal's own XopError reason is what the receive rejects with (a timeout)", async () => {
    const cache = new MemoryCache();
    const { source, reached } = stalling(mtom.body.subarray(0, 100));
    const controller = new AbortController();
    const run = receive(source, { contentType: mtom.contentType, cache, signal: controller.signal });
    await reached;
    const { xopError } = await import('../src/errors.js');
    controller.abort(xopError(ErrorCodes.TIMEOUT, 'too slow', { status: 408 }));
    await assert.rejects(run, (e: unknown) => e instanceof XopError && e.code === ErrorCodes.TIMEOUT);
    assert.equal(cache.usedBytes, 0);
  });

  it('an already aborted signal rejects before anything is read', async () => {
    let pulled = false;
    const source = (async function* () { pulled = true; yield mtom.body; })();
    await assert.rejects(receive(source, { contentType: mtom.contentType, cache: new MemoryCache(), signal: AbortSignal.abort() }),
      (e: unknown) => e instanceof XopError && e.code === ErrorCodes.ABORTED);
    assert.equal(pulled, false);
  });

  it('a source that fails (a reset connection) is ERR_ABORTED, and nothing stays', async () => {
    const cache = new MemoryCache();
    const source = (async function* () {
      yield mtom.body.subarray(0, 300_000);
      throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    })();
    await assert.rejects(receive(source, { contentType: mtom.contentType, cache }),
      (e: unknown) => e instanceof XopError && e.code === ErrorCodes.ABORTED && (e.cause as Error).message === 'aborted');
    assert.equal(cache.usedBytes, 0);
  });

  it('a failing sink (ENOSPC) is ERR_CACHE_SINK_FAILED (500) after the first attachment was staged; nothing stays', async () => {
    const cache = new FailingMemoryCache(250_000);
    await assert.rejects(receive(chunks64k(mtom.body), { contentType: mtom.contentType, cache }),
      (e: unknown) => e instanceof XopError && e.code === ErrorCodes.CACHE_SINK_FAILED && e.details.status === 500 &&
        e.details['soapVersion'] === '1.2');
    assert.ok(cache.accepted >= 200_000, 'the first attachment went in before the failure');
    assert.equal(cache.usedBytes, 0);
  });

  it('a full cache is ERR_CACHE_FULL, a limit (413); nothing stays', async () => {
    const cache = new MemoryCache({ maxBytes: 400_000 });
    await assert.rejects(receive([mtom.body], { contentType: mtom.contentType, cache }),
      (e: unknown) => e instanceof XopError && e.code === ErrorCodes.CACHE_FULL && isLimitCode(e.code));
    assert.equal(cache.usedBytes, 0);
  });

  it('limits.totalBytes on a plain SOAP body is a limit error', async () => {
    const body = Buffer.from(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><a>${'x'.repeat(5000)}</a></s:Body></s:Envelope>`);
    await assert.rejects(receive([body], { contentType: 'text/xml', cache: new MemoryCache(), limits: { totalBytes: 1000 } }),
      (e: unknown) => e instanceof XopError && e.code === ErrorCodes.MIME_MESSAGE_TOO_LARGE && isLimitCode(e.code));
  });

  it('a cache whose begin() fails with a plain Error is ERR_CACHE_SINK_FAILED', async () => {
    const cache = new MemoryCache();
    cache.begin = async () => { throw new Error('redis down'); };
    await assert.rejects(receive([mtom.body], { contentType: mtom.contentType, cache }),
      (e: unknown) => e instanceof XopError && e.code === ErrorCodes.CACHE_SINK_FAILED && /redis down/.test(e.message));
  });

  it('a commit that fails leaves nothing (held first part: the main writer is rolled back)', async () => {
    // start names the second part, so the first part goes through its own writer; the second commit fails.
    const boundary = 'b';
    const env = '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:x xmlns:m="urn:x"/></s:Body></s:Envelope>';
    const body = Buffer.from(`--b\r\nContent-ID: <first@x>\r\n\r\nfirst\r\n--b\r\nContent-ID: <root@x>\r\nContent-Type: text/xml\r\n\r\n${env}\r\n` +
      `--b\r\nContent-ID: <third@x>\r\n\r\nthird\r\n--b--\r\n`);
    const inner = new MemoryCache();
    let writers = 0;
    const cache: DocumentCache = {
      put: inner.put.bind(inner), list: inner.list.bind(inner), open: inner.open.bind(inner),
      delete: inner.delete.bind(inner), sweep: inner.sweep.bind(inner), close: inner.close.bind(inner),
      begin: async (rootId: string) => {
        const writer = await inner.begin(rootId);
        if (++writers === 1) {
          return { rootId, put: writer.put.bind(writer), abort: writer.abort.bind(writer), commit: async () => { await writer.abort(); throw new Error('disk gone'); } };
        }
        return writer;
      },
    };
    const rootId = randomUUID();
    await assert.rejects(receive([body], { contentType: `multipart/related; start="<root@x>"; boundary=${boundary}`, cache, rootId }),
      (e: unknown) => e instanceof XopError && e.code === ErrorCodes.CACHE_SINK_FAILED);
    assert.deepEqual(await inner.list(rootId), []);
    assert.equal(inner.usedBytes, 0);
  });
});

describe('receive: options', () => {
  const plain = Buffer.from('<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:x xmlns:m="urn:x"/></s:Body></s:Envelope>');

  it('refuses bad options with ERR_BAD_ARGUMENT', async () => {
    const bad = (e: unknown) => e instanceof XopError && e.code === ErrorCodes.BAD_ARGUMENT;
    await assert.rejects(receive([plain], null as never), bad);
    await assert.rejects(receive([plain], { contentType: 'text/xml' } as never), bad);
    await assert.rejects(receive([plain], { contentType: 'text/xml', cache: new MemoryCache(), limits: { partBytes: -1 } }), bad);
    await assert.rejects(receive([plain], { contentType: 'text/xml', cache: new MemoryCache(), rootId: '../etc' }),
      (e: unknown) => e instanceof XopError && e.code === ErrorCodes.CACHE_BAD_KEY);
  });

  it('a missing Content-Type is ERR_MIME_UNSUPPORTED_MEDIA_TYPE (415)', async () => {
    await assert.rejects(receive([plain], { cache: new MemoryCache() }),
      (e: unknown) => e instanceof XopError && e.code === ErrorCodes.MIME_UNSUPPORTED_MEDIA_TYPE && e.details.status === 415);
  });

  it("takes the Content-Type from an HTTP request's headers", async () => {
    const req = Object.assign(Readable.from([plain]), { headers: { 'content-type': 'text/xml; charset=utf-8' } });
    const message = await receive(req, { cache: new MemoryCache() });
    assert.equal(message.soap.bodyElement, '{urn:x}x');
    assert.match(message.rootDocument.properties.wss_root_document_id, UUID);
  });

  it('an HTTP request given directly is not destroyed on failure: its handler can still answer', async () => {
    const http = await import('node:http');
    const cache = new MemoryCache();
    const server = http.createServer(async (req, res) => {
      try {
        await receive(req, { cache });
        res.end('ok');
      } catch (error) {
        res.writeHead(400, { connection: 'close', 'content-type': 'text/plain' });
        res.end((error as XopError).code);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as import('node:net').AddressInfo;
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request({ port, host: '127.0.0.1', method: 'POST', agent: false, headers: { 'content-type': 'text/xml' } });
        req.on('response', (res) => {
          let body = '';
          res.on('data', (d: Buffer) => { body += d.toString(); });
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        });
        req.on('error', reject);
        // Not an envelope: refused at the first tag, while the client is still sending.
        req.write('<order xmlns="urn:o">');
        req.write(Buffer.alloc(100_000, 0x20), () => req.end('</order>'));
      });
      assert.deepEqual(answer, { status: 400, body: ErrorCodes.SOAP_NOT_ENVELOPE });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('each message gets its own fresh root id', async () => {
    const cache = new MemoryCache();
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) ids.add((await receive([plain], { contentType: 'text/xml', cache })).rootDocument.properties.wss_root_document_id);
    assert.equal(ids.size, 20);
  });
});
