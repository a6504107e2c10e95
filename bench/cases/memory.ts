/**
 * memory: a 1 GiB message received into a FileCache, and a 1 GiB message
 * composed from it, each in its own child process (memory-child.ts) so that
 * the RSS it measures is that of the operation alone. Target: RSS grows by
 * less than 64 MiB in each. Full run only (or `--case memory`).
 *
 * @module
 */

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchCase, Target } from './types.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'memory-child.js');
const TARGET_GROWTH = 64 * 1024 * 1024;
const MIB = 1024 * 1024;

interface ChildResult {
  mode: string;
  messageBytes: number;
  attachments: number;
  ms: number;
  baselineBytes: number;
  peakBytes: number;
  growthBytes: number;
  samples: number;
  verified: boolean;
  problem: string | null;
  rootId?: string;
}

function runChild(args: string[]): ChildResult {
  const result = spawnSync(process.execPath, ['--expose-gc', CHILD, ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (result.status !== 0) throw new Error(`memory child ${args[0]} exited ${result.status}: ${result.stderr}`);
  const line = result.stdout.trim().split('\n').pop()!;
  return JSON.parse(line) as ChildResult;
}

export const memoryCase: BenchCase = {
  name: 'memory',
  title: 'memory: 1 GiB received into FileCache and composed from it',
  fullOnly: true,
  async run(context) {
    const bytes = context.memoryBytes;
    const dir = fs.mkdtempSync(path.join(context.tmpDir, 'memory-'));
    try {
      context.log(`memory: receiving ${(bytes / MIB).toFixed(0)} MiB into a FileCache (child process)`);
      const received = runChild(['receive', dir, String(bytes)]);
      context.log(`  RSS +${(received.growthBytes / MIB).toFixed(1)} MiB, ${(received.ms / 1000).toFixed(1)} s, ${received.verified ? 'verified' : `WRONG: ${received.problem}`}`);
      const composed = received.verified && received.rootId !== undefined ? runChild(['compose', dir, received.rootId]) : null;
      if (composed !== null) {
        context.log(`  compose: RSS +${(composed.growthBytes / MIB).toFixed(1)} MiB, ${(composed.ms / 1000).toFixed(1)} s, ${composed.verified ? 'verified' : `WRONG: ${composed.problem}`}`);
      }
      const rows = [received, composed].filter((r): r is ChildResult => r !== null);
      const notes = [
        `Each operation runs in a fresh \`node --expose-gc\` child: baseline RSS after setup (corpus files loaded) and a forced GC; peak sampled every 5 ms and on every chunk.`,
        `The message is generated lazily (64 KiB views of the corpus files, cycled): it never exists in memory. FileCache with default options (fsync on commit); compose reads it back as SwA into a sink that only counts (through MultipartParser, to check the framing).`,
        '',
        '| operation | message | attachments | baseline RSS | peak RSS | growth | time | MB/s | samples | verified |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
        ...rows.map((r) => `| ${r.mode === 'receive' ? 'receive → FileCache' : 'compose SwA ← FileCache'} | ${(r.messageBytes / MIB).toFixed(0)} MiB | ${r.attachments} | ` +
          `${(r.baselineBytes / MIB).toFixed(1)} MiB | ${(r.peakBytes / MIB).toFixed(1)} MiB | **${(r.growthBytes / MIB).toFixed(1)} MiB** | ` +
          `${(r.ms / 1000).toFixed(1)} s | ${(r.messageBytes / 1e6 / (r.ms / 1000)).toFixed(0)} | ${r.samples} | ${r.verified ? 'yes' : `no: ${r.problem}`} |`),
      ];
      const target = (r: ChildResult | null, what: string): Target => ({
        text: `memory: ${what} of a ${(bytes / MIB).toFixed(0)} MiB message grows RSS by less than 64 MiB`,
        measured: r === null ? 'not measured (the receive run failed)' : `${(r.growthBytes / MIB).toFixed(1)} MiB${r.verified ? '' : ` (output wrong: ${r.problem})`}`,
        met: r === null || !r.verified ? null : r.growthBytes < TARGET_GROWTH,
      });
      return {
        name: 'memory',
        title: this.title,
        notes,
        tables: [],
        targets: [target(received, 'receive into FileCache'), target(composed, 'compose from FileCache')],
        extra: { received, composed },
      };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
