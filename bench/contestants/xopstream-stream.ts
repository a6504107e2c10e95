/**
 * xopstream's streaming API: parseMultipart, read with for await over parts
 * and part.body, fed two ways.
 *
 * - From the chunk array every other contestant is given: the target row.
 *   parseMultipart takes a synchronous source's chunks without a promise
 *   each, so what it pays beyond the push parser is the streaming API's own
 *   cost, the consumer's await per view.
 * - From an async generator over the same chunks (for the record): the
 *   source's promise per chunk comes on top, which any for-await parser pays
 *   and which the `Buffer.indexOf limit, async source` row measures alone.
 */

import { parseMultipart, type ByteSource } from '../../src/index.js';
import type { BenchMessage } from '../messages.js';
import { asyncSource } from './async-source.js';
import { benchLimits } from './limits.js';
import type { Contestant, PartSink } from './types.js';

async function readParts(source: ByteSource, message: BenchMessage, sink: PartSink): Promise<void> {
  for await (const part of parseMultipart(source, message.contentType, { limits: benchLimits(message), immutableChunks: true })) {
    const body = sink.begin(part.contentId);
    for await (const view of part.body) body.data(view);
    body.end();
  }
}

export const xopstreamStream: Contestant = {
  name: 'xopstream parseMultipart',
  description: 'for await over parts and part.body, fed the chunk array every contestant gets; immutableChunks (the chunks are never reused)',
  kind: 'xopstream',
  parse: (message, sink) => readParts(message.chunks, message, sink),
};

export const xopstreamStreamAsyncSource: Contestant = {
  name: 'xopstream parseMultipart, async source',
  description: 'the same, fed by for await over an async generator of the chunks (a promise per chunk); immutableChunks',
  kind: 'xopstream',
  parse: (message, sink) => readParts(asyncSource(message.chunks), message, sink),
};
