// MemoryCache's free list of 64 KiB blocks: blocks of failed messages and of
// attachments deleted or expired unread are reused; blocks a reader was
// given never are; the list is bounded; no earlier message's bytes are
// reachable through a reused block. The clock is node:test's mock, so the
// free list's trim timer (test/cache-memory-pool-trim.test.ts) never runs
// here, however slow the machine: the counts below are exact.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, mock, test } from 'node:test';
import { ErrorCodes, MemoryCache } from '../src/index.js';
import { BLOCK_BYTES, MAX_POOLED_BYTES } from '../src/cache/memory-body.js';
import { bytesOf, metaOf, readAll, rejectsWith } from './support/cache-contract.js';

beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
afterEach(() => mock.timers.reset());

/** The chunks open() streams, as the Buffers it hands out. */
async function chunksOf(cache: MemoryCache, root: string, id: string | number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const piece of await cache.open(root, id)) out.push(piece as Buffer);
  return out;
}

test('MemoryCache pool: blocks of an attachment deleted unread are reused, and the new bytes read back', async () => {
  const cache = new MemoryCache();
  assert.equal(cache.retainViews, false);
  const first = randomUUID();
  await cache.put(metaOf(first, 'a', 0), [bytesOf(1, 3 * BLOCK_BYTES)]);
  assert.equal(cache.pooledBytes, 0);
  assert.equal(await cache.delete(first), true);
  assert.equal(cache.pooledBytes, 3 * BLOCK_BYTES, 'three blocks free');
  const second = randomUUID();
  const body = bytesOf(2, 2 * BLOCK_BYTES + 100);
  await cache.put(metaOf(second, 'b', 0), [body]);
  assert.equal(cache.pooledBytes, 1 * BLOCK_BYTES, 'two reused; the third was taken for the 100-byte tail and given back');
  assert.deepEqual(await readAll(await cache.open(second, 'b')), body);
});

test('MemoryCache pool: a block a reader was given is never reused, even after delete()', async () => {
  const cache = new MemoryCache();
  const root = randomUUID();
  const body = bytesOf(3, 2 * BLOCK_BYTES);
  await cache.put(metaOf(root, 'a', 0), [body]);
  const held = await chunksOf(cache, root, 'a'); // a reader keeps the chunks it was given
  await cache.delete(root);
  assert.equal(cache.pooledBytes, 0);
  const other = randomUUID();
  await cache.put(metaOf(other, 'b', 0), [bytesOf(4, 2 * BLOCK_BYTES)]);
  assert.deepEqual(Buffer.concat(held), body, 'the reader still sees its own bytes');
});

test('MemoryCache pool: a failed message gives its blocks back; the cap and all-or-nothing hold', async () => {
  const cache = new MemoryCache({ maxBytes: 10 * BLOCK_BYTES });
  const root = randomUUID();
  const writer = await cache.begin(root);
  await writer.put(metaOf(root, 'a', 0), [bytesOf(5, 2 * BLOCK_BYTES)]);
  async function* failing(): AsyncGenerator<Uint8Array> {
    yield bytesOf(6, BLOCK_BYTES + 10);
    throw new Error('socket closed');
  }
  await rejectsWith(writer.put(metaOf(root, 'b', 1), failing()), ErrorCodes.ABORTED);
  assert.equal(cache.usedBytes, 0);
  assert.deepEqual(await cache.list(root), []);
  assert.equal(cache.pooledBytes, 4 * BLOCK_BYTES, 'the staged attachment and the failed one: 2 + 2 blocks');

  // A commit refused (the Content-ID exists under the root) also gives the staged blocks back.
  const kept = randomUUID();
  await cache.put(metaOf(kept, 'x', 0), [bytesOf(7, BLOCK_BYTES)]);
  assert.equal(cache.pooledBytes, 3 * BLOCK_BYTES);
  const again = await cache.begin(kept);
  await again.put(metaOf(kept, 'x', 0), [bytesOf(8, BLOCK_BYTES)]);
  await rejectsWith(again.commit(), ErrorCodes.CACHE_BAD_KEY);
  assert.equal(cache.usedBytes, BLOCK_BYTES);
  assert.equal(cache.pooledBytes, 3 * BLOCK_BYTES);
  assert.deepEqual(await readAll(await cache.open(kept, 'x')), bytesOf(7, BLOCK_BYTES));
});

test('MemoryCache pool: expired roots give their blocks back on sweep', async () => {
  let now = 1_000;
  const cache = new MemoryCache({ ttlMs: 10, clock: () => now });
  const root = randomUUID();
  await cache.put(metaOf(root, 'a', 0), [bytesOf(9, BLOCK_BYTES)]);
  now += 100;
  assert.equal(await cache.sweep(), 1);
  assert.equal(cache.pooledBytes, BLOCK_BYTES);
});

test('MemoryCache pool: bounded by min(maxBytes, 64 MiB); close() empties it', async () => {
  const small = new MemoryCache({ maxBytes: 3 * BLOCK_BYTES + 5 });
  const root = randomUUID();
  await small.put(metaOf(root, 'a', 0), [bytesOf(1, 3 * BLOCK_BYTES)]);
  await small.delete(root);
  const writer = await small.begin(root);
  await writer.put(metaOf(root, 'a', 0), [bytesOf(2, 3 * BLOCK_BYTES)]);
  await writer.abort();
  assert.equal(small.pooledBytes, 3 * BLOCK_BYTES, 'never more than the cap');

  const big = new MemoryCache({ maxBytes: 3 * MAX_POOLED_BYTES });
  const roots = [randomUUID(), randomUUID()];
  const body = Buffer.alloc(MAX_POOLED_BYTES / 2 + BLOCK_BYTES, 7);
  for (const r of roots) await big.put(metaOf(r, 'a', 0), [body, body]);
  for (const r of roots) await big.delete(r);
  assert.equal(big.pooledBytes, MAX_POOLED_BYTES, 'never more than 64 MiB');
  await big.close();
  assert.equal(big.pooledBytes, 0);
});

test('MemoryCache pool: a put still streaming when the cache closes fails and leaves no free blocks behind', async () => {
  const cache = new MemoryCache();
  const root = randomUUID();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  async function* slow(): AsyncGenerator<Uint8Array> {
    yield bytesOf(1, 2 * BLOCK_BYTES);
    await gate;
    yield bytesOf(2, 10);
  }
  const putting = cache.put(metaOf(root, 'a', 0), slow());
  await new Promise((r) => setImmediate(r));
  await cache.close();
  release();
  await rejectsWith(putting, ErrorCodes.BAD_ARGUMENT); // "MemoryCache is closed"
  assert.equal(cache.pooledBytes, 0);
});

test('MemoryCache pool: no earlier bytes are reachable through a reused block, and small bodies get exact-size buffers', async () => {
  const cache = new MemoryCache();
  const first = randomUUID();
  await cache.put(metaOf(first, 'a', 0), [Buffer.alloc(2 * BLOCK_BYTES, 0xaa)]);
  await cache.delete(first);
  const second = randomUUID();
  const body = Buffer.alloc(BLOCK_BYTES + 40_000, 0x55); // the second block is 40,000 bytes full: kept
  await cache.put(metaOf(second, 'b', 0), [body]);
  const chunks = await chunksOf(cache, second, 'b');
  assert.deepEqual(Buffer.concat(chunks), body);
  for (const c of chunks) {
    assert.equal(Buffer.from(c.buffer).includes(0xaa), false, 'no byte of the first message in a reused block');
  }
  const tiny = randomUUID();
  await cache.put(metaOf(tiny, 't', 0), [Buffer.from('hello'), Buffer.from(' world')]);
  const [only, ...rest] = await chunksOf(cache, tiny, 't');
  assert.equal(rest.length, 0);
  assert.equal(only!.toString(), 'hello world');
  assert.equal(only!.buffer.byteLength, 11, 'an 11-byte attachment holds 11 bytes, not a block');
});
