// MemoryCache gives free blocks back: blocks no body took for a whole
// `poolIdleMs` period are dropped, so an idle cache (empty or not) ends with
// no free blocks, while a steady load keeps reusing the blocks it needs; the
// bound is `maxPooledBytes`; the timer never keeps the process alive. Time is
// node:test's mock clock (only a tick runs the timer): nothing here depends
// on how fast the machine is.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { ErrorCodes, MemoryCache } from '../src/index.js';
import { DEFAULT_MAX_POOLED_BYTES, DEFAULT_POOL_IDLE_MS } from '../src/cache/memory.js';
import { BLOCK_BYTES } from '../src/cache/memory-body.js';
import { bytesOf, metaOf, readAll } from './support/cache-contract.js';

const IDLE = DEFAULT_POOL_IDLE_MS;

/**
 * Advances the mock clock by `periods` whole periods, one tick() each: the
 * trim timer re-arms from the time its callback runs, and the mock clock runs
 * callbacks at the end time of a tick(), so one tick() of several periods
 * would run the re-armed timer once, not once a period.
 */
function idle(t: { mock: { timers: { tick(ms: number): void } } }, periods: number, period = IDLE): void {
  for (let i = 0; i < periods; i++) t.mock.timers.tick(period);
}

/** Stores `blocks` whole blocks under a fresh root; returns the root. */
async function store(cache: MemoryCache, blocks: number, seed = blocks): Promise<string> {
  const root = randomUUID();
  await cache.put(metaOf(root, 'a', 0), [bytesOf(seed, blocks * BLOCK_BYTES)]);
  return root;
}

test('pool trim: the defaults are 64 MiB and one second', () => {
  assert.equal(DEFAULT_MAX_POOLED_BYTES, 64 * 1024 * 1024);
  assert.equal(DEFAULT_POOL_IDLE_MS, 1000);
  assert.equal(new MemoryCache().maxPooledBytes, DEFAULT_MAX_POOLED_BYTES);
});

test('pool trim: an emptied cache gives its free blocks back after two idle periods, then works as before', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const cache = new MemoryCache();
  await cache.delete(await store(cache, 3));
  assert.equal(cache.usedBytes, 0);
  assert.equal(cache.pooledBytes, 3 * BLOCK_BYTES, 'freed blocks are kept for reuse at first');
  t.mock.timers.tick(IDLE);
  assert.equal(cache.pooledBytes, 3 * BLOCK_BYTES, 'blocks freed during a period are not dropped at its end');
  t.mock.timers.tick(IDLE - 1);
  assert.equal(cache.pooledBytes, 3 * BLOCK_BYTES);
  t.mock.timers.tick(1);
  assert.equal(cache.pooledBytes, 0, 'a whole period untaken: dropped');
  idle(t, 10);
  assert.equal(cache.pooledBytes, 0);

  const root = randomUUID();
  const body = bytesOf(5, 2 * BLOCK_BYTES + 40_000);
  await cache.put(metaOf(root, 'b', 0), [body]);
  assert.equal(cache.pooledBytes, 0, 'fresh blocks, all in use');
  assert.deepEqual(await readAll(await cache.open(root, 'b')), body);
  await cache.close();
});

test('pool trim: a cache still holding documents gives back the free blocks it does not use', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const cache = new MemoryCache();
  const kept = await store(cache, 2, 1);
  await cache.delete(await store(cache, 4, 2));
  assert.equal(cache.pooledBytes, 4 * BLOCK_BYTES);
  idle(t, 2);
  assert.equal(cache.pooledBytes, 0);
  assert.equal(cache.usedBytes, 2 * BLOCK_BYTES);
  assert.deepEqual(await readAll(await cache.open(kept, 'a')), bytesOf(1, 2 * BLOCK_BYTES), 'stored bytes are untouched');
  await cache.close();
});

test('pool trim: expired and swept roots, failed messages: their blocks are given back too', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let now = 0;
  const cache = new MemoryCache({ ttlMs: 10, clock: () => now });
  await store(cache, 2);
  now += 100;
  assert.equal(await cache.sweep(), 1);
  const root = randomUUID();
  async function* failing(): AsyncGenerator<Uint8Array> {
    yield bytesOf(3, BLOCK_BYTES);
    throw new Error('peer went away');
  }
  await assert.rejects(cache.put(metaOf(root, 'x', 0), failing()), { code: ErrorCodes.ABORTED });
  assert.equal(cache.pooledBytes, 2 * BLOCK_BYTES, 'the failed message took one free block and gave it back');
  idle(t, 2);
  assert.equal(cache.pooledBytes, 0);
  assert.equal(cache.usedBytes, 0);
  await cache.close();
});

test('pool trim: under a steady load every message reuses free blocks, and the pool shrinks to what the load needs', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const cache = new MemoryCache();
  await cache.delete(await store(cache, 10)); // a burst
  assert.equal(cache.pooledBytes, 10 * BLOCK_BYTES);
  // Then two-block messages, each stored and deleted unread, four to a period, for five periods.
  for (let i = 0; i < 20; i++) {
    const before = cache.pooledBytes;
    const root = await store(cache, 2, 100 + i);
    const after = cache.pooledBytes;
    assert.equal(before - after, 2 * BLOCK_BYTES, `message ${i}: both blocks came from the free list`);
    t.mock.timers.tick(IDLE / 4);
    await cache.delete(root);
    t.mock.timers.tick(IDLE / 4);
    assert.ok(cache.pooledBytes >= 2 * BLOCK_BYTES, `message ${i}: its blocks went back`);
    if (i >= 8) {
      // Two periods on: the eight blocks only the burst needed are gone, the two the load needs stay.
      assert.equal(after, 0, `message ${i}: the free list held exactly what the message needed`);
      assert.equal(cache.pooledBytes, 2 * BLOCK_BYTES, `message ${i}`);
    }
  }
  await cache.close();
});

test('pool trim: maxPooledBytes bounds the free list (whole blocks, never above maxBytes); 0 keeps none', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const two = new MemoryCache({ maxPooledBytes: 2 * BLOCK_BYTES + BLOCK_BYTES / 2 });
  assert.equal(two.maxPooledBytes, 2 * BLOCK_BYTES);
  await two.delete(await store(two, 5));
  assert.equal(two.pooledBytes, 2 * BLOCK_BYTES, 'two blocks kept, three left to the GC');
  const root = await store(two, 3);
  assert.equal(two.pooledBytes, 0, 'two reused, one allocated');
  assert.deepEqual(await readAll(await two.open(root, 'a')), bytesOf(3, 3 * BLOCK_BYTES));

  const none = new MemoryCache({ maxPooledBytes: 0 });
  assert.equal(none.maxPooledBytes, 0);
  await none.delete(await store(none, 3));
  assert.equal(none.pooledBytes, 0);

  const capped = new MemoryCache({ maxBytes: 3 * BLOCK_BYTES, maxPooledBytes: 100 * BLOCK_BYTES });
  assert.equal(capped.maxPooledBytes, 3 * BLOCK_BYTES, 'never more than the byte cap');
  const big = new MemoryCache({ maxBytes: 4 * DEFAULT_MAX_POOLED_BYTES, maxPooledBytes: 2 * DEFAULT_MAX_POOLED_BYTES });
  assert.equal(big.maxPooledBytes, 2 * DEFAULT_MAX_POOLED_BYTES, 'above the default when asked');
  await Promise.all([two.close(), none.close(), capped.close(), big.close()]);
  assert.equal(two.maxPooledBytes, 0);
});

test('pool trim: poolIdleMs sets the period; null keeps free blocks until close()', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const quick = new MemoryCache({ poolIdleMs: 50 });
  await quick.delete(await store(quick, 2));
  t.mock.timers.tick(50);
  t.mock.timers.tick(49);
  assert.equal(quick.pooledBytes, 2 * BLOCK_BYTES);
  t.mock.timers.tick(1);
  assert.equal(quick.pooledBytes, 0, 'two periods of 50 ms');

  const slow = new MemoryCache({ poolIdleMs: 60_000 });
  await slow.delete(await store(slow, 2));
  idle(t, 10);
  assert.equal(slow.pooledBytes, 2 * BLOCK_BYTES, 'the default period does not apply');
  idle(t, 2, 60_000);
  assert.equal(slow.pooledBytes, 0);

  const never = new MemoryCache({ poolIdleMs: null });
  await never.delete(await store(never, 2));
  idle(t, 24, 3600_000);
  assert.equal(never.pooledBytes, 2 * BLOCK_BYTES);
  await never.close();
  assert.equal(never.pooledBytes, 0);
  await Promise.all([quick.close(), slow.close()]);
});

test('pool trim: close() stops the timer; a put that fails after close() leaves nothing behind', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const cache = new MemoryCache();
  await cache.delete(await store(cache, 2));
  await cache.close();
  assert.equal(cache.pooledBytes, 0);
  idle(t, 10); // a stray timer would find nothing to do; none runs
  assert.equal(cache.pooledBytes, 0);
});

test('pool trim: the timer never keeps the process alive', async () => {
  const refTimers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const before = refTimers();
  const cache = new MemoryCache({ poolIdleMs: 3_600_000 });
  await cache.delete(await store(cache, 1));
  assert.equal(cache.pooledBytes, BLOCK_BYTES, 'a free block: the trim timer is armed');
  assert.equal(refTimers(), before, 'and it is unref()\'d');
  await cache.close();
});

test('pool trim: bad maxPooledBytes or poolIdleMs is ERR_BAD_ARGUMENT', () => {
  for (const maxPooledBytes of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '5' as unknown as number]) {
    assert.throws(() => new MemoryCache({ maxPooledBytes }), (e: Error & { code?: string }) => {
      assert.equal(e.code, ErrorCodes.BAD_ARGUMENT);
      assert.match(e.message, /^maxPooledBytes must be a non-negative integer/);
      return true;
    }, String(maxPooledBytes));
  }
  for (const poolIdleMs of [0, -1, 1.5, 2 ** 31, Number.POSITIVE_INFINITY, '5' as unknown as number]) {
    assert.throws(() => new MemoryCache({ poolIdleMs }), (e: Error & { code?: string }) => {
      assert.equal(e.code, ErrorCodes.BAD_ARGUMENT);
      assert.match(e.message, /^poolIdleMs must be null or an integer from 1 to 2147483647/);
      return true;
    }, String(poolIdleMs));
  }
  assert.equal(new MemoryCache({ poolIdleMs: 2 ** 31 - 1, maxPooledBytes: 0 }).maxPooledBytes, 0);
});
