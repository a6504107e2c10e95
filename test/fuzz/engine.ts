/**
 * The fuzz loop: pick an input from the queue, mutate it, run it through the
 * target under the oracles, keep it when it reaches new coverage, minimize
 * and report it when an oracle fails.
 *
 * Oracles (each failure is a finding with a signature; one report per signature):
 * - crash: the target threw something that is not an XopError;
 * - unknown-code / bad-offset: an XopError whose code is not in ErrorCodes, or
 *   whose byte offset lies outside the input;
 * - chunking: a different outcome for the same bytes split differently or
 *   offered through another kind of source;
 * - amplification: more body bytes out than input bytes in;
 * - differential: a different result from the reference parser (dicer) on
 *   input it parses per the RFC;
 * - slow: an execution that takes longer than its size-proportional budget
 *   three times in a row (hangs and memory blow-ups are caught by the
 *   watchdog and resource limits of the worker that runs this loop).
 */

import { ErrorCodes } from '../../src/index.js';
import { applyPlan, describePlan, pickPlan, type ChunkPlan } from './chunking.js';
import type { CoverageTracker } from './coverage.js';
import { describeOutcome, outcomeKey, type FuzzInput, type Outcome } from './input.js';
import { ddmin } from './minimize.js';
import { MAX_INPUT_BYTES, mutate, shrinkSeed } from './mutate.js';
import { Prng } from './prng.js';
import type { FuzzTarget } from './targets/index.js';
import type { SourceKind } from './targets/mime.js';

/** A failed oracle. */
export interface Finding {
  kind: string;
  /** Deduplication key: kind plus what distinguishes this failure. */
  signature: string;
  /** What was observed, for the report. */
  detail: string;
  input: FuzzInput;
  /** The chunking and source kind that exposed it (chunking findings). */
  plan?: ChunkPlan;
  sourceKind?: SourceKind;
  /** Outcome of the whole-input run of the (minimized) input. */
  outcome: Outcome;
}

const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCodes));
const SOURCE_KINDS: readonly SourceKind[] = ['iterable', 'async', 'web'];

/** Time budget of one whole-input run: 250 ms plus 1 ms per 10 KB (≥ 10 MB/s), generous for a shared machine. */
export function budgetMs(bytes: number): number {
  return 250 + bytes / 10_000;
}

/** Watchdog limit of one evaluation (several runs, byte-by-byte included): hang beyond this. */
export function hangMs(bytes: number): number {
  return 15_000 + bytes / 20;
}

/** Normalises volatile parts of a message for signatures (numbers, quoted values). */
function signatureText(text: string): string {
  return text.replace(/"[^"]*"/g, '"…"').replace(/\d+/g, 'N').slice(0, 160);
}

/** Hooks the engine calls (the worker wires them to the watchdog and the main thread). */
export interface EngineHooks {
  beforeEvaluate?(input: FuzzInput, hangLimitMs: number): void;
  afterEvaluate?(): void;
  onNewInput?(input: FuzzInput): void;
  onFinding?(finding: Finding, minimizeTests: number): void;
}

/** Counters the engine keeps. */
export interface EngineStats {
  execs: number;
  evaluations: number;
  queue: number;
  findings: number;
  slowest: number;
  peakHeapBytes: number;
}

export class Engine {
  readonly #target: FuzzTarget;
  readonly #rng: Prng;
  readonly #coverage: CoverageTracker;
  readonly #hooks: EngineHooks;
  readonly #queue: FuzzInput[] = [];
  readonly #signatures = new Set<string>();
  readonly stats: EngineStats = { execs: 0, evaluations: 0, queue: 0, findings: 0, slowest: 0, peakHeapBytes: 0 };

  constructor(target: FuzzTarget, rng: Prng, coverage: CoverageTracker, hooks: EngineHooks = {}, known: readonly string[] = []) {
    for (const signature of known) this.#signatures.add(signature);
    this.#target = target;
    this.#rng = rng;
    this.#coverage = coverage;
    this.#hooks = hooks;
  }

  get queue(): readonly FuzzInput[] {
    return this.#queue;
  }

  /** Runs every seed once; keeps each that reaches new coverage (and every one of the first few). */
  async calibrate(seeds: readonly FuzzInput[]): Promise<void> {
    for (const raw of seeds) {
      const seed = shrinkSeed(raw);
      const fresh = await this.#evaluate(seed);
      if (fresh > 0 || this.#queue.length < 8) this.#queue.push(seed);
    }
    this.stats.queue = this.#queue.length;
  }

  /** One mutate-and-evaluate step. */
  async step(): Promise<void> {
    const parent = this.#pickParent();
    const child = mutate(this.#rng, parent, { pool: this.#queue, xml: this.#target.xml });
    const fresh = await this.#evaluate(child);
    if (fresh > 0) {
      this.#queue.push(child);
      this.stats.queue = this.#queue.length;
      this.#hooks.onNewInput?.(child);
    }
  }

  #pickParent(): FuzzInput {
    const q = this.#queue;
    // Favour recent finds (they sit at the frontier of coverage), but keep visiting old ones.
    if (q.length > 16 && this.#rng.chance(0.5)) return q[q.length - 1 - this.#rng.int(Math.min(32, q.length))]!;
    return this.#rng.pick(q);
  }

  /** Runs the oracles over one input; returns the number of new coverage features. */
  async #evaluate(input: FuzzInput): Promise<number> {
    this.stats.evaluations++;
    this.#hooks.beforeEvaluate?.(input, hangMs(input.bytes.length));
    let findings: Finding[];
    try {
      findings = await this.#check(input, this.#rng.fork());
    } finally {
      this.#hooks.afterEvaluate?.();
    }
    const fresh = await this.#coverage.collect();
    if ((this.stats.evaluations & 255) === 0) {
      this.stats.peakHeapBytes = Math.max(this.stats.peakHeapBytes, process.memoryUsage().heapUsed);
    }
    for (const finding of findings) {
      if (this.#signatures.has(finding.signature)) continue;
      this.#signatures.add(finding.signature);
      this.stats.findings++;
      const minimized = await this.minimize(finding);
      await this.#coverage.reset(); // minimization's runs are not the queue's coverage
      this.#hooks.onFinding?.(minimized.finding, minimized.tests);
    }
    return fresh;
  }

  async #run(input: FuzzInput, plan: ChunkPlan, kind: SourceKind): Promise<Outcome> {
    this.stats.execs++;
    return this.#target.run(input, applyPlan(input.bytes, plan), kind);
  }

  /** Every oracle over one input; the findings it produced (usually none). */
  async #check(input: FuzzInput, rng: Prng, only?: { plan: ChunkPlan; kind: SourceKind; differential: boolean }): Promise<Finding[]> {
    const out: Finding[] = [];
    const started = performance.now();
    const whole = await this.#run(input, { mode: 'whole' }, 'iterable');
    const elapsed = performance.now() - started;
    this.stats.slowest = Math.max(this.stats.slowest, elapsed);
    const report = (kind: string, signature: string, detail: string, extra: Partial<Finding> = {}): void => {
      out.push({ kind, signature: `${this.#target.name}:${kind}:${signature}`, detail, input, outcome: whole, ...extra });
    };

    if (!whole.ok && !whole.xop) {
      report('crash', signatureText(`${whole.name}: ${whole.message}`), `${whole.name}: ${whole.message}\n${whole.stack ?? ''}`);
      return out;
    }
    if (!whole.ok && !KNOWN_CODES.has(whole.code)) report('unknown-code', whole.code, `error code ${whole.code} is not in ErrorCodes`);
    if (!whole.ok && this.#target.name === 'mime' && whole.offset !== undefined &&
        (!Number.isInteger(whole.offset) || whole.offset < 0 || whole.offset > input.bytes.length)) {
      report('bad-offset', whole.code, `${whole.code} at offset ${whole.offset} of a ${input.bytes.length}-byte input`);
    }
    if (whole.ok) {
      const produced = whole.parts.reduce((sum, p) => sum + p.size, 0);
      if (produced > input.bytes.length && this.#target.name === 'mime') {
        report('amplification', 'body', `${produced} body bytes out of a ${input.bytes.length}-byte input`);
      }
    }

    // Chunking and source-kind independence.
    const plan = only?.plan ?? pickPlan(rng, input.bytes.length);
    const kind = only?.kind ?? rng.pick(SOURCE_KINDS);
    const split = await this.#run(input, plan, kind);
    if (!split.ok && !split.xop) {
      report('crash', signatureText(`${split.name}: ${split.message}`), `${split.name}: ${split.message} (${describePlan(plan)}, ${kind})\n${split.stack ?? ''}`, { plan, sourceKind: kind, outcome: split });
    } else if (outcomeKey(split) !== outcomeKey(whole)) {
      report('chunking', `${describeOutcome(whole).replace(/\d+/g, 'N')} vs ${describeOutcome(split).replace(/\d+/g, 'N')}`,
        `whole: ${describeOutcome(whole)}; ${describePlan(plan)} via ${kind}: ${describeOutcome(split)}`, { plan, sourceKind: kind });
    }

    if (this.#target.differential !== undefined && (only === undefined || only.differential)) {
      const mismatch = await this.#target.differential(input, whole);
      if (mismatch !== null) report('differential', signatureText(mismatch), mismatch);
    }

    if (elapsed > budgetMs(input.bytes.length) && only === undefined) {
      // Confirm: the machine is shared, one slow run proves nothing.
      let fastest = elapsed;
      for (let i = 0; i < 2 && fastest > budgetMs(input.bytes.length); i++) {
        const t = performance.now();
        await this.#run(input, { mode: 'whole' }, 'iterable');
        fastest = Math.min(fastest, performance.now() - t);
      }
      if (fastest > budgetMs(input.bytes.length)) {
        report('slow', `${Math.round(Math.log2(input.bytes.length + 1))}`,
          `${fastest.toFixed(0)} ms for ${input.bytes.length} bytes (budget ${budgetMs(input.bytes.length).toFixed(0)} ms)`);
      }
    }
    return out;
  }

  /** Shrinks a finding's input while it still produces the same signature. */
  async minimize(finding: Finding): Promise<{ finding: Finding; tests: number }> {
    if (finding.kind === 'slow') return { finding, tests: 0 }; // time is too noisy to minimize against
    const plan: ChunkPlan = finding.plan ?? { mode: 'whole' };
    const kind: SourceKind = finding.sourceKind ?? 'iterable';
    const differential = finding.kind === 'differential';
    const reproduces = async (candidate: FuzzInput): Promise<Finding | null> => {
      // A 'two' plan names an offset: keep it inside shorter inputs.
      const adjusted: ChunkPlan = plan.mode === 'two' ? { mode: 'two', at: Math.min(plan.at, candidate.bytes.length) } : plan;
      const found = await this.#check(candidate, new Prng(1), { plan: adjusted, kind, differential });
      return found.find((f) => f.signature === finding.signature) ?? null;
    };
    // Drop parser options first when the finding does not need them.
    let input = finding.input;
    if (Object.keys(input.options).length > 0) {
      const bare = { ...input, options: {} };
      if (await reproduces(bare) !== null) input = bare;
    }
    const { bytes, tests } = await ddmin(input.bytes, async (candidate) => (await reproduces({ ...input, bytes: candidate })) !== null,
      { maxTests: 3000, maxMs: 60_000 });
    const small = { ...input, bytes };
    const again = await reproduces(small);
    if (again === null) return { finding, tests }; // flaky: keep the original
    return { finding: { ...again, input: small }, tests };
  }
}

export { MAX_INPUT_BYTES };
