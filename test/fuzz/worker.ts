/**
 * The fuzz worker: runs the {@link Engine} loop inside a worker thread, so
 * that the main thread can act as a watchdog (a hang or a runaway allocation
 * kills this thread, not the fuzzer) and coverage is read from this thread's
 * own isolate.
 *
 * Protocol, worker → main: `{type:'stats'}` every second, `{type:'input'}`
 * for each input kept for new coverage, `{type:'finding'}` for each new
 * finding (minimized), `{type:'done'}` at the deadline. Before each
 * evaluation the input and its time limit are written to shared memory for
 * the watchdog.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { CoverageTracker } from './coverage.js';
import { Engine, type Finding } from './engine.js';
import { decodeInput, encodeInput, type FuzzInput } from './input.js';
import { Prng } from './prng.js';
import { allSeeds } from './seeds.js';
import { loadTarget } from './targets/index.js';

/** What the main thread passes in. */
export interface WorkerConfig {
  mode: 'fuzz' | 'once';
  target: string;
  seed: number;
  deadline: number;
  /** Inputs found by earlier workers of this run (encoded). */
  extra: Uint8Array[];
  /** Signatures already reported in this run. */
  signatures: string[];
  /** [phase (1 = evaluating), encoded input length] */
  control: SharedArrayBuffer;
  /** [evaluation start (ms since epoch), hang limit (ms)] */
  clock: SharedArrayBuffer;
  /** The input being evaluated (encoded). */
  current: SharedArrayBuffer;
  /** For mode 'once': the input to run. */
  once?: Uint8Array;
}

/** A finding as posted to the main thread. */
export interface FindingMessage {
  type: 'finding';
  kind: string;
  signature: string;
  detail: string;
  input: Uint8Array;
  outcome: Finding['outcome'];
  plan?: Finding['plan'];
  sourceKind?: Finding['sourceKind'];
  minimizeTests: number;
}

const config = workerData as WorkerConfig;
const port = parentPort!;
const control = new Int32Array(config.control);
const clock = new Float64Array(config.clock);
const current = new Uint8Array(config.current);

function beforeEvaluate(input: FuzzInput, hangLimitMs: number): void {
  const encoded = encodeInput(input);
  const length = Math.min(encoded.length, current.length);
  // Copy: the watchdog must still have the input if this thread is killed mid-run.
  current.set(encoded.subarray(0, length));
  Atomics.store(control, 1, length);
  clock[0] = Date.now();
  clock[1] = hangLimitMs;
  Atomics.store(control, 0, 1);
}

function afterEvaluate(): void {
  Atomics.store(control, 0, 0);
}

async function main(): Promise<void> {
  const target = await loadTarget(config.target);
  const coverage = new CoverageTracker();
  await coverage.start();
  const engine = new Engine(target, new Prng(config.seed), coverage, {
    beforeEvaluate,
    afterEvaluate,
    onNewInput: (input) => port.postMessage({ type: 'input', input: encodeInput(input) }),
    onFinding: (finding, minimizeTests) => {
      const message: FindingMessage = {
        type: 'finding', kind: finding.kind, signature: finding.signature, detail: finding.detail,
        input: encodeInput(finding.input), outcome: finding.outcome, minimizeTests,
        ...(finding.plan === undefined ? {} : { plan: finding.plan }),
        ...(finding.sourceKind === undefined ? {} : { sourceKind: finding.sourceKind }),
      };
      port.postMessage(message);
    },
  }, config.signatures);

  if (config.mode === 'once') {
    await engine.calibrate([decodeInput(Buffer.from(config.once!))]);
    port.postMessage({ type: 'done', stats: engine.stats, coverage: coverage.totals() });
    return;
  }

  await coverage.reset(); // module loading is not an input's coverage
  const seeds = [...allSeeds(), ...config.extra.map((e) => decodeInput(Buffer.from(e)))];
  await engine.calibrate(seeds);
  const calibrated = coverage.totals();
  port.postMessage({ type: 'calibrated', seeds: seeds.length, coverage: calibrated, stats: engine.stats });
  let lastReport = Date.now();
  while (Date.now() < config.deadline) {
    await engine.step();
    if (Date.now() - lastReport >= 1000) {
      lastReport = Date.now();
      port.postMessage({ type: 'stats', stats: engine.stats, coverage: coverage.totals() });
    }
  }
  port.postMessage({ type: 'done', stats: engine.stats, coverage: coverage.totals() });
}

main().catch((error: unknown) => {
  port.postMessage({ type: 'fatal', message: error instanceof Error ? `${error.stack ?? error.message}` : String(error) });
});
