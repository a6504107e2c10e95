// `node dist/bench/run.js --quick` runs end to end: it verifies every
// contestant's output and prints a results table. No timing assertions
// (speed is checked by `npm run bench`, never by tests). The checks do not
// depend on the table's exact layout (the benchmark suite grows).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { projectRoot } from './support/corpus.js';

const CONTESTANTS = ['xopstream push', 'xopstream parseMultipart', 'dicer', 'Buffer.indexOf limit'];

function runQuick(env: NodeJS.ProcessEnv, out: string): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [path.join(projectRoot, 'dist', 'bench', 'run.js'), '--quick', '--out', out],
    { cwd: projectRoot, encoding: 'utf8', timeout: 300_000, env });
}

function assertVerifiedTable(stdout: string): void {
  assert.match(stdout, /^machine: .+\d+ cores, Node v\d+/m);
  for (const name of CONTESTANTS) {
    const escaped = name.replace('.', '\\.');
    assert.match(stdout, new RegExp(`${escaped}: verified|verified: .*${escaped}`), `${name} verified`);
    assert.match(stdout, new RegExp(`^\\| ${escaped} \\|.*\\d`, 'm'), `${name} has a table row`);
  }
}

test('bench --quick verifies the contestants and prints a table', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'xopstream-bench-'));
  const result = runQuick(process.env, out);
  assert.equal(result.status, 0, result.stderr);
  assertVerifiedTable(result.stdout);
  const json = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as { quick: boolean; machine: { cores: number } };
  assert.equal(json.quick, true);
  assert.ok(json.machine.cores > 0);
  assert.match(fs.readFileSync(path.join(out, 'RESULTS.md'), 'utf8'), /^\| xopstream push \|/m);
});

test('bench --quick falls back to the corpus/ fixtures when ../shared/corpus is absent', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'xopstream-bench-'));
  const result = runQuick({ ...process.env, XOPSTREAM_SHARED_CORPUS: path.join(os.tmpdir(), 'no-shared-corpus-here') }, out);
  assert.equal(result.status, 0, result.stderr);
  assertVerifiedTable(result.stdout);
});
