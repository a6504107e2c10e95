/**
 * Where the attachment parts of a composed message come from: the document
 * cache (the platform's semantics: every attachment document stored under a
 * root document id) or the caller's own sources.
 *
 * Nothing is read here: each planned attachment knows how to open its bytes,
 * and the composer opens it only when the message reaches it, so a message
 * with many attachments holds one open source at a time.
 *
 * @module
 */

import type { Readable } from 'node:stream';
import type { AttachmentDocument, DocumentCache } from '../cache/types.js';
import { ErrorCodes, xopError } from '../errors.js';
import { parseContentType } from '../mime/content-type.js';
import { checkContentId, generateContentId } from './cid.js';

/**
 * Bytes of an attachment the caller provides. A Readable or async iterable
 * can be read only once; a function that opens the bytes (e.g.
 * `() => fs.createReadStream(file)`) is called each time the message is
 * produced, so such a message can be sent again (retries).
 */
export type AttachmentBody =
  | Readable
  | AsyncIterable<Uint8Array>
  | Uint8Array
  | (() => Readable | AsyncIterable<Uint8Array> | Promise<Readable | AsyncIterable<Uint8Array>>);

/** An attachment given directly to `compose()`. */
export interface AttachmentInput {
  /**
   * The part's Content-ID without angle brackets. A number is an integer index
   * (a part that had no Content-ID): it gets a generated Content-ID and the
   * XML's references to `cid:N` are rewritten. Absent: a generated Content-ID.
   */
  contentId?: string | number;
  /** The part's Content-Type, e.g. `application/pdf`. */
  contentType: string;
  /** The bytes. */
  body: AttachmentBody;
  /** Size in bytes when known (Uint8Array bodies know it): with every size known, Content-Length is set. */
  size?: number;
}

/** An attachment part as the composer writes it. */
export interface PlannedAttachment {
  /** Content-ID of the part, without angle brackets. */
  readonly contentId: string;
  readonly contentType: string;
  /** Exact size in bytes, or null when unknown (the message is then sent chunked). */
  readonly size: number | null;
  /** The integer index this part's Content-ID replaces, or null. */
  readonly replacesIndex: number | null;
  /** True when `open()` may be called again (cache documents and byte arrays). */
  readonly replayable: boolean;
  /** Where the bytes come from, for error messages. */
  readonly origin: string;
  /** Opens the bytes. */
  open(): Promise<AsyncIterable<Uint8Array>>;
}

/** Slice size for byte-array bodies: fine-grained enough for backpressure, views only. */
const ARRAY_SLICE = 64 * 1024;

function* slices(bytes: Uint8Array): Generator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += ARRAY_SLICE) yield bytes.subarray(i, Math.min(bytes.length, i + ARRAY_SLICE));
}

/** Checks a part Content-Type: parseable, and nothing that could break the header block. */
export function checkPartContentType(value: unknown, what: string): string {
  if (typeof value !== 'string' || /[\r\n\0]/.test(value)) {
    throw xopError(ErrorCodes.BAD_ARGUMENT, `${what}: contentType must be a single-line string`);
  }
  parseContentType(value);
  return value;
}

function checkSize(size: unknown, what: string): number | null {
  if (size === undefined || size === null) return null;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw xopError(ErrorCodes.BAD_ARGUMENT, `${what}: size must be a non-negative integer`);
  }
  return size;
}

/** Resolves a content id given as string, index or nothing into the Content-ID the part gets. */
function resolveContentId(id: string | number | undefined, ordinal: number, what: string):
  { contentId: string; replacesIndex: number | null } {
  if (typeof id === 'number') {
    if (!Number.isSafeInteger(id) || id < 0) {
      throw xopError(ErrorCodes.BAD_ARGUMENT, `${what}: an integer content id must be a non-negative integer`);
    }
    return { contentId: generateContentId(`part${id}`), replacesIndex: id };
  }
  if (id === undefined) return { contentId: generateContentId(`part${ordinal}`), replacesIndex: null };
  return { contentId: checkContentId(id), replacesIndex: null };
}

/** Plans the caller's own attachments; `firstOrdinal` numbers generated ids after the cache's. */
export function planDirectAttachments(inputs: readonly AttachmentInput[], firstOrdinal: number): PlannedAttachment[] {
  return inputs.map((input, i) => {
    const what = `attachments[${i}]`;
    if (input === null || typeof input !== 'object') throw xopError(ErrorCodes.BAD_ARGUMENT, `${what} must be an object`);
    const contentType = checkPartContentType(input.contentType, what);
    const { contentId, replacesIndex } = resolveContentId(input.contentId, firstOrdinal + i, what);
    const body = input.body;
    if (body instanceof Uint8Array) {
      const declared = checkSize(input.size, what);
      if (declared !== null && declared !== body.length) {
        throw xopError(ErrorCodes.BAD_ARGUMENT, `${what}: size ${declared} differs from the body's ${body.length} bytes`);
      }
      return {
        contentId, contentType, size: body.length, replacesIndex, replayable: true, origin: what,
        open: async () => slices(body) as unknown as AsyncIterable<Uint8Array>,
      };
    }
    if (typeof body === 'function') {
      return {
        contentId, contentType, size: checkSize(input.size, what), replacesIndex, replayable: true, origin: what,
        open: async () => {
          const opened = await body();
          if (opened === null || typeof opened !== 'object' || typeof (opened as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] !== 'function') {
            throw xopError(ErrorCodes.BAD_ARGUMENT, `${what}: the body function must return a Readable or an async iterable`);
          }
          return opened;
        },
      };
    }
    if (body === null || typeof body !== 'object' || typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] !== 'function') {
      throw xopError(ErrorCodes.BAD_ARGUMENT, `${what}: body must be a Uint8Array, a Readable or an async iterable`);
    }
    // Once-only: the message is not replayable, so recompose() never opens it twice.
    return {
      contentId, contentType, size: checkSize(input.size, what), replacesIndex, replayable: false, origin: what,
      open: async () => body as AsyncIterable<Uint8Array>,
    };
  });
}

/**
 * Plans the attachment documents stored under `rootId`, in part order,
 * optionally only those whose `wss_attachment_content_id` is in `filter`.
 *
 * @throws XopError `ERR_CACHE_NOT_FOUND` when the filter names a document the
 *   cache does not hold under that root id.
 */
export async function planCacheAttachments(
  cache: DocumentCache,
  rootId: string,
  filter: ReadonlyArray<string | number> | undefined,
): Promise<PlannedAttachment[]> {
  if (typeof rootId !== 'string' || rootId === '') {
    throw xopError(ErrorCodes.BAD_ARGUMENT, 'rootId must be a non-empty string');
  }
  let documents: AttachmentDocument[] = await cache.list(rootId);
  if (filter !== undefined) {
    const wanted = new Set(filter.map(String));
    documents = documents.filter((d) => wanted.has(String(d.properties.wss_attachment_content_id)));
    const found = new Set(documents.map((d) => String(d.properties.wss_attachment_content_id)));
    const missing = [...wanted].filter((id) => !found.has(id));
    if (missing.length > 0) {
      throw xopError(ErrorCodes.CACHE_NOT_FOUND,
        `no attachment document ${missing.map((m) => JSON.stringify(m)).join(', ')} under root id ${rootId}`);
    }
  }
  return documents.map((doc, i) => {
    const cacheId = doc.properties.wss_attachment_content_id;
    const what = `cache document ${JSON.stringify(String(cacheId))} of ${rootId}`;
    const contentType = checkPartContentType(doc.properties.wss_attachment_content_type || 'application/octet-stream', what);
    const { contentId, replacesIndex } = resolveContentId(cacheId, i, what);
    return {
      contentId, contentType, size: checkSize(doc.size, what), replacesIndex, replayable: true, origin: what,
      open: async () => cache.open(rootId, cacheId),
    };
  });
}
