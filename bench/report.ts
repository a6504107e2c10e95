/**
 * Renders a benchmark run as bench/RESULTS.md and bench/results.json.
 *
 * @module
 */

import os from 'node:os';
import type { CaseResult } from './cases/types.js';
import type { BenchSettings } from './harness.js';
import type { Row, Table } from './tables.js';

export interface Machine {
  cpu: string;
  cores: number;
  node: string;
  platform: string;
  memoryGiB: number;
}

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
  };
}

export interface RunInfo {
  quick: boolean;
  command: string;
  settings: BenchSettings;
  machine: Machine;
  loadStart: number[];
  loadEnd: number[];
  startedAt: Date;
  seconds: number;
  cases: CaseResult[];
  /** Hand-written analysis (bench/analysis.md) appended to a full run's report, or null. */
  analysis: string | null;
}

const fmt = (value: number): string => (value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2));
const load = (l: number[]): string => l.map((x) => x.toFixed(1)).join(' / ');

function rowLine(row: Row): string {
  if (row.wrong !== null) {
    return `| ${row.name} | ${row.kind} | — | — | — | — | — | wrong result, no number: ${row.wrong} |`;
  }
  const zeroCopy = row.zeroCopyShare === null ? 'n/a' : `${(row.zeroCopyShare * 100).toFixed(row.zeroCopyShare === 1 || row.zeroCopyShare === 0 ? 0 : 3)}%`;
  const name = row.kind === 'xopstream' ? `**${row.name}**` : row.name;
  return `| ${name} | ${row.kind} | ${fmt(row.rate!)} | ${fmt(row.rateLow!)}–${fmt(row.rateHigh!)} | ${fmt(row.rateBest!)} | ` +
    `${zeroCopy} | ${row.samples} | ${row.description}${row.note === null ? '' : ` (${row.note})`} |`;
}

function tableLines(table: Table): string[] {
  const lines = [
    `### ${table.title}`,
    '',
    ...table.notes,
    '',
    `| contestant | kind | ${table.unit} (median) | spread (slowest–fastest round) | best run | zero-copy share | samples | what it does |`,
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |',
    ...table.rows.map((r) => rowLine(r)),
    '',
  ];
  if (table.ratios.length > 0) {
    lines.push('| xopstream | against | relation | ratio (median of per-round ratios) | range over rounds |',
      '| --- | --- | --- | ---: | ---: |',
      ...table.ratios.map((r) => `| ${r.of} | ${r.to} | ${r.relation} | ${r.ratio.median.toFixed(2)}x | ${r.ratio.min.toFixed(2)}–${r.ratio.max.toFixed(2)} |`),
      '');
  }
  return lines;
}

export function renderMarkdown(run: RunInfo): string {
  const m = run.machine;
  const s = run.settings;
  const targets = run.cases.flatMap((c) => c.targets);
  const verdict = (t: { met: boolean | null; informational?: boolean }): string =>
    (t.informational === true ? 'for the record (no target)' : t.met === null ? 'not measured' : t.met ? 'met' : '**MISSED**');
  const lines = [
    `# Benchmark results${run.quick ? ' (quick smoke run: tiny inputs, numbers mean nothing)' : ''}`,
    '',
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform}; Node ${m.node}`,
    `- Load average (1/5/15 min) at start: ${load(run.loadStart)}; at end: ${load(run.loadEnd)}. The machine is shared with other engineers' test runs: read the spreads.`,
    `- Run: \`${run.command}\` on ${run.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${(run.seconds / 60).toFixed(1)} min.`,
    `- Method: tinybench; every table runs all its contestants in ${s.rounds} interleaved round(s) (at least ${s.iterations} runs and ${s.timeMs} ms each per round, after warm-up).`,
    '  A figure is the median of the round medians; the spread is the slowest and fastest round median; "best run" is the fastest single run (least disturbed by other load).',
    '  A ratio is the median over rounds of the ratio of the two contestants\' medians within the same round (so both saw the same load); the range is over rounds.',
    '- MB/s = 10^6 bytes per second of the whole message. Every contestant\'s output is verified (part count, sizes, sha256) before it is timed; a wrong result gets no number.',
    '- Zero-copy share: body bytes handed on as views sharing the input\'s ArrayBuffer / all body bytes.',
    '- Kinds: **xopstream**; peer (other Node parsers); limit (the least work any implementation must do over the same chunks).',
    '',
    '## Targets (issue 7)',
    '',
    '| target | measured | verdict |',
    '| --- | --- | --- |',
    ...targets.map((t) => `| ${t.text} | ${t.measured} | ${verdict(t)} |`),
    '',
  ];
  for (const c of run.cases) {
    lines.push(`## ${c.title}`, '');
    if (c.notes.length > 0) lines.push(...c.notes, '');
    for (const table of c.tables) lines.push(...tableLines(table));
  }
  if (run.analysis !== null) lines.push(run.analysis.trim(), '');
  lines.push('Reproduce: see "Benchmarks" in README.md (`npm run bench`; one case: `npm run bench -- --case NAME`).', '');
  return lines.join('\n');
}

export function renderJson(run: RunInfo): unknown {
  return {
    date: run.startedAt.toISOString(),
    quick: run.quick,
    command: run.command,
    seconds: run.seconds,
    machine: run.machine,
    loadAverage: { start: run.loadStart, end: run.loadEnd },
    settings: run.settings,
    targets: run.cases.flatMap((c) => c.targets.map((t) => ({ case: c.name, ...t }))),
    cases: run.cases,
  };
}
