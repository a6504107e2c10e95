/**
 * `cid:` URLs (RFC 2392) and Content-ID matching.
 *
 * RFC 2392 §2: a `cid:` URL is the Content-ID's addr-spec with URL-unsafe
 * characters %-encoded. So the href is percent-decoded, the Content-ID never
 * is, and both are compared without angle brackets. Any other scheme is
 * refused and never dereferenced (the CXF CVE-2022-46364 class: an
 * `xop:Include href="http://..."` or `file:` made the server fetch it).
 *
 * @module
 */

import { ErrorCodes, xopError, type XopErrorDetails } from '../errors.js';

/**
 * The Content-ID a `cid:` URL names: scheme checked (case-insensitively),
 * the rest percent-decoded, surrounding angle brackets (sent by some broken
 * peers) removed.
 *
 * @throws XopError `ERR_XOP_BAD_HREF` for any other scheme, an empty id or a
 *   malformed %-escape.
 */
export function contentIdFromCidUrl(href: string, details: XopErrorDetails = {}): string {
  const trimmed = href.trim();
  if (trimmed.length < 4 || trimmed.slice(0, 4).toLowerCase() !== 'cid:') {
    throw xopError(ErrorCodes.XOP_BAD_HREF,
      `href ${JSON.stringify(truncate(href))} is not a cid: URL; only cid: references are resolved, nothing else is fetched`,
      details);
  }
  let id: string;
  try {
    id = decodeURIComponent(trimmed.slice(4));
  } catch (cause) {
    throw xopError(ErrorCodes.XOP_BAD_HREF, `href ${JSON.stringify(truncate(href))} has a malformed %-escape (RFC 2392 §2)`,
      { ...details, cause });
  }
  id = stripBrackets(id);
  if (id.length === 0) {
    throw xopError(ErrorCodes.XOP_BAD_HREF, `href ${JSON.stringify(truncate(href))} names no Content-ID`, details);
  }
  return id;
}

/**
 * The `cid:` URL for a Content-ID (RFC 2392 §2): angle brackets removed,
 * characters outside the URL-safe set %-encoded; `@`, `:`, `/` and the
 * sub-delimiters that need no escaping in an XML attribute stay as they are.
 */
export function cidUrlOf(contentId: string): string {
  const id = stripBrackets(contentId);
  return 'cid:' + encodeURIComponent(id).replace(/%(40|3A|2F|24|2B|2C|3B|3D)/gi, (m) => decodeURIComponent(m));
}

/** True when a Content-ID header value (with or without <>) is the id a `cid:` href named. */
export function contentIdMatches(contentIdHeader: string | null | undefined, cid: string): boolean {
  if (contentIdHeader === null || contentIdHeader === undefined) return false;
  return stripBrackets(contentIdHeader) === cid;
}

function stripBrackets(value: string): string {
  const t = value.trim();
  if (t.length >= 2 && t.charCodeAt(0) === 0x3c && t.charCodeAt(t.length - 1) === 0x3e) return t.slice(1, -1).trim();
  return t;
}

function truncate(value: string): string {
  return value.length > 200 ? value.slice(0, 200) + '…' : value;
}
