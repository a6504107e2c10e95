/**
 * Expiry shared by every cache: a root id's documents expire together, a
 * fixed time after the last commit under that root.
 *
 * @module
 */

import { ErrorCodes, xopError } from '../errors.js';

/** Default time to live of a root's documents: one day. */
export const DEFAULT_TTL_MS = 24 * 60 * 60 * 1000;

/** Options every cache takes. */
export interface ExpiryOptions {
  /**
   * How long a root's documents stay after its last commit, in ms. `null`
   * keeps them until deleted. Default {@link DEFAULT_TTL_MS}.
   */
  ttlMs?: number | null;
  /** The clock (ms since the epoch); tests inject one. Default `Date.now`. */
  clock?: () => number;
}

/** Validated expiry settings. */
export interface Expiry {
  ttlMs: number | null;
  clock: () => number;
}

/**
 * Validates {@link ExpiryOptions}.
 * @throws XopError `ERR_BAD_ARGUMENT` for a TTL that is not a positive integer or null.
 */
export function resolveExpiry(options: ExpiryOptions = {}): Expiry {
  const ttlMs = options.ttlMs === undefined ? DEFAULT_TTL_MS : options.ttlMs;
  if (ttlMs !== null && (!Number.isSafeInteger(ttlMs) || ttlMs <= 0)) {
    throw xopError(ErrorCodes.BAD_ARGUMENT, `ttlMs must be a positive integer or null, got ${String(ttlMs)}`);
  }
  return { ttlMs, clock: options.clock ?? Date.now };
}

/** When documents committed at `now` expire. */
export function expiresAtFrom(now: number, ttlMs: number | null): number | null {
  return ttlMs === null ? null : now + ttlMs;
}

/** Has something expiring at `expiresAt` expired at `now`? */
export function isExpired(expiresAt: number | null, now: number): boolean {
  return expiresAt !== null && expiresAt <= now;
}
