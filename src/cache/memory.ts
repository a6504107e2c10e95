/**
 * MemoryCache: attachment documents in the Node heap, for tests and small
 * deployments. A byte cap bounds it (staged bytes count against the cap and
 * are released when a message fails); roots expire after a TTL.
 *
 * By default every body byte is copied into 64 KiB blocks (reused from a
 * per-cache free list that gives unused blocks back after `poolIdleMs`, see
 * memory-body.ts). With `retainViews` the cache keeps the caller's body views
 * instead of copying them.
 *
 * @module
 */

import { Readable } from 'node:stream';
import { ErrorCodes, xopError } from '../errors.js';
import { streamMeasured } from './digest.js';
import { expiresAtFrom, isExpired, resolveExpiry, type Expiry, type ExpiryOptions } from './expiry.js';
import { checkContentId, checkRootId, compareDocuments, findDocument, type CheckedMeta } from './keys.js';
import type { AttachmentBody, AttachmentDocument, AttachmentMeta, CacheWriter, DocumentCache } from './types.js';
import { BLOCK_BYTES, BlockPool, BodyBuilder, MAX_POOLED_BYTES, POOL_IDLE_MS, type StoredBody } from './memory-body.js';
import { closedError, makeDocument, notFound, StagingWriter, withTimes, type Staged } from './writer.js';

/** Default byte cap of a MemoryCache: 256 MiB. */
export const DEFAULT_MEMORY_CACHE_BYTES = 256 * 1024 * 1024;

/** Default {@link MemoryCacheOptions.maxPooledBytes}: 64 MiB. */
export const DEFAULT_MAX_POOLED_BYTES = MAX_POOLED_BYTES;

/** Default {@link MemoryCacheOptions.poolIdleMs}: one second. */
export const DEFAULT_POOL_IDLE_MS = POOL_IDLE_MS;

/** The longest delay a Node timer takes (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Options of {@link MemoryCache}. */
export interface MemoryCacheOptions extends ExpiryOptions {
  /**
   * Most bytes held at once, committed and staged together; a put that would
   * exceed it fails with `ERR_CACHE_FULL` (after expired roots are dropped).
   * Default {@link DEFAULT_MEMORY_CACHE_BYTES}.
   *
   * The cap counts the bytes of the stored bodies. Not counted: free 64 KiB
   * blocks kept for reuse (at most min(maxBytes,
   * {@link MemoryCacheOptions.maxPooledBytes}), given back when unused, see
   * {@link MemoryCacheOptions.poolIdleMs}), and with
   * {@link MemoryCacheOptions.retainViews} the rest of the input chunks that
   * retained views pin (at most 3 times the retained bytes).
   */
  maxBytes?: number;
  /**
   * Most bytes of free 64 KiB blocks kept for reuse (never more than
   * `maxBytes`); blocks freed beyond it are left to the GC. 0 keeps none:
   * every body gets fresh blocks. Default {@link DEFAULT_MAX_POOLED_BYTES}
   * (64 MiB).
   *
   * Blocks are freed by a failed message, and by an attachment deleted or
   * expired that no reader ever opened; a block `open()` handed to a reader
   * is never reused, whatever this bound.
   */
  maxPooledBytes?: number;
  /**
   * How long a free block may stay unused before the cache gives it back to
   * the GC, in milliseconds: every `poolIdleMs` the blocks that no body took
   * during the whole period are dropped. A steady load keeps the blocks one
   * period of it needs; an idle cache (empty or not) holds no free blocks at
   * most twice this after a block was last taken or freed. The timer runs
   * only while free blocks are held and never keeps the process alive (it is
   * unref()'d; close() stops it). `null` keeps free blocks until close().
   * Default {@link DEFAULT_POOL_IDLE_MS} (1 s).
   *
   * Not at the moment the cache becomes empty: a receiver that stores one
   * message at a time and deletes it is empty between every two messages,
   * and would then never reuse a block.
   */
  poolIdleMs?: number | null;
  /**
   * Keep the body views given to `put()` instead of copying them (zero-copy).
   * Default false: every byte is copied, which is always safe.
   *
   * Only for sources that never write into a chunk after handing it over:
   * Node streams (sockets, HTTP request bodies, `fs` read streams), the
   * default reader of a Web `ReadableStream` (`fetch` bodies), and receive()
   * over any of these (its part bodies are views of the source's chunks, or
   * fresh buffers of its own). Wrong for BYOB readers and for any source that
   * refills one buffer: the cache would then hold whatever was written last.
   *
   * The retain rule: a view is kept when it is at least 4 KiB and at least a
   * quarter of its ArrayBuffer, so that a kept view pins at most 4 times its
   * size; a smaller view (a part's last bytes at the start of a large chunk,
   * a tiny read) is copied, as are views of a SharedArrayBuffer. Readers of
   * `open()` get the kept views themselves: they must not write into them
   * either.
   */
  retainViews?: boolean;
}

interface StoredAttachment {
  doc: AttachmentDocument;
  body: StoredBody;
  /** Set once open() handed its chunks out: its blocks never go back to the pool (a reader may keep them). */
  opened: boolean;
}

interface MemoryRoot {
  /** By content key. */
  attachments: Map<string, StoredAttachment>;
  expiresAt: number | null;
}

/** A document cache in the Node heap. */
export class MemoryCache implements DocumentCache {
  readonly #roots = new Map<string, MemoryRoot>();
  readonly #expiry: Expiry;
  readonly #maxBytes: number;
  readonly #retainViews: boolean;
  readonly #pool: BlockPool;
  #usedBytes = 0;
  #closed = false;

  constructor(options: MemoryCacheOptions = {}) {
    this.#expiry = resolveExpiry(options);
    const maxBytes = options.maxBytes ?? DEFAULT_MEMORY_CACHE_BYTES;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
      throw xopError(ErrorCodes.BAD_ARGUMENT, `maxBytes must be a non-negative integer, got ${String(maxBytes)}`);
    }
    this.#maxBytes = maxBytes;
    this.#retainViews = options.retainViews === true;
    const maxPooledBytes = options.maxPooledBytes ?? DEFAULT_MAX_POOLED_BYTES;
    if (!Number.isSafeInteger(maxPooledBytes) || maxPooledBytes < 0) {
      throw xopError(ErrorCodes.BAD_ARGUMENT, `maxPooledBytes must be a non-negative integer, got ${String(maxPooledBytes)}`);
    }
    const poolIdleMs = options.poolIdleMs === undefined ? DEFAULT_POOL_IDLE_MS : options.poolIdleMs;
    if (poolIdleMs !== null && (!Number.isSafeInteger(poolIdleMs) || poolIdleMs < 1 || poolIdleMs > MAX_TIMER_MS)) {
      throw xopError(ErrorCodes.BAD_ARGUMENT,
        `poolIdleMs must be null or an integer from 1 to ${MAX_TIMER_MS}, got ${String(poolIdleMs)}`);
    }
    this.#pool = new BlockPool(Math.min(maxPooledBytes, maxBytes), poolIdleMs);
  }

  /** Bytes held now, committed and staged. */
  get usedBytes(): number {
    return this.#usedBytes;
  }

  /** The byte cap. */
  get maxBytes(): number {
    return this.#maxBytes;
  }

  /** Whether bodies are kept as the views given (see {@link MemoryCacheOptions.retainViews}). */
  get retainViews(): boolean {
    return this.#retainViews;
  }

  /**
   * Bytes of free blocks kept for reuse now (not counted in
   * {@link usedBytes}): at most min(`maxBytes`,
   * {@link MemoryCacheOptions.maxPooledBytes}), and back to 0 at most twice
   * {@link MemoryCacheOptions.poolIdleMs} after a block was last taken or
   * freed.
   */
  get pooledBytes(): number {
    return this.#pool.size * BLOCK_BYTES;
  }

  /**
   * The most bytes of free blocks this cache keeps:
   * {@link MemoryCacheOptions.maxPooledBytes}, capped at `maxBytes` and
   * rounded down to whole 64 KiB blocks; 0 once closed.
   */
  get maxPooledBytes(): number {
    return this.#pool.maxBlocks * BLOCK_BYTES;
  }

  async begin(rootId: string): Promise<CacheWriter> {
    this.#assertOpen();
    return new MemoryWriter(this, checkRootId(rootId));
  }

  async put(meta: AttachmentMeta, body: AttachmentBody): Promise<AttachmentDocument> {
    const writer = await this.begin(meta?.properties?.wss_root_document_id);
    await writer.put(meta, body);
    const [doc] = await writer.commit();
    return doc!;
  }

  async list(rootId: string): Promise<AttachmentDocument[]> {
    this.#assertOpen();
    const root = this.#live(checkRootId(rootId));
    if (root === undefined) return [];
    return [...root.attachments.values()]
      .map((a) => withTimes(a.doc, a.doc.storedAt, root.expiresAt))
      .sort(compareDocuments);
  }

  async open(rootId: string, contentId: string | number): Promise<Readable> {
    this.#assertOpen();
    checkRootId(rootId);
    checkContentId(contentId);
    const root = this.#live(rootId);
    const docs = root === undefined ? [] : [...root.attachments.values()].map((a) => a.doc);
    const doc = findDocument(docs, contentId);
    if (root === undefined || doc === undefined) throw notFound(rootId, contentId);
    const stored = [...root.attachments.values()].find((a) => a.doc === doc)!;
    stored.opened = true;
    // The stream keeps its own array of chunks: a delete() while it is read does not cut it short.
    return Readable.from(stored.body.chunks.slice(), { objectMode: false });
  }

  async delete(rootId: string): Promise<boolean> {
    this.#assertOpen();
    return this.#drop(checkRootId(rootId));
  }

  async sweep(now: number = this.#expiry.clock()): Promise<number> {
    this.#assertOpen();
    return this.#sweepAt(now);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#roots.clear();
    this.#pool.close();
    this.#usedBytes = 0;
  }

  #sweepAt(now: number): number {
    let removed = 0;
    for (const [rootId, root] of this.#roots) {
      if (isExpired(root.expiresAt, now) && this.#drop(rootId)) removed++;
    }
    return removed;
  }

  #drop(rootId: string): boolean {
    const root = this.#roots.get(rootId);
    if (root === undefined) return false;
    this.#roots.delete(rootId);
    for (const a of root.attachments.values()) {
      this.#usedBytes -= a.doc.size;
      if (!a.opened) this.#pool.give(a.body.blocks);
    }
    return true;
  }

  #live(rootId: string): MemoryRoot | undefined {
    const root = this.#roots.get(rootId);
    return root === undefined || isExpired(root.expiresAt, this.#expiry.clock()) ? undefined : root;
  }

  #assertOpen(): void {
    if (this.#closed) throw closedError('MemoryCache');
  }

  /** @internal Counts `n` more bytes against the cap. */
  reserve(n: number): void {
    if (this.#closed) throw closedError('MemoryCache');
    if (this.#usedBytes + n > this.#maxBytes) this.#sweepAt(this.#expiry.clock());
    if (this.#usedBytes + n > this.#maxBytes) {
      throw xopError(ErrorCodes.CACHE_FULL, `memory cache full (${this.#maxBytes} bytes)`,
        { limit: this.#maxBytes, status: 413 });
    }
    this.#usedBytes += n;
  }

  /** @internal Gives back `n` reserved bytes. */
  release(n: number): void {
    if (!this.#closed) this.#usedBytes -= n;
  }

  /** @internal A builder for one body, copying into this cache's pooled blocks. */
  bodyBuilder(): BodyBuilder {
    return new BodyBuilder(this.#pool, this.#retainViews);
  }

  /** @internal Takes back the blocks of a body nobody was given (a discarded message). */
  recycle(body: StoredBody): void {
    if (!this.#closed) this.#pool.give(body.blocks);
  }

  /** @internal Adds staged attachments to a root, all or none. */
  publish(rootId: string, staged: Staged<StoredBody>[]): AttachmentDocument[] {
    if (this.#closed) throw closedError('MemoryCache');
    if (staged.length === 0) return [];
    const now = this.#expiry.clock();
    const existing = this.#live(rootId);
    if (existing === undefined) this.#drop(rootId); // an expired root is replaced, not merged into
    for (const s of staged) {
      if (existing?.attachments.has(s.key) === true) {
        throw xopError(ErrorCodes.CACHE_BAD_KEY,
          `content id ${JSON.stringify(s.doc.properties.wss_attachment_content_id)} already stored under root ${rootId}`,
          { status: 400 });
      }
    }
    const root: MemoryRoot = existing ?? { attachments: new Map(), expiresAt: null };
    root.expiresAt = expiresAtFrom(now, this.#expiry.ttlMs);
    for (const s of staged) {
      root.attachments.set(s.key, { doc: withTimes(s.doc, now, null), body: s.handle, opened: false });
    }
    this.#roots.set(rootId, root);
    return staged.map((s) => withTimes(s.doc, now, root.expiresAt));
  }

  /** @internal */
  get expiry(): Expiry {
    return this.#expiry;
  }
}

class MemoryWriter extends StagingWriter<StoredBody> {
  readonly #cache: MemoryCache;

  constructor(cache: MemoryCache, rootId: string) {
    super(rootId);
    this.#cache = cache;
  }

  protected async stage(meta: CheckedMeta, key: string, body: AttachmentBody,
    signal: AbortSignal): Promise<Staged<StoredBody>> {
    const cache = this.#cache;
    const builder = cache.bodyBuilder();
    let reserved = 0;
    try {
      // A synchronous sink: streamMeasured awaits nothing but the body.
      const measured = await streamMeasured(body, (view) => {
        cache.reserve(view.byteLength);
        reserved += view.byteLength;
        builder.append(view);
      }, signal);
      const now = cache.expiry.clock();
      const doc = makeDocument(meta, measured, now, expiresAtFrom(now, cache.expiry.ttlMs));
      return { key, doc, handle: builder.finish() };
    } catch (error) {
      cache.release(reserved);
      builder.discard();
      throw error;
    }
  }

  protected async publish(staged: Staged<StoredBody>[]): Promise<AttachmentDocument[]> {
    return this.#cache.publish(this.rootId, staged);
  }

  protected async discard(staged: Staged<StoredBody>[]): Promise<void> {
    for (const s of staged) {
      this.#cache.release(s.doc.size);
      this.#cache.recycle(s.handle);
    }
    staged.length = 0;
  }
}
