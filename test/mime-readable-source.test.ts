// A Node.js Readable is read chunk by chunk (readableChunks), so that the
// chunks reach the parser exactly as the stream got them: Node's own async
// iterator returns everything buffered at once, concatenated into a copy,
// whenever the consumer falls behind.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { parseMultipart, readableChunks } from '../src/index.js';
import { isNodeReadable } from '../src/mime/readable-source.js';

/** A stream that already holds every chunk (the consumer fell behind the socket), then ends. */
function backlogged(chunks: readonly Buffer[]): Readable {
  const stream = new Readable({ read() {}, highWaterMark: 1 << 30 });
  for (const chunk of chunks) stream.push(chunk);
  stream.push(null);
  return stream;
}

/** A stream that produces one chunk per read() call (a producer that keeps up). */
function onDemand(chunks: readonly Buffer[]): Readable {
  let next = 0;
  return new Readable({ read() { this.push(next < chunks.length ? chunks[next++] : null); } });
}

/** Chunks of `count` × `size` bytes, each its own ArrayBuffer, each filled with its index. */
function chunksOf(count: number, size: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => Buffer.alloc(size, i & 0xff));
}

async function collect(iterator: AsyncIterableIterator<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const chunk of iterator) out.push(chunk);
  return out;
}

describe('readableChunks', () => {
  for (const [name, make] of [['backlogged', backlogged], ['on demand', onDemand]] as const) {
    it(`${name}: hands on every chunk object as pushed, in order`, async () => {
      const chunks = chunksOf(20, 1000);
      const got = await collect(readableChunks(make(chunks)));
      assert.equal(got.length, chunks.length);
      got.forEach((chunk, i) => assert.equal(chunk, chunks[i], `chunk ${i} is the pushed Buffer itself`));
    });
  }

  it('a stream that ended before the first next() gives its buffered chunks, then the end', async () => {
    const chunks = chunksOf(3, 10);
    const stream = backlogged(chunks);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(await collect(readableChunks(stream)), chunks);
    assert.deepEqual(await collect(readableChunks(backlogged([]))), []);
  });

  it('two next() calls before any data get consecutive chunks', async () => {
    const chunks = chunksOf(3, 10);
    let next = 0;
    const stream = new Readable({ read() { setTimeout(() => this.push(next < chunks.length ? chunks[next++] : null), 5); } });
    const iterator = readableChunks(stream);
    const [a, b] = await Promise.all([iterator.next(), iterator.next()]);
    assert.equal(a.value, chunks[0]);
    assert.equal(b.value, chunks[1]);
    assert.equal((await iterator.next()).value, chunks[2]);
    assert.equal((await iterator.next()).done, true);
  });

  it('a stream destroyed with an error rejects with that error; without one, with a premature close', async () => {
    const failing = new Readable({ read() {} });
    failing.push(Buffer.from('first'));
    const iterator = readableChunks(failing);
    assert.equal(Buffer.from((await iterator.next()).value as Uint8Array).toString(), 'first');
    const pending = iterator.next();
    failing.destroy(new Error('socket hang up'));
    await assert.rejects(pending, /socket hang up/);
    assert.equal((await iterator.next()).done, true, 'after the error the iterator is done');

    const closed = new Readable({ read() {} });
    const second = readableChunks(closed);
    const waiting = second.next();
    closed.destroy();
    await assert.rejects(waiting, (e: NodeJS.ErrnoException) => e.code === 'ERR_STREAM_PREMATURE_CLOSE');

    const early = new Readable({ read() {} });
    early.destroy(new Error('gone before reading'));
    await assert.rejects(readableChunks(early).next(), /gone before reading/);
  });

  it('return() destroys the stream by default, and with destroyOnReturn: false leaves it paused with its unread bytes', async () => {
    const chunks = chunksOf(4, 100);
    const stream = backlogged(chunks);
    const iterator = readableChunks(stream);
    await iterator.next();
    await iterator.return!();
    assert.equal(stream.destroyed, true);

    const kept = backlogged(chunks);
    const partial = readableChunks(kept, { destroyOnReturn: false });
    assert.equal((await partial.next()).value, chunks[0]);
    await partial.return!();
    assert.equal(kept.destroyed, false);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(kept.isPaused(), true, 'no listener, no flow: the bytes stay in the stream');
    const rest = await collect(readableChunks(kept));
    assert.equal(Buffer.concat(rest).length, 300, 'the three unread chunks are still there for the next reader');
  });

  it('backpressure: while the consumer does not ask, the stream buffers at most its high-water mark and stops reading', async () => {
    let produced = 0;
    const stream = new Readable({
      highWaterMark: 16 * 1024,
      read() { produced++; this.push(Buffer.alloc(4096)); }, // an endless producer
    });
    const iterator = readableChunks(stream);
    await iterator.next();
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve)); // a slow consumer
    const producedWhileIdle = produced;
    assert.ok(stream.readableLength <= 16 * 1024 + 4096, `buffered ${stream.readableLength} bytes`);
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(produced, producedWhileIdle, 'the stream stopped calling read() while nobody asked');
    await iterator.next();
    await iterator.return!();
  });

  it('isNodeReadable tells Node streams from other sources', () => {
    assert.equal(isNodeReadable(new Readable({ read() {} })), true);
    assert.equal(isNodeReadable([Buffer.alloc(1)]), false);
    assert.equal(isNodeReadable((async function* () { yield Buffer.alloc(1); })()), false);
    assert.equal(isNodeReadable(new ReadableStream()), false);
    assert.equal(isNodeReadable(null), false);
  });
});

describe('parseMultipart over a Node Readable', () => {
  const boundary = 'readable-boundary';
  const bodies = [Buffer.alloc(50_000, 0x61), Buffer.alloc(70_000, 0x62)];
  const message = Buffer.concat([
    ...bodies.flatMap((body, i) => [Buffer.from(`--${boundary}\r\nContent-ID: <p${i}@x>\r\n\r\n`), body, Buffer.from('\r\n')]),
    Buffer.from(`--${boundary}--\r\n`),
  ]);

  for (const [name, make] of [['backlogged', backlogged], ['on demand', onDemand]] as const) {
    it(`${name}: every body view shares the ArrayBuffer of a pushed chunk (zero-copy even when the consumer is behind)`, async () => {
      // Each chunk its own ArrayBuffer, as socket reads are.
      const chunks: Buffer[] = [];
      for (let i = 0; i < message.length; i += 8192) chunks.push(Buffer.from(message.subarray(i, i + 8192)));
      const buffers = new Set(chunks.map((c) => c.buffer));
      const got: Buffer[] = [];
      let viewBytes = 0;
      let foreignBytes = 0;
      for await (const part of parseMultipart(make(chunks), `multipart/related; boundary=${boundary}`, { immutableChunks: true })) {
        const views: Uint8Array[] = [];
        for await (const view of part.body) {
          views.push(view);
          if (buffers.has(view.buffer as ArrayBuffer)) viewBytes += view.length;
          else foreignBytes += view.length;
        }
        got.push(Buffer.concat(views));
      }
      assert.deepEqual(got, bodies);
      assert.equal(foreignBytes, 0, 'no body byte came from a buffer the stream did not push');
      assert.equal(viewBytes, 120_000);
    });
  }
});
