/**
 * `npm run bench` (`node dist/bench/run.js [options]`): the benchmark suite
 * of issue 7. Each case (bench/cases/) builds its input from ../shared/corpus
 * (the project's corpus/ when absent), verifies every contestant's output,
 * times the verified ones side by side in one process with tinybench, and
 * reports throughput, spread, zero-copy share and ratios to dicer, to the
 * best peer and to the limits, plus the issue's targets met or missed.
 * Writes bench/RESULTS.md and bench/results.json.
 *
 * Options:
 * - `--quick`: tiny inputs, one short round, no memory case: a smoke run
 *   (`npm test` runs it). Writes no files unless `--out` is given.
 * - `--case NAME[,NAME]` (repeatable): only these cases (big, small,
 *   pathological, sax, receive, compose, memory). Writes no files unless
 *   `--out` is given, so a partial run never replaces the full results.
 * - `--out DIR`: where RESULTS.md and results.json go (default bench/ for a full run).
 * - `--rounds N`: interleaved rounds per table (default 21; 1 with --quick).
 * - `--memory-mib N`: size of the memory case's message (default 1024).
 * - `--list`: print the case names.
 *
 * @module
 */

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../test/support/corpus.js';
import { bigCase } from './cases/big.js';
import { composeCase } from './cases/compose.js';
import { memoryCase } from './cases/memory.js';
import { pathologicalCase } from './cases/pathological.js';
import { receiveCase } from './cases/receive.js';
import { saxCase } from './cases/sax.js';
import { smallCase } from './cases/small.js';
import type { BenchCase, CaseContext, CaseResult } from './cases/types.js';
import { benchSettings } from './harness.js';
import { buildBenchMessage, type BenchMessage } from './messages.js';
import { machine, renderJson, renderMarkdown } from './report.js';

const CASES: readonly BenchCase[] = [bigCase, smallCase, pathologicalCase, saxCase, receiveCase, composeCase, memoryCase];

interface Options {
  quick: boolean;
  out: string | null;
  rounds: number | null;
  cases: string[] | null;
  memoryMiB: number;
  list: boolean;
}

function parseArgs(argv: string[]): Options {
  const valueOf = (flag: string): string[] => {
    const values: string[] = [];
    argv.forEach((arg, i) => {
      if (arg === flag) {
        const value = argv[i + 1];
        if (value === undefined || value.startsWith('--')) throw new Error(`${flag} needs a value`);
        values.push(value);
      }
    });
    return values;
  };
  const known = new Set(['--quick', '--out', '--rounds', '--case', '--memory-mib', '--list']);
  argv.forEach((arg, i) => {
    if (arg.startsWith('--') && !known.has(arg)) throw new Error(`unknown option ${arg}`);
    if (!arg.startsWith('--') && (i === 0 || !['--out', '--rounds', '--case', '--memory-mib'].includes(argv[i - 1]!))) {
      throw new Error(`unexpected argument ${arg}`);
    }
  });
  const quick = argv.includes('--quick');
  const cases = valueOf('--case').flatMap((v) => v.split(',')).filter((v) => v !== '');
  for (const name of cases) {
    if (!CASES.some((c) => c.name === name)) throw new Error(`unknown case ${name} (cases: ${CASES.map((c) => c.name).join(', ')})`);
  }
  const out = valueOf('--out').pop() ?? (quick || cases.length > 0 ? null : path.join(projectRoot, 'bench'));
  const roundsText = valueOf('--rounds').pop();
  const rounds = roundsText === undefined ? null : Number(roundsText);
  if (rounds !== null && !(Number.isInteger(rounds) && rounds > 0)) throw new Error('--rounds needs a positive integer');
  const memoryText = valueOf('--memory-mib').pop();
  const memoryMiB = memoryText === undefined ? 1024 : Number(memoryText);
  if (!(memoryMiB > 0)) throw new Error('--memory-mib needs a positive number');
  return { quick, out, rounds, cases: cases.length === 0 ? null : cases, memoryMiB, list: argv.includes('--list') };
}

/** The hand-written analysis of the missed targets, kept next to the results. */
function readAnalysis(): string | null {
  const file = path.join(projectRoot, 'bench', 'analysis.md');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (options.list) {
    for (const c of CASES) process.stdout.write(`${c.name}${c.fullOnly === true ? ' (full run only)' : ''}: ${c.title}\n`);
    return;
  }
  const m = machine();
  const loadStart = os.loadavg();
  const startedAt = new Date();
  process.stdout.write(`machine: ${m.cpu}, ${m.cores} cores, Node ${m.node}, load average ${loadStart.map((l) => l.toFixed(1)).join(' / ')}\n`);
  const settings = benchSettings(options.quick, options.rounds);
  // A named case runs even when it is full-run only (--case memory); otherwise --quick skips those.
  const selected = CASES.filter((c) => (options.cases === null ? !(options.quick && c.fullOnly === true) : options.cases.includes(c.name)));
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xopstream-bench-'));
  let big: BenchMessage | null = null;
  const context: CaseContext = {
    settings,
    log: (line) => process.stdout.write(`${line}\n`),
    tmpDir,
    memoryBytes: Math.round(options.memoryMiB * 1024 * 1024),
    bigMessage: () => (big ??= buildBenchMessage(options.quick ? 2 * 1024 * 1024 : 64 * 1024 * 1024)),
  };
  const results: CaseResult[] = [];
  try {
    for (const c of selected) {
      process.stdout.write(`\n== ${c.name}: ${c.title}\n`);
      results.push(await c.run(context));
    }
  } finally {
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const run = {
    quick: options.quick, command, settings, machine: m, loadStart, loadEnd: os.loadavg(), startedAt,
    seconds: (Date.now() - startedAt.getTime()) / 1000, cases: results,
    analysis: options.quick ? null : readAnalysis(),
  };
  const markdown = renderMarkdown(run);
  process.stdout.write(`\n${markdown}`);
  if (options.out !== null) {
    fs.mkdirSync(options.out, { recursive: true });
    fs.writeFileSync(path.join(options.out, 'RESULTS.md'), markdown);
    fs.writeFileSync(path.join(options.out, 'results.json'), JSON.stringify(renderJson(run), null, 2) + '\n');
    process.stdout.write(`\nwrote ${path.join(options.out, 'RESULTS.md')} and results.json\n`);
  }
  const wrong = results.flatMap((r) => r.tables.flatMap((t) => t.rows.filter((row) => row.wrong !== null && row.kind === 'xopstream')));
  if (wrong.length > 0) {
    process.stderr.write(`xopstream produced wrong results: ${wrong.map((r) => `${r.name}: ${r.wrong}`).join('; ')}\n`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
