/**
 * One results table: a set of entries (contestants) over the same input,
 * each verified before it is timed — a wrong result gets no number, only the
 * reason — then timed together (see harness.ts), with throughput, spread,
 * zero-copy share and the ratios of each xopstream entry to dicer, to the
 * best peer and to every limit.
 *
 * @module
 */

import crypto from 'node:crypto';
import { timeTasks, roundRatio, median, type BenchSettings, type Ratio, type TimedTask } from './harness.js';
import type { BenchMessage } from './messages.js';
import type { BodySink, ByteLimit, Contestant, ContestantKind, PartSink } from './contestants/types.js';

/** What verification found. */
export type Verdict =
  | { ok: true; zeroCopyShare: number | null; note?: string }
  | { ok: false; reason: string };

/** One contestant of a table: how to check it and how to time it. */
export interface Entry {
  name: string;
  description: string;
  kind: ContestantKind;
  verify(): Promise<Verdict>;
  task: Omit<TimedTask, 'name'>;
}

/** A row of a results table. Rates are in the table's unit (MB/s = 10^6 bytes/s, or parts/s). */
export interface Row {
  name: string;
  description: string;
  kind: ContestantKind;
  /** Null when verified and timed; else why this entry got no number. */
  wrong: string | null;
  /** Body bytes handed on as views of the input's memory / all body bytes (null: not applicable). */
  zeroCopyShare: number | null;
  note: string | null;
  medianMs: number | null;
  /** Lowest and highest round median (ms). */
  fastestRoundMs: number | null;
  slowestRoundMs: number | null;
  bestMs: number | null;
  samples: number;
  rate: number | null;
  rateLow: number | null;
  rateHigh: number | null;
  rateBest: number | null;
}

/** A ratio of two rows' throughputs, measured within the same rounds. */
export interface RatioLine {
  of: string;
  to: string;
  /** `dicer`, `best peer` or `limit`. */
  relation: string;
  ratio: Ratio;
}

export interface Table {
  id: string;
  title: string;
  unit: 'MB/s' | 'parts/s';
  /** Work per run in the unit's numerator (bytes or parts). */
  workPerRun: number;
  notes: string[];
  rows: Row[];
  ratios: RatioLine[];
}

/** Runs a table: verify each entry, time the verified ones together, derive rates and ratios. */
export async function runTable(spec: {
  id: string;
  title: string;
  unit: 'MB/s' | 'parts/s';
  workPerRun: number;
  notes: string[];
  entries: Entry[];
  settings: BenchSettings;
  log: (line: string) => void;
}): Promise<Table> {
  const verdicts = new Map<string, Verdict>();
  for (const entry of spec.entries) {
    let verdict: Verdict;
    try {
      verdict = await entry.verify();
    } catch (error) {
      verdict = { ok: false, reason: `threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}` };
    }
    verdicts.set(entry.name, verdict);
    spec.log(`  ${entry.name}: ${verdict.ok ? 'verified' : `WRONG (${verdict.reason}): no number`}`);
  }
  const timed = spec.entries.filter((e) => verdicts.get(e.name)!.ok);
  const timings = await timeTasks(timed.map((e) => ({ name: e.name, ...e.task })), spec.settings,
    (round) => spec.log(`  ${spec.id}: round ${round + 1}/${spec.settings.rounds}`));
  const perSecond = (ms: number): number => (spec.unit === 'MB/s' ? spec.workPerRun / 1e6 : spec.workPerRun) / (ms / 1000);
  const rows: Row[] = spec.entries.map((entry) => {
    const verdict = verdicts.get(entry.name)!;
    const base = { name: entry.name, description: entry.description, kind: entry.kind };
    if (!verdict.ok) {
      return {
        ...base, wrong: verdict.reason, zeroCopyShare: null, note: null, medianMs: null, fastestRoundMs: null,
        slowestRoundMs: null, bestMs: null, samples: 0, rate: null, rateLow: null, rateHigh: null, rateBest: null,
      };
    }
    const timing = timings.get(entry.name)!;
    const medianMs = median(timing.roundMedians);
    const fastest = Math.min(...timing.roundMedians);
    const slowest = Math.max(...timing.roundMedians);
    return {
      ...base, wrong: null, zeroCopyShare: verdict.zeroCopyShare, note: verdict.note ?? null,
      medianMs, fastestRoundMs: fastest, slowestRoundMs: slowest, bestMs: timing.best, samples: timing.samples,
      rate: perSecond(medianMs), rateLow: perSecond(slowest), rateHigh: perSecond(fastest), rateBest: perSecond(timing.best),
    };
  });

  const ratios: RatioLine[] = [];
  const timedRows = rows.filter((r) => r.wrong === null);
  const peers = timedRows.filter((r) => r.kind === 'peer');
  const bestPeer = peers.length === 0 ? null : peers.reduce((a, b) => (b.rate! > a.rate! ? b : a));
  const dicer = timedRows.find((r) => r.name === 'dicer') ?? null;
  for (const row of timedRows.filter((r) => r.kind === 'xopstream')) {
    const against = (other: Row | null, relation: string): void => {
      if (other === null) return;
      ratios.push({ of: row.name, to: other.name, relation, ratio: roundRatio(timings.get(row.name)!, timings.get(other.name)!) });
    };
    against(dicer, 'dicer');
    if (bestPeer !== null) against(bestPeer, 'best peer');
    for (const limit of timedRows.filter((r) => r.kind === 'limit')) against(limit, 'limit');
  }
  return { id: spec.id, title: spec.title, unit: spec.unit, workPerRun: spec.workPerRun, notes: spec.notes, rows, ratios };
}

/** The ratio of `of` to `to` in a table, if both were timed. */
export function ratioOf(table: Table, of: string, to: string): Ratio | null {
  return table.ratios.find((r) => r.of === of && r.to === to)?.ratio ?? null;
}

/** The ratio of `of` to the best peer in a table. */
export function ratioToBestPeer(table: Table, of: string): RatioLine | null {
  return table.ratios.find((r) => r.of === of && r.relation === 'best peer') ?? null;
}

// --- multipart contestants ---------------------------------------------------------

/** Checks a contestant's parts (count, Content-IDs, sizes, sha256) and measures its zero-copy share. */
export async function verifyParts(contestant: Contestant, message: BenchMessage): Promise<Verdict> {
  const got: Array<{ size: number; sha256: string; contentId: string | null }> = [];
  let viewBytes = 0;
  let allBytes = 0;
  const input = message.message.buffer;
  const sink: PartSink = {
    begin(contentId) {
      const entry = { size: 0, sha256: '', contentId: contentId === null ? null : contentId.trim().replace(/^<(.*)>$/, '$1') };
      got.push(entry);
      const hash = crypto.createHash('sha256');
      return {
        data(view) {
          hash.update(view);
          entry.size += view.length;
          allBytes += view.length;
          // A view of the input shares its ArrayBuffer (every chunk is a subarray of the message).
          if (view.buffer === input) viewBytes += view.length;
        },
        end() { entry.sha256 = hash.digest('hex'); },
      };
    },
  };
  await contestant.parse(message, sink);
  const want = message.parts;
  if (got.length !== want.length) return { ok: false, reason: `${got.length} parts, expected ${want.length}` };
  for (let i = 0; i < want.length; i++) {
    const p = got[i]!;
    if (contestant.kind !== 'limit' && p.contentId !== want[i]!.contentId) {
      return { ok: false, reason: `part ${i} has Content-ID ${JSON.stringify(p.contentId)}, expected ${JSON.stringify(want[i]!.contentId)}` };
    }
    if (p.size !== want[i]!.size || p.sha256 !== want[i]!.sha256) {
      return {
        ok: false,
        reason: `part ${i} has ${p.size} bytes, sha256 ${p.sha256.slice(0, 12)}…; expected ${want[i]!.size} bytes, ${want[i]!.sha256.slice(0, 12)}…`,
      };
    }
  }
  return { ok: true, zeroCopyShare: allBytes === 0 ? null : viewBytes / allBytes };
}

/** What timing uses: counts bytes and parts, so that the sink costs next to nothing. */
export function countingSink(): PartSink & { bytes: number; parts: number } {
  const counter = {
    bytes: 0,
    parts: 0,
    begin(): BodySink {
      counter.parts++;
      return body;
    },
  };
  const body: BodySink = {
    data(view) { counter.bytes += view.length; },
    end() {},
  };
  return counter;
}

/** A table entry for a multipart contestant. */
export function multipartEntry(contestant: Contestant, message: BenchMessage): Entry {
  const expectedParts = message.parts.length;
  return {
    name: contestant.name,
    description: contestant.description,
    kind: contestant.kind,
    verify: () => verifyParts(contestant, message),
    task: {
      fn: async () => {
        const sink = countingSink();
        await contestant.parse(message, sink);
        if (sink.parts !== expectedParts) throw new Error(`${contestant.name}: ${sink.parts} parts, expected ${expectedParts}`);
      },
    },
  };
}

/** A table entry for a limit that hands on no parts. */
export function byteLimitEntry(limit: ByteLimit, message: BenchMessage): Entry {
  let prepared: Awaited<ReturnType<ByteLimit['prepare']>> | null = null;
  return {
    name: limit.name,
    description: limit.description,
    kind: limit.kind,
    async verify() {
      prepared = await limit.prepare(message);
      const problem = prepared.check();
      return problem === null ? { ok: true, zeroCopyShare: null } : { ok: false, reason: problem };
    },
    task: { fn: () => prepared!.run() },
  };
}
