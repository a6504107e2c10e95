// Hostile messages against the receive pipeline, the file cache and the HTTP
// receiver: path traversal through Content-ID / Content-Location, guessed
// root ids, duplicate ids and a missing start part, failures at every point
// of a message (nothing may stay in the cache, no temporary file may be left
// behind), slowloris clients and clients that vanish at every phase.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  FileCache, createReceiver, createReceiverServer, isXopError, receive, type DocumentCache, type XopError,
} from '../src/index.js';

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const XOP = 'http://www.w3.org/2004/08/xop/include';
const ROOT = `<s:Envelope xmlns:s="${SOAP11}"><s:Body><m:upload xmlns:m="urn:m"><m:file>` +
  `<xop:Include xmlns:xop="${XOP}" href="cid:att1@x"/></m:file></m:upload></s:Body></s:Envelope>`;
const CT = 'multipart/related; type="application/xop+xml"; start="<root@x>"; start-info="text/xml"; boundary=MIMEb';

function part(headers: string, body: string | Buffer): Buffer {
  return Buffer.concat([Buffer.from(`--MIMEb\r\n${headers}\r\n\r\n`, 'latin1'), Buffer.from(body), Buffer.from('\r\n')]);
}
const rootPart = part('Content-Type: application/xop+xml; type="text/xml"; charset=utf-8\r\nContent-ID: <root@x>', ROOT);
const payload = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 31 + 7) & 0xff));
/** A complete MTOM message: root, the attachment it includes, another attachment. */
function message(extra: Buffer[] = []): Buffer {
  return Buffer.concat([
    Buffer.from('preamble\r\n'), rootPart,
    part('Content-Type: application/octet-stream\r\nContent-ID: <att1@x>\r\nContent-Transfer-Encoding: binary', payload),
    ...extra, Buffer.from('--MIMEb--\r\n'),
  ]);
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'xopstream-adversarial-'));
}

/** Every regular file under `dir` (staging and trash folders included). */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(full).map((f) => path.join(entry.name, f)));
    else out.push(entry.name);
  }
  return out;
}

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

async function rejection(promise: Promise<unknown>): Promise<XopError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isXopError(error), `a typed error, not ${String(error)}`);
    return error;
  }
  assert.fail('it succeeded');
}

test('Content-ID and Content-Location with ../ never reach a file path: FileCache names files by hash', async () => {
  const base = tempDir();
  const dir = path.join(base, 'cache');
  const cache = new FileCache({ dir, fsync: false });
  const marker = `xopstream-evil-${randomUUID()}`;
  const evilIds = [`../../../../../../tmp/${marker}`, `..\\..\\${marker}`, `/tmp/${marker}`, `${marker}/../../x`];
  const extra = evilIds.map((id, i) => part(`Content-ID: <${id}>\r\nContent-Location: ../../../${marker}-${i}.txt`, `evil ${i}`));
  try {
    const received = await receive([message(extra)], { contentType: CT, cache });
    const rootId = received.rootDocument.properties.wss_root_document_id;
    assert.deepEqual(received.attachments.map((a) => a.properties.wss_attachment_content_id), ['att1@x', ...evilIds]);
    assert.deepEqual(fs.readdirSync(base), ['cache'], 'nothing was created beside the cache directory');
    assert.equal(fs.existsSync(`/tmp/${marker}`), false);
    for (const file of filesUnder(dir)) {
      assert.match(file, new RegExp(`^${rootId}/(meta\\.json|[0-9a-f]{64}\\.bin)$`), file);
      assert.ok(!file.includes(marker));
    }
    for (const [i, id] of evilIds.entries()) {
      assert.equal((await readAll(await cache.open(rootId, id))).toString(), `evil ${i}`);
    }
    assert.ok((await readAll(await cache.open(rootId, 'att1@x'))).equals(payload));
  } finally {
    await cache.close();
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('guessed or forged root ids reach nothing: fresh UUIDs per message, no cross-message open, malformed ids are ERR_CACHE_BAD_KEY', async () => {
  const dir = tempDir();
  const cache = new FileCache({ dir, fsync: false });
  try {
    const a = await receive([message([part('Content-ID: <only-in-a@x>', 'A')])], { contentType: CT, cache });
    const b = await receive([message([part('Content-ID: <only-in-b@x>', 'B')])], { contentType: CT, cache });
    const idA = a.rootDocument.properties.wss_root_document_id;
    const idB = b.rootDocument.properties.wss_root_document_id;
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    assert.match(idA, uuid);
    assert.match(idB, uuid);
    assert.notEqual(idA, idB);
    assert.deepEqual((await cache.list(idA)).map((d) => d.properties.wss_attachment_content_id), ['att1@x', 'only-in-a@x']);
    assert.equal((await rejection(cache.open(idA, 'only-in-b@x'))).code, 'ERR_CACHE_NOT_FOUND');
    assert.deepEqual(await cache.list(randomUUID()), []);
    for (const forged of [`../${idA}`, `${idA}/../${idB}`, '', '.', '..', 'x'.repeat(200), `${idA}\u0000`, `${idA}/meta.json`, '.tmp']) {
      assert.equal((await rejection(cache.list(forged))).code, 'ERR_CACHE_BAD_KEY', JSON.stringify(forged));
      assert.equal((await rejection(cache.open(forged, 'att1@x'))).code, 'ERR_CACHE_BAD_KEY', JSON.stringify(forged));
      assert.equal((await rejection(cache.delete(forged))).code, 'ERR_CACHE_BAD_KEY', JSON.stringify(forged));
    }
    assert.equal((await cache.list(idB)).length, 2, 'B untouched by the forged deletes');
  } finally {
    await cache.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('duplicate Content-IDs: the second is stored under its index with a warning; strict refuses the message and stores nothing', async () => {
  const dir = tempDir();
  const cache = new FileCache({ dir, fsync: false });
  try {
    const dup = message([part('Content-ID: <att1@x>', 'impostor')]);
    const lenient = await receive([dup], { contentType: CT, cache });
    assert.deepEqual(lenient.attachments.map((d) => [d.index, d.properties.wss_attachment_content_id]), [[1, 'att1@x'], [2, 2]]);
    assert.equal(lenient.warnings.length, 1);
    // The include still names the first part with that id.
    assert.equal(lenient.xopIncludes[0]!.part, 1);
    const rootId = lenient.rootDocument.properties.wss_root_document_id;
    assert.ok((await readAll(await cache.open(rootId, 'att1@x'))).equals(payload));
    const strict = await rejection(receive([dup], { contentType: CT, cache, strict: true, rootId: 'strict-dup' }));
    assert.equal(strict.code, 'ERR_CACHE_BAD_KEY');
    assert.deepEqual(await cache.list('strict-dup'), []);
    assert.deepEqual(filesUnder(dir).filter((f) => !f.startsWith(rootId)), []);
  } finally {
    await cache.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('`start` naming a missing part: the first part is the root with a warning; strict is ERR_MIME_START_NOT_FOUND with nothing stored', async () => {
  const dir = tempDir();
  const cache = new FileCache({ dir, fsync: false });
  try {
    const ct = CT.replace('start="<root@x>"', 'start="<nowhere@x>"');
    const lenient = await receive([message()], { contentType: ct, cache });
    assert.equal(lenient.soap.bodyElement, '{urn:m}upload');
    assert.match(lenient.warnings.join('\n'), /nowhere@x/);
    assert.deepEqual(lenient.attachments.map((d) => d.properties.wss_attachment_content_id), ['att1@x']);
    const strict = await rejection(receive([message()], { contentType: ct, cache, strict: true, rootId: 'strict-start' }));
    assert.equal(strict.code, 'ERR_MIME_START_NOT_FOUND');
    assert.deepEqual(await cache.list('strict-start'), []);
  } finally {
    await cache.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** A source over `bytes` in 16 KiB chunks that can stall after `stallAt` bytes (until the test aborts). */
function chunked(bytes: Buffer, stallAt = Infinity): AsyncIterable<Uint8Array> {
  return {
    async *[Symbol.asyncIterator]() {
      for (let i = 0; i < bytes.length; i += 16 * 1024) {
        if (i >= stallAt) await new Promise(() => {}); // never resolves: a client that stopped sending
        yield bytes.subarray(i, Math.min(bytes.length, i + 16 * 1024));
      }
    },
  };
}

test('a message that fails after attachments were streamed leaves no document and no temporary file', async () => {
  const dir = tempDir();
  const cache = new FileCache({ dir, fsync: false });
  try {
    const late = (extra: Buffer[]): Buffer => message(extra);
    const cases: Array<{ name: string; run: (rootId: string) => Promise<unknown>; code: string }> = [
      { name: 'bad base64 in a later part', code: 'ERR_MIME_BAD_ENCODING',
        run: (rootId) => receive(chunked(late([part('Content-ID: <b64@x>\r\nContent-Transfer-Encoding: base64', 'QUJD*')])), { contentType: CT, cache, rootId }) },
      { name: 'truncated inside the attachment', code: 'ERR_MIME_TRUNCATED',
        run: (rootId) => receive(chunked(message().subarray(0, rootPart.length + 100_000)), { contentType: CT, cache, rootId }) },
      { name: 'a part over limits.partBytes', code: 'ERR_MIME_PART_TOO_LARGE',
        run: (rootId) => receive(chunked(late([part('Content-ID: <big@x>', Buffer.alloc(100_001))])), { contentType: CT, cache, rootId, limits: { partBytes: 100_000 } }) },
      { name: 'an include naming no part (found at the end)', code: 'ERR_XOP_MISSING_PART',
        run: (rootId) => receive(chunked(Buffer.concat([Buffer.from(rootPart), part('Content-ID: <other@x>', payload), Buffer.from('--MIMEb--\r\n')])), { contentType: CT, cache, rootId }) },
      { name: 'aborted while the client stalls mid-attachment', code: 'ERR_ABORTED',
        run: (rootId) => {
          const controller = new AbortController();
          setTimeout(() => controller.abort(), 50);
          return receive(chunked(message(), rootPart.length + 64 * 1024), { contentType: CT, cache, rootId, signal: controller.signal });
        } },
    ];
    for (const [i, c] of cases.entries()) {
      const rootId = `failing-${i}`;
      const e = await rejection(c.run(rootId));
      assert.equal(e.code, c.code, c.name);
      assert.deepEqual(await cache.list(rootId), [], c.name);
      assert.deepEqual(filesUnder(dir), [], `${c.name}: files left: ${filesUnder(dir).join(', ')}`);
    }
  } finally {
    await cache.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** An HTTP server running the receiver; `done()` resolves when every request it got has been handled. */
async function receiverServer(cache: DocumentCache, options: Partial<Parameters<typeof createReceiver>[0]> = {}) {
  const errors: XopError[] = [];
  const handled: Array<Promise<void>> = [];
  const handler = createReceiver({ cache, ...options, onError: (error) => { errors.push(error as XopError); } });
  const server = http.createServer((req, res) => { handled.push(handler(req, res)); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port, errors, handled,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function requestHead(body: Buffer, contentType = CT): Buffer {
  return Buffer.from(`POST /soap HTTP/1.1\r\nHost: localhost\r\nContent-Type: ${contentType}\r\nContent-Length: ${body.length}\r\n\r\n`, 'latin1');
}

/** Opens a socket, writes `bytes`, then destroys it; resolves once it is closed. */
function sendAndVanish(port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(bytes, () => setTimeout(() => socket.destroy(), 20));
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve());
  });
}

test('a client that vanishes at every phase of a message: ERR_ABORTED, nothing stored, no temporary file', async () => {
  const dir = tempDir();
  const cache = new FileCache({ dir, fsync: false });
  const server = await receiverServer(cache);
  try {
    const body = message([part('Content-ID: <second@x>', payload)]);
    const head = requestHead(body);
    const request = Buffer.concat([head, body]);
    const at = (needle: string, from = 0): number => head.length + body.indexOf(needle, from);
    const phases: Array<[string, number]> = [
      ['inside the request head', 20],
      ['right after the request head', head.length],
      ['in the preamble', head.length + 4],
      ['in the root part headers', at('Content-ID: <root')],
      ['in the root part body', at('<m:upload')],
      ['between the root part and the attachment', at('--MIMEb', 20)],
      ['in the attachment headers', at('Content-ID: <att1')],
      ['in the attachment body, after 100 KB of it', at('Content-Transfer-Encoding: binary') + 100_000],
      ['in the second attachment', at('Content-ID: <second') + 50_000],
      ['right before the close delimiter', request.length - '--MIMEb--\r\n'.length],
      ['inside the close delimiter', request.length - 5],
    ];
    for (const [name, cut] of phases) {
      const before = server.handled.length;
      const errorsBefore = server.errors.length;
      await sendAndVanish(server.port, request.subarray(0, cut));
      await Promise.all(server.handled.slice(before));
      if (name === 'inside the request head') {
        assert.equal(server.handled.length, before, 'no request reached the receiver');
      } else {
        assert.equal(server.handled.length, before + 1, name);
        assert.equal(server.errors.length, errorsBefore + 1, name);
        assert.equal(server.errors.at(-1)!.code, 'ERR_ABORTED', name);
      }
      assert.deepEqual(filesUnder(dir), [], `${name}: files left: ${filesUnder(dir).join(', ')}`);
    }
  } finally {
    await server.close();
    await cache.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('slowloris: a body trickled below timeouts.minBytesPerSecond, or stalled past timeouts.idleMs, is cut off with ERR_TIMEOUT and leaves nothing', async () => {
  const dir = tempDir();
  const cache = new FileCache({ dir, fsync: false });
  const server = await receiverServer(cache, { timeouts: { minBytesPerSecond: 2000, rateGraceMs: 200, idleMs: 400, lingerMs: 100 } });
  try {
    const body = message();
    // Trickle: one byte every 10 ms is 100 B/s, far under 2000 B/s.
    const trickled = await new Promise<{ status: number | null; closedByServer: boolean }>((resolve) => {
      const socket = net.connect(server.port, '127.0.0.1');
      let response = '';
      let sent = 0;
      let timer: NodeJS.Timeout | undefined;
      socket.on('connect', () => {
        socket.write(requestHead(body));
        timer = setInterval(() => {
          if (sent < body.length && !socket.destroyed) socket.write(body.subarray(sent, ++sent));
        }, 10);
      });
      socket.on('data', (d) => { response += d.toString('latin1'); });
      socket.on('error', () => {});
      socket.on('close', () => {
        clearInterval(timer);
        const m = /^HTTP\/1\.1 (\d+)/.exec(response);
        resolve({ status: m === null ? null : Number(m[1]), closedByServer: sent < body.length });
      });
    });
    assert.ok(trickled.closedByServer, 'the server closed the connection before the body was complete');
    // The server closes without reading the rest (a slow client is not waited for): the 408 can be lost
    // to the TCP reset that unread request bytes cause, but when it arrives it is a 408.
    assert.ok(trickled.status === 408 || trickled.status === null, `status ${trickled.status}`);
    await Promise.all(server.handled);
    assert.equal(server.errors.at(-1)!.code, 'ERR_TIMEOUT');
    // Stall: half the body, then nothing.
    const stalled = await new Promise<number | null>((resolve) => {
      const socket = net.connect(server.port, '127.0.0.1', () => socket.write(Buffer.concat([requestHead(body), body.subarray(0, body.length >> 1)])));
      let response = '';
      socket.on('data', (d) => { response += d.toString('latin1'); });
      socket.on('error', () => {});
      socket.on('close', () => {
        const m = /^HTTP\/1\.1 (\d+)/.exec(response);
        resolve(m === null ? null : Number(m[1]));
      });
    });
    assert.equal(stalled, 408);
    await Promise.all(server.handled);
    assert.equal(server.errors.at(-1)!.code, 'ERR_TIMEOUT');
    assert.deepEqual(filesUnder(dir), []);
  } finally {
    await server.close();
    await cache.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('slowloris: request headers trickled past timeouts.headersMs are answered 408 and the connection closed', async () => {
  const dir = tempDir();
  const cache = new FileCache({ dir, fsync: false });
  const server = createReceiverServer({ cache, timeouts: { headersMs: 300 } });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const head = requestHead(message());
    const result = await new Promise<{ status: number | null; sent: number }>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      let response = '';
      let sent = 0;
      let timer: NodeJS.Timeout | undefined;
      socket.on('connect', () => {
        timer = setInterval(() => {
          if (sent < head.length && !socket.destroyed) socket.write(head.subarray(sent, ++sent));
        }, 20);
      });
      socket.on('data', (d) => { response += d.toString('latin1'); });
      socket.on('error', () => {});
      socket.on('close', () => {
        clearInterval(timer);
        const m = /^HTTP\/1\.1 (\d+)/.exec(response);
        resolve({ status: m === null ? null : Number(m[1]), sent });
      });
    });
    assert.ok(result.sent < head.length, 'cut off before the head was complete');
    assert.equal(result.status, 408);
    assert.deepEqual(filesUnder(dir), []);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await cache.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
