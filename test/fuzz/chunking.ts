/**
 * Chunk plans: how one input is split for the chunking oracle. A plan is a
 * small JSON-safe value, so a finding records the exact split that exposed it
 * and minimization re-applies it to shorter inputs.
 */

import { Prng } from './prng.js';

/** How to split an input. */
export type ChunkPlan =
  | { mode: 'whole' }
  | { mode: 'bytes' }
  | { mode: 'fixed'; size: number }
  | { mode: 'random'; seed: number; max: number }
  | { mode: 'two'; at: number };

/** Splits `bytes` per `plan` (views, no copies). */
export function applyPlan(bytes: Uint8Array, plan: ChunkPlan): Uint8Array[] {
  const out: Uint8Array[] = [];
  const n = bytes.length;
  switch (plan.mode) {
    case 'whole':
      return [bytes];
    case 'bytes':
    case 'fixed': {
      const size = plan.mode === 'bytes' ? 1 : Math.max(1, plan.size);
      for (let i = 0; i < n; i += size) out.push(bytes.subarray(i, Math.min(n, i + size)));
      break;
    }
    case 'two': {
      const at = Math.min(n, Math.max(0, plan.at));
      out.push(bytes.subarray(0, at), bytes.subarray(at));
      break;
    }
    default: {
      const rng = new Prng(plan.seed);
      for (let i = 0; i < n;) {
        const size = 1 + rng.int(Math.max(1, plan.max));
        out.push(bytes.subarray(i, Math.min(n, i + size)));
        i += size;
      }
    }
  }
  if (out.length === 0) out.push(bytes.subarray(0, 0));
  return out;
}

/** Picks a plan for an input of `length` bytes. */
export function pickPlan(rng: Prng, length: number): ChunkPlan {
  const roll = rng.int(100);
  if (roll < 10 && length <= 16 * 1024) return { mode: 'bytes' };
  if (roll < 30) return { mode: 'two', at: rng.int(length + 1) };
  if (roll < 45) return { mode: 'fixed', size: rng.pick([2, 3, 7, 13, 64, 4096]) };
  return { mode: 'random', seed: rng.u32(), max: rng.pick([4, 16, 100, 1000, 10_000]) };
}

/** A short description of a plan. */
export function describePlan(plan: ChunkPlan): string {
  switch (plan.mode) {
    case 'whole': return 'whole';
    case 'bytes': return 'byte by byte';
    case 'fixed': return `${plan.size}-byte slices`;
    case 'two': return `two chunks split at ${plan.at}`;
    default: return `random chunks up to ${plan.max} bytes (seed ${plan.seed})`;
  }
}
