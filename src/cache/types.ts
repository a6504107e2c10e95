/**
 * The document cache contract (the integration platform's semantics).
 *
 * A cache has one index with one key, `wss_root_document_id`: every
 * attachment document of a message is stored under its root document's id.
 * Writes are all-or-nothing per message: a {@link CacheWriter} stages the
 * attachments of one message and they become visible together on `commit()`;
 * `abort()` (or any failure) leaves nothing behind.
 *
 * @module
 */

import type { Readable } from 'node:stream';

/** The three properties the platform defines on an attachment document. */
export interface AttachmentProperties {
  /** The root document's id (`crypto.randomUUID()`), the cache key. */
  wss_root_document_id: string;
  /** The part's Content-ID without angle brackets; where the part has none, its integer index. */
  wss_attachment_content_id: string | number;
  /** The part's Content-Type as received (`application/octet-stream` when absent). */
  wss_attachment_content_type: string;
}

/** Where an MTOM attachment was referenced from (the element holding the xop:Include). */
export interface AttachmentReference {
  /** `{namespace}localName` of the element that holds the xop:Include (or the swaRef text). */
  element: string;
  /** Slash-separated path of qualified names from the Envelope down to that element. */
  path: string;
  /**
   * `xop` for an xop:Include, `swaRef` for a WS-I swaRef or an `href="cid:…"`,
   * `location` for an `href` that names the part by its Content-Location
   * (SwA Note 2000 §3, RFC 2557).
   */
  kind: 'xop' | 'swaRef' | 'location';
}

/**
 * An attachment's bytes: any async iterable of chunks (a Node Readable, a
 * part body from parseMultipart) or, for tests and small payloads, a plain
 * iterable. Chunks are read synchronously and not kept, so views of reused
 * memory are safe.
 */
export type AttachmentBody = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** What the writer of an attachment knows before its bytes arrive. */
export interface AttachmentMeta {
  properties: AttachmentProperties;
  /** Position of the part in its MIME message, from 0. */
  index: number;
  contentLocation: string | null;
  contentTransferEncoding: string | null;
  /** For MTOM/swaRef: the references to this part found in the root document. */
  referencedBy?: AttachmentReference[];
}

/** An attachment document as stored: its metadata plus what streaming it in measured. */
export interface AttachmentDocument extends AttachmentMeta {
  /** Decoded body size in bytes. */
  size: number;
  /** xxh64 of the decoded body (xxhash-wasm), 16 lower-case hex digits. */
  xxh64: string;
  /** When it was stored (ms since the epoch). */
  storedAt: number;
  /** When it expires (ms since the epoch), or null for never. All documents of a root expire together. */
  expiresAt: number | null;
  referencedBy: AttachmentReference[];
}

/** Stages the attachments of one message; they become visible together on commit(). */
export interface CacheWriter {
  readonly rootId: string;
  /**
   * Streams one attachment in, honouring backpressure (the body iterable is
   * pulled no faster than the sink accepts). Computes size and xxh64 on the way.
   *
   * Any failure (the body throws, a limit, the sink) discards the whole
   * message at once: the writer is aborted and its staged bytes released
   * before the promise rejects. Puts may run concurrently; each Content-ID may
   * appear once per message (`ERR_CACHE_BAD_KEY` otherwise, without aborting).
   * The returned document's `storedAt`/`expiresAt` are provisional: commit()
   * returns the final ones.
   *
   * @throws XopError the body's own XopError unchanged; `ERR_ABORTED` when the
   *   body fails otherwise or abort() is called; `ERR_CACHE_FULL`;
   *   `ERR_CACHE_SINK_FAILED`; `ERR_CACHE_BAD_KEY`; `ERR_BAD_ARGUMENT`.
   */
  put(meta: AttachmentMeta, body: AttachmentBody): Promise<AttachmentDocument>;
  /**
   * Makes every staged attachment visible at once, adding them to whatever
   * the root already holds, and (re)starts the root's expiry. Refused while a
   * put is streaming or after a failure. With nothing staged, creates nothing
   * and returns [].
   * @throws XopError `ERR_CACHE_BAD_KEY` when a Content-ID is already stored
   *   under the root; `ERR_CACHE_SINK_FAILED`; `ERR_BAD_ARGUMENT`. The writer is
   *   aborted on failure.
   */
  commit(): Promise<AttachmentDocument[]>;
  /**
   * Discards everything staged; puts still streaming reject with `ERR_ABORTED`
   * (even when their source is stalled). Resolves when the staged bytes are
   * gone. Safe to call more than once, after a failed put, and after commit
   * (then a no-op).
   */
  abort(): Promise<void>;
}

/** A document cache: memory, file (the embedded default) or Redis. */
export interface DocumentCache {
  /** Starts an all-or-nothing write of one message's attachments. */
  begin(rootId: string): Promise<CacheWriter>;
  /** Stores a single attachment atomically (begin + put + commit), adding to the root's documents. */
  put(meta: AttachmentMeta, body: AttachmentBody): Promise<AttachmentDocument>;
  /**
   * The committed attachment documents under a root id, in part order; [] when unknown or expired.
   * @throws XopError `ERR_CACHE_BAD_KEY` for a root id that is not UUID-like (1-128 of `[A-Za-z0-9_-]`).
   */
  list(rootId: string): Promise<AttachmentDocument[]>;
  /**
   * Streams an attachment's bytes out in chunks (with backpressure: nothing
   * reads ahead more than the stream's high-water mark). `contentId` matches
   * exactly; a string `<id>` also matches Content-ID `id`, and a decimal
   * string also matches a part index (for callers that only have strings).
   * @throws XopError `ERR_CACHE_NOT_FOUND`, `ERR_CACHE_BAD_KEY`
   */
  open(rootId: string, contentId: string | number): Promise<Readable>;
  /** Removes a root id and all its documents. Returns whether anything was removed. */
  delete(rootId: string): Promise<boolean>;
  /**
   * Removes roots expired at `now` (default: the cache's clock) and stale
   * temporary files; returns how many roots went.
   */
  sweep(now?: number): Promise<number>;
  /** Releases connections, timers and handles. Further calls fail with `ERR_BAD_ARGUMENT`. */
  close(): Promise<void>;
}
