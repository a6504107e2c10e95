/**
 * Timing: every task of one table runs in each of several tinybench rounds,
 * interleaved, so that the ratios between contestants are measured under the
 * same load (the machine is shared: a ratio of two numbers taken minutes
 * apart means little). Each round gives every task a median latency; a task's
 * figure is the median of its round medians, its spread the lowest and
 * highest round median, and a ratio is the median of the per-round ratios.
 *
 * No forced GC between tasks: tried, it shrinks V8's heap before each task
 * and penalises the allocation-heavy ones (the SAX scanner fell from ~0.78x
 * to ~0.55x of saxes alone), which no server sees.
 *
 * @module
 */

import { Bench } from 'tinybench';

/** How long and how often to run. */
export interface BenchSettings {
  quick: boolean;
  /** Rounds per table (each round runs every task). */
  rounds: number;
  /** tinybench time budget per task per round (ms); at least `iterations` runs happen anyway. */
  timeMs: number;
  iterations: number;
  warmupMs: number;
  warmupIterations: number;
}

/**
 * Many short rounds rather than a few long ones: the load of a shared machine
 * changes over seconds, and two contestants timed close together in time see
 * more nearly the same load, which is what a per-round ratio needs. Measured
 * on this machine: memory-bound contestants (the delimiter searches) run up to
 * 1.5x slower for stretches of seconds while neighbours load the memory
 * system, so 21 rounds of 250 ms (rather than 9 of 600 ms, the same time per
 * contestant) keep each ratio's two sides closer in time and give the median
 * more ratios to stand on.
 */
export function benchSettings(quick: boolean, rounds: number | null): BenchSettings {
  return quick
    ? { quick, rounds: rounds ?? 1, timeMs: 40, iterations: 2, warmupMs: 0, warmupIterations: 1 }
    : { quick, rounds: rounds ?? 21, timeMs: 250, iterations: 3, warmupMs: 50, warmupIterations: 1 };
}

/** One timed function; `afterEach` runs after each iteration, outside the timing (clean-up). */
export interface TimedTask {
  name: string;
  fn: () => unknown;
  afterEach?: () => void | Promise<void>;
}

/** What the rounds measured for one task (milliseconds per run). */
export interface TaskTiming {
  /** Each round's median latency. */
  roundMedians: number[];
  /** The fastest single run seen: the figure least disturbed by other load. */
  best: number;
  samples: number;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs every task in `settings.rounds` interleaved tinybench rounds. */
export async function timeTasks(tasks: readonly TimedTask[], settings: BenchSettings,
  onRound?: (round: number) => void): Promise<Map<string, TaskTiming>> {
  const timings = new Map<string, TaskTiming>();
  for (const task of tasks) timings.set(task.name, { roundMedians: [], best: Infinity, samples: 0 });
  for (let round = 0; round < settings.rounds; round++) {
    onRound?.(round);
    const bench = new Bench({
      time: settings.timeMs,
      iterations: settings.iterations,
      warmupTime: settings.warmupMs,
      warmupIterations: settings.warmupIterations,
      throws: true,
    });
    // Alternate the order from round to round so that no task always runs right after a heavy one.
    const ordered = round % 2 === 0 ? tasks : [...tasks].reverse();
    for (const task of ordered) {
      bench.add(task.name, task.fn, task.afterEach === undefined ? {} : { afterEach: task.afterEach });
    }
    await bench.run();
    for (const task of bench.tasks) {
      const result = task.result as { state: string; latency?: { p50: number; min: number; samplesCount?: number }; error?: unknown };
      if (result.state !== 'completed' || result.latency === undefined) {
        throw new Error(`${task.name}: ${result.state} ${String(result.error ?? '')}`);
      }
      const timing = timings.get(task.name)!;
      timing.roundMedians.push(result.latency.p50);
      timing.best = Math.min(timing.best, result.latency.min);
      timing.samples += result.latency.samplesCount ?? 0;
    }
  }
  return timings;
}

/** A ratio of throughputs (a/b), from each round's medians: median and range over rounds. */
export interface Ratio {
  median: number;
  min: number;
  max: number;
}

/** Throughput of `a` over throughput of `b`, per round (b's time / a's time). */
export function roundRatio(a: TaskTiming, b: TaskTiming): Ratio {
  const ratios = a.roundMedians.map((ms, i) => b.roundMedians[i]! / ms);
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
}
