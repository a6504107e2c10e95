/**
 * `cid:` URLs (RFC 2392) and Content-ID matching: the one implementation the
 * receive side (scanner, resolver) and the send side (`src/send/cid.ts`,
 * composer, optimizer) share.
 *
 * RFC 2392 §2: a `cid:` URL is the Content-ID's addr-spec with the characters
 * that are not allowed in a URL %-encoded. So an href is percent-decoded and
 * compared with the Content-ID without angle brackets. What peers do:
 *
 * - WCF writes `Content-ID: <http://tempuri.org/1/632618206521093670>` and
 *   `href="cid:http%3A%2F%2Ftempuri.org%2F1%2F632618206521093670"` (every
 *   reserved character escaped; its reader unescapes with
 *   `Uri.UnescapeDataString`).
 * - Metro, CXF, Axis2/Axiom and gSOAP write the id as it is
 *   (`cid:1.urn:uuid:…@apache.org`, `cid:uuid@example.jaxws.sun.com`);
 *   Metro and CXF read it back with Java's `URLDecoder`, which also turns `+`
 *   into a space, so a `+` must go out as `%2B`.
 * - Some senders put the escaped form in the Content-ID header as well (CXF,
 *   for an element namespace without a host), or escape an id the header
 *   carries unescaped, and a few repeat the scheme in the header
 *   (`<cid:a@x>`): so a header value is also compared in its percent-decoded
 *   and scheme-less forms ({@link contentIdMatchKeys}), exact matches first.
 *
 * Any other scheme is refused and never dereferenced (the CXF CVE-2022-46364
 * class: an `xop:Include href="http://..."` or `file:` made the server fetch
 * it).
 *
 * @module
 */

import { ErrorCodes, xopError, type XopErrorDetails } from '../errors.js';
import { stripAngleBrackets } from '../mime/content-type.js';

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
  if (!hasCidScheme(trimmed)) {
    throw xopError(ErrorCodes.XOP_BAD_HREF,
      `href ${JSON.stringify(truncate(href))} is not a cid: URL; only cid: references are resolved, nothing else is fetched`,
      details);
  }
  const decoded = percentDecode(trimmed.slice(4));
  if (decoded === null) {
    throw xopError(ErrorCodes.XOP_BAD_HREF, `href ${JSON.stringify(truncate(href))} has a malformed %-escape (RFC 2392 §2)`,
      details);
  }
  const id = stripAngleBrackets(decoded);
  if (id.length === 0) {
    throw xopError(ErrorCodes.XOP_BAD_HREF, `href ${JSON.stringify(truncate(href))} names no Content-ID`, details);
  }
  return id;
}

/**
 * The Content-ID a `cid:` URL names (percent-decoded, as it is otherwise), or
 * null when the value is not a `cid:` URL or its percent-encoding is broken.
 * The non-throwing form for callers that leave other URLs alone (the composer
 * rewriting references).
 */
export function contentIdOfCidUrl(url: string): string | null {
  const trimmed = url.trim();
  if (!hasCidScheme(trimmed)) return null;
  return percentDecode(trimmed.slice(4));
}

/**
 * The `cid:` URL for a Content-ID (RFC 2392 §2): angle brackets removed,
 * every UTF-8 byte of a character outside {@link isCidUrlSafe}'s set
 * %-encoded (upper-case hex).
 *
 * @example
 * cidUrlOf('<a b+c@x>') // → 'cid:a%20b%2Bc@x'
 * cidUrlOf('1.urn:uuid:x@apache.org') // → 'cid:1.urn:uuid:x@apache.org'
 */
export function cidUrlOf(contentId: string): string {
  const id = stripAngleBrackets(contentId);
  let out = 'cid:';
  for (const ch of id) {
    if (ch.length === 1 && isCidUrlSafe(ch.charCodeAt(0))) {
      out += ch;
    } else {
      for (const byte of Buffer.from(ch, 'utf8')) out += '%' + HEX[byte >> 4]! + HEX[byte & 15]!;
    }
  }
  return out;
}

const HEX = '0123456789ABCDEF';

/**
 * Characters a `cid:` URL carries as they are: RFC 3986 unreserved
 * (`A-Z a-z 0-9 - . _ ~`), `@` and `:` (every msg-id has them), `/` (WCF's
 * URI-shaped ids) and the sub-delimiters `! $ ( ) * , ; =` (RFC 2392's own
 * example is `cid:foo4*foo1@bar.net`). Receivers that never decode the href
 * (old Axis2) still match ids made of these. Escaped: `+` (Java's
 * `URLDecoder` reads it as a space), `&` and `'` (attribute syntax), `%`,
 * `#`, `?`, space, controls and everything non-ASCII.
 */
export function isCidUrlSafe(code: number): boolean {
  if ((code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a)) return true;
  switch (code) {
    case 0x2d: case 0x2e: case 0x5f: case 0x7e: // - . _ ~
    case 0x40: case 0x3a: case 0x2f: // @ : /
    case 0x21: case 0x24: case 0x28: case 0x29: case 0x2a: case 0x2c: case 0x3b: case 0x3d: // ! $ ( ) * , ; =
      return true;
    default:
      return false;
  }
}

/**
 * Percent-decoding (RFC 3986 §2.1, UTF-8): `%XX` sequences become bytes, `+`
 * stays `+`. Null when an escape is malformed or the bytes are not UTF-8.
 */
export function percentDecode(value: string): string | null {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}

/**
 * The forms under which a Content-ID header value is matched against a
 * decoded `cid:` href, best first: the value without angle brackets; its
 * percent-decoded form (CXF puts %-escapes in the header itself); and, for a
 * header that repeats the URL scheme (`Content-ID: <cid:a@x>`, which CXF's
 * reader also strips), the same without `cid:`. No duplicates.
 */
export function contentIdMatchKeys(contentIdHeader: string): string[] {
  const id = stripAngleBrackets(contentIdHeader);
  const keys = [id];
  const add = (key: string | null): void => {
    if (key !== null && key.length > 0 && !keys.includes(key)) keys.push(key);
  };
  add(percentDecode(id));
  if (hasCidScheme(id)) {
    const bare = stripAngleBrackets(id.slice(4));
    add(bare);
    add(percentDecode(bare));
  }
  return keys;
}

/**
 * True when a Content-ID header value (with or without <>) is the id a
 * decoded `cid:` href named: exactly, or once the header's own %-escapes are
 * decoded.
 */
export function contentIdMatches(contentIdHeader: string | null | undefined, cid: string): boolean {
  if (contentIdHeader === null || contentIdHeader === undefined) return false;
  return contentIdMatchKeys(contentIdHeader).includes(cid);
}

function hasCidScheme(trimmed: string): boolean {
  return trimmed.length >= 4 && trimmed.slice(0, 4).toLowerCase() === 'cid:';
}

function truncate(value: string): string {
  return value.length > 200 ? value.slice(0, 200) + '…' : value;
}
