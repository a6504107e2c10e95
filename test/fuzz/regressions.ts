/**
 * The regression folder, corpus/regressions/: one `<name>.bin` (the message
 * bytes) and one `<name>.json` per finding or hand-made hostile input:
 *
 * ```json
 * { "target": "mime", "contentType": "multipart/related; boundary=b", "options": {},
 *   "description": "why this input is here",
 *   "finding": { "kind": "crash", "signature": "...", "detail": "...", "seed": 1 },
 *   "status": "fixed",
 *   "expected": { "error": "ERR_MIME_BAD_HEADER" } }
 * ```
 * `expected` is either `{ "error": code }` or
 * `{ "rootIndex": n, "parts": [{ "index", "contentId", "contentType", "size", "sha256" }] }`.
 * `status: "open"` marks a finding not fixed yet: its replay fails until the
 * bug is fixed and `node dist/test/fuzz/run.js --accept <name>` records the
 * outcome that was checked by hand.
 */

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ownCorpusDir } from '../support/corpus.js';
import type { FuzzInput, FuzzOptions, Outcome } from './input.js';

/** Where the regression inputs live. */
export const regressionsDir = path.join(ownCorpusDir, 'regressions');

/** Expected outcome of a regression input. */
export type Expected =
  | { error: string }
  | { rootIndex: number | null; parts: Array<{ index: number; contentId: string | null; contentType: string | null; size: number; sha256: string }>; extraSha256?: string };

/** One regression case. */
export interface RegressionCase {
  name: string;
  target: string;
  contentType: string;
  options: FuzzOptions;
  description: string;
  finding?: { kind: string; signature: string; detail: string; seed?: number };
  status: 'open' | 'fixed';
  expected: Expected | null;
  bytes: Buffer;
}

/** Every case in the folder, sorted by name. */
export function loadRegressions(dir: string = regressionsDir): RegressionCase[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((file) => {
    const name = file.slice(0, -'.json'.length);
    const meta = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Omit<RegressionCase, 'name' | 'bytes'>;
    return { ...meta, options: meta.options ?? {}, status: meta.status ?? 'fixed', name, bytes: fs.readFileSync(path.join(dir, `${name}.bin`)) };
  });
}

/** The fuzz input of a case. */
export function inputOf(c: RegressionCase): FuzzInput {
  return { contentType: c.contentType, bytes: c.bytes, options: c.options };
}

/** Writes (or overwrites) a case. */
export function writeRegression(c: RegressionCase, dir: string = regressionsDir): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${c.name}.bin`), c.bytes);
  const { bytes: _bytes, name: _name, ...meta } = c;
  fs.writeFileSync(path.join(dir, `${c.name}.json`), JSON.stringify(meta, null, 2) + '\n');
}

/** Compares an outcome with an expectation; returns what differs, or null. */
export function mismatch(outcome: Outcome, expected: Expected): string | null {
  if ('error' in expected) {
    if (outcome.ok) return `expected ${expected.error}, got success with ${outcome.parts.length} part(s)`;
    if (!outcome.xop) return `expected ${expected.error}, got a non-XopError ${outcome.name}: ${outcome.message}`;
    return outcome.code === expected.error ? null : `expected ${expected.error}, got ${outcome.code}: ${outcome.message}`;
  }
  if (!outcome.ok) return `expected ${expected.parts.length} part(s), got ${outcome.xop ? outcome.code : outcome.name}: ${outcome.message}`;
  if (outcome.rootIndex !== expected.rootIndex) return `expected root ${expected.rootIndex}, got ${outcome.rootIndex}`;
  if (outcome.parts.length !== expected.parts.length) return `expected ${expected.parts.length} part(s), got ${outcome.parts.length}`;
  for (let i = 0; i < expected.parts.length; i++) {
    const e = expected.parts[i]!;
    const p = outcome.parts[i]!;
    for (const key of ['index', 'contentId', 'contentType', 'size', 'sha256'] as const) {
      if (p[key] !== e[key]) return `part ${i}: expected ${key} ${JSON.stringify(e[key])}, got ${JSON.stringify(p[key])}`;
    }
  }
  if (expected.extraSha256 !== undefined) {
    // The target's own facts (SOAP version, includes, root document digest...), compared as a digest.
    const actual = createHash('sha256').update(JSON.stringify(outcome.extra)).digest('hex');
    if (actual !== expected.extraSha256) return `target facts differ: ${JSON.stringify(outcome.extra).slice(0, 300)}`;
  }
  return null;
}
