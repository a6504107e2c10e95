/**
 * `npm run fuzz [-- --seconds N --target mime|xop|receive|all --seed S]`
 *
 * Coverage-guided, structure-aware mutation fuzzing of xopstream. For each
 * target, a worker thread runs the fuzz loop (see engine.ts) while this
 * thread watches it: an evaluation that outlives its size-proportional time
 * limit is a hang, a worker that exceeds its heap limit is a memory finding;
 * either way the input is saved and the worker restarted.
 *
 * Findings go to corpus/regressions/ (`--no-save` to skip) as open cases; after
 * the fix, `--accept NAME` records the outcome the fixed code gives. `--replay`
 * prints every regression case's outcome against its expectation.
 *
 * Every random choice comes from the seed, printed at the start (`--seed`
 * repeats a run; wall-clock deadlines still make long runs diverge).
 */

import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { applyPlan, describePlan } from './chunking.js';
import type { CoverageTotals } from './coverage.js';
import type { EngineStats } from './engine.js';
import { hangMs } from './engine.js';
import { decodeInput, describeOutcome, encodeInput, type FuzzInput, type Outcome } from './input.js';
import { ddmin } from './minimize.js';
import { MAX_INPUT_BYTES } from './mutate.js';
import { inputOf, loadRegressions, mismatch, regressionsDir, writeRegression, type RegressionCase } from './regressions.js';
import { expectedOf, loadTarget } from './targets/index.js';
import type { FindingMessage, WorkerConfig } from './worker.js';

const ALL_TARGETS = ['mime', 'xop', 'receive'];
/** Heap limit of a fuzz worker: a parse that needs more is a memory finding. */
const WORKER_HEAP_MB = 512;

interface Args {
  seconds: number;
  targets: string[];
  seed: number;
  save: boolean;
  json: boolean;
  accept: string[];
  replay: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { seconds: 60, targets: [], seed: Date.now() % 0x7fffffff, save: true, json: false, accept: [], replay: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--seconds') args.seconds = Number(value());
    else if (a === '--target') args.targets.push(...value().split(','));
    else if (a === '--seed') args.seed = Number(value()) >>> 0;
    else if (a === '--no-save') args.save = false;
    else if (a === '--json') args.json = true;
    else if (a === '--accept') args.accept.push(value());
    else if (a === '--replay') args.replay = true;
    else if (a === '--help' || a === '-h') {
      console.log('usage: npm run fuzz -- [--seconds N] [--target mime|xop|receive|all] [--seed S] [--no-save] [--json]\n' +
        '       node dist/test/fuzz/run.js --replay | --accept NAME');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isFinite(args.seconds) || args.seconds <= 0) throw new Error('--seconds must be a positive number');
  return args;
}

/** Summary of one target's run. */
export interface TargetSummary {
  target: string;
  seed: number;
  seconds: number;
  executions: number;
  executionsPerSecond: number;
  evaluations: number;
  seeds: number;
  corpusSize: number;
  coverage: CoverageTotals | null;
  slowestRunMs: number;
  peakHeapMB: number;
  restarts: number;
  findings: Array<{ kind: string; signature: string; detail: string; file: string | null; bytes: number }>;
}

const sha8 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex').slice(0, 10);

interface Shared {
  control: Int32Array;
  clock: Float64Array;
  current: Uint8Array;
  config: Pick<WorkerConfig, 'control' | 'clock' | 'current'>;
}

function sharedMemory(): Shared {
  const control = new SharedArrayBuffer(8);
  const clock = new SharedArrayBuffer(16);
  const current = new SharedArrayBuffer(MAX_INPUT_BYTES + 64 * 1024);
  return {
    control: new Int32Array(control), clock: new Float64Array(clock), current: new Uint8Array(current),
    config: { control, clock, current },
  };
}

type WorkerEnd =
  | { kind: 'done'; stats: EngineStats; coverage: CoverageTotals }
  | { kind: 'hang' | 'memory' | 'fatal'; input: FuzzInput | null; detail: string; stats: EngineStats | null; coverage: CoverageTotals | null };

/** Runs one worker to its end, watching it. */
function runWorker(
  config: Omit<WorkerConfig, 'control' | 'clock' | 'current'>,
  shared: Shared,
  onMessage: (message: { type: string } & Record<string, unknown>) => void,
): Promise<WorkerEnd> {
  Atomics.store(shared.control, 0, 0);
  const worker = new Worker(new URL('./worker.js', import.meta.url), {
    workerData: { ...config, ...shared.config },
    resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB, maxYoungGenerationSizeMb: 64 },
  });
  let stats: EngineStats | null = null;
  let coverage: CoverageTotals | null = null;
  const currentInput = (): FuzzInput | null => {
    const length = Atomics.load(shared.control, 1);
    if (Atomics.load(shared.control, 0) !== 1 || length === 0) return null;
    try {
      return decodeInput(Buffer.from(shared.current.subarray(0, length))); // Copy: the worker's buffer is reused.
    } catch {
      return null;
    }
  };
  return new Promise((resolve) => {
    let settled = false;
    const finish = (end: WorkerEnd): void => {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      void worker.terminate();
      resolve(end);
    };
    const watchdog = setInterval(() => {
      if (Atomics.load(shared.control, 0) !== 1) return;
      const elapsed = Date.now() - shared.clock[0]!;
      if (elapsed > shared.clock[1]!) {
        const input = currentInput();
        finish({ kind: 'hang', input, detail: `evaluation still running after ${elapsed} ms (limit ${shared.clock[1]} ms)`, stats, coverage });
      }
    }, 200);
    worker.on('message', (message: { type: string } & Record<string, unknown>) => {
      if (message['stats'] !== undefined) stats = message['stats'] as EngineStats;
      if (message['coverage'] !== undefined) coverage = message['coverage'] as CoverageTotals;
      if (message.type === 'done') finish({ kind: 'done', stats: stats!, coverage: coverage! });
      else if (message.type === 'fatal') finish({ kind: 'fatal', input: currentInput(), detail: String(message['message']), stats, coverage });
      else onMessage(message);
    });
    worker.on('error', (error: Error & { code?: string }) => {
      const memory = error.code === 'ERR_WORKER_OUT_OF_MEMORY';
      finish({ kind: memory ? 'memory' : 'fatal', input: currentInput(), detail: `${error.code ?? ''} ${error.message}`, stats, coverage });
    });
    worker.on('exit', (code) => {
      finish({ kind: 'fatal', input: currentInput(), detail: `worker exited with code ${code}`, stats, coverage });
    });
  });
}

/** Runs one input in a fresh worker: does it hang (or exhaust memory) again? */
async function reproducesHang(target: string, input: FuzzInput, limitMs: number): Promise<'hang' | 'memory' | null> {
  const shared = sharedMemory();
  const end = await runWorker({ mode: 'once', target, seed: 1, deadline: 0, extra: [], signatures: [], once: encodeInput(input) }, shared, () => {});
  if (end.kind === 'hang' || end.kind === 'memory') return end.kind;
  void limitMs;
  return null;
}

async function fuzzTarget(target: string, seconds: number, seed: number, save: boolean, log: (line: string) => void): Promise<TargetSummary> {
  const started = Date.now();
  const deadline = started + seconds * 1000;
  const extra: Uint8Array[] = [];
  const signatures: string[] = [];
  const findings: TargetSummary['findings'] = [];
  let executions = 0;
  let evaluations = 0;
  let seeds = 0;
  let slowest = 0;
  let peakHeap = 0;
  let restarts = 0;
  let lastCoverage: CoverageTotals | null = null;
  let lastStats: EngineStats | null = null;
  let lastLine = 0;

  const record = (kind: string, signature: string, detail: string, input: FuzzInput | null, outcome: Outcome | null, extraInfo: Record<string, unknown> = {}): void => {
    signatures.push(signature);
    let file: string | null = null;
    if (input !== null && save) {
      const name = `fuzz-${target}-${kind}-${sha8(encodeInput(input))}`;
      const c: RegressionCase = {
        name, target, contentType: input.contentType, options: input.options,
        description: `Found by npm run fuzz (target ${target}, seed ${seed}): ${kind}. ${detail.split('\n')[0]}`,
        finding: { kind, signature, detail: detail.slice(0, 2000), seed, ...extraInfo },
        status: 'open', expected: outcome !== null && (outcome.ok || outcome.xop) && kind !== 'chunking' && kind !== 'differential' ? expectedOf(outcome) as never : null,
        bytes: input.bytes,
      };
      writeRegression(c);
      file = `corpus/regressions/${name}.bin`;
    }
    findings.push({ kind, signature, detail, file, bytes: input?.bytes.length ?? 0 });
    log(`  FINDING ${kind}: ${detail.split('\n')[0]}${file === null ? '' : ` → ${file}`}`);
  };

  while (Date.now() < deadline) {
    const shared = sharedMemory();
    const config = { mode: 'fuzz' as const, target, seed: (seed + restarts) >>> 0, deadline, extra, signatures: [...signatures] };
    const end = await runWorker(config, shared, (message) => {
      if (message.type === 'calibrated') {
        seeds = Number(message['seeds']);
        const c = message['coverage'] as CoverageTotals;
        if (restarts === 0) log(`  calibrated ${seeds} seeds: ${c.blocksHit}/${c.blocksKnown} blocks, ${c.functionsHit}/${c.functionsKnown} functions`);
      } else if (message.type === 'input') {
        extra.push(message['input'] as Uint8Array);
      } else if (message.type === 'finding') {
        const f = message as unknown as FindingMessage;
        const input = decodeInput(Buffer.from(f.input));
        const extraInfo: Record<string, unknown> = {};
        if (f.plan !== undefined) extraInfo['chunking'] = describePlan(f.plan);
        if (f.sourceKind !== undefined) extraInfo['source'] = f.sourceKind;
        record(f.kind, f.signature, f.detail, input, f.outcome, extraInfo);
      }
      if (message.type === 'stats' && Date.now() - lastLine > 15_000) {
        lastLine = Date.now();
        const s = message['stats'] as EngineStats;
        const c = message['coverage'] as CoverageTotals;
        const secs = (Date.now() - started) / 1000;
        log(`  ${secs.toFixed(0)}s: ${executions + s.execs} execs, queue ${s.queue}, blocks ${c.blocksHit}/${c.blocksKnown}, features ${c.features}`);
      }
    });
    if (end.stats !== null) {
      executions += end.stats.execs;
      evaluations += end.stats.evaluations;
      slowest = Math.max(slowest, end.stats.slowest);
      peakHeap = Math.max(peakHeap, end.stats.peakHeapBytes);
      lastStats = end.stats;
    }
    if (end.coverage !== null) lastCoverage = end.coverage;
    if (end.kind === 'done') break;
    restarts++;
    const signature = `${target}:${end.kind}:${end.kind === 'fatal' ? end.detail.slice(0, 80) : ''}`;
    let input = end.input;
    let detail = end.detail;
    if (input !== null && (end.kind === 'hang' || end.kind === 'memory')) {
      const again = await reproducesHang(target, input, hangMs(input.bytes.length));
      detail += again === null ? ' (did not reproduce in a fresh worker: load on the machine?)' : ' (reproduced in a fresh worker)';
      if (again !== null) {
        const current = input;
        const { bytes } = await ddmin(current.bytes, async (candidate) => (await reproducesHang(target, { ...current, bytes: candidate }, hangMs(candidate.length))) === end.kind,
          { maxTests: 40, maxMs: Math.max(60_000, 4 * hangMs(current.bytes.length)) });
        input = { ...current, bytes };
      }
    }
    if (!signatures.includes(signature)) record(end.kind, signature, detail, input, null);
    if (restarts > 20) {
      log('  giving up after 20 worker restarts');
      break;
    }
  }
  const elapsed = (Date.now() - started) / 1000;
  return {
    target, seed, seconds: Math.round(elapsed), executions, executionsPerSecond: Math.round(executions / elapsed), evaluations, seeds,
    corpusSize: lastStats?.queue ?? 0, coverage: lastCoverage, slowestRunMs: Math.round(slowest), peakHeapMB: Math.round(peakHeap / 2 ** 20), restarts, findings,
  };
}

function printSummary(s: TargetSummary): void {
  const c = s.coverage;
  const pct = (a: number, b: number): string => (b === 0 ? '0' : ((100 * a) / b).toFixed(1));
  console.log(`\n== fuzz summary: target ${s.target}, seed ${s.seed}, ${s.seconds} s ==`);
  console.log(`  executions   ${s.executions} (${s.executionsPerSecond}/s; ${s.evaluations} inputs, each run whole + one other chunking [+ dicer])`);
  if (c !== null) {
    console.log(`  coverage     ${c.blocksHit}/${c.blocksKnown} blocks (${pct(c.blocksHit, c.blocksKnown)}%), ${c.functionsHit}/${c.functionsKnown} functions (${pct(c.functionsHit, c.functionsKnown)}%) in ${c.scripts} dist/src scripts; ${c.features} features`);
  }
  console.log(`  corpus       ${s.seeds} seeds → ${s.corpusSize} inputs kept`);
  console.log(`  slowest run  ${s.slowestRunMs} ms; peak worker heap ${s.peakHeapMB} MB; worker restarts ${s.restarts}`);
  console.log(`  findings     ${s.findings.length}`);
  for (const f of s.findings) console.log(`    - ${f.kind}: ${f.detail.split('\n')[0]}${f.file === null ? '' : ` (${f.file}, ${f.bytes} bytes)`}`);
}

async function replay(): Promise<number> {
  let failures = 0;
  for (const c of loadRegressions()) {
    const target = await loadTarget(c.target);
    const input = inputOf(c);
    const outcome = await target.run(input, applyPlan(input.bytes, { mode: 'whole' }), 'iterable');
    const problem = c.expected === null ? 'no expected outcome yet' : mismatch(outcome, c.expected);
    if (problem !== null || c.status === 'open') failures++;
    console.log(`${c.status === 'open' ? 'OPEN ' : problem === null ? 'ok   ' : 'FAIL '} ${c.name}: ${describeOutcome(outcome)}${problem === null ? '' : ` — ${problem}`}`);
  }
  return failures === 0 ? 0 : 1;
}

async function accept(names: string[]): Promise<number> {
  const cases = loadRegressions();
  for (const name of names) {
    const c = cases.find((x) => x.name === name || `${x.name}.json` === name || `${x.name}.bin` === name);
    if (c === undefined) throw new Error(`no regression case ${name} in ${regressionsDir}`);
    const target = await loadTarget(c.target);
    const outcome = await target.run(inputOf(c), [c.bytes], 'iterable');
    if (!outcome.ok && !outcome.xop) throw new Error(`${c.name} still fails with a non-XopError: ${outcome.name}: ${outcome.message}`);
    writeRegression({ ...c, status: 'fixed', expected: expectedOf(outcome) as never });
    console.log(`accepted ${c.name}: ${describeOutcome(outcome)}`);
  }
  return 0;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args.replay) return replay();
  if (args.accept.length > 0) return accept(args.accept);
  const wanted = args.targets.length === 0 || args.targets.includes('all') ? ALL_TARGETS : args.targets;
  const targets: string[] = [];
  for (const name of wanted) {
    try {
      await loadTarget(name);
      targets.push(name);
    } catch (error) {
      if (args.targets.includes(name)) throw error;
      console.log(`target ${name}: not available yet (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  console.log(`xopstream fuzz: targets ${targets.join(', ')}, ${args.seconds} s each, seed ${args.seed} (repeat with --seed ${args.seed})`);
  const summaries: TargetSummary[] = [];
  for (const target of targets) {
    console.log(`\n[${target}]`);
    const summary = await fuzzTarget(target, args.seconds, args.seed, args.save, (line) => console.log(line));
    summaries.push(summary);
    printSummary(summary);
  }
  if (args.json) console.log(JSON.stringify(summaries, null, 2));
  return summaries.some((s) => s.findings.length > 0) ? 1 : 0;
}

main().then((code) => { process.exitCode = code; }, (error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 2;
});
