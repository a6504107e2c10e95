// parseMultipart over a synchronous source (an array of chunks, a sync
// generator) and over a Node Readable with chunks already waiting: the pump
// takes such chunks without a promise each (ChunkSource.readNow), and every
// guarantee of the awaited path still holds: backpressure, release of the
// source, errors after the events before them, abort, zero-copy views.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { parseMultipart, readableChunks } from '../src/index.js';
import { CT, message, text } from './support/stream-source.js';

/** A sync iterable over `chunks` that counts pulls and records return(). */
function countedSync(chunks: Uint8Array[], failAt = -1, failure: unknown = null) {
  let pulls = 0;
  let returned = false;
  const source: Iterable<Uint8Array> = {
    [Symbol.iterator]: () => ({
      next: (): IteratorResult<Uint8Array> => {
        if (pulls === failAt) throw failure;
        if (pulls >= chunks.length) return { done: true, value: undefined };
        return { done: false, value: chunks[pulls++]! };
      },
      return: (): IteratorResult<Uint8Array> => {
        returned = true;
        return { done: true, value: undefined };
      },
    }),
  };
  return { source, pulls: () => pulls, returned: () => returned };
}

/** Slices `bytes` into chunks of `size`. */
function slices(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

/** Microtask turns another task gets while `work` runs: the awaits `work` costs. */
async function microtasksDuring(work: () => Promise<void>): Promise<number> {
  let turns = 0;
  let running = true;
  const counter = (async () => {
    while (running) {
      turns++;
      await null;
    }
  })();
  await work();
  running = false;
  await counter;
  return turns;
}

async function readAll(source: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<number> {
  let bytes = 0;
  for await (const part of parseMultipart(source, CT)) for await (const view of part.body) bytes += view.length;
  return bytes;
}

test('an array of chunks is read without a promise per chunk: fewer awaits than the same chunks from an async generator', async () => {
  const body = 'x'.repeat(64 * 1024);
  const chunks = slices(message([body]), 512); // 129 chunks
  async function* generated() { for (const c of chunks) yield c; }
  let fromArray = 0;
  let fromGenerator = 0;
  const arrayTurns = await microtasksDuring(async () => { fromArray = await readAll(chunks); });
  const generatorTurns = await microtasksDuring(async () => { fromGenerator = await readAll(generated()); });
  assert.equal(fromArray, body.length);
  assert.equal(fromGenerator, body.length);
  // Each chunk read from the generator costs the generator's promise and the pump's await
  // on it on top of the consumer's own await per view; from the array only the latter is left
  // (one turn per view, a few for the parts and the end; measured: 134 turns for 129 chunks,
  // 264 when the array went through an async wrapper, 393 from the generator).
  const where = `array: ${arrayTurns} microtask turns, async generator: ${generatorTurns}, for ${chunks.length} chunks`;
  assert.ok(arrayTurns <= chunks.length + 16, where);
  assert.ok(arrayTurns + chunks.length <= generatorTurns, where);
});

test('a sync source is pulled one chunk at a time, only as the consumer reads', async () => {
  const big = 'y'.repeat(20 * 1024);
  const chunks = slices(message([big, 'tail']), 1024);
  const { source, pulls } = countedSync(chunks);
  const parts = parseMultipart(source, CT)[Symbol.asyncIterator]();
  const first = await parts.next();
  const body = first.value!.body[Symbol.asyncIterator]();
  const view = await body.next();
  assert.equal(view.done, false);
  const pulledForOneView = pulls();
  assert.ok(pulledForOneView <= 2, `pulled ${pulledForOneView} chunks to produce one view`);
  let size = view.value!.length;
  for (;;) {
    const next = await body.next();
    if (next.done === true) break;
    size += next.value.length;
    assert.ok(pulls() <= Math.ceil((size + 64) / 1024) + 1, `${pulls()} chunks pulled for ${size} body bytes`);
  }
  assert.equal(size, big.length);
  assert.equal(await text((await parts.next()).value!), 'tail');
  assert.equal((await parts.next()).done, true);
  assert.equal(pulls(), chunks.length);
});

test('the views of an array source share its chunks\' ArrayBuffer (zero-copy)', async () => {
  const bytes = message(['a'.repeat(3000), 'b'.repeat(5000)]);
  const chunks = slices(bytes, 1000);
  const buffers = new Set(chunks.map((c) => c.buffer));
  let seen = 0;
  for await (const part of parseMultipart(chunks, CT, { immutableChunks: true })) {
    for await (const view of part.body) {
      assert.ok(buffers.has(view.buffer as ArrayBuffer), 'a body view is a view of an input chunk');
      seen += view.length;
    }
  }
  assert.equal(seen, 8000);
});

test('breaking out early releases a sync source: its return() runs and nothing more is pulled', async () => {
  const chunks = slices(message(['one', 'two', 'three']), 4);
  const { source, pulls, returned } = countedSync(chunks);
  for await (const part of parseMultipart(source, CT)) {
    assert.equal(await text(part), 'one');
    break;
  }
  assert.equal(returned(), true);
  assert.ok(pulls() < chunks.length, `pulled ${pulls()} of ${chunks.length}`);
});

test('a sync source that throws: the parts before the failure come whole, then the error, and the source is released', async () => {
  const bytes = message(['first part', 'second part that never ends']);
  const cut = bytes.indexOf('second') + 3;
  const failure = new Error('disk read failed');
  const { source, returned } = countedSync([bytes.subarray(0, cut), bytes.subarray(cut)], 1, failure);
  const texts: string[] = [];
  await assert.rejects(async () => {
    for await (const part of parseMultipart(source, CT)) texts.push(await text(part));
  }, (e) => e === failure);
  assert.deepEqual(texts, ['first part']);
  assert.equal(returned(), true);
});

test('a sync source that yields something other than bytes is ERR_BAD_ARGUMENT', async () => {
  const source = [Buffer.from('--b\r\n\r\nx'), 'not bytes'] as unknown as Iterable<Uint8Array>;
  await assert.rejects(async () => {
    for await (const part of parseMultipart(source, CT)) await text(part);
  }, (e: unknown) => (e as { code?: string }).code === 'ERR_BAD_ARGUMENT');
});

test('an abort while reading a sync source rejects with ERR_ABORTED at the next chunk', async () => {
  const chunks = slices(message(['a'.repeat(4000), 'b']), 100);
  const { source, returned } = countedSync(chunks);
  const controller = new AbortController();
  let read = 0;
  await assert.rejects(async () => {
    for await (const part of parseMultipart(source, CT, { signal: controller.signal })) {
      for await (const view of part.body) {
        read += view.length;
        if (read >= 1000) controller.abort(new Error('enough'));
      }
    }
  }, (e: unknown) => (e as { code?: string }).code === 'ERR_ABORTED');
  assert.ok(read >= 1000 && read < 1200, `read ${read} bytes before the abort took effect`);
  assert.equal(returned(), true);
});

test('readableChunks().readNow(): a waiting chunk at once, null while the stream has none, then the end', async () => {
  const stream = new Readable({ read() {} });
  const chunks = readableChunks(stream);
  assert.equal(chunks.readNow(), null, 'nothing emitted yet');
  const first = chunks.next();
  stream.push(Buffer.from('one'));
  stream.push(Buffer.from('two'));
  const got = await first;
  assert.equal(Buffer.from(got.value!).toString(), 'one');
  // 'two' was emitted in the same turn as 'one' and waits in the iterator's queue.
  const now = chunks.readNow();
  assert.equal(now !== null && now.done !== true ? Buffer.from(now.value).toString() : null, 'two');
  assert.equal(chunks.readNow(), null);
  stream.push(null);
  const end = await chunks.next();
  assert.equal(end.done, true);
  assert.deepEqual(chunks.readNow(), { value: undefined, done: true });
});

test('readableChunks().readNow() throws the stream\'s error', async () => {
  const stream = new Readable({ read() {} });
  const chunks = readableChunks(stream);
  const failure = new Error('reset by peer');
  const pending = chunks.next();
  stream.destroy(failure);
  await assert.rejects(pending, (e) => e === failure);
  // A stream that failed while nobody was waiting: readNow() throws its error.
  const broken = new Readable({ read() {} });
  const brokenChunks = readableChunks(broken);
  assert.equal(brokenChunks.readNow(), null, 'open and empty: nothing at hand yet');
  broken.destroy(failure);
  await new Promise((resolve) => setImmediate(resolve));
  assert.throws(() => brokenChunks.readNow(), (e) => e === failure);
});

test('parseMultipart over a backlogged Readable hands on every chunk as it was pushed', async () => {
  const bytes = message(['p'.repeat(30000), 'q'.repeat(30000)]);
  const pushed = slices(bytes, 4096).map((c) => Buffer.from(c)); // each its own ArrayBuffer, as socket reads are
  const stream = new Readable({ read() {} });
  for (const c of pushed) stream.push(c);
  stream.push(null);
  const buffers = new Set(pushed.map((c) => c.buffer));
  const texts: string[] = [];
  for await (const part of parseMultipart(stream, CT, { immutableChunks: true })) {
    let out = '';
    for await (const view of part.body) {
      assert.ok(buffers.has(view.buffer as ArrayBuffer), 'a view of a pushed chunk, not of a concatenation');
      out += Buffer.from(view).toString('latin1');
    }
    texts.push(out);
  }
  assert.deepEqual(texts, ['p'.repeat(30000), 'q'.repeat(30000)]);
});
