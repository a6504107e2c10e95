// The HTTP receiver over loopback: real corpus messages and real PDFs/JPEGs
// end to end into a FileCache (stored bytes = sent bytes), 50 concurrent
// uploads, aborted uploads leaving nothing, backpressure from a slow sink to
// the client's socket, faults with the right status and code, timeouts
// (slow headers, idle and trickling bodies), and onMessage answers (a
// multipart/related response with attachments included).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ErrorCodes, FileCache, MemoryCache, ROOT_ID_HEADER, compose, createReceiver, createReceiverServer, parseMultipart,
  xopError, type ReceiverOptions,
} from '../src/index.js';
import { SHARED_CORPUS_ABSENT, sharedBinaryFiles, sharedCorpusDir, sharedMimeMessages } from './support/corpus.js';
import {
  FailingMemoryCache, GatedCache, SOAP11, SOAP12, buildMessage, faultSummary, fileCacheState, listen, post, readAll,
  receivedSummary, sha256, tempDir, type TestServer,
} from './support/receive.js';

/** A FileCache in a fresh directory, and a loopback server running a receiver on it. */
async function setup(options: Omit<ReceiverOptions, 'cache'> = {}, cacheOf?: (file: FileCache) => ReceiverOptions['cache']) {
  const dir = tempDir('receive-http');
  const file = new FileCache({ dir, fsync: false });
  const cache = cacheOf === undefined ? file : cacheOf(file);
  const errors: unknown[] = [];
  const receiver = createReceiver({ onError: (e) => errors.push(e), ...options, cache });
  const server = await listen(receiver);
  return {
    dir, file, cache, server, errors,
    async done() {
      await server.close();
      await file.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Parses a message independently: what each non-root part holds. */
interface ExpectedPart { index: number; contentId: string | null; contentType: string | null; sha256: string }

async function expectedParts(body: Buffer, contentType: string): Promise<ExpectedPart[]> {
  const parsed = parseMultipart([body], contentType);
  const out: ExpectedPart[] = [];
  for await (const part of parsed) {
    const bytes = await readAll(part.body);
    out.push({ index: part.index, contentId: part.contentId, contentType: part.contentType, sha256: sha256(bytes) });
  }
  // The root is known at the end (the start-not-found fallback makes the first part the root only then).
  return out.filter((p) => p.index !== parsed.rootIndex);
}

const pdfs = sharedBinaryFiles('pdf');
const jpegs = sharedBinaryFiles('jpeg');

describe('receiver: end to end over loopback into a FileCache', () => {
  it('real SwA and MTOM messages of the corpus: 200, same SOAP version, root id in header and body, bytes stored = bytes sent', async (t) => {
    if (sharedCorpusDir === null) return t.skip(SHARED_CORPUS_ABSENT);
    const s = await setup();
    try {
      let checked = 0;
      for (const m of sharedMimeMessages()) {
        if (!/multipart\/related/i.test(m.contentType) || m.malformed) continue;
        const expected = await expectedParts(m.body, m.contentType).catch(() => null);
        if (expected === null) continue;
        const response = await post(s.server.url, m.body, m.contentType, { chunkSize: 4096 });
        if (response.status !== 200) {
          // Refused (not SOAP, an include naming no part): a fault, and nothing stored.
          assert.ok([400, 415].includes(response.status), `${m.name}: ${response.status}`);
          assert.ok(faultSummary(response.body).code?.startsWith('ERR_'), m.name);
          continue;
        }
        const summary = receivedSummary(response.body);
        const rootId = response.headers[ROOT_ID_HEADER.toLowerCase()] as string;
        assert.equal(summary.rootDocumentId, rootId, m.name);
        assert.ok(summary.envelopeNs === SOAP11 || summary.envelopeNs === SOAP12, m.name);
        assert.ok(m.body.includes(Buffer.from(summary.envelopeNs!)), `${m.name}: answered in the request's SOAP version`);
        const docs = await s.file.list(rootId);
        assert.deepEqual(summary.contentIds, docs.map((d) => String(d.properties.wss_attachment_content_id)), m.name);
        assert.deepEqual(docs.map((d) => d.index), expected.map((e) => e.index), m.name);
        for (const doc of docs) {
          const part: ExpectedPart = expected.find((e) => e.index === doc.index)!;
          assert.deepEqual(doc.properties, {
            wss_root_document_id: rootId,
            wss_attachment_content_id: part.contentId === null || part.contentId === '' ? part.index : part.contentId,
            wss_attachment_content_type: part.contentType ?? 'application/octet-stream',
          });
          const bytes = await readAll(await s.file.open(rootId, doc.properties.wss_attachment_content_id));
          assert.equal(sha256(bytes), part.sha256, `${m.name} part ${doc.index}`);
        }
        checked++;
      }
      assert.ok(checked >= 20, `messages received over HTTP: ${checked}`);
    } finally {
      await s.done();
    }
  });

  for (const [mode, version] of [['swa', '1.1'], ['mtom', '1.2'], ['mtom', '1.1'], ['swa', '1.2']] as const) {
    it(`${mode.toUpperCase()} SOAP ${version} with real PDFs and JPEGs (the largest PDF too): sha256 equal, properties exact`, async (t) => {
      if (sharedCorpusDir === null) return t.skip(SHARED_CORPUS_ABSENT);
      const largest = [...pdfs].sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0]!;
      const files = mode === 'swa' && version === '1.1' ? [largest, jpegs[1]!, pdfs[1]!] : [pdfs[2]!, jpegs[2]!, jpegs[3]!];
      const attachments = files.map((f, i) => ({
        contentId: i === 1 && mode === 'swa' ? null : `${path.basename(f)}@peer.example`,
        contentType: f.endsWith('.pdf') ? 'application/pdf' : 'image/jpeg',
        body: fs.readFileSync(f),
      }));
      const built = buildMessage(mode, version, attachments);
      const s = await setup();
      try {
        const response = await post(s.server.url, built.body, built.contentType, { chunkSize: 16 * 1024 });
        assert.equal(response.status, 200, response.body.toString());
        assert.equal(response.headers['content-type'], version === '1.1' ? 'text/xml; charset=utf-8' : 'application/soap+xml; charset=utf-8');
        const rootId = response.headers[ROOT_ID_HEADER.toLowerCase()] as string;
        assert.equal(receivedSummary(response.body).envelopeNs, version === '1.1' ? SOAP11 : SOAP12);
        const docs = await s.file.list(rootId);
        assert.deepEqual(docs.map((d) => d.properties), attachments.map((a, i) => ({
          wss_root_document_id: rootId, wss_attachment_content_id: a.contentId ?? i + 1, wss_attachment_content_type: a.contentType,
        })));
        for (const [i, doc] of docs.entries()) {
          const bytes = await readAll(await s.file.open(rootId, doc.properties.wss_attachment_content_id));
          assert.equal(sha256(bytes), sha256(attachments[i]!.body), files[i]);
        }
        assert.deepEqual(fileCacheState(s.dir), { roots: [rootId], temporary: [] });
      } finally {
        await s.done();
      }
    });
  }

  it('50 concurrent uploads: 50 distinct root ids, every attachment stored byte for byte', async (t) => {
    if (sharedCorpusDir === null) return t.skip(SHARED_CORPUS_ABSENT);
    const files = [...jpegs.slice(0, 5), ...pdfs.filter((p) => fs.statSync(p).size < 400_000).slice(0, 5)].map((f) => fs.readFileSync(f));
    const messages = Array.from({ length: 50 }, (_, i) => {
      const a = files[i % files.length]!;
      const b = files[(i * 7 + 3) % files.length]!;
      return buildMessage(i % 2 === 0 ? 'mtom' : 'swa', i % 3 === 0 ? '1.2' : '1.1', [
        { contentId: `first-${i}@load`, contentType: 'application/octet-stream', body: a },
        { contentId: `second-${i}@load`, contentType: 'application/octet-stream', body: b },
      ]);
    });
    const s = await setup();
    try {
      const responses = await Promise.all(messages.map((m) => post(s.server.url, m.body, m.contentType, { chunkSize: 32 * 1024 })));
      const ids = new Set<string>();
      for (const [i, response] of responses.entries()) {
        assert.equal(response.status, 200, response.body.toString());
        const rootId = response.headers[ROOT_ID_HEADER.toLowerCase()] as string;
        ids.add(rootId);
        const docs = await s.file.list(rootId);
        assert.deepEqual(docs.map((d) => d.properties.wss_attachment_content_id), [`first-${i}@load`, `second-${i}@load`]);
        for (const [k, doc] of docs.entries()) {
          const bytes = await readAll(await s.file.open(rootId, doc.properties.wss_attachment_content_id));
          assert.equal(sha256(bytes), sha256(messages[i]!.attachments[k]!.body));
        }
      }
      assert.equal(ids.size, 50);
      assert.equal(fileCacheState(s.dir).roots.length, 50);
      assert.deepEqual(fileCacheState(s.dir).temporary, []);
    } finally {
      await s.done();
    }
  });
});

/**
 * Sends `head` of a message, then destroys the connection once `when`
 * resolves (default: once the head is flushed to the socket).
 */
function abortAfter(url: string, body: Buffer, contentType: string, head: number, when?: Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    const req = http.request(url, { method: 'POST', headers: { 'content-type': contentType, 'content-length': String(body.length) }, agent: false });
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    let flushed!: () => void;
    const written = new Promise<void>((r) => { flushed = r; });
    req.write(body.subarray(0, head), () => flushed());
    void (when ?? written).then(() => setTimeout(() => req.destroy(), 50));
  });
}

describe('receiver: aborted uploads leave nothing (no document, no temporary file)', () => {
  const message = buildMessage('mtom', '1.2', [
    { contentId: 'one@x', contentType: 'application/octet-stream', body: Buffer.alloc(400_000, 1) },
    { contentId: 'two@x', contentType: 'application/octet-stream', body: Buffer.alloc(400_000, 2) },
  ]);
  for (const [what, head] of [['inside the root part', 300], ['inside the first attachment', 200_000], ['inside the second attachment', 700_000]] as const) {
    it(`the client goes away ${what}`, async () => {
      const s = await setup();
      try {
        await abortAfter(s.server.url, message.body, message.contentType, head);
        await s.server.idle();
        assert.equal(s.server.settled.length, 1);
        assert.deepEqual(fileCacheState(s.dir), { roots: [], temporary: [] });
        assert.equal(s.errors.length, 1);
        assert.equal((s.errors[0] as { code?: string }).code, ErrorCodes.ABORTED);
      } finally {
        await s.done();
      }
    });
  }

  it('the client goes away while the sink is stalled: seen once the receiver reads again, everything staged discarded', async () => {
    let gate!: GatedCache;
    const s = await setup({}, (file) => (gate = new GatedCache(file)));
    try {
      gate.closeAfter = 100_000;
      await abortAfter(s.server.url, message.body, message.contentType, 600_000, gate.stalled);
      assert.ok(fileCacheState(s.dir).temporary.length > 0, 'an attachment is being staged');
      // Node does not watch a paused socket: the reset is noticed when reading resumes.
      gate.release();
      await s.server.idle();
      assert.deepEqual(fileCacheState(s.dir), { roots: [], temporary: [] });
      assert.equal((s.errors[0] as { code?: string }).code, ErrorCodes.ABORTED);
    } finally {
      gate.release();
      await s.done();
    }
  });
});

describe('receiver: backpressure', () => {
  it('a slow sink slows the socket: bytes read from the socket stay bounded and the client cannot write on', async () => {
    const memory = new MemoryCache({ maxBytes: 128 * 1024 * 1024 });
    const gate = new GatedCache(memory);
    gate.closeAfter = 1024 * 1024;
    const receiver = createReceiver({ cache: gate });
    const sockets: Socket[] = [];
    const httpServer = http.createServer();
    httpServer.on('connection', (socket) => sockets.push(socket));
    const server = await listen(receiver, httpServer);
    const size = 48 * 1024 * 1024;
    const big = Buffer.alloc(size);
    for (let i = 0; i < size; i += 4096) big.writeUInt32BE(i, i); // not all zeros: a real digest
    const message = buildMessage('mtom', '1.1', [{ contentId: 'big@x', contentType: 'application/octet-stream', body: big }]);
    try {
      let handed = 0;
      let waitingForDrain = false;
      const response = new Promise<{ status: number; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
        const req = http.request(server.url, { method: 'POST', headers: { 'content-type': message.contentType }, agent: false });
        req.on('response', (res) => { res.resume(); res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers })); });
        req.on('error', reject);
        const pump = (): void => {
          waitingForDrain = false;
          while (handed < message.body.length) {
            const end = Math.min(message.body.length, handed + 64 * 1024);
            const more = req.write(message.body.subarray(handed, end));
            handed = end;
            if (!more) {
              waitingForDrain = true;
              req.once('drain', pump);
              return;
            }
          }
          req.end();
        };
        pump();
      });
      await gate.stalled;
      // Wait until the server's socket reads nothing more (its buffers are full).
      let last = -1;
      let stable = 0;
      while (stable < 10) {
        await new Promise((r) => setTimeout(r, 20));
        const read = sockets[0]!.bytesRead;
        stable = read === last ? stable + 1 : 0;
        last = read;
      }
      const readAhead = last - gate.consumed;
      assert.ok(readAhead < 4 * 1024 * 1024, `read from the socket beyond what the sink took: ${readAhead} bytes`);
      assert.ok(waitingForDrain, 'the client is blocked waiting for drain');
      assert.ok(handed < message.body.length / 2, `the client handed over only ${handed} of ${message.body.length} bytes`);
      gate.release();
      const done = await response;
      assert.equal(done.status, 200);
      const rootId = done.headers[ROOT_ID_HEADER.toLowerCase()] as string;
      const bytes = await readAll(await memory.open(rootId, 'big@x'));
      assert.equal(sha256(bytes), sha256(big));
    } finally {
      gate.release();
      await server.close();
    }
  });

  it('time spent waiting for a slow sink does not count against the client (no timeout while the sink stalls)', async () => {
    const gate = new GatedCache(new MemoryCache());
    gate.closeAfter = 64 * 1024;
    const receiver = createReceiver({ cache: gate, timeouts: { idleMs: 300, minBytesPerSecond: 50_000_000, rateGraceMs: 200 } });
    const server = await listen(receiver);
    const message = buildMessage('swa', '1.1', [{ contentId: 'x@x', contentType: 'application/octet-stream', body: Buffer.alloc(2 * 1024 * 1024, 5) }]);
    try {
      const pending = post(server.url, message.body, message.contentType, { chunkSize: 64 * 1024 });
      await gate.stalled;
      await new Promise((r) => setTimeout(r, 800)); // longer than idleMs, far below the rate
      gate.release();
      const response = await pending;
      assert.equal(response.status, 200, response.body.toString());
    } finally {
      gate.release();
      await server.close();
    }
  });
});

describe('receiver: faults (status, SOAP version, fault code) and nothing left in the cache', () => {
  let s: Awaited<ReturnType<typeof setup>>;
  before(async () => { s = await setup({ limits: { partBytes: 64 * 1024, totalBytes: 1024 * 1024 } }); });
  after(async () => { await s.done(); });
  const envelope11 = (body: string) => `<s:Envelope xmlns:s="${SOAP11}"><s:Body>${body}</s:Body></s:Envelope>`;

  async function expectFault(body: Buffer, contentType: string | null, status: number, faultCode: string, code: string,
    options: { method?: string; headers?: Record<string, string> } = {}) {
    const response = await post(s.server.url, body, contentType, options);
    assert.equal(response.status, status, response.body.toString());
    assert.deepEqual(faultSummary(response.body), { faultCode, code });
    await s.server.idle();
    assert.deepEqual(fileCacheState(s.dir), { roots: [], temporary: [] });
    return response;
  }

  it('malformed SOAP 1.1 → 400 soap:Client', async () => {
    const r = await expectFault(Buffer.from(envelope11('<a><b></a>')), 'text/xml', 400, 'soap:Client', ErrorCodes.XML_MALFORMED);
    assert.equal(r.headers['content-type'], 'text/xml; charset=utf-8');
  });

  it('truncated SOAP 1.2 MTOM (after an attachment was staged) → 400 soap:Sender in a SOAP 1.2 fault', async () => {
    const m = buildMessage('mtom', '1.2', [{ contentId: 'a@x', contentType: 'application/pdf', body: Buffer.alloc(30_000, 3) }]);
    const r = await expectFault(m.body.subarray(0, m.body.length - 100), m.contentType, 400, 'soap:Sender', ErrorCodes.MIME_TRUNCATED);
    assert.equal(r.headers['content-type'], 'application/soap+xml; charset=utf-8');
    assert.ok(r.body.includes(Buffer.from(SOAP12)));
  });

  it('an xop:Include naming no part → 400 ERR_XOP_MISSING_PART', async () => {
    const m = buildMessage('mtom', '1.1', [{ contentId: 'a@x', contentType: 'application/pdf', body: Buffer.alloc(1000, 3) }]);
    const broken = Buffer.from(m.body.toString('latin1').replace('Content-ID: <a@x>', 'Content-ID: <other@x>'), 'latin1');
    await expectFault(broken, m.contentType, 400, 'soap:Client', ErrorCodes.XOP_MISSING_PART);
  });

  it('an Envelope in an unknown namespace → 400 VersionMismatch', async () => {
    await expectFault(Buffer.from('<s:Envelope xmlns:s="urn:not-soap"><s:Body/></s:Envelope>'), 'text/xml', 400,
      'soap:VersionMismatch', ErrorCodes.SOAP_NOT_ENVELOPE);
  });

  it('an attachment over limits.partBytes → 413, while the client is still sending (lingering close)', async () => {
    const m = buildMessage('swa', '1.1', [{ contentId: 'big@x', contentType: 'application/octet-stream', body: Buffer.alloc(900_000, 1) }]);
    const r = await expectFault(m.body, m.contentType, 413, 'soap:Client', ErrorCodes.MIME_PART_TOO_LARGE);
    assert.equal(r.headers['connection'], 'close');
    assert.match(r.body.toString(), /limit="65536"/);
  });

  it('a Content-Length over limits.totalBytes → 413 before the body is read', async () => {
    await expectFault(Buffer.alloc(2 * 1024 * 1024, 0x41), 'multipart/related; boundary=x', 413, 'soap:Client', ErrorCodes.MIME_MESSAGE_TOO_LARGE,
      { headers: { 'content-length': String(2 * 1024 * 1024) } });
  });

  it('a JSON body → 415; no Content-Type → 415; multipart without a boundary → 400', async () => {
    await expectFault(Buffer.from('{"a":1}'), 'application/json', 415, 'soap:Client', ErrorCodes.MIME_UNSUPPORTED_MEDIA_TYPE);
    await expectFault(Buffer.from(envelope11('')), null, 415, 'soap:Client', ErrorCodes.MIME_UNSUPPORTED_MEDIA_TYPE);
    await expectFault(Buffer.from('--x\r\n\r\n--x--'), 'multipart/related', 400, 'soap:Client', ErrorCodes.MIME_NO_BOUNDARY);
  });

  it('a GET → 405 with Allow: POST', async () => {
    const response = await new Promise<http.IncomingMessage & { text?: string }>((resolve, reject) => {
      http.get(s.server.url, { agent: false }, resolve).on('error', reject);
    });
    const body = await readAll(response);
    assert.equal(response.statusCode, 405);
    assert.equal(response.headers['allow'], 'POST');
    assert.equal(faultSummary(body).faultCode, 'soap:Client');
  });

  it('a failing sink → 500 soap:Server / Receiver, without the cause in the fault', async () => {
    for (const version of ['1.1', '1.2'] as const) {
      const failing = new FailingMemoryCache(10_000);
      const server = await listen(createReceiver({ cache: failing }));
      try {
        const m = buildMessage('swa', version, [{ contentId: 'a@x', contentType: 'application/pdf', body: Buffer.alloc(50_000, 3) }]);
        const response = await post(server.url, m.body, m.contentType);
        assert.equal(response.status, 500);
        assert.deepEqual(faultSummary(response.body), {
          faultCode: version === '1.1' ? 'soap:Server' : 'soap:Receiver', code: ErrorCodes.CACHE_SINK_FAILED,
        });
        assert.doesNotMatch(response.body.toString(), /ENOSPC/);
        await server.idle();
        assert.equal(failing.usedBytes, 0);
      } finally {
        await server.close();
      }
    }
  });

  it('a full cache → 413 ERR_CACHE_FULL', async () => {
    const full = new MemoryCache({ maxBytes: 20_000 });
    const server = await listen(createReceiver({ cache: full }));
    try {
      const m = buildMessage('mtom', '1.1', [{ contentId: 'a@x', contentType: 'application/pdf', body: Buffer.alloc(50_000, 3) }]);
      const response = await post(server.url, m.body, m.contentType);
      assert.equal(response.status, 413);
      assert.equal(faultSummary(response.body).code, ErrorCodes.CACHE_FULL);
      await server.idle();
      assert.equal(full.usedBytes, 0);
    } finally {
      await server.close();
    }
  });
});

describe("receiver: faultStatus 'soap' answers every fault under its SOAP binding's status", () => {
  let s: Awaited<ReturnType<typeof setup>>;
  before(async () => { s = await setup({ faultStatus: 'soap', limits: { partBytes: 64 * 1024, totalBytes: 1024 * 1024 } }); });
  after(async () => { await s.done(); });

  async function fault(body: Buffer, contentType: string | null): Promise<{ status: number; faultCode: string | null; code: string | null }> {
    const response = await post(s.server.url, body, contentType);
    await s.server.idle();
    assert.deepEqual(fileCacheState(s.dir), { roots: [], temporary: [] });
    return { status: response.status, ...faultSummary(response.body) };
  }

  it('SOAP 1.1: malformed and over a limit both go with 500 (SOAP 1.1 §6.2, WS-I BP R1126), still soap:Client', async () => {
    const malformed = Buffer.from(`<s:Envelope xmlns:s="${SOAP11}"><s:Body><a><b></a></s:Body></s:Envelope>`);
    assert.deepEqual(await fault(malformed, 'text/xml'), { status: 500, faultCode: 'soap:Client', code: ErrorCodes.XML_MALFORMED });
    const big = buildMessage('swa', '1.1', [{ contentId: 'big@x', contentType: 'application/octet-stream', body: Buffer.alloc(100_000, 1) }]);
    assert.deepEqual(await fault(big.body, big.contentType), { status: 500, faultCode: 'soap:Client', code: ErrorCodes.MIME_PART_TOO_LARGE });
  });

  it('SOAP 1.2: a Sender fault goes with 400 whatever went wrong (part 2 §7.5.2.2), a limit included', async () => {
    const big = buildMessage('mtom', '1.2', [{ contentId: 'big@x', contentType: 'application/octet-stream', body: Buffer.alloc(100_000, 1) }]);
    assert.deepEqual(await fault(big.body, big.contentType), { status: 400, faultCode: 'soap:Sender', code: ErrorCodes.MIME_PART_TOO_LARGE });
  });

  it('415 stays: a request that is no SOAP message is refused at the HTTP level', async () => {
    assert.equal((await fault(Buffer.from('{"a":1}'), 'application/json')).status, 415);
  });

  it('an unknown faultStatus is ERR_BAD_ARGUMENT', () => {
    assert.throws(() => createReceiver({ cache: new MemoryCache(), faultStatus: 'wsi' as never }),
      (e: unknown) => e instanceof Error && (e as { code?: string }).code === ErrorCodes.BAD_ARGUMENT);
  });
});

describe('receiver: timeouts', () => {
  const message = buildMessage('swa', '1.1', [{ contentId: 'a@x', contentType: 'application/octet-stream', body: Buffer.alloc(200_000, 4) }]);

  /** Sends `head`, then `trickle` bytes one every `everyMs`; resolves with the answer, or null when closed without one. */
  function slowClient(url: string, head: number, everyMs: number | null): Promise<{ status: number; body: Buffer } | null> {
    return new Promise((resolve) => {
      const req = http.request(url, { method: 'POST', headers: { 'content-type': message.contentType }, agent: false });
      let at = head;
      let timer: NodeJS.Timeout | undefined;
      req.on('response', async (res) => {
        clearInterval(timer);
        resolve({ status: res.statusCode!, body: await readAll(res).catch(() => Buffer.alloc(0)) });
      });
      req.on('error', () => { clearInterval(timer); resolve(null); });
      req.write(message.body.subarray(0, head));
      if (everyMs !== null) {
        timer = setInterval(() => {
          if (at < message.body.length && !req.destroyed) req.write(message.body.subarray(at, ++at));
        }, everyMs);
      }
    });
  }

  it('an idle client (stops mid-attachment) → 408, nothing cached', async () => {
    const s = await setup({ timeouts: { idleMs: 300 } });
    try {
      const answer = await slowClient(s.server.url, 50_000, null);
      assert.equal(answer?.status, 408);
      assert.deepEqual(faultSummary(answer!.body), { faultCode: 'soap:Client', code: ErrorCodes.TIMEOUT });
      await s.server.idle();
      assert.deepEqual(fileCacheState(s.dir), { roots: [], temporary: [] });
    } finally {
      await s.done();
    }
  });

  it('a slowloris body (one byte every 20 ms, under minBytesPerSecond) → 408, nothing cached', async () => {
    const s = await setup({ timeouts: { idleMs: 10_000, minBytesPerSecond: 1000, rateGraceMs: 300 } });
    try {
      const started = Date.now();
      const answer = await slowClient(s.server.url, 3000, 20);
      assert.equal(answer?.status, 408);
      assert.match(answer!.body.toString(), /slower than 1000 bytes\/s/);
      assert.ok(Date.now() - started < 8000);
      await s.server.idle();
      assert.deepEqual(fileCacheState(s.dir), { roots: [], temporary: [] });
    } finally {
      await s.done();
    }
  });

  it('timeouts.bodyMs bounds the whole message → 408', async () => {
    const s = await setup({ timeouts: { bodyMs: 300, idleMs: 0, minBytesPerSecond: 0 } });
    try {
      const answer = await slowClient(s.server.url, 10_000, 50);
      assert.equal(answer?.status, 408);
      assert.match(answer!.body.toString(), /within 300 ms/);
      await s.server.idle();
      assert.deepEqual(fileCacheState(s.dir), { roots: [], temporary: [] });
    } finally {
      await s.done();
    }
  });

  it('slow headers: createReceiverServer answers 408 and closes the connection after timeouts.headersMs', async () => {
    const server = createReceiverServer({ cache: new MemoryCache(), timeouts: { headersMs: 400 } });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const started = Date.now();
      const received = await new Promise<string>((resolve) => {
        const socket = net.connect(port, '127.0.0.1');
        let text = '';
        const header = 'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nX-Padding: ';
        let at = 0;
        const timer = setInterval(() => { if (at < header.length) socket.write(header[at++]!); else socket.write('a'); }, 50);
        socket.on('data', (d) => { text += d.toString(); });
        socket.on('close', () => { clearInterval(timer); resolve(text); });
        socket.on('error', () => undefined);
      });
      assert.match(received, /^HTTP\/1\.1 408/);
      assert.ok(Date.now() - started < 5000, `closed after ${Date.now() - started} ms`);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('receiver: onMessage answers', () => {
  it('answers with its own multipart/related MTOM response carrying the received attachment back (compose)', async () => {
    const payload = Buffer.from('%PDF-1.4\n' + 'x'.repeat(10_000));
    const s = await setup({
      async onMessage(message, ctx) {
        assert.equal(ctx.rootId, message.rootDocument.properties.wss_root_document_id);
        assert.equal(ctx.soapVersion, '1.2');
        return compose({
          xml: '<r:echoed xmlns:r="urn:r"><r:doc><xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:doc@x"/></r:doc></r:echoed>',
          rootId: ctx.rootId, cache: ctx.cache, mode: 'mtom', soapVersion: ctx.soapVersion,
        });
      },
    });
    try {
      const m = buildMessage('mtom', '1.2', [{ contentId: 'doc@x', contentType: 'application/pdf', body: payload }]);
      const response = await post(s.server.url, m.body, m.contentType);
      assert.equal(response.status, 200);
      const contentType = response.headers['content-type']!;
      assert.match(contentType, /^multipart\/related;.*application\/xop\+xml/);
      assert.ok(typeof response.headers[ROOT_ID_HEADER.toLowerCase()] === 'string');
      const parts: Array<{ isRoot: boolean; contentId: string | null; body: Buffer }> = [];
      for await (const part of parseMultipart([response.body], contentType)) {
        parts.push({ isRoot: part.isRoot, contentId: part.contentId, body: await readAll(part.body) });
      }
      assert.equal(parts.length, 2);
      assert.match(parts[0]!.body.toString(), /<r:echoed/);
      assert.equal(parts[1]!.contentId, 'doc@x');
      assert.equal(sha256(parts[1]!.body), sha256(payload));
    } finally {
      await s.done();
    }
  });

  it('a payload { xml } is put in an Envelope of the request\'s version; a whole Envelope goes as it is', async () => {
    let reply: { xml: string } = { xml: '<?xml version="1.0"?><r:ok xmlns:r="urn:r"/>' };
    const s = await setup({ onMessage: () => reply });
    try {
      const request12 = buildMessage('swa', '1.2', [{ contentId: 'a@x', contentType: 'text/plain', body: Buffer.from('a') }]);
      const wrapped = await post(s.server.url, request12.body, request12.contentType);
      assert.equal(wrapped.status, 200);
      assert.equal(wrapped.headers['content-type'], 'application/soap+xml; charset=utf-8');
      assert.equal(wrapped.body.toString(),
        `<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="${SOAP12}"><soap:Body><r:ok xmlns:r="urn:r"/></soap:Body></soap:Envelope>\n`);
      reply = { xml: `<e:Envelope xmlns:e="${SOAP11}"><e:Body><r:ok xmlns:r="urn:r"/></e:Body></e:Envelope>` };
      const whole = await post(s.server.url, request12.body, request12.contentType);
      assert.equal(whole.headers['content-type'], 'text/xml; charset=utf-8');
      assert.equal(whole.body.toString(), reply.xml);
      assert.equal(typeof whole.headers[ROOT_ID_HEADER.toLowerCase()], 'string');
    } finally {
      await s.done();
    }
  });

  it('onMessage throwing → 500 soap:Server and the stored documents are deleted again; an XopError keeps its status', async () => {
    let toThrow: unknown = new Error('database down');
    const s = await setup({ onMessage: () => { throw toThrow; } });
    try {
      const m = buildMessage('swa', '1.1', [{ contentId: 'a@x', contentType: 'text/plain', body: Buffer.from('abc') }]);
      const failed = await post(s.server.url, m.body, m.contentType);
      assert.equal(failed.status, 500);
      assert.equal(faultSummary(failed.body).faultCode, 'soap:Server');
      await s.server.idle();
      assert.deepEqual(fileCacheState(s.dir).roots, []);
      toThrow = xopError(ErrorCodes.BAD_ARGUMENT, 'order number unknown', { status: 422 });
      const refused = await post(s.server.url, m.body, m.contentType);
      assert.equal(refused.status, 422);
      assert.match(refused.body.toString(), /order number unknown/);
    } finally {
      await s.done();
    }
  });

  it('onMessage may write the response itself; a bad reply is the server\'s failure (500)', async () => {
    let mode: 'self' | 'bad' = 'self';
    const s = await setup({
      onMessage: (_m, ctx) => {
        if (mode === 'bad') return { xml: '<not-closed>' };
        ctx.res.writeHead(202, { 'content-type': 'text/plain' });
        ctx.res.end(`stored ${ctx.rootId}`);
        return undefined;
      },
    });
    try {
      const m = buildMessage('swa', '1.1', [{ contentId: 'a@x', contentType: 'text/plain', body: Buffer.from('abc') }]);
      const own = await post(s.server.url, m.body, m.contentType);
      assert.equal(own.status, 202);
      assert.match(own.body.toString(), /^stored [0-9a-f-]{36}$/);
      mode = 'bad';
      const bad = await post(s.server.url, m.body, m.contentType);
      assert.equal(bad.status, 500);
    } finally {
      await s.done();
    }
  });
});

describe('receiver: Expect: 100-continue (createReceiverServer)', () => {
  it('refuses a wrong media type before the body is sent; accepts a good message after 100 Continue', async () => {
    const cache = new MemoryCache();
    const server = createReceiverServer({ cache });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const m = buildMessage('swa', '1.1', [{ contentId: 'a@x', contentType: 'text/plain', body: Buffer.from('hello') }]);
    const ask = (contentType: string) => new Promise<{ status: number; continued: boolean }>((resolve, reject) => {
      let continued = false;
      const req = http.request({ port, host: '127.0.0.1', method: 'POST', agent: false,
        headers: { 'content-type': contentType, expect: '100-continue', 'content-length': String(m.body.length) } });
      req.on('continue', () => { continued = true; req.end(m.body); });
      req.on('response', (res) => { res.resume(); res.on('end', () => resolve({ status: res.statusCode!, continued })); });
      req.on('error', reject);
    });
    try {
      assert.deepEqual(await ask('application/json'), { status: 415, continued: false });
      assert.deepEqual(await ask(m.contentType), { status: 200, continued: true });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
