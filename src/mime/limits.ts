/**
 * Limits of the MIME layer, each with a safe default. A violated limit ends
 * the parse with a typed {@link LimitError} that names the limit.
 *
 * @module
 */

import { resolveLimits } from '../limits.js';

/** Limits applied while parsing a multipart message. All sizes in bytes. */
export interface MimeLimits {
  /** Header block bytes per part. Default 16 KiB (ASP.NET Core: 16 KiB). */
  headerBytes?: number;
  /** Header lines per part. Default 64. */
  headerCount?: number;
  /** Parts per message. Default 1000 (Go's mime/multipart form limit). */
  parts?: number;
  /** Bytes of one part body as received (before transfer decoding). Default 256 MiB. */
  partBytes?: number;
  /** Bytes of the whole message. Default 512 MiB. */
  totalBytes?: number;
  /** Bytes before the first delimiter. Default 64 KiB. */
  preambleBytes?: number;
  /** Longest accepted boundary. Default 70 (RFC 2046 §5.1.1). */
  boundaryLength?: number;
}

/** The defaults, frozen. */
export const DEFAULT_MIME_LIMITS: Readonly<Required<MimeLimits>> = Object.freeze({
  headerBytes: 16 * 1024,
  headerCount: 64,
  parts: 1000,
  partBytes: 256 * 1024 * 1024,
  totalBytes: 512 * 1024 * 1024,
  preambleBytes: 64 * 1024,
  boundaryLength: 70,
});

/** Fills in defaults and checks that every given limit is a non-negative number. */
export function resolveMimeLimits(limits: MimeLimits | undefined): Required<MimeLimits> {
  return resolveLimits<Required<MimeLimits>>(DEFAULT_MIME_LIMITS, limits);
}
