// `node dist/bench/run.js --quick` runs every case end to end on tiny inputs:
// it verifies every contestant's output and writes the report. No timing
// assertions (speed is checked by `npm run bench`, never by tests); what is
// asserted is that the suite still runs, that xopstream's results are
// verified, and that the report has the shape the README promises.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { projectRoot } from './support/corpus.js';

const RUN = path.join(projectRoot, 'dist', 'bench', 'run.js');

interface JsonRow { name: string; kind: string; wrong: string | null; rate: number | null; zeroCopyShare: number | null }
interface JsonTable { id: string; rows: JsonRow[]; ratios: Array<{ of: string; to: string; relation: string }> }
interface JsonResults {
  quick: boolean;
  machine: { cpu: string; cores: number; node: string };
  loadAverage: { start: number[]; end: number[] };
  targets: Array<{ case: string; text: string; met: boolean | null; informational?: boolean }>;
  cases: Array<{ name: string; tables: JsonTable[]; extra?: Record<string, any> }>;
}

function bench(args: string[], env: NodeJS.ProcessEnv = process.env): { status: number | null; stdout: string; stderr: string; out: string } {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'xopstream-bench-'));
  const result = spawnSync(process.execPath, [RUN, ...args, '--out', out], { cwd: projectRoot, encoding: 'utf8', timeout: 300_000, env });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, out };
}

function results(out: string): JsonResults {
  return JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as JsonResults;
}

const CASES = ['big', 'small', 'pathological', 'sax', 'receive', 'compose'];
const PEERS = ['dicer', '@fastify/busboy Dicer', '@remix-run/multipart-parser', '@mjackson/multipart-parser', 'multipasta'];
const LIMITS = ['Buffer.indexOf limit', 'Buffer.indexOf limit (LF framing)', 'Buffer.indexOf limit, async source', 'copy limit', 'xxh64 limit'];
const MULTIPART_TABLES = ['big-64KiB', 'big-1MiB', 'small', 'pathological'];

/** Every multipart contestant side by side; xopstream's rows verified, timed and zero-copy; every other table's xopstream rows verified. */
function assertVerifiedTables(json: JsonResults): void {
  const tables = json.cases.flatMap((c) => c.tables);
  for (const id of MULTIPART_TABLES) {
    const t = tables.find((x) => x.id === id)!;
    assert.deepEqual(t.rows.map((r) => r.name), ['xopstream push', 'xopstream parseMultipart', 'xopstream parseMultipart, async source', ...PEERS, ...LIMITS], id);
    for (const row of t.rows.filter((r) => r.kind === 'xopstream')) {
      assert.equal(row.wrong, null, `${id} ${row.name}`);
      assert.ok(row.rate! > 0);
      // Body views are subarrays of the input; the only copies allowed are the few held-back bytes of a
      // delimiter candidate that straddled two chunks and turned out to be data (the corpus/ fallback
      // message has such candidates at chunk borders, the shared corpus's PDFs and JPEGs may too).
      assert.ok(row.zeroCopyShare! > 0.99, `${id} ${row.name}: zero-copy share ${row.zeroCopyShare}`);
    }
    for (const relation of ['dicer', 'best peer', 'limit']) {
      assert.ok(t.ratios.some((r) => r.of === 'xopstream push' && r.relation === relation), `${id}: push against ${relation}`);
    }
  }
  for (const id of ['sax-mtom', 'sax-base64', 'receive', 'compose']) {
    const t = tables.find((x) => x.id === id)!;
    assert.ok(t.rows.some((r) => r.kind === 'limit' && r.wrong === null), `${id} has a verified limit`);
    for (const row of t.rows.filter((r) => r.kind === 'xopstream')) assert.equal(row.wrong, null, `${id} ${row.name}`);
    assert.ok(t.ratios.length > 0, `${id} has ratios`);
  }
}

test('bench --quick runs every case, verifies xopstream and writes RESULTS.md and results.json', () => {
  const run = bench(['--quick']);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^machine: .+, \d+ cores, Node v\d+/m);
  for (const name of CASES) assert.match(run.stdout, new RegExp(`^== ${name}: `, 'm'));
  assert.doesNotMatch(run.stdout, /^== memory/m, 'the memory case is full-run only');

  const json = results(run.out);
  assert.equal(json.quick, true);
  assert.ok(json.machine.cores > 0 && json.machine.node.startsWith('v'));
  assert.equal(json.loadAverage.start.length, 3);
  assert.deepEqual(json.cases.map((c) => c.name), CASES);
  assertVerifiedTables(json);
  // Every issue-7 target but memory's is listed with a verdict.
  const texts = json.targets.map((t) => t.text).join('\n');
  for (const what of [/big, 64 KiB chunks: xopstream push at least the best peer/, /big, 64 KiB chunks: xopstream push at least 95% of Buffer\.indexOf/,
    /small: push API at least 1\.5x/, /small: streaming API/, /pathological: xopstream push at least 95%/, /zero-copy share/,
    /SAX pass .*at least 80% of saxes alone/, /receive to MemoryCache with xxh64: at least 80%/]) {
    assert.match(texts, what);
  }
  for (const t of json.targets) assert.ok(t.met === true || t.met === false || t.informational === true, t.text);

  const markdown = fs.readFileSync(path.join(run.out, 'RESULTS.md'), 'utf8');
  assert.match(markdown, /^# Benchmark results \(quick smoke run/m);
  assert.match(markdown, /^- Machine: .+ cores/m);
  assert.match(markdown, /^- Load average \(1\/5\/15 min\) at start: [\d.]+ \/ [\d.]+ \/ [\d.]+; at end: /m);
  assert.match(markdown, /^## Targets \(issue 7\)$/m);
  assert.match(markdown, /^\| \*\*xopstream push\*\* \| xopstream \| [\d.]+ \| [\d.]+–[\d.]+ \| [\d.]+ \| (100|99\.\d+|100\.0+)% \|/m);
  assert.match(markdown, /^\| xopstream push \| dicer \| dicer \| [\d.]+x \|/m);
});

test('bench --quick falls back to the corpus/ fixtures when ../shared/corpus is absent', () => {
  const run = bench(['--quick', '--case', 'big,small,pathological,sax'],
    { ...process.env, XOPSTREAM_SHARED_CORPUS: path.join(os.tmpdir(), 'no-shared-corpus-here') });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /corpus\/ fixtures \(\.\.\/shared\/corpus absent\)/);
  const json = results(run.out);
  for (const t of json.cases.flatMap((c) => c.tables)) {
    for (const row of t.rows.filter((r) => r.kind === 'xopstream')) assert.equal(row.wrong, null, `${t.id} ${row.name}`);
  }
});

test('bench --case memory measures RSS of receive and compose in child processes', () => {
  const run = bench(['--quick', '--case', 'memory', '--memory-mib', '8']);
  assert.equal(run.status, 0, run.stderr);
  const json = results(run.out);
  assert.deepEqual(json.cases.map((c) => c.name), ['memory']);
  const { received, composed } = json.cases[0]!.extra!;
  assert.equal(received.verified, true, received.problem);
  assert.equal(composed.verified, true, composed.problem);
  assert.ok(received.messageBytes >= 8 * 1024 * 1024);
  assert.equal(composed.attachments, received.attachments);
  for (const r of [received, composed]) assert.ok(r.peakBytes >= r.baselineBytes && r.samples > 0);
  assert.equal(json.targets.length, 2);
  assert.match(fs.readFileSync(path.join(run.out, 'RESULTS.md'), 'utf8'), /^\| receive → FileCache \| \d+ MiB \|/m);
});

test('bench refuses an unknown case or option', () => {
  const unknownCase = bench(['--quick', '--case', 'nope']);
  assert.notEqual(unknownCase.status, 0);
  assert.match(unknownCase.stderr, /unknown case nope \(cases: big, small, pathological, sax, receive, compose, memory\)/);
  const unknownOption = bench(['--quick', '--fast']);
  assert.notEqual(unknownOption.status, 0);
  assert.match(unknownOption.stderr, /unknown option --fast/);
});
