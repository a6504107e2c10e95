/** xopstream's push parser: MultipartParser with synchronous callbacks. */

import { MultipartParser } from '../../src/index.js';
import { benchLimits } from './limits.js';
import type { BodySink, Contestant } from './types.js';

export const xopstreamPush: Contestant = {
  name: 'xopstream push',
  description: 'MultipartParser.write() per chunk, onPartBegin/onPartData/onPartEnd; immutableChunks (the chunks are never reused)',
  kind: 'xopstream',
  parse(message, sink) {
    let body: BodySink | null = null;
    const parser = new MultipartParser({ boundary: message.boundary, limits: benchLimits(message), immutableChunks: true }, {
      onPartBegin: (headers) => { body = sink.begin(headers.get('content-id') ?? null); },
      onPartData: (view) => body!.data(view),
      onPartEnd: () => body!.end(),
    });
    for (const chunk of message.chunks) parser.write(chunk);
    parser.end();
  },
};
