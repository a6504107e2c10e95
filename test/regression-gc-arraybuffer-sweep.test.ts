// Regression: a CI run failed the cache contract's 64 MiB bound on RedisCache
// ("heap+arrayBuffers grew 33713835 bytes") while the cache held ~1 MiB.
// collectGarbage() ran one gc(), and V8 frees dead ArrayBuffers' backing
// stores on a background thread after it: memoryUsage().arrayBuffers still
// counted up to 32 MiB of dead 256 KiB chunk buffers under load. The helper
// now collects twice (the second GC waits for the first one's sweep), so every
// memory assertion in the suite measures what is alive.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectGarbage } from './support/gc.js';

const MiB = 1024 * 1024;

test('collectGarbage(): dead ArrayBuffers no longer count in memoryUsage().arrayBuffers when it returns', () => {
  collectGarbage();
  const base = process.memoryUsage().arrayBuffers;
  let worst = 0;
  for (let round = 0; round < 100; round++) {
    // The Redis cache's write pattern: 256 KiB chunks, a few alive at a time, 32 MiB of them dead.
    const alive: Buffer[] = [];
    for (let i = 0; i < 128; i++) {
      alive.push(Buffer.allocUnsafeSlow(256 * 1024));
      if (alive.length > 4) alive.shift();
    }
    alive.length = 0;
    collectGarbage();
    worst = Math.max(worst, process.memoryUsage().arrayBuffers - base);
  }
  assert.ok(worst < 2 * MiB, `up to ${(worst / MiB).toFixed(1)} MiB of dead ArrayBuffers still counted after collectGarbage()`);
});
