/** A limit: xxhash-wasm's streaming xxh64 over every chunk (what receive() hashes, at the least). */

import xxhash from 'xxhash-wasm';
import type { ByteLimit } from './types.js';

/** xxhash-wasm copies each update into its memory, which grows to the largest update: feed it at most 1 MiB at once (as src/cache/digest.ts does). */
const MAX_UPDATE_BYTES = 1 << 20;

export const xxh64Limit: ByteLimit = {
  name: 'xxh64 limit',
  description: 'xxhash-wasm create64().update() over every chunk',
  kind: 'limit',
  async prepare(message) {
    const api = await xxhash();
    let digest = 0n;
    const run = (): void => {
      const hasher = api.create64();
      for (const chunk of message.chunks) {
        for (let at = 0; at < chunk.length; at += MAX_UPDATE_BYTES) hasher.update(chunk.subarray(at, at + MAX_UPDATE_BYTES));
      }
      digest = hasher.digest();
    };
    return {
      run,
      check() {
        digest = 0n;
        run();
        const want = api.h64Raw(message.message);
        return digest === want ? null : `streaming xxh64 ${digest.toString(16)} differs from one-shot ${want.toString(16)}`;
      },
    };
  },
};
