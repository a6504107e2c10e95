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
 * An `xop:Include` with any other scheme is refused, and no URL is ever
 * dereferenced (the CXF CVE-2022-46364 class: an `xop:Include
 * href="http://..."` or `file:` made the server fetch it). A SwA `href` that
 * is not a `cid:` URL may name a part by its Content-Location instead
 * ({@link resolveLocation}): compared as a string, never fetched.
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

// --- Content-Location references (SwA Note 2000 §3, RFC 2557 §4-5) ----------
//
// SwA lets an `href` name an attachment by its Content-Location as well as by
// its Content-ID (the Note's own example: `<theSignedForm
// href="http://claiming-it.com/claim061400a.tiff"/>` and a part with that
// Content-Location; SAAJ and Axis 1 send it). Both sides are resolved to an
// absolute URI (RFC 3986 §5.2 via WHATWG `URL`) and compared after RFC 3986
// §6.2.2 normalization. Nothing is ever fetched: a URI only names a part of
// the same message or nothing.

/**
 * The base RFC 2557 §5 prescribes when neither a part nor the multipart has
 * an absolute Content-Location: relative references and relative
 * Content-Location values then resolve (and match) against each other.
 */
export const THIS_MESSAGE_BASE = 'thismessage:/';

/**
 * The absolute, normalized form of a URI reference resolved against `base`
 * (an absolute URI, default {@link THIS_MESSAGE_BASE}), without its fragment:
 * the key under which an `href` and a Content-Location are compared. Null
 * when it is not a URI reference (or is relative and `base` cannot be one).
 *
 * Normalization (RFC 3986 §6.2.2, plus what WHATWG `URL` does for §6.2.3):
 * scheme and host in lower case, `%XX` of an unreserved character decoded
 * and other escapes in upper-case hex, dot segments removed, a default port
 * dropped; characters a URI cannot hold (space, non-ASCII) %-encoded as UTF-8.
 *
 * @example
 * resolveLocation('claim.tiff', 'http://Claiming-It.com/soap/msg.xml') // → 'http://claiming-it.com/soap/claim.tiff'
 * resolveLocation('claim.tiff')                                      // → 'thismessage:/claim.tiff'
 */
export function resolveLocation(reference: string, base: string = THIS_MESSAGE_BASE): string | null {
  // RFC 2557 §4.4: a folded header value loses the whitespace folding put in (WHATWG drops tabs and newlines too).
  const value = reference.trim();
  let url: URL;
  try {
    url = new URL(value, base);
  } catch {
    return null;
  }
  url.hash = '';
  // WHATWG lower-cases the host of http:, https:, file: ... only; RFC 3986 §3.2.2 makes every host case-insensitive.
  if (url.host !== '' && url.host !== url.host.toLowerCase()) url.host = url.host.toLowerCase();
  const href = url.href;
  return href.includes('%') ? href.replace(/%([0-9A-Fa-f]{2})/g, normalizeEscape) : href;
}

/**
 * The base URI of an entity (RFC 2557 §5, RFC 2110 §4): its Content-Base,
 * else its Content-Location, each resolved against `outer` (the enclosing
 * multipart's base, or {@link THIS_MESSAGE_BASE}); `outer` when it has
 * neither (or neither is a URI).
 */
export function locationBase(contentLocation: string | null | undefined, contentBase: string | null | undefined,
  outer: string = THIS_MESSAGE_BASE): string {
  for (const candidate of [contentBase, contentLocation]) {
    if (candidate === null || candidate === undefined || candidate.trim() === '') continue;
    const resolved = resolveLocation(candidate, outer);
    if (resolved !== null) return resolved;
  }
  return outer;
}

/**
 * True when an `href` value can name another part by Content-Location: not a
 * `cid:` URL (matched by Content-ID instead), not empty and not a reference
 * to the same document (`#id`, the SOAP 1.1 encoding's multiRefs, RFC 3986 §4.4).
 */
export function isLocationReference(href: string): boolean {
  const trimmed = href.trim();
  return trimmed.length > 0 && trimmed.charCodeAt(0) !== 0x23 /* # */ && !hasCidScheme(trimmed);
}

/** `%xx` → the unreserved character it encodes (RFC 3986 §6.2.2.2), else `%XX` in upper case (§6.2.2.1). */
function normalizeEscape(escape: string, hex: string): string {
  const code = parseInt(hex, 16);
  const unreserved = (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) ||
    code === 0x2d || code === 0x2e || code === 0x5f || code === 0x7e;
  return unreserved ? String.fromCharCode(code) : escape.toUpperCase();
}

function hasCidScheme(trimmed: string): boolean {
  return trimmed.length >= 4 && trimmed.slice(0, 4).toLowerCase() === 'cid:';
}

function truncate(value: string): string {
  return value.length > 200 ? value.slice(0, 200) + '…' : value;
}
