/**
 * Delta debugging (Zeller's ddmin, complement steps) over the bytes of an
 * input: the smallest input found that still fails the same way.
 */

/** Options of {@link ddmin}. */
export interface MinimizeBudget {
  /** Most predicate evaluations. */
  maxTests: number;
  /** Wall-clock budget in milliseconds. */
  maxMs: number;
}

/**
 * Removes chunks of `bytes` while `stillFails` holds, halving the chunk size
 * when no chunk can go, down to single bytes.
 */
export async function ddmin(
  bytes: Buffer,
  stillFails: (candidate: Buffer) => Promise<boolean>,
  budget: MinimizeBudget = { maxTests: 4000, maxMs: 60_000 },
): Promise<{ bytes: Buffer; tests: number }> {
  const started = Date.now();
  let tests = 0;
  let current = bytes;
  let n = 2;
  const exhausted = (): boolean => tests >= budget.maxTests || Date.now() - started > budget.maxMs;
  while (current.length >= 2 && !exhausted()) {
    const size = Math.ceil(current.length / n);
    let reduced = false;
    for (let start = 0; start < current.length && !exhausted(); start += size) {
      const candidate = Buffer.concat([current.subarray(0, start), current.subarray(start + size)]);
      tests++;
      if (await stillFails(candidate)) {
        current = candidate;
        n = Math.max(n - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (n >= current.length) break;
      n = Math.min(n * 2, current.length);
    }
  }
  // The empty input too, when that still fails.
  if (current.length === 1 && !exhausted()) {
    tests++;
    if (await stillFails(Buffer.alloc(0))) current = Buffer.alloc(0);
  }
  return { bytes: current, tests };
}
