/** xopstream's streaming API: parseMultipart over an async iterable of chunks. */

import { parseMultipart } from '../../src/index.js';
import { asyncSource } from './async-source.js';
import { benchLimits } from './limits.js';
import type { Contestant } from './types.js';

export const xopstreamStream: Contestant = {
  name: 'xopstream parseMultipart',
  description: 'for await over parts and part.body, async generator source; immutableChunks (the chunks are never reused)',
  kind: 'xopstream',
  async parse(message, sink) {
    for await (const part of parseMultipart(asyncSource(message.chunks), message.contentType, { limits: benchLimits(message), immutableChunks: true })) {
      const body = sink.begin(part.contentId);
      for await (const view of part.body) body.data(view);
      body.end();
    }
  },
};
