/**
 * The limit for an API that reads an async iterable: the same
 * Buffer.indexOf splitter as the synchronous limit, fed by `for await` over
 * the same async-generator source as xopstream's parseMultipart. The
 * difference between the two limits is what the async iteration protocol
 * alone costs per chunk, which no for-await parser can avoid; parseMultipart
 * is judged against both.
 */

import { asyncSource } from './async-source.js';
import { IndexOfSplitter } from './indexof-limit.js';
import type { Contestant } from './types.js';

export const indexOfAsyncLimit: Contestant = {
  name: 'Buffer.indexOf limit, async source',
  description: 'the Buffer.indexOf limit fed by for await over the async generator source parseMultipart reads',
  kind: 'limit',
  async parse(message, sink) {
    const splitter = new IndexOfSplitter(message.boundary, sink);
    for await (const chunk of asyncSource(message.chunks)) splitter.write(chunk);
  },
};
