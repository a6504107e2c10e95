// Replays corpus/regressions/: every input the fuzzer (or a person) found
// hostile, with the outcome it must produce now — whole, under the chunking
// matrix, and through each kind of source. An open finding (not fixed yet)
// fails here until it is fixed and accepted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyPlan, type ChunkPlan } from './fuzz/chunking.js';
import { describeOutcome } from './fuzz/input.js';
import { inputOf, loadRegressions, mismatch } from './fuzz/regressions.js';
import { loadTarget } from './fuzz/targets/index.js';
import type { SourceKind } from './fuzz/targets/mime.js';

const cases = loadRegressions();

const PLANS: ReadonlyArray<{ name: string; plan: ChunkPlan }> = [
  { name: 'whole', plan: { mode: 'whole' } },
  { name: 'byte by byte', plan: { mode: 'bytes' } },
  { name: '3-byte slices', plan: { mode: 'fixed', size: 3 } },
  { name: '7-byte slices', plan: { mode: 'fixed', size: 7 } },
  { name: '64-byte slices', plan: { mode: 'fixed', size: 64 } },
  { name: 'random slices (seed 7)', plan: { mode: 'random', seed: 7, max: 50 } },
];
const SOURCES: readonly SourceKind[] = ['iterable', 'async', 'web'];

test('the regression folder is not empty', () => {
  assert.ok(cases.length > 0, 'corpus/regressions/ holds at least one case');
});

for (const c of cases) {
  test(`regression ${c.name}: ${c.description.slice(0, 100)}`, async () => {
    assert.notEqual(c.status, 'open', `${c.name} is an open finding: fix it, then run node dist/test/fuzz/run.js --accept ${c.name}`);
    assert.ok(c.expected !== null, `${c.name} has no expected outcome`);
    const target = await loadTarget(c.target);
    const input = inputOf(c);
    for (const { name, plan } of PLANS) {
      // Byte by byte over a large input is slow and adds nothing the other plans miss.
      if (plan.mode === 'bytes' && input.bytes.length > 64 * 1024) continue;
      for (const kind of plan.mode === 'whole' ? SOURCES : (['iterable'] as const)) {
        const outcome = await target.run(input, applyPlan(input.bytes, plan), kind);
        assert.ok(outcome.ok || outcome.xop, `${c.name} (${name}, ${kind}): ${describeOutcome(outcome)}`);
        const problem = mismatch(outcome, c.expected!);
        assert.equal(problem, null, `${c.name} (${name}, ${kind}): ${problem}`);
      }
    }
  });
}
