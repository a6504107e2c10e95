// The streaming digest every cache uses: known xxh64 values, slicing of big
// updates, backpressure (one chunk at a time) and the typing of failures.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import xxhash from 'xxhash-wasm';
import { ErrorCodes, StreamingDigest, streamMeasured, xopError } from '../src/index.js';
import { xxh64Hex } from '../src/cache/digest.js';
import { bytesOf, rejectsWith } from './support/cache-contract.js';

test('xxh64 (seed 0) of known inputs', async () => {
  assert.equal(await xxh64Hex(new Uint8Array(0)), 'ef46db3751d8e999');
  assert.equal(await xxh64Hex(Buffer.from('abc')), '44bc2cf5ad770999');
  const api = await xxhash();
  const text = 'The quick brown fox jumps over the lazy dog';
  assert.equal(await xxh64Hex(Buffer.from(text)), api.h64ToString(text));
});

test('updates larger than the slice size hash like one update; hex() is idempotent and final', async () => {
  const api = await xxhash();
  const big = bytesOf(1, 3 * 1024 * 1024 + 17);
  const digest = await StreamingDigest.create();
  digest.update(big.subarray(0, 5));
  digest.update(big.subarray(5));
  assert.equal(digest.size, big.length);
  assert.equal(digest.hex(), api.h64Raw(big).toString(16).padStart(16, '0'));
  assert.equal(digest.hex(), digest.hex());
  assert.throws(() => digest.update(big), { code: ErrorCodes.BAD_ARGUMENT });
});

test('streamMeasured pulls the next chunk only after the sink has taken the previous one', async () => {
  const events: string[] = [];
  async function* source(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < 4; i++) {
      events.push(`pull ${i}`);
      yield Buffer.from([i]);
    }
  }
  const measured = await streamMeasured(source(), async (view) => {
    events.push(`sink ${view[0]} start`);
    await new Promise((r) => setTimeout(r, 5));
    events.push(`sink ${view[0]} end`);
  });
  assert.equal(measured.size, 4);
  assert.deepEqual(events, [
    'pull 0', 'sink 0 start', 'sink 0 end', 'pull 1', 'sink 1 start', 'sink 1 end',
    'pull 2', 'sink 2 start', 'sink 2 end', 'pull 3', 'sink 3 start', 'sink 3 end',
  ]);
});

test('streamMeasured: sink failures are typed, empty chunks skipped, the source is closed early', async () => {
  let closed = false;
  async function* source(): AsyncGenerator<Uint8Array> {
    try {
      yield new Uint8Array(0);
      yield Buffer.from('a');
      yield Buffer.from('b');
    } finally {
      closed = true;
    }
  }
  const seen: number[] = [];
  const error = await rejectsWith(streamMeasured(source(), (view) => {
    seen.push(view.length);
    throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
  }), ErrorCodes.CACHE_SINK_FAILED);
  assert.deepEqual(seen, [1]);
  assert.equal((error.cause as { code: string }).code, 'ENOSPC');
  await new Promise((r) => setImmediate(r));
  assert.equal(closed, true);
  const limit = xopError(ErrorCodes.CACHE_FULL, 'full', { limit: 1 });
  assert.equal(await rejectsWith(streamMeasured([Buffer.from('x')], () => { throw limit; }), ErrorCodes.CACHE_FULL), limit);
});

test('streamMeasured: a non-iterable body, an already-aborted signal, a sync iterable', async () => {
  await rejectsWith(streamMeasured(42 as unknown as Iterable<Uint8Array>, () => undefined), ErrorCodes.BAD_ARGUMENT);
  await rejectsWith(streamMeasured(null as unknown as Iterable<Uint8Array>, () => undefined), ErrorCodes.BAD_ARGUMENT);
  await rejectsWith(streamMeasured([Buffer.from('x')], () => undefined, AbortSignal.abort()), ErrorCodes.ABORTED);
  const reason = xopError(ErrorCodes.TIMEOUT, 'body timeout');
  await rejectsWith(streamMeasured([Buffer.from('x')], () => undefined, AbortSignal.abort(reason)), ErrorCodes.TIMEOUT);
  const measured = await streamMeasured([Buffer.from('ab'), Buffer.from('c')], () => undefined);
  assert.deepEqual(measured, { size: 3, xxh64: await xxh64Hex(Buffer.from('abc')) });
});

test('streamMeasured: a source that rejects with a non-Error value', async () => {
  const source: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => ({ next: () => Promise.reject('plain string') }),
  };
  const error = await rejectsWith(streamMeasured(source, () => undefined, new AbortController().signal), ErrorCodes.ABORTED);
  assert.match(error.message, /plain string/);
});
