/**
 * MemoryCache: attachment documents in the Node heap, for tests and small
 * deployments. A byte cap bounds it (staged bytes count against the cap and
 * are released when a message fails); roots expire after a TTL.
 *
 * @module
 */

import { Readable } from 'node:stream';
import { ErrorCodes, xopError } from '../errors.js';
import { streamMeasured } from './digest.js';
import { expiresAtFrom, isExpired, resolveExpiry, type Expiry, type ExpiryOptions } from './expiry.js';
import { checkContentId, checkRootId, compareDocuments, findDocument, type CheckedMeta } from './keys.js';
import type { AttachmentBody, AttachmentDocument, AttachmentMeta, CacheWriter, DocumentCache } from './types.js';
import { closedError, makeDocument, notFound, StagingWriter, withTimes, type Staged } from './writer.js';

/** Default byte cap of a MemoryCache: 256 MiB. */
export const DEFAULT_MEMORY_CACHE_BYTES = 256 * 1024 * 1024;

/** Bytes are kept in blocks of this size (a 1 GiB body is 16384 blocks, not one huge allocation). */
const BLOCK_BYTES = 64 * 1024;

/** Options of {@link MemoryCache}. */
export interface MemoryCacheOptions extends ExpiryOptions {
  /**
   * Most bytes held at once, committed and staged together; a put that would
   * exceed it fails with `ERR_CACHE_FULL` (after expired roots are dropped).
   * Default {@link DEFAULT_MEMORY_CACHE_BYTES}.
   */
  maxBytes?: number;
}

interface StoredAttachment {
  doc: AttachmentDocument;
  blocks: Buffer[];
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
  #usedBytes = 0;
  #closed = false;

  constructor(options: MemoryCacheOptions = {}) {
    this.#expiry = resolveExpiry(options);
    const maxBytes = options.maxBytes ?? DEFAULT_MEMORY_CACHE_BYTES;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
      throw xopError(ErrorCodes.BAD_ARGUMENT, `maxBytes must be a non-negative integer, got ${String(maxBytes)}`);
    }
    this.#maxBytes = maxBytes;
  }

  /** Bytes held now, committed and staged. */
  get usedBytes(): number {
    return this.#usedBytes;
  }

  /** The byte cap. */
  get maxBytes(): number {
    return this.#maxBytes;
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
    // The stream keeps its own array of blocks: a delete() while it is read does not cut it short.
    return Readable.from(stored.blocks.slice(), { objectMode: false });
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
    for (const a of root.attachments.values()) this.#usedBytes -= a.doc.size;
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

  /** @internal Adds staged attachments to a root, all or none. */
  publish(rootId: string, staged: Staged<Buffer[]>[]): AttachmentDocument[] {
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
      root.attachments.set(s.key, { doc: withTimes(s.doc, now, null), blocks: s.handle });
    }
    this.#roots.set(rootId, root);
    return staged.map((s) => withTimes(s.doc, now, root.expiresAt));
  }

  /** @internal */
  get expiry(): Expiry {
    return this.#expiry;
  }
}

class MemoryWriter extends StagingWriter<Buffer[]> {
  readonly #cache: MemoryCache;

  constructor(cache: MemoryCache, rootId: string) {
    super(rootId);
    this.#cache = cache;
  }

  protected async stage(meta: CheckedMeta, key: string, body: AttachmentBody,
    signal: AbortSignal): Promise<Staged<Buffer[]>> {
    const blocks: Buffer[] = [];
    let block = Buffer.allocUnsafe(BLOCK_BYTES);
    let fill = 0;
    let reserved = 0;
    try {
      const measured = await streamMeasured(body, (view) => {
        this.#cache.reserve(view.byteLength);
        reserved += view.byteLength;
        for (let at = 0; at < view.byteLength;) {
          if (fill === BLOCK_BYTES) {
            blocks.push(block);
            block = Buffer.allocUnsafe(BLOCK_BYTES);
            fill = 0;
          }
          const n = Math.min(BLOCK_BYTES - fill, view.byteLength - at);
          // Copy: stored bytes must outlive the source's views (which may be reused or pin whole input chunks).
          block.set(view.subarray(at, at + n), fill);
          fill += n;
          at += n;
        }
      }, signal);
      // Copy: trims the last block so a small attachment does not hold a whole 64 KiB block.
      if (fill > 0) blocks.push(fill === BLOCK_BYTES ? block : Buffer.from(block.subarray(0, fill)));
      const now = this.#cache.expiry.clock();
      const doc = makeDocument(meta, measured, now, expiresAtFrom(now, this.#cache.expiry.ttlMs));
      return { key, doc, handle: blocks };
    } catch (error) {
      this.#cache.release(reserved);
      throw error;
    }
  }

  protected async publish(staged: Staged<Buffer[]>[]): Promise<AttachmentDocument[]> {
    return this.#cache.publish(this.rootId, staged);
  }

  protected async discard(staged: Staged<Buffer[]>[]): Promise<void> {
    for (const s of staged) this.#cache.release(s.doc.size);
    staged.length = 0;
  }
}
