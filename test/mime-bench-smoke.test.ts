// `node dist/bench/run.js --quick` runs end to end: it verifies every
// contestant's output and prints the results table. No timing assertions
// (speed is checked by `npm run bench`, never by tests).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { projectRoot } from './support/corpus.js';

test('bench --quick verifies the contestants and prints a table', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'xopstream-bench-'));
  const result = spawnSync(process.execPath, [path.join(projectRoot, 'dist', 'bench', 'run.js'), '--quick', '--out', out],
    { cwd: projectRoot, encoding: 'utf8', timeout: 120_000 });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^machine: .+, \d+ cores, Node v\d+/m);
  assert.match(result.stdout, /verified: xopstream push, xopstream parseMultipart, dicer, Buffer\.indexOf limit/);
  for (const name of ['xopstream push', 'xopstream parseMultipart', 'dicer', 'Buffer.indexOf limit']) {
    assert.match(result.stdout, new RegExp(`^\\| ${name.replace('.', '\\.')} \\| \\d+ \\| [\\d.]+ \\|`, 'm'), name);
  }
  assert.match(result.stdout, /\| xopstream push \/ dicer \| [\d.]+x \|/);
  const json = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as { results: Array<{ mbPerSecond: number }>; quick: boolean };
  assert.equal(json.quick, true);
  assert.equal(json.results.length, 4);
  for (const r of json.results) assert.ok(r.mbPerSecond > 0);
  assert.ok(fs.readFileSync(path.join(out, 'RESULTS.md'), 'utf8').includes('| contestant | MB/s (median) |'));
});
