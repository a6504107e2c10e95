// MemoryCache: the contract suite, plus its byte cap (its "sink" is the heap).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { ErrorCodes, MemoryCache } from '../src/index.js';
import { bytesOf, cacheContract, metaOf, readAll, rejectsWith } from './support/cache-contract.js';

cacheContract('MemoryCache', () => ({
  make: async (options = {}) => new MemoryCache({ maxBytes: 512 * 1024 * 1024, ...options }),
  leftovers: async () => 0, // checked through usedBytes below
  heapResident: true,
}));

test('MemoryCache: a put over the byte cap fails with ERR_CACHE_FULL and releases the staged bytes', async () => {
  const cache = new MemoryCache({ maxBytes: 100_000 });
  const kept = randomUUID();
  await cache.put(metaOf(kept, 'a', 0), [bytesOf(1, 30_000)]);
  assert.equal(cache.usedBytes, 30_000);
  const root = randomUUID();
  const writer = await cache.begin(root);
  await writer.put(metaOf(root, 'b', 0), [bytesOf(2, 40_000)]);
  assert.equal(cache.usedBytes, 70_000, 'staged bytes count against the cap');
  const error = await rejectsWith(writer.put(metaOf(root, 'c', 1), [bytesOf(3, 20_000), bytesOf(4, 20_000)]),
    ErrorCodes.CACHE_FULL);
  assert.equal((error as unknown as { details: { limit: number; status: number } }).details.limit, 100_000);
  assert.equal((error as unknown as { details: { status: number } }).details.status, 413);
  assert.equal(cache.usedBytes, 30_000, 'the failed message released everything it staged');
  assert.deepEqual(await cache.list(root), []);
  assert.equal((await readAll(await cache.open(kept, 'a'))).length, 30_000);
  await cache.put(metaOf(root, 'd', 0), [bytesOf(5, 70_000)]); // the space is usable again
  assert.equal(cache.usedBytes, 100_000);
  assert.equal(await cache.delete(kept), true);
  assert.equal(cache.usedBytes, 70_000);
  assert.equal(cache.maxBytes, 100_000);
});

test('MemoryCache: expired roots make room before the cap refuses', async () => {
  let now = 1_000_000;
  const cache = new MemoryCache({ maxBytes: 50_000, ttlMs: 1000, clock: () => now });
  const old = randomUUID();
  await cache.put(metaOf(old, 'a', 0), [bytesOf(1, 40_000)]);
  now += 2000;
  const fresh = randomUUID();
  await cache.put(metaOf(fresh, 'b', 0), [bytesOf(2, 40_000)]);
  assert.equal(cache.usedBytes, 40_000);
  assert.deepEqual(await cache.list(old), []);
  assert.equal((await cache.list(fresh)).length, 1);
});

test('MemoryCache: an expired root is replaced, not merged into', async () => {
  let now = 5_000;
  const cache = new MemoryCache({ ttlMs: 100, clock: () => now });
  const root = randomUUID();
  await cache.put(metaOf(root, 'a', 0), [Buffer.from('old')]);
  now += 200;
  await cache.put(metaOf(root, 'a', 0), [Buffer.from('new')]); // no duplicate error: the old root expired
  assert.equal((await readAll(await cache.open(root, 'a'))).toString(), 'new');
  assert.equal(cache.usedBytes, 3);
});

test('MemoryCache: bad options are refused', () => {
  assert.throws(() => new MemoryCache({ maxBytes: -1 }), { code: ErrorCodes.BAD_ARGUMENT });
  assert.throws(() => new MemoryCache({ ttlMs: 0 }), { code: ErrorCodes.BAD_ARGUMENT });
  assert.throws(() => new MemoryCache({ ttlMs: 1.5 }), { code: ErrorCodes.BAD_ARGUMENT });
});
