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
  /** `xop` for an xop:Include, `swaRef` for a WS-I swaRef. */
  kind: 'xop' | 'swaRef';
}

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
  /** When it expires (ms since the epoch), or null for never. */
  expiresAt: number | null;
  referencedBy: AttachmentReference[];
}

/** Stages the attachments of one message; they become visible together on commit(). */
export interface CacheWriter {
  readonly rootId: string;
  /**
   * Streams one attachment in, honouring backpressure (the body iterable is
   * pulled no faster than the sink accepts). Computes size and xxh64 on the way.
   */
  put(meta: AttachmentMeta, body: AsyncIterable<Uint8Array>): Promise<AttachmentDocument>;
  /** Makes every staged attachment visible at once. */
  commit(): Promise<AttachmentDocument[]>;
  /** Discards everything staged. Safe to call more than once and after a failed put. */
  abort(): Promise<void>;
}

/** A document cache: memory, file (the embedded default) or Redis. */
export interface DocumentCache {
  /** Starts an all-or-nothing write of one message's attachments. */
  begin(rootId: string): Promise<CacheWriter>;
  /** Stores a single attachment atomically (begin + put + commit), adding to the root's documents. */
  put(meta: AttachmentMeta, body: AsyncIterable<Uint8Array>): Promise<AttachmentDocument>;
  /** The committed attachment documents under a root id, in part order; [] when unknown or expired. */
  list(rootId: string): Promise<AttachmentDocument[]>;
  /**
   * Streams an attachment's bytes out in chunks.
   * @throws XopError `ERR_CACHE_NOT_FOUND`
   */
  open(rootId: string, contentId: string | number): Promise<Readable>;
  /** Removes a root id and all its documents. Returns whether anything was removed. */
  delete(rootId: string): Promise<boolean>;
  /** Removes expired roots (and stale temporary files); returns how many roots went. */
  sweep(now?: number): Promise<number>;
  /** Releases connections, timers and handles. */
  close(): Promise<void>;
}
