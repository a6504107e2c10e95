/**
 * FileCache: the embedded default. Attachment documents on the local file
 * system, surviving restarts.
 *
 * Layout under `dir`:
 *
 * ```
 * <rootId>/meta.json          the root's documents (the only thing list/open trust)
 * <rootId>/<sha256>.bin       one body per attachment; the name is the SHA-256 of its content key
 * .tmp/<rootId>.<random>/     a message being staged
 * .tmp/trash.<random>/        a root being deleted
 * ```
 *
 * Nothing partial is ever visible:
 * - a body is written to `<sha256>.part` in the staging directory and renamed
 *   to `.bin` when complete;
 * - commit writes `meta.json` into the staging directory and renames the whole
 *   directory to `<rootId>` (one atomic rename); when the root already exists
 *   (a second commit under the same id) the bodies are moved in first and the
 *   new `meta.json` replaces the old one atomically (write to a temporary
 *   name, rename);
 * - delete renames `<rootId>` into `.tmp/` before removing it.
 * Root ids are validated (UUID-like) and file names are hashes, so no
 * Content-ID or Content-Location ever becomes part of a path.
 *
 * fsync policy (option `fsync`, default true): each body file is fsynced
 * before its rename, `meta.json` before its rename, and the directories whose
 * entries changed after the renames — so a committed root survives a power
 * loss, not just a process restart. `fsync: false` trades that for speed
 * (tests, scratch caches); atomicity against crashes of the process holds
 * either way.
 *
 * Concurrency: commits and deletes under one root id are serialised within a
 * process; across processes, creating a root is still atomic (a losing rename
 * falls back to merging) but two processes merging into one root at the same
 * moment may lose one commit's documents. Receivers use a fresh UUID per
 * message, so this does not arise in practice.
 *
 * @module
 */

import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { ErrorCodes, xopError } from '../errors.js';
import { sinkFailed, streamMeasured } from './digest.js';
import { expiresAtFrom, isExpired, resolveExpiry, type Expiry, type ExpiryOptions } from './expiry.js';
import { checkContentId, checkRootId, compareDocuments, findDocument, hashedName, type CheckedMeta } from './keys.js';
import type { AttachmentBody, AttachmentDocument, AttachmentMeta, CacheWriter, DocumentCache } from './types.js';
import { closedError, makeDocument, notFound, StagingWriter, withTimes, type Staged } from './writer.js';

/** Default age after which an unclaimed staging directory is removed by sweep(): one hour. */
export const DEFAULT_STALE_TEMP_MS = 60 * 60 * 1000;

/** Default size of the buffer that coalesces small chunks into one write: 64 KiB. */
export const DEFAULT_WRITE_BUFFER_BYTES = 64 * 1024;

/** Options of {@link FileCache}. */
export interface FileCacheOptions extends ExpiryOptions {
  /** The cache directory (created when missing). */
  dir: string;
  /** fsync bodies, metadata and directories on commit (default true); see the module notes. */
  fsync?: boolean;
  /** Age in ms after which sweep() removes a staging directory no writer of this process owns. Default one hour. */
  staleTempMs?: number;
  /**
   * Chunks smaller than a quarter of this are copied into a buffer of this
   * size and written together; larger chunks are written as they are.
   * Default 64 KiB. Each put holds at most this much beyond the chunk in hand.
   */
  writeBufferBytes?: number;
  /** High-water mark of the streams open() returns. Default 64 KiB. */
  readHighWaterMark?: number;
}

const META = 'meta.json';
const TMP = '.tmp';
const META_VERSION = 1;

/** Staging directories of live writers in this process (absolute paths), which sweep() must not touch. */
const activeStaging = new Set<string>();

interface MetaFile {
  version: number;
  rootId: string;
  expiresAt: number | null;
  documents: AttachmentDocument[];
}

function isNotFound(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function randomSuffix(): string {
  return randomBytes(8).toString('hex');
}

/** A document cache in a local directory (the embedded default). */
export class FileCache implements DocumentCache {
  /** The absolute cache directory. */
  readonly dir: string;
  readonly #expiry: Expiry;
  readonly #fsync: boolean;
  readonly #staleTempMs: number;
  readonly #writeBufferBytes: number;
  readonly #readHighWaterMark: number;
  readonly #locks = new Map<string, Promise<unknown>>();
  #ready: Promise<void> | undefined;
  #closed = false;

  constructor(options: FileCacheOptions) {
    if (options === null || typeof options !== 'object' || typeof options.dir !== 'string' || options.dir === '') {
      throw xopError(ErrorCodes.BAD_ARGUMENT, 'FileCache needs options.dir');
    }
    this.dir = path.resolve(options.dir);
    this.#expiry = resolveExpiry(options);
    this.#fsync = options.fsync ?? true;
    this.#staleTempMs = positiveInteger(options.staleTempMs ?? DEFAULT_STALE_TEMP_MS, 'staleTempMs');
    this.#writeBufferBytes = positiveInteger(options.writeBufferBytes ?? DEFAULT_WRITE_BUFFER_BYTES, 'writeBufferBytes');
    this.#readHighWaterMark = positiveInteger(options.readHighWaterMark ?? 64 * 1024, 'readHighWaterMark');
  }

  get #tmp(): string {
    return path.join(this.dir, TMP);
  }

  async begin(rootId: string): Promise<CacheWriter> {
    this.#assertOpen();
    checkRootId(rootId);
    await this.#ensureDirs();
    const staging = path.join(this.#tmp, `${rootId}.${randomSuffix()}`);
    try {
      await fs.mkdir(staging, { mode: 0o700 });
    } catch (error) {
      throw sinkFailed(error, 'cannot create a staging directory');
    }
    activeStaging.add(staging);
    return new FileWriter(this, rootId, staging);
  }

  async put(meta: AttachmentMeta, body: AttachmentBody): Promise<AttachmentDocument> {
    const writer = await this.begin(meta?.properties?.wss_root_document_id);
    try {
      await writer.put(meta, body);
      const [doc] = await writer.commit();
      return doc!;
    } finally {
      await writer.abort(); // a no-op after commit; cleans up after a put refused before staging
    }
  }

  async list(rootId: string): Promise<AttachmentDocument[]> {
    this.#assertOpen();
    const meta = await this.#readLiveMeta(checkRootId(rootId));
    if (meta === null) return [];
    return meta.documents.map((d) => withTimes(d, d.storedAt, meta.expiresAt)).sort(compareDocuments);
  }

  async open(rootId: string, contentId: string | number): Promise<Readable> {
    this.#assertOpen();
    checkRootId(rootId);
    checkContentId(contentId);
    const meta = await this.#readLiveMeta(rootId);
    const doc = meta === null ? undefined : findDocument(meta.documents, contentId);
    if (doc === undefined) throw notFound(rootId, contentId);
    const file = path.join(this.dir, rootId, hashedName(doc.properties.wss_attachment_content_id) + '.bin');
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, 'r');
    } catch (error) {
      if (isNotFound(error)) throw notFound(rootId, contentId); // deleted between reading meta and opening
      throw sinkFailed(error, 'cannot open the attachment');
    }
    return handle.createReadStream({ highWaterMark: this.#readHighWaterMark });
  }

  async delete(rootId: string): Promise<boolean> {
    this.#assertOpen();
    checkRootId(rootId);
    return this.#withLock(rootId, () => this.#remove(rootId));
  }

  async sweep(now: number = this.#expiry.clock()): Promise<number> {
    this.#assertOpen();
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch (error) {
      if (isNotFound(error)) return 0;
      throw sinkFailed(error, 'cannot read the cache directory');
    }
    let removed = 0;
    for (const name of names) {
      if (name === TMP || !isRootId(name)) continue;
      const gone = await this.#withLock(name, async () => {
        const meta = await this.#readMeta(name).catch(() => null); // a corrupt root is left for an operator
        return meta !== null && isExpired(meta.expiresAt, now) && (await this.#remove(name));
      });
      if (gone) removed++;
    }
    await this.#sweepTemp(now);
    return removed;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#locks.values()]);
  }

  async #sweepTemp(now: number): Promise<void> {
    let names: string[];
    try {
      names = await fs.readdir(this.#tmp);
    } catch {
      return; // no .tmp yet
    }
    for (const name of names) {
      const entry = path.join(this.#tmp, name);
      if (activeStaging.has(entry)) continue;
      const newest = await newestMtime(entry);
      if (newest !== null && now - newest > this.#staleTempMs) {
        await fs.rm(entry, { recursive: true, force: true }).catch(() => undefined);
      }
    }
  }

  async #ensureDirs(): Promise<void> {
    this.#ready ??= fs.mkdir(this.#tmp, { recursive: true, mode: 0o700 }).then(() => undefined);
    try {
      await this.#ready;
    } catch (error) {
      this.#ready = undefined;
      throw sinkFailed(error, `cannot create the cache directory ${this.dir}`);
    }
  }

  async #remove(rootId: string): Promise<boolean> {
    await this.#ensureDirs();
    const trash = path.join(this.#tmp, `trash.${randomSuffix()}`);
    try {
      await fs.rename(path.join(this.dir, rootId), trash);
    } catch (error) {
      if (isNotFound(error)) return false;
      throw sinkFailed(error, `cannot delete root ${rootId}`);
    }
    // Gone from view already; a failure to reclaim the space is left to sweep().
    await fs.rm(trash, { recursive: true, force: true }).catch(() => undefined);
    return true;
  }

  async #readMeta(rootId: string): Promise<MetaFile | null> {
    let text: string;
    try {
      text = await fs.readFile(path.join(this.dir, rootId, META), 'utf8');
    } catch (error) {
      if (isNotFound(error)) return null;
      throw sinkFailed(error, `cannot read the metadata of root ${rootId}`);
    }
    let meta: MetaFile;
    try {
      meta = JSON.parse(text) as MetaFile;
    } catch (error) {
      throw sinkFailed(error, `corrupt metadata for root ${rootId}`);
    }
    if (meta === null || typeof meta !== 'object' || meta.version !== META_VERSION || !Array.isArray(meta.documents)) {
      throw xopError(ErrorCodes.CACHE_SINK_FAILED, `unexpected metadata for root ${rootId}`, { status: 500 });
    }
    return meta;
  }

  async #readLiveMeta(rootId: string): Promise<MetaFile | null> {
    const meta = await this.#readMeta(rootId);
    return meta === null || isExpired(meta.expiresAt, this.#expiry.clock()) ? null : meta;
  }

  async #withLock<T>(rootId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(rootId) ?? Promise.resolve();
    const run = previous.then(task, task);
    const settled = run.catch(() => undefined);
    this.#locks.set(rootId, settled);
    try {
      return await run;
    } finally {
      if (this.#locks.get(rootId) === settled) this.#locks.delete(rootId);
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw closedError('FileCache');
  }

  async #syncDir(dir: string): Promise<void> {
    if (!this.#fsync) return;
    const handle = await fs.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async #writeMetaAtomically(dir: string, meta: MetaFile): Promise<void> {
    const temporary = path.join(dir, `${META}.${randomSuffix()}.tmp`);
    const handle = await fs.open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(JSON.stringify(meta), 'utf8');
      if (this.#fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await fs.rename(temporary, path.join(dir, META));
    } catch (error) {
      await fs.rm(temporary, { force: true });
      throw error;
    }
  }

  /** @internal Streams one body into `<staging>/<name>.part`, renames it to `.bin` when complete. */
  async writeBody(staging: string, name: string, body: AttachmentBody, signal: AbortSignal): Promise<{ size: number; xxh64: string }> {
    const part = path.join(staging, name + '.part');
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(part, 'wx', 0o600);
    } catch (error) {
      throw sinkFailed(error, 'cannot create an attachment file');
    }
    let open = true;
    let complete = false;
    try {
      const capacity = this.#writeBufferBytes;
      const direct = Math.max(1, capacity >> 2);
      const scratch = Buffer.allocUnsafe(capacity);
      let fill = 0;
      const flush = async (): Promise<void> => {
        if (fill > 0) await writeFully(handle, scratch.subarray(0, fill));
        fill = 0;
      };
      const measured = await streamMeasured(body, async (view) => {
        if (view.byteLength >= direct) {
          await flush();
          await writeFully(handle, view);
          return;
        }
        if (fill + view.byteLength > capacity) await flush();
        // Copy: coalesces small views into one write; the scratch is ours and written before reuse.
        scratch.set(view, fill);
        fill += view.byteLength;
      }, signal);
      try {
        await flush();
        if (this.#fsync) await handle.sync();
        open = false;
        await handle.close();
        await fs.rename(part, path.join(staging, name + '.bin'));
      } catch (error) {
        throw sinkFailed(error, 'cannot complete an attachment file');
      }
      complete = true;
      return measured;
    } finally {
      if (open) await handle.close().catch(() => undefined);
      if (!complete) await fs.rm(part, { force: true }).catch(() => undefined);
    }
  }

  /** @internal Makes a writer's staged documents visible (see the module notes). */
  async publish(rootId: string, staging: string, staged: Staged<string>[]): Promise<AttachmentDocument[]> {
    if (this.#closed) throw closedError('FileCache');
    if (staged.length === 0) {
      await this.discardStaging(staging);
      return [];
    }
    return this.#withLock(rootId, async () => {
      try {
        return await this.#publishLocked(rootId, staging, staged);
      } catch (error) {
        throw sinkFailed(error, `cannot commit root ${rootId}`);
      }
    });
  }

  async #publishLocked(rootId: string, staging: string, staged: Staged<string>[]): Promise<AttachmentDocument[]> {
    const now = this.#expiry.clock();
    const expiresAt = expiresAtFrom(now, this.#expiry.ttlMs);
    const docs = staged.map((s) => withTimes(s.doc, now, expiresAt));
    const target = path.join(this.dir, rootId);
    let existing = await this.#readMeta(rootId);
    if (existing !== null && isExpired(existing.expiresAt, now)) {
      await this.#remove(rootId); // an expired root is replaced, not merged into
      existing = null;
    }
    if (existing === null) {
      await this.#writeMetaAtomically(staging, { version: META_VERSION, rootId, expiresAt, documents: docs });
      await this.#syncDir(staging);
      try {
        await fs.rename(staging, target);
        activeStaging.delete(staging);
        await this.#syncDir(this.dir);
        return docs;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw error;
        existing = await this.#readMeta(rootId); // another process created the root meanwhile: merge
        if (existing === null) throw error;
      }
    }
    for (const s of staged) {
      const id = s.doc.properties.wss_attachment_content_id;
      if (existing.documents.some((d) => d.properties.wss_attachment_content_id === id)) {
        throw xopError(ErrorCodes.CACHE_BAD_KEY, `content id ${JSON.stringify(id)} already stored under root ${rootId}`,
          { status: 400 });
      }
    }
    const moved: string[] = [];
    try {
      for (const s of staged) {
        const destination = path.join(target, s.handle);
        await fs.rename(path.join(staging, s.handle), destination);
        moved.push(destination);
      }
      const documents = [...existing.documents.map((d) => withTimes(d, d.storedAt, expiresAt)), ...docs]
        .sort(compareDocuments);
      await this.#writeMetaAtomically(target, { version: META_VERSION, rootId, expiresAt, documents });
      await this.#syncDir(target);
    } catch (error) {
      // The moved bodies are not in meta.json (invisible); take them back out.
      await Promise.all(moved.map((m) => fs.rm(m, { force: true }).catch(() => undefined)));
      throw error;
    }
    await this.discardStaging(staging);
    return docs;
  }

  /** @internal Removes a staging directory. */
  async discardStaging(staging: string): Promise<void> {
    await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
    activeStaging.delete(staging);
  }
}

class FileWriter extends StagingWriter<string> {
  readonly #cache: FileCache;
  readonly #staging: string;

  constructor(cache: FileCache, rootId: string, staging: string) {
    super(rootId);
    this.#cache = cache;
    this.#staging = staging;
  }

  protected async stage(meta: CheckedMeta, key: string, body: AttachmentBody, signal: AbortSignal): Promise<Staged<string>> {
    const name = hashedName(meta.properties.wss_attachment_content_id);
    const measured = await this.#cache.writeBody(this.#staging, name, body, signal);
    const now = Date.now();
    return { key, doc: makeDocument(meta, measured, now, null), handle: name + '.bin' };
  }

  protected publish(staged: Staged<string>[]): Promise<AttachmentDocument[]> {
    return this.#cache.publish(this.rootId, this.#staging, staged);
  }

  protected discard(): Promise<void> {
    return this.#cache.discardStaging(this.#staging);
  }
}

async function writeFully(handle: fs.FileHandle, view: Uint8Array): Promise<void> {
  for (let at = 0; at < view.byteLength;) {
    const { bytesWritten } = await handle.write(view, at, view.byteLength - at);
    at += bytesWritten;
  }
}

async function newestMtime(entry: string): Promise<number | null> {
  try {
    const stat = await fs.stat(entry);
    let newest = stat.mtimeMs;
    if (stat.isDirectory()) {
      for (const name of await fs.readdir(entry)) {
        const child = await fs.stat(path.join(entry, name)).catch(() => null);
        if (child !== null && child.mtimeMs > newest) newest = child.mtimeMs;
      }
    }
    return newest;
  } catch {
    return null;
  }
}

function isRootId(name: string): boolean {
  try {
    checkRootId(name);
    return true;
  } catch {
    return false;
  }
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw xopError(ErrorCodes.BAD_ARGUMENT, `${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}
