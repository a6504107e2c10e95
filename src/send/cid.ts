/**
 * Content-IDs of composed parts and the `cid:` URLs that reference them
 * (RFC 2392).
 *
 * A Content-ID header carries `<id>`; a `cid:` URL carries the same id with
 * every character that is not safe in a URL percent-encoded. Receivers
 * percent-decode the URL and compare it with the header value (WCF's
 * XmlMtomReader uses `Uri.UnescapeDataString`, zeep `urllib.parse.unquote`,
 * Metro `URLDecoder`, which also turns `+` into a space — so `+` is encoded
 * too). The encoding itself lives in `src/xop/cid.ts`, shared with the
 * receive side.
 *
 * @module
 */

import { randomBytes } from 'node:crypto';
import { ErrorCodes, xopError } from '../errors.js';
import { cidUrlOf, contentIdOfCidUrl } from '../xop/cid.js';

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

/**
 * The `cid:` URL of a Content-ID (RFC 2392 §2): the receive side's
 * {@link cidUrlOf}, so what is sent and what is matched on receipt agree
 * (`+` and everything outside the URL-safe set become `%XX`).
 *
 * @example
 * cidUrl('a b+c@x') // → 'cid:a%20b%2Bc@x'
 */
export function cidUrl(contentId: string): string {
  return cidUrlOf(contentId);
}

/**
 * The Content-ID a `cid:` URL names (percent-decoded), or null when the value
 * is not a `cid:` URL (or its percent-encoding is broken).
 */
export function contentIdOfUrl(url: string): string | null {
  return contentIdOfCidUrl(url);
}
