/**
 * The one way every layer turns a caller's partial limits into complete ones:
 * defaults for what is missing, a TypeError for what is not a non-negative
 * number (a programming error, so not an XopError about the input).
 *
 * @module
 */

/** Returns `defaults` overridden by the given limits, each checked. */
export function resolveLimits<T extends Record<string, number>>(defaults: Readonly<T>, given: Partial<T> | undefined): T {
  const out = { ...defaults } as T;
  if (given === undefined) return out;
  for (const key of Object.keys(defaults) as Array<keyof T & string>) {
    const value = given[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
      throw new TypeError(`limits.${key} must be a non-negative number, got ${String(value)}`);
    }
    out[key] = value;
  }
  return out;
}
