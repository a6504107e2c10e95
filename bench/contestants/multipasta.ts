/** multipasta (Effect's multipart parser): a push parser with per-part chunk callbacks. */

import { createRequire } from 'node:module';
import * as Multipasta from 'multipasta';
import type { Contestant } from './types.js';

const require = createRequire(import.meta.url);
const version = (require('multipasta/package.json') as { version: string }).version;

export const multipasta: Contestant = {
  name: 'multipasta',
  description: `multipasta ${version} make(), write() per chunk, onFile chunk callbacks (every part a "file")`,
  kind: 'peer',
  parse(message, sink) {
    let failure: Multipasta.MultipartError | null = null;
    let done = false;
    const parser = Multipasta.make({
      headers: { 'content-type': message.contentType },
      // Every part streams as a "file" (its default treats parts without a filename as buffered fields).
      isFile: () => true,
      maxParts: message.parts.length + 1,
      onFile: (info) => {
        const id = info.headers['content-id'];
        const body = sink.begin((Array.isArray(id) ? id[0] : id) ?? null);
        return (chunk) => {
          if (chunk === null) body.end();
          else body.data(chunk);
        };
      },
      onField: () => { throw new Error('multipasta: unexpected field'); },
      onError: (error) => { failure ??= error; },
      onDone: () => { done = true; },
    });
    for (const chunk of message.chunks) parser.write(chunk);
    parser.end();
    if (failure !== null) throw new Error(`multipasta: ${JSON.stringify(failure)}`);
    if (!done) throw new Error('multipasta: no close delimiter seen');
  },
};
