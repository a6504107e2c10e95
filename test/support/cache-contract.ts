/**
 * The document cache contract, as one suite every cache runs: MemoryCache,
 * FileCache and RedisCache each call {@link cacheContract} with a harness.
 * Side-effect free until called.
 */

import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { ErrorCodes, xopError, type AttachmentMeta, type DocumentCache } from '../../src/index.js';
import { StreamingDigest, xxh64Hex } from '../../src/cache/digest.js';
import { collectGarbage } from './gc.js';
import { chunk, SHARED_CORPUS_ABSENT, sharedBinaryFiles, sharedCorpusDir } from './corpus.js';

/** What a cache's test file provides to the contract suite. */
export interface ContractHarness {
  /** A fresh cache over its own storage (directory, key prefix...). */
  make(options?: { ttlMs?: number | null }): Promise<DocumentCache>;
  /** A second instance over the same storage (a restart); absent for caches that do not persist. */
  reopen?(cache: DocumentCache): Promise<DocumentCache>;
  /** How many staging leftovers (temporary files, staging keys) the cache's storage holds. */
  leftovers(cache: DocumentCache): Promise<number>;
  /** Makes the sink fail from now on (disk gone, Redis out of memory...); returns the undo. */
  breakSink?(cache: DocumentCache): Promise<() => Promise<void>>;
  /** The cache keeps bodies in the Node heap by design: the bounded-memory check does not apply. */
  heapResident?: boolean;
  /** The cache keeps the body views it is given (MemoryCache `retainViews`): bodies must not reuse their buffers. */
  retainsViews?: boolean;
}

const MiB = 1024 * 1024;

/** Deterministic bytes (xorshift32), different for each seed. */
export function bytesOf(seed: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Attachment meta for tests. */
export function metaOf(rootId: string, contentId: string | number, index: number,
  extra: Partial<AttachmentMeta> = {}): AttachmentMeta {
  return {
    properties: {
      wss_root_document_id: rootId,
      wss_attachment_content_id: contentId,
      wss_attachment_content_type: 'application/octet-stream',
    },
    index,
    contentLocation: null,
    contentTransferEncoding: null,
    ...extra,
  };
}

/** Reads a stream to the end. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const piece of stream) parts.push(Buffer.from(piece as Uint8Array));
  return Buffer.concat(parts);
}

/** Asserts that `promise` rejects with an XopError of `code`; returns the error. */
export async function rejectsWith(promise: Promise<unknown>, code: string): Promise<Error & { code: string }> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    assert.equal((error as { code?: string }).code, code, `expected ${code}, got ${String(error)}`);
    return true;
  });
  return caught as Error & { code: string };
}

/** Yields `pieces`, pausing a macrotask between them (so concurrent writers interleave). */
async function* interleaved(pieces: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const piece of pieces) {
    await new Promise((r) => setImmediate(r));
    yield piece;
  }
}

/** Yields `first`, then throws `error`. */
async function* failingAfter(first: Uint8Array, error: Error): AsyncGenerator<Uint8Array> {
  yield first;
  await new Promise((r) => setImmediate(r));
  throw error;
}

/** Yields `first`, then never yields again until `release` resolves. */
async function* stalledAfter(first: Uint8Array, release: Promise<void>): AsyncGenerator<Uint8Array> {
  yield first;
  await release;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Registers the contract suite for one cache.
 * @param getHarness called inside each test (so a harness may be set up in `before`)
 * @param skip a reason to skip the whole suite (only: the backend is absent)
 */
export function cacheContract(name: string, getHarness: () => ContractHarness, skip: string | null = null): void {
  describe(`${name}: document cache contract`, { skip: skip ?? false }, () => {
    async function withCache<T>(fn: (cache: DocumentCache, h: ContractHarness) => Promise<T>,
      options?: { ttlMs?: number | null }): Promise<T> {
      const h = getHarness();
      const cache = await h.make(options);
      try {
        return await fn(cache, h);
      } finally {
        await cache.close();
      }
    }

    test('put, list, open, delete: properties, size and xxh64 as specified', () => withCache(async (cache) => {
      const root = randomUUID();
      const pdf = bytesOf(1, 70_000);
      const jpeg = bytesOf(2, 1234);
      const writer = await cache.begin(root);
      assert.equal(writer.rootId, root);
      await writer.put(metaOf(root, 'part2@example.org', 2, {
        properties: { wss_root_document_id: root, wss_attachment_content_id: 'part2@example.org',
          wss_attachment_content_type: 'image/jpeg' },
        contentTransferEncoding: 'binary',
        referencedBy: [{ element: '{urn:x}photo', path: '/Envelope/Body/upload/photo', kind: 'xop' }],
      }), chunk(jpeg, 100));
      await writer.put(metaOf(root, 1, 1, {
        properties: { wss_root_document_id: root, wss_attachment_content_id: 1, wss_attachment_content_type: 'application/pdf' },
        contentLocation: 'http://example.org/a.pdf',
      }), [pdf]);
      const committed = await writer.commit();
      assert.deepEqual(committed.map((d) => d.index), [1, 2]);

      const docs = await cache.list(root);
      assert.equal(docs.length, 2);
      const [first, second] = docs as [typeof docs[0], typeof docs[0]];
      assert.deepEqual(first.properties, {
        wss_root_document_id: root, wss_attachment_content_id: 1, wss_attachment_content_type: 'application/pdf',
      });
      assert.equal(first.size, pdf.length);
      assert.equal(first.xxh64, await xxh64Hex(pdf));
      assert.match(first.xxh64, /^[0-9a-f]{16}$/);
      assert.equal(first.contentLocation, 'http://example.org/a.pdf');
      assert.equal(first.contentTransferEncoding, null);
      assert.deepEqual(first.referencedBy, []);
      assert.deepEqual(second.properties, {
        wss_root_document_id: root, wss_attachment_content_id: 'part2@example.org', wss_attachment_content_type: 'image/jpeg',
      });
      assert.equal(second.size, jpeg.length);
      assert.equal(second.xxh64, await xxh64Hex(jpeg));
      assert.equal(second.contentTransferEncoding, 'binary');
      assert.deepEqual(second.referencedBy, [{ element: '{urn:x}photo', path: '/Envelope/Body/upload/photo', kind: 'xop' }]);
      for (const d of docs) {
        assert.equal(typeof d.storedAt, 'number');
        assert.ok(d.expiresAt === null || d.expiresAt > d.storedAt);
      }
      assert.deepEqual(committed, docs);

      assert.ok((await readAll(await cache.open(root, 1))).equals(pdf));
      assert.ok((await readAll(await cache.open(root, '1'))).equals(pdf), 'a decimal string finds a part index');
      assert.ok((await readAll(await cache.open(root, 'part2@example.org'))).equals(jpeg));
      assert.ok((await readAll(await cache.open(root, '<part2@example.org>'))).equals(jpeg), '<id> finds Content-ID id');
      await rejectsWith(cache.open(root, 'nope'), ErrorCodes.CACHE_NOT_FOUND);
      await rejectsWith(cache.open(root, 0), ErrorCodes.CACHE_NOT_FOUND);
      await rejectsWith(cache.open(randomUUID(), 1), ErrorCodes.CACHE_NOT_FOUND);

      // Documents handed out are copies.
      docs[0]!.properties.wss_attachment_content_type = 'text/evil';
      assert.equal((await cache.list(root))[0]!.properties.wss_attachment_content_type, 'application/pdf');

      assert.equal(await cache.delete(root), true);
      assert.deepEqual(await cache.list(root), []);
      await rejectsWith(cache.open(root, 1), ErrorCodes.CACHE_NOT_FOUND);
      assert.equal(await cache.delete(root), false);
    }));

    test('list is in part order whatever the put order', () => withCache(async (cache) => {
      const root = randomUUID();
      const writer = await cache.begin(root);
      for (const index of [5, 0, 3, 1]) await writer.put(metaOf(root, `c${index}`, index), [bytesOf(index, 10)]);
      await writer.commit();
      assert.deepEqual((await cache.list(root)).map((d) => d.index), [0, 1, 3, 5]);
    }));

    test('a string Content-ID "7" and the part index 7 are different documents', () => withCache(async (cache) => {
      const root = randomUUID();
      await cache.put(metaOf(root, '7', 0), [Buffer.from('string id')]);
      await cache.put(metaOf(root, 7, 7), [Buffer.from('index id')]);
      assert.equal((await readAll(await cache.open(root, '7'))).toString(), 'string id');
      assert.equal((await readAll(await cache.open(root, 7))).toString(), 'index id');
      assert.equal((await cache.list(root)).length, 2);
    }));

    test('an empty attachment and a Node Readable body', () => withCache(async (cache) => {
      const root = randomUUID();
      const writer = await cache.begin(root);
      const empty = await writer.put(metaOf(root, 'empty', 0), []);
      assert.equal(empty.size, 0);
      assert.equal(empty.xxh64, 'ef46db3751d8e999'); // xxh64 of no bytes, seed 0
      const bytes = bytesOf(3, 300_000);
      await writer.put(metaOf(root, 'stream', 1), Readable.from(chunk(bytes, 16_384)));
      await writer.commit();
      assert.equal((await readAll(await cache.open(root, 'empty'))).length, 0);
      assert.ok((await readAll(await cache.open(root, 'stream'))).equals(bytes));
    }));

    test('nothing is visible before commit; commit of nothing creates nothing', () => withCache(async (cache, h) => {
      const root = randomUUID();
      const writer = await cache.begin(root);
      await writer.put(metaOf(root, 'a', 0), [Buffer.from('staged')]);
      assert.deepEqual(await cache.list(root), []);
      await rejectsWith(cache.open(root, 'a'), ErrorCodes.CACHE_NOT_FOUND);
      await writer.commit();
      assert.equal((await cache.list(root)).length, 1);

      const other = randomUUID();
      const idle = await cache.begin(other);
      assert.deepEqual(await idle.commit(), []);
      assert.deepEqual(await cache.list(other), []);
      assert.equal(await cache.delete(other), false);
      assert.equal(await h.leftovers(cache), 0);
    }));

    test('abort discards everything staged; the writer refuses further use', () => withCache(async (cache, h) => {
      const root = randomUUID();
      const writer = await cache.begin(root);
      await writer.put(metaOf(root, 'a', 0), [bytesOf(4, 100_000)]);
      await writer.put(metaOf(root, 'b', 1), [bytesOf(5, 10)]);
      await writer.abort();
      await writer.abort(); // idempotent
      assert.deepEqual(await cache.list(root), []);
      assert.equal(await h.leftovers(cache), 0);
      await rejectsWith(writer.put(metaOf(root, 'c', 2), []), ErrorCodes.BAD_ARGUMENT);
      await rejectsWith(writer.commit(), ErrorCodes.BAD_ARGUMENT);
    }));

    test('abort after commit is a no-op; put after commit is refused', () => withCache(async (cache) => {
      const root = randomUUID();
      const writer = await cache.begin(root);
      await writer.put(metaOf(root, 'a', 0), [Buffer.from('kept')]);
      await writer.commit();
      await writer.abort();
      assert.equal((await cache.list(root)).length, 1);
      await rejectsWith(writer.put(metaOf(root, 'b', 1), []), ErrorCodes.BAD_ARGUMENT);
    }));

    test('a body that throws mid-way: its XopError passes through, the whole message goes', () => withCache(async (cache, h) => {
      const root = randomUUID();
      const writer = await cache.begin(root);
      await writer.put(metaOf(root, 'first', 0), [bytesOf(6, 50_000)]);
      const malformed = xopError(ErrorCodes.MIME_TRUNCATED, 'the input ended inside a part', { offset: 1234 });
      const error = await rejectsWith(writer.put(metaOf(root, 'second', 1), failingAfter(bytesOf(7, 70_000), malformed)),
        ErrorCodes.MIME_TRUNCATED);
      assert.equal(error, malformed);
      assert.deepEqual(await cache.list(root), []);
      assert.equal(await h.leftovers(cache), 0, 'a failed put releases the whole message at once');
      await rejectsWith(writer.commit(), ErrorCodes.BAD_ARGUMENT);
      await writer.abort();
      assert.deepEqual(await cache.list(root), []);
    }));

    test('a body that fails with a plain error becomes ERR_ABORTED', () => withCache(async (cache, h) => {
      const root = randomUUID();
      const writer = await cache.begin(root);
      const error = await rejectsWith(writer.put(metaOf(root, 'x', 0), failingAfter(bytesOf(8, 1000), new Error('socket hang up'))),
        ErrorCodes.ABORTED);
      assert.match(error.message, /socket hang up/);
      assert.deepEqual(await cache.list(root), []);
      assert.equal(await h.leftovers(cache), 0);
    }));

    test('a body yielding something other than bytes is ERR_BAD_ARGUMENT', () => withCache(async (cache) => {
      const root = randomUUID();
      await rejectsWith(cache.put(metaOf(root, 'x', 0), ['text' as unknown as Uint8Array]), ErrorCodes.BAD_ARGUMENT);
      assert.deepEqual(await cache.list(root), []);
    }));

    test('abort() stops a put whose source is stalled', () => withCache(async (cache, h) => {
      const root = randomUUID();
      const writer = await cache.begin(root);
      let release!: () => void;
      const released = new Promise<void>((r) => { release = r; });
      const putting = writer.put(metaOf(root, 'stalled', 0), stalledAfter(bytesOf(9, 10_000), released));
      await new Promise((r) => setTimeout(r, 50));
      const commitWhileStreaming = writer.commit();
      await rejectsWith(commitWhileStreaming, ErrorCodes.BAD_ARGUMENT);
      await writer.abort();
      await rejectsWith(putting, ErrorCodes.ABORTED);
      release();
      assert.deepEqual(await cache.list(root), []);
      assert.equal(await h.leftovers(cache), 0);
    }));

    test('a failing sink: typed error, nothing visible, nothing left', async (t) => {
      const h = getHarness();
      if (h.breakSink === undefined) {
        t.diagnostic(`${name} has no external sink; its byte cap is tested in its own file`);
        return;
      }
      await withCache(async (cache) => {
        const kept = randomUUID();
        await cache.put(metaOf(kept, 'kept', 0), [Buffer.from('committed before the failure')]);
        const root = randomUUID();
        const writer = await cache.begin(root);
        await writer.put(metaOf(root, 'a', 0), [bytesOf(10, 5000)]);
        let undo: (() => Promise<void>) | undefined;
        async function* breaksMidway(): AsyncGenerator<Uint8Array> {
          yield bytesOf(11, 300_000);
          undo = await h.breakSink!(cache);
          for (let i = 0; i < 8; i++) yield bytesOf(12 + i, 300_000);
        }
        try {
          await rejectsWith(writer.put(metaOf(root, 'b', 1), breaksMidway()), ErrorCodes.CACHE_SINK_FAILED);
        } finally {
          await undo?.();
        }
        assert.deepEqual(await cache.list(root), []);
        assert.equal(await h.leftovers(cache), 0);
        assert.equal((await readAll(await cache.open(kept, 'kept'))).toString(), 'committed before the failure');
      });
    });

    test('one Content-ID per message and per root', () => withCache(async (cache, h) => {
      const root = randomUUID();
      const writer = await cache.begin(root);
      await writer.put(metaOf(root, 'same', 0), [Buffer.from('one')]);
      await rejectsWith(writer.put(metaOf(root, 'same', 1), [Buffer.from('two')]), ErrorCodes.CACHE_BAD_KEY);
      await writer.commit(); // a refused duplicate does not poison the writer
      await rejectsWith(cache.put(metaOf(root, 'same', 2), [Buffer.from('three')]), ErrorCodes.CACHE_BAD_KEY);
      const docs = await cache.list(root);
      assert.equal(docs.length, 1);
      assert.equal((await readAll(await cache.open(root, 'same'))).toString(), 'one');
      assert.equal(await h.leftovers(cache), 0);
    }));

    test('commits under one root add up and share one expiry', () => withCache(async (cache) => {
      const root = randomUUID();
      const a = await cache.put(metaOf(root, 'a', 0), [Buffer.from('A')]);
      await new Promise((r) => setTimeout(r, 5));
      const b = await cache.put(metaOf(root, 'b', 1), [Buffer.from('B')]);
      const docs = await cache.list(root);
      assert.deepEqual(docs.map((d) => d.properties.wss_attachment_content_id), ['a', 'b']);
      assert.equal(docs[0]!.storedAt, a.storedAt);
      assert.equal(docs[1]!.storedAt, b.storedAt);
      assert.equal(docs[0]!.expiresAt, b.expiresAt, 'the last commit restarts the whole root\'s expiry');
      assert.equal(docs[1]!.expiresAt, b.expiresAt);
    }));

    test('expiry by TTL: expired roots are invisible, sweep removes them', () => withCache(async (cache) => {
      const root = randomUUID();
      const doc = await cache.put(metaOf(root, 'a', 0), [Buffer.from('short-lived')]);
      assert.ok(doc.expiresAt !== null && doc.expiresAt - doc.storedAt === 300);
      assert.equal((await cache.list(root)).length, 1);
      await new Promise((r) => setTimeout(r, 700));
      assert.deepEqual(await cache.list(root), []);
      await rejectsWith(cache.open(root, 'a'), ErrorCodes.CACHE_NOT_FOUND);
      assert.ok((await cache.sweep()) >= 0);
      assert.deepEqual(await cache.list(root), []);
      assert.equal(await cache.delete(root), false, 'sweep removed it (or Redis expired it)');
    }, { ttlMs: 300 }));

    test('expiry by sweep(now): only roots expired at that time go', () => withCache(async (cache) => {
      const root = randomUUID();
      const doc = await cache.put(metaOf(root, 'a', 0), [Buffer.from('day-long')]);
      assert.equal(doc.expiresAt! - doc.storedAt, 24 * 3600_000);
      assert.equal(await cache.sweep(Date.now()), 0);
      assert.equal((await cache.list(root)).length, 1);
      assert.equal(await cache.sweep(Date.now() + 25 * 3600_000), 1);
      assert.deepEqual(await cache.list(root), []);
    }));

    test('ttlMs null keeps documents until deleted', () => withCache(async (cache) => {
      const root = randomUUID();
      const doc = await cache.put(metaOf(root, 'a', 0), [Buffer.from('forever')]);
      assert.equal(doc.expiresAt, null);
      assert.equal(await cache.sweep(Date.now() + 10 * 365 * 24 * 3600_000), 0);
      assert.equal((await cache.list(root))[0]!.expiresAt, null);
    }, { ttlMs: null }));

    test('concurrent writers: many messages at once, and several commits into one root', () => withCache(async (cache, h) => {
      const messages = Array.from({ length: 8 }, (_, m) => ({
        root: randomUUID(),
        bodies: [bytesOf(100 + m, 1 + m * 37_000), bytesOf(200 + m, 5000), bytesOf(300 + m, 123_457)],
      }));
      await Promise.all(messages.map(async ({ root, bodies }) => {
        const writer = await cache.begin(root);
        await Promise.all(bodies.map((b, i) => writer.put(metaOf(root, `p${i}@x`, i), interleaved(chunk(b, 8192)))));
        await writer.commit();
      }));
      const shared = randomUUID();
      const sharedBodies = Array.from({ length: 6 }, (_, i) => bytesOf(400 + i, 20_000 + i));
      await Promise.all(sharedBodies.map((b, i) => cache.put(metaOf(shared, i, i), interleaved(chunk(b, 4096)))));
      for (const { root, bodies } of messages) {
        const docs = await cache.list(root);
        assert.deepEqual(docs.map((d) => d.size), bodies.map((b) => b.length));
        for (let i = 0; i < bodies.length; i++) {
          assert.ok((await readAll(await cache.open(root, `p${i}@x`))).equals(bodies[i]!));
        }
      }
      assert.deepEqual((await cache.list(shared)).map((d) => d.properties.wss_attachment_content_id), [0, 1, 2, 3, 4, 5]);
      for (let i = 0; i < sharedBodies.length; i++) {
        assert.ok((await readAll(await cache.open(shared, i))).equals(sharedBodies[i]!));
      }
      assert.equal(await h.leftovers(cache), 0);
    }));

    test('hostile ids: traversal, NUL and slashes are data, never paths; bad root ids are refused', () => withCache(async (cache) => {
      const root = randomUUID();
      const hostile = ['../../../../etc/passwd', 'a/b/../../c', 'x\u0000y', '..\\..\\windows\\system32', '/absolute',
        '.', '..', '{other-root}', '*', 'é@例え.jp'];
      const writer = await cache.begin(root);
      for (const [i, id] of hostile.entries()) {
        await writer.put(metaOf(root, id, i, { contentLocation: `../../../tmp/evil-${i}/\u0000` }), [Buffer.from(`body ${i}`)]);
      }
      await writer.commit();
      const docs = await cache.list(root);
      assert.deepEqual(docs.map((d) => d.properties.wss_attachment_content_id), hostile);
      assert.equal(docs[0]!.contentLocation, '../../../tmp/evil-0/\u0000');
      for (const [i, id] of hostile.entries()) {
        assert.equal((await readAll(await cache.open(root, id))).toString(), `body ${i}`);
      }
      for (const bad of ['', '../x', 'a/b', 'x\u0000', '.hidden', '{tag}', 'a'.repeat(129), 'a b', 'a.b']) {
        await rejectsWith(cache.begin(bad), ErrorCodes.CACHE_BAD_KEY);
        await rejectsWith(cache.list(bad), ErrorCodes.CACHE_BAD_KEY);
        await rejectsWith(cache.open(bad, 'x'), ErrorCodes.CACHE_BAD_KEY);
        await rejectsWith(cache.delete(bad), ErrorCodes.CACHE_BAD_KEY);
        await rejectsWith(cache.put(metaOf(bad, 'x', 0), []), ErrorCodes.CACHE_BAD_KEY);
      }
      await rejectsWith(cache.open(root, ''), ErrorCodes.CACHE_BAD_KEY);
      await rejectsWith(cache.open(root, -1), ErrorCodes.CACHE_BAD_KEY);
      const w = await cache.begin(root);
      await rejectsWith(w.put(metaOf(root, '', 0), []), ErrorCodes.CACHE_BAD_KEY);
      await rejectsWith(w.put(metaOf(root, 1.5, 0), []), ErrorCodes.CACHE_BAD_KEY);
      await rejectsWith(w.put(metaOf(root, 'x'.repeat(5000), 0), []), ErrorCodes.CACHE_BAD_KEY);
      await rejectsWith(w.put(metaOf(randomUUID(), 'x', 0), []), ErrorCodes.CACHE_BAD_KEY);
      await rejectsWith(w.put(metaOf(root, 'x', -1), []), ErrorCodes.BAD_ARGUMENT);
      await w.abort();
    }));

    test('survives a restart: a new instance over the same storage sees the same documents', async (t) => {
      const h = getHarness();
      if (h.reopen === undefined) {
        t.diagnostic(`${name} does not persist: nothing to check`);
        return;
      }
      await withCache(async (cache) => {
        const root = randomUUID();
        const bytes = bytesOf(20, 100_000);
        await cache.put(metaOf(root, 'persisted', 0, { contentLocation: 'cid:persisted' }), [bytes]);
        const before = await cache.list(root);
        const again = await h.reopen!(cache);
        try {
          assert.deepEqual(await again.list(root), before);
          assert.ok((await readAll(await again.open(root, 'persisted'))).equals(bytes));
        } finally {
          await again.close();
        }
      });
    });

    test('a closed cache refuses work', async () => {
      const cache = await getHarness().make();
      await cache.close();
      await cache.close();
      await rejectsWith(cache.list(randomUUID()), ErrorCodes.BAD_ARGUMENT);
      await rejectsWith(cache.begin(randomUUID()), ErrorCodes.BAD_ARGUMENT);
    });

    test('real PDFs and JPEGs round-trip byte for byte (sha256)', async (t) => {
      if (sharedCorpusDir === null) {
        t.skip(SHARED_CORPUS_ABSENT);
        return;
      }
      const files = [...sharedBinaryFiles('pdf').slice(0, 3), ...sharedBinaryFiles('jpeg').slice(0, 3)];
      assert.ok(files.length > 0);
      await withCache(async (cache) => {
        const root = randomUUID();
        const writer = await cache.begin(root);
        for (const [i, file] of files.entries()) {
          const type = file.endsWith('.pdf') ? 'application/pdf' : 'image/jpeg';
          await writer.put(metaOf(root, `${i}@corpus`, i, {
            properties: { wss_root_document_id: root, wss_attachment_content_id: `${i}@corpus`, wss_attachment_content_type: type },
          }), fs.createReadStream(file, { highWaterMark: 16_384 }));
        }
        await writer.commit();
        const docs = await cache.list(root);
        for (const [i, file] of files.entries()) {
          const original = fs.readFileSync(file);
          assert.equal(docs[i]!.size, original.length);
          assert.equal(docs[i]!.xxh64, await xxh64Hex(original));
          assert.equal(sha256(await readAll(await cache.open(root, `${i}@corpus`))), sha256(original), file);
        }
      });
    });

    test('a 64 MiB attachment streams in and out with bounded memory (views of one reused buffer)', async (t) => {
      const h = getHarness();
      await withCache(async (cache) => {
        const root = randomUUID();
        const size = 64 * MiB;
        const piece = 64 * 1024;
        const expected = await StreamingDigest.create();
        // Measured after a full GC (two, see test/support/gc.ts): what the cache keeps alive, not how
        // far V8 lets garbage pile up before collecting and sweeping it (64 KiB stream buffers count as
        // external memory, collected in bulk; under c8 and a concurrent test file that lag alone came
        // to ~33 MiB).
        collectGarbage();
        const start = process.memoryUsage();
        let peakRss = start.rss;
        let peakJs = start.heapUsed + start.arrayBuffers;
        const sample = (): void => {
          collectGarbage();
          const m = process.memoryUsage();
          peakRss = Math.max(peakRss, m.rss);
          peakJs = Math.max(peakJs, m.heapUsed + m.arrayBuffers);
        };
        const scratch = Buffer.alloc(piece);
        async function* generate(): AsyncGenerator<Uint8Array> {
          for (let i = 0; i < size / piece; i++) {
            scratch.fill(i & 0xff);
            scratch.writeUInt32LE(i, (i * 4) % (piece - 4));
            expected.update(scratch);
            if ((i & 63) === 0) sample();
            // The same memory every time: a cache that kept a view would store garbage (one that is
            // promised fresh chunks gets a copy of each).
            yield h.retainsViews === true ? Buffer.from(scratch) : scratch;
          }
        }
        const doc = await cache.put(metaOf(root, 'big', 0), generate());
        sample();
        assert.equal(doc.size, size);
        assert.equal(doc.xxh64, expected.hex());
        const readBack = await StreamingDigest.create();
        let n = 0;
        for await (const bytes of await cache.open(root, 'big')) {
          readBack.update(bytes as Uint8Array);
          if ((n++ & 63) === 0) sample();
        }
        assert.equal(readBack.size, size);
        assert.equal(readBack.hex(), expected.hex());
        const growthRss = peakRss - start.rss;
        const growthJs = peakJs - (start.heapUsed + start.arrayBuffers);
        t.diagnostic(`${name}: 64 MiB through the cache; peak growth rss ${(growthRss / MiB).toFixed(1)} MiB, ` +
          `heap+arrayBuffers ${(growthJs / MiB).toFixed(1)} MiB`);
        if (h.heapResident !== true) { // a heap cache holds what it stores, by design
          assert.ok(growthJs < 32 * MiB, `heap+arrayBuffers grew ${growthJs} bytes for a 64 MiB attachment`);
          assert.ok(growthRss < 64 * MiB, `rss grew ${growthRss} bytes for a 64 MiB attachment`);
        }
        assert.equal(await cache.delete(root), true);
      });
    });
  });
}
