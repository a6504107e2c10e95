/**
 * Coverage feedback from V8's own block coverage, read through node:inspector
 * (`Profiler.startPreciseCoverage({ callCount: true, detailed: true })`), for
 * the scripts under dist/src/ only.
 *
 * With `callCount`, every `takePreciseCoverage` returns the counts since the
 * previous take, so one take after each input gives that input's coverage.
 * V8 reports a nested block only when its count differs from its enclosing
 * range's, so the count of a block that is known (seen before) but absent
 * from a take is the count of the innermost reported range around it.
 *
 * A feature is a (block, hit-count bucket) pair, as in AFL: reaching a block
 * for the first time, or running a loop body a new order of magnitude of
 * times, makes an input interesting.
 */

import inspector from 'node:inspector/promises';

type Range = { startOffset: number; endOffset: number; count: number };

/** Hit-count bucket bit (AFL's classes): 1, 2, 3, 4-7, 8-15, 16-31, 32-127, 128+. */
function bucketBit(count: number): number {
  if (count <= 0) return 0;
  if (count === 1) return 1;
  if (count === 2) return 2;
  if (count === 3) return 4;
  if (count < 8) return 8;
  if (count < 16) return 16;
  if (count < 32) return 32;
  if (count < 128) return 64;
  return 128;
}

interface FunctionState {
  /** Known blocks of the function: [start, end, seen-bucket mask]. The first is the function itself. */
  blocks: Array<[number, number, number]>;
  index: Map<string, number>;
}

/** Coverage totals over dist/src/. */
export interface CoverageTotals {
  blocksHit: number;
  blocksKnown: number;
  functionsHit: number;
  functionsKnown: number;
  features: number;
  scripts: number;
}

/** Tracks cumulative coverage and tells whether an execution found something new. */
export class CoverageTracker {
  readonly #session = new inspector.Session();
  readonly #filter: (url: string) => boolean;
  readonly #functions = new Map<string, FunctionState>();
  readonly #scripts = new Set<string>();
  #features = 0;

  constructor(filter: (url: string) => boolean = (url) => url.includes('/dist/src/')) {
    this.#filter = filter;
  }

  async start(): Promise<void> {
    this.#session.connect();
    await this.#session.post('Profiler.enable');
    await this.#session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
  }

  async stop(): Promise<void> {
    await this.#session.post('Profiler.stopPreciseCoverage');
    this.#session.disconnect();
  }

  /** Discards the counts since the last take (work the fuzzer did itself). */
  async reset(): Promise<void> {
    await this.#session.post('Profiler.takePreciseCoverage');
  }

  /**
   * Takes the counts since the last take and merges them.
   * @returns how many new features they contain (0: nothing new)
   */
  async collect(): Promise<number> {
    const { result } = await this.#session.post('Profiler.takePreciseCoverage');
    let fresh = 0;
    for (const script of result) {
      if (!this.#filter(script.url)) continue;
      this.#scripts.add(script.url);
      for (const fn of script.functions) fresh += this.#mergeFunction(script.url, fn.ranges);
    }
    this.#features += fresh;
    return fresh;
  }

  #mergeFunction(url: string, ranges: Range[]): number {
    const head = ranges[0];
    if (head === undefined) return 0;
    const key = `${url}|${head.startOffset}`;
    let state = this.#functions.get(key);
    if (state === undefined) {
      state = { blocks: [], index: new Map() };
      this.#functions.set(key, state);
    }
    // Learn the blocks this take reports.
    for (const r of ranges) {
      const id = `${r.startOffset}:${r.endOffset}`;
      if (!state.index.has(id)) {
        state.index.set(id, state.blocks.length);
        state.blocks.push([r.startOffset, r.endOffset, 0]);
      }
    }
    if (head.count === 0 && ranges.length === 1) return 0; // not run since the last take
    let fresh = 0;
    for (const block of state.blocks) {
      const count = countOf(block[0], block[1], ranges);
      const bit = bucketBit(count);
      if (bit !== 0 && (block[2] & bit) === 0) {
        block[2] |= bit;
        fresh++;
      }
    }
    return fresh;
  }

  totals(): CoverageTotals {
    let blocksHit = 0;
    let blocksKnown = 0;
    let functionsHit = 0;
    for (const state of this.#functions.values()) {
      blocksKnown += state.blocks.length;
      for (const b of state.blocks) if (b[2] !== 0) blocksHit++;
      if (state.blocks[0] !== undefined && state.blocks[0][2] !== 0) functionsHit++;
    }
    return {
      blocksHit, blocksKnown, functionsHit, functionsKnown: this.#functions.size,
      features: this.#features, scripts: this.#scripts.size,
    };
  }
}

/** The count V8 implies for block [start, end): its own range's, else the innermost reported range around it. */
function countOf(start: number, end: number, ranges: Range[]): number {
  let best: Range | null = null;
  for (const r of ranges) {
    if (r.startOffset <= start && r.endOffset >= end) {
      if (best === null || (r.endOffset - r.startOffset) <= (best.endOffset - best.startOffset)) best = r;
    }
  }
  return best === null ? 0 : best.count;
}
