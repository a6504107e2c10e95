/**
 * Content-IDs of composed parts and the `cid:` URLs that reference them
 * (RFC 2392).
 *
 * A Content-ID header carries `<id>`; a `cid:` URL carries the same id with
 * every character that is not safe in a URL percent-encoded. Receivers
 * percent-decode the URL and compare it with the header value (WCF's
 * XmlMtomReader uses `Uri.UnescapeDataString`, zeep `urllib.parse.unquote`,
 * Metro `URLDecoder`, which also turns `+` into a space — so `+` is encoded
 * too).
 *
 * @module
 */

import { randomBytes } from 'node:crypto';
import { ErrorCodes, xopError } from '../errors.js';

/** Domain part of generated Content-IDs (RFC 2392 wants a globally unique addr-spec). */
export const GENERATED_CID_DOMAIN = 'xopstream';

/**
 * A fresh Content-ID (without angle brackets): `LABEL.HEX@xopstream` with 128
 * random bits, e.g. `root.6f1c…@xopstream`.
 */
export function generateContentId(label: string): string {
  return `${label}.${randomBytes(16).toString('hex')}@${GENERATED_CID_DOMAIN}`;
}

/**
 * Checks a Content-ID (without angle brackets) before it goes into a header:
 * non-empty printable US-ASCII, no `<` or `>`, no leading or trailing space.
 * Looser than RFC 5322's msg-id on purpose: SwA peers use ids without `@`,
 * and ids received from sloppy peers (kept in the cache) must go out again.
 *
 * @throws XopError `ERR_BAD_ARGUMENT`
 */
export function checkContentId(id: string): string {
  if (typeof id !== 'string' || id.length === 0 || id.trim() !== id) {
    throw xopError(ErrorCodes.BAD_ARGUMENT, `Content-ID ${JSON.stringify(id)} must be a non-empty string without surrounding spaces`);
  }
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x3c /* < */ || c === 0x3e /* > */) {
      throw xopError(ErrorCodes.BAD_ARGUMENT,
        `Content-ID ${JSON.stringify(id)} contains ${JSON.stringify(id[i])}: use printable US-ASCII without angle brackets`);
    }
  }
  return id;
}

/** Characters left as they are in a `cid:` URL: RFC 3986 unreserved, plus `@` and `:` that every msg-id has. */
const URL_SAFE = /[A-Za-z0-9\-._~@:]/;

/**
 * The `cid:` URL of a Content-ID (RFC 2392 §2): every byte of its UTF-8 form
 * outside {@link URL_SAFE} becomes `%XX`.
 *
 * @example
 * cidUrl('a b+c@x') // → 'cid:a%20b%2Bc@x'
 */
export function cidUrl(contentId: string): string {
  let out = 'cid:';
  for (const ch of contentId) {
    if (URL_SAFE.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/**
 * The Content-ID a `cid:` URL names (percent-decoded), or null when the value
 * is not a `cid:` URL (or its percent-encoding is broken).
 */
export function contentIdOfUrl(url: string): string | null {
  const trimmed = url.trim();
  if (trimmed.length < 4 || trimmed.slice(0, 4).toLowerCase() !== 'cid:') return null;
  try {
    return decodeURIComponent(trimmed.slice(4));
  } catch {
    return null;
  }
}
