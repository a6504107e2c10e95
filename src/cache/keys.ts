/**
 * Keys of the document cache: root ids, Content-IDs and what is derived from
 * them. Every cache validates through this module, so a hostile Content-ID
 * (`../x`, NUL, slashes) or root id never reaches a file path or a Redis key.
 *
 * - A root id is UUID-like: 1–128 characters of `[A-Za-z0-9_-]`, starting
 *   with a letter or digit. That is safe as a directory name on every file
 *   system, contains no glob or hash-tag characters for Redis, and admits
 *   `crypto.randomUUID()`.
 * - A Content-ID is any non-empty string up to {@link MAX_CONTENT_ID_LENGTH}
 *   characters (it is only ever stored as data and hashed), or a part index
 *   (a non-negative safe integer) for parts that carry no Content-ID.
 *
 * @module
 */

import { createHash } from 'node:crypto';
import { ErrorCodes, xopError } from '../errors.js';
import type { AttachmentDocument, AttachmentMeta, AttachmentReference } from './types.js';

/** A Content-ID without angle brackets, or the part index when the part has none. */
export type ContentId = string | number;

/** Longest Content-ID a cache accepts (far above any real peer's; keeps metadata small). */
export const MAX_CONTENT_ID_LENGTH = 4096;

const ROOT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const DECIMAL_INDEX = /^(?:0|[1-9][0-9]{0,15})$/;

/** Content type recorded for a part that has none (RFC 2046 §4.5.1 default for unknown data). */
export const DEFAULT_ATTACHMENT_CONTENT_TYPE = 'application/octet-stream';

function badKey(message: string): never {
  throw xopError(ErrorCodes.CACHE_BAD_KEY, message, { status: 400 });
}

function badArgument(message: string): never {
  throw xopError(ErrorCodes.BAD_ARGUMENT, message, { status: 400 });
}

/**
 * Checks a root id and returns it.
 * @throws XopError `ERR_CACHE_BAD_KEY` for anything but 1–128 `[A-Za-z0-9_-]` starting alphanumeric.
 */
export function checkRootId(rootId: unknown): string {
  if (typeof rootId !== 'string' || !ROOT_ID.test(rootId)) {
    badKey(`root id must be 1-128 characters of [A-Za-z0-9_-] (a UUID), got ${describe(rootId)}`);
  }
  return rootId;
}

/**
 * Checks a Content-ID (string) or part index (number) and returns it.
 * @throws XopError `ERR_CACHE_BAD_KEY`
 */
export function checkContentId(contentId: unknown): ContentId {
  if (typeof contentId === 'number') {
    if (!Number.isSafeInteger(contentId) || contentId < 0) {
      badKey(`a numeric content id must be a part index (a non-negative integer), got ${contentId}`);
    }
    return contentId;
  }
  if (typeof contentId !== 'string') badKey(`content id must be a string or a part index, got ${describe(contentId)}`);
  if (contentId.length === 0) badKey('content id must not be empty (use the part index for parts without one)');
  if (contentId.length > MAX_CONTENT_ID_LENGTH) {
    badKey(`content id longer than ${MAX_CONTENT_ID_LENGTH} characters`);
  }
  return contentId;
}

/**
 * The canonical key of a content id inside one root: `n:<index>` for part
 * indexes and `s:<Content-ID>` for strings, so Content-ID "3" and index 3 never
 * collide.
 */
export function contentKey(contentId: ContentId): string {
  return typeof contentId === 'number' ? `n:${contentId}` : `s:${contentId}`;
}

/**
 * A file-name-safe name for an attachment body: the SHA-256 of its content
 * key in hex. Derived from the id, never containing it, so no Content-ID (or
 * Content-Location) can steer a path; SHA-256 so that no peer can make two
 * ids collide.
 */
export function hashedName(contentId: ContentId): string {
  return createHash('sha256').update(contentKey(contentId), 'utf8').digest('hex');
}

/**
 * Finds the document a caller asked for. Exact matches win; then, for
 * callers that only have strings (the CLI, URLs), `<id>` matches the
 * Content-ID `id` and a decimal string matches a part index.
 */
export function findDocument(docs: readonly AttachmentDocument[], requested: ContentId): AttachmentDocument | undefined {
  const exact = docs.find((d) => d.properties.wss_attachment_content_id === requested);
  if (exact !== undefined || typeof requested === 'number') return exact;
  if (requested.length > 2 && requested.startsWith('<') && requested.endsWith('>')) {
    const inner = requested.slice(1, -1);
    const bracketed = docs.find((d) => d.properties.wss_attachment_content_id === inner);
    if (bracketed !== undefined) return bracketed;
  }
  if (DECIMAL_INDEX.test(requested)) {
    const index = Number(requested);
    return docs.find((d) => d.properties.wss_attachment_content_id === index);
  }
  return undefined;
}

/** Part order, then key order for equal indexes (a stable, total order). */
export function compareDocuments(a: AttachmentDocument, b: AttachmentDocument): number {
  if (a.index !== b.index) return a.index - b.index;
  const ka = contentKey(a.properties.wss_attachment_content_id);
  const kb = contentKey(b.properties.wss_attachment_content_id);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function checkNullableString(value: unknown, name: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') badArgument(`${name} must be a string or null`);
  return value;
}

function checkReferences(value: unknown): AttachmentReference[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) badArgument('referencedBy must be an array');
  return value.map((r: unknown) => {
    const ref = r as Partial<AttachmentReference> | null;
    if (ref === null || typeof ref !== 'object' || typeof ref.element !== 'string' || typeof ref.path !== 'string' ||
        (ref.kind !== 'xop' && ref.kind !== 'swaRef' && ref.kind !== 'location')) {
      badArgument('each referencedBy entry needs element, path and kind ("xop", "swaRef" or "location")');
    }
    return { element: ref.element, path: ref.path, kind: ref.kind };
  });
}

/** Attachment meta after {@link checkMeta}: every optional field filled in. */
export interface CheckedMeta extends AttachmentMeta {
  referencedBy: AttachmentReference[];
}

/**
 * Validates what a writer is given and returns a private copy (so a caller
 * mutating its object later cannot change what gets stored).
 * @throws XopError `ERR_CACHE_BAD_KEY` (root id, content id) or `ERR_BAD_ARGUMENT` (the rest)
 */
export function checkMeta(meta: AttachmentMeta, rootId: string): CheckedMeta {
  if (meta === null || typeof meta !== 'object' || meta.properties === null || typeof meta.properties !== 'object') {
    badArgument('attachment meta must be an object with properties');
  }
  const p = meta.properties;
  if (p.wss_root_document_id !== rootId) {
    badKey(`wss_root_document_id ${describe(p.wss_root_document_id)} does not match the writer's root id ${rootId}`);
  }
  const contentId = checkContentId(p.wss_attachment_content_id);
  const contentType = p.wss_attachment_content_type;
  if (contentType !== undefined && contentType !== null && typeof contentType !== 'string') {
    badArgument('wss_attachment_content_type must be a string');
  }
  if (!Number.isSafeInteger(meta.index) || meta.index < 0) badArgument('index must be a non-negative integer');
  return {
    properties: {
      wss_root_document_id: rootId,
      wss_attachment_content_id: contentId,
      wss_attachment_content_type: contentType === undefined || contentType === null || contentType === ''
        ? DEFAULT_ATTACHMENT_CONTENT_TYPE : contentType,
    },
    index: meta.index,
    contentLocation: checkNullableString(meta.contentLocation, 'contentLocation'),
    contentTransferEncoding: checkNullableString(meta.contentTransferEncoding, 'contentTransferEncoding'),
    referencedBy: checkReferences(meta.referencedBy),
  };
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? value.slice(0, 80) + '…' : value);
  return typeof value;
}
