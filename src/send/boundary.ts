/**
 * MIME boundaries for composed messages (RFC 2046 §5.1.1).
 *
 * A boundary must not occur in any part's content. Instead of scanning the
 * content (impossible while it streams), the boundary carries 192 random bits
 * from `crypto.randomBytes`: the chance that a given attachment contains it is
 * about 2^-192 per byte position, far below the chance of a disk error.
 *
 * The alphabet is lower-case hex after a fixed prefix, so the boundary needs no
 * quoting tricks and never contains the substring `action`, which some SOAP
 * 1.2 peers (Axis2, older CXF) search for with `indexOf` anywhere in the
 * Content-Type.
 *
 * @module
 */

import { randomBytes } from 'node:crypto';

/** Random bytes in a generated boundary (192 bits; the issue asks for at least 128). */
export const BOUNDARY_RANDOM_BYTES = 24;

/** Prefix of every generated boundary: recognisable in captures, and `=_` cannot start a quoted-printable line. */
export const BOUNDARY_PREFIX = 'xopstream=_';

/** A fresh random boundary: {@link BOUNDARY_PREFIX} followed by 48 hex digits (59 characters, under RFC 2046's 70). */
export function generateBoundary(): string {
  return BOUNDARY_PREFIX + randomBytes(BOUNDARY_RANDOM_BYTES).toString('hex');
}
