/**
 * The all-or-nothing bookkeeping every cache's writer shares: states,
 * validation, duplicate Content-IDs, in-flight puts, and the rule that any
 * failure discards the whole message. Backends supply three steps: stage one
 * attachment, publish the staged set atomically, discard what was staged.
 *
 * @module
 */

import { ErrorCodes, xopError } from '../errors.js';
import { checkMeta, compareDocuments, contentKey, type CheckedMeta } from './keys.js';
import type { AttachmentBody, AttachmentDocument, AttachmentMeta, CacheWriter } from './types.js';

/** One staged attachment: its document and the backend's handle on its bytes. */
export interface Staged<H> {
  /** The canonical content key (see `contentKey`). */
  key: string;
  doc: AttachmentDocument;
  handle: H;
}

// Writer states.
const OPEN = 0; //       accepting puts
const COMMITTING = 1; // commit() running
const COMMITTED = 2; //  visible; further calls are errors (abort is a no-op)
const ABORTED = 3; //    discarded (explicitly or after a failure)

/**
 * Base of MemoryCache's, FileCache's and RedisCache's writers.
 *
 * - A put that fails (bad body, limit, sink) aborts the whole writer at once:
 *   its staged bytes are released before the put's promise rejects.
 * - abort() stops puts in flight (their body iteration rejects with
 *   `ERR_ABORTED` even when the source is stalled) and then discards.
 * - commit() while a put is in flight, or after a failure, is refused.
 */
export abstract class StagingWriter<H> implements CacheWriter {
  readonly rootId: string;
  #state = OPEN;
  readonly #abort = new AbortController();
  readonly #keys = new Set<string>();
  readonly #staged: Staged<H>[] = [];
  readonly #inFlight = new Set<Promise<unknown>>();
  #aborting: Promise<void> | undefined;
  #failure: unknown;

  protected constructor(rootId: string) {
    this.rootId = rootId;
  }

  /**
   * Streams one attachment into staging. On failure the backend must already
   * have removed that attachment's partial bytes. `signal` aborts the stream.
   */
  protected abstract stage(meta: CheckedMeta, key: string, body: AttachmentBody, signal: AbortSignal): Promise<Staged<H>>;

  /** Makes the staged attachments (in part order, maybe none) visible at once; returns the documents as stored. */
  protected abstract publish(staged: Staged<H>[]): Promise<AttachmentDocument[]>;

  /** Releases everything staged (called once, after every stage has settled). Must not throw. */
  protected abstract discard(staged: Staged<H>[]): Promise<void>;

  /** {@inheritDoc CacheWriter.put} */
  async put(meta: AttachmentMeta, body: AttachmentBody): Promise<AttachmentDocument> {
    this.#assertOpen('put');
    const checked = checkMeta(meta, this.rootId);
    const key = contentKey(checked.properties.wss_attachment_content_id);
    if (this.#keys.has(key)) {
      throw xopError(ErrorCodes.CACHE_BAD_KEY,
        `duplicate content id ${JSON.stringify(checked.properties.wss_attachment_content_id)} in one message`,
        { status: 400, part: checked.index });
    }
    this.#keys.add(key);
    const staging = this.stage(checked, key, body, this.#abort.signal);
    this.#inFlight.add(staging);
    try {
      const staged = await staging;
      this.#staged.push(staged);
      return staged.doc;
    } catch (error) {
      this.#failure ??= error;
      await this.#abortAll(error);
      throw error;
    } finally {
      this.#inFlight.delete(staging);
    }
  }

  /** {@inheritDoc CacheWriter.commit} */
  async commit(): Promise<AttachmentDocument[]> {
    this.#assertOpen('commit');
    if (this.#inFlight.size > 0) {
      throw xopError(ErrorCodes.BAD_ARGUMENT, 'commit() while a put() is still streaming');
    }
    this.#state = COMMITTING;
    const staged = [...this.#staged].sort((a, b) => compareDocuments(a.doc, b.doc));
    try {
      const docs = await this.publish(staged);
      this.#state = COMMITTED;
      return docs;
    } catch (error) {
      this.#failure = error;
      this.#state = ABORTED;
      await this.discard(this.#staged);
      throw error;
    }
  }

  /** {@inheritDoc CacheWriter.abort} */
  async abort(): Promise<void> {
    if (this.#state === COMMITTED || this.#state === COMMITTING) return;
    await this.#abortAll(xopError(ErrorCodes.ABORTED, 'the message was aborted'));
  }

  #abortAll(reason: unknown): Promise<void> {
    this.#aborting ??= (async () => {
      this.#state = ABORTED;
      this.#abort.abort(reason);
      await Promise.allSettled([...this.#inFlight]);
      await this.discard(this.#staged);
    })();
    return this.#aborting;
  }

  #assertOpen(what: string): void {
    if (this.#state === OPEN) return;
    const why = this.#state === COMMITTED ? 'already committed' : this.#state === COMMITTING ? 'committing'
      : this.#failure === undefined ? 'aborted' : 'aborted after a failure';
    throw xopError(ErrorCodes.BAD_ARGUMENT, `${what}() on a cache writer that is ${why}`,
      this.#failure === undefined ? {} : { cause: this.#failure });
  }
}

/**
 * An attachment document with its fields in a fixed order (the order the CLI
 * and receivers print them in).
 */
export function makeDocument(
  meta: CheckedMeta,
  measured: { size: number; xxh64: string }, storedAt: number, expiresAt: number | null,
): AttachmentDocument {
  return {
    properties: { ...meta.properties },
    size: measured.size,
    xxh64: measured.xxh64,
    index: meta.index,
    contentLocation: meta.contentLocation,
    contentTransferEncoding: meta.contentTransferEncoding,
    referencedBy: meta.referencedBy.map((r) => ({ ...r })),
    storedAt,
    expiresAt,
  };
}

/** A copy of `doc` with the root's current times (callers never get the cache's own objects). */
export function withTimes(doc: AttachmentDocument, storedAt: number, expiresAt: number | null): AttachmentDocument {
  return makeDocument(doc, doc, storedAt, expiresAt);
}

/** The error every cache throws when used after close(). */
export function closedError(name: string): Error {
  return xopError(ErrorCodes.BAD_ARGUMENT, `${name} is closed`);
}

/** The error for an unknown attachment. */
export function notFound(rootId: string, contentId: string | number): Error {
  return xopError(ErrorCodes.CACHE_NOT_FOUND,
    `no attachment ${JSON.stringify(contentId)} under root ${rootId}`, { status: 404 });
}
