/**
 * A limit: copying every chunk into one preallocated buffer (memcpy speed,
 * what a parser that copies its body bytes pays at the very least).
 */

import type { ByteLimit } from './types.js';

export const copyLimit: ByteLimit = {
  name: 'copy limit',
  description: 'Uint8Array.set() of every chunk into a preallocated buffer of the message size',
  kind: 'limit',
  async prepare(message) {
    const target = Buffer.allocUnsafe(message.message.length);
    const run = (): void => {
      let at = 0;
      for (const chunk of message.chunks) {
        target.set(chunk, at);
        at += chunk.length;
      }
    };
    return {
      run,
      check() {
        target.fill(0);
        run();
        return target.equals(message.message) ? null : 'the copy differs from the message';
      },
    };
  },
};
