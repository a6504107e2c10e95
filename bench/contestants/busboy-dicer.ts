/** @fastify/busboy's Dicer (the maintained fork of dicer that busboy and fastify use): a Writable with part streams. */

import { createRequire } from 'node:module';
import type { Writable, Readable } from 'node:stream';
import type { BodySink, Contestant } from './types.js';

interface DicerLike extends Writable {
  on(event: 'part', listener: (part: Readable) => void): this;
  on(event: string, listener: (...args: any[]) => void): this;
}

// The package is CommonJS and exposes the class as `Dicer` (types/index.d.ts re-exports deps/dicer).
const require = createRequire(import.meta.url);
const FastifyDicer = (require('@fastify/busboy') as { Dicer: new (config: { boundary: string }) => DicerLike }).Dicer;
const version = (require('@fastify/busboy/package.json') as { version: string }).version;

export const busboyDicer: Contestant = {
  name: '@fastify/busboy Dicer',
  description: `@fastify/busboy ${version} Dicer, write() per chunk, part "data" events`,
  kind: 'peer',
  parse(message, sink) {
    return new Promise<void>((resolve, reject) => {
      const parser = new FastifyDicer({ boundary: message.boundary });
      // Part streams flow on later ticks: done when the parser has finished and every part has ended.
      let open = 0;
      let finished = false;
      parser.on('part', (part: Readable) => {
        // Headers come first, in their own event: the body sink starts there (with the Content-ID).
        let body: BodySink | null = null;
        open++;
        part.on('header', (header: Record<string, string[]>) => { body = sink.begin(header['content-id']?.[0] ?? null); });
        part.on('data', (data: Buffer) => body!.data(data));
        part.on('end', () => {
          body!.end();
          if (--open === 0 && finished) resolve();
        });
        part.on('error', reject);
      });
      parser.on('error', reject);
      parser.on('finish', () => {
        finished = true;
        if (open === 0) resolve();
      });
      for (const chunk of message.chunks) parser.write(chunk);
      parser.end();
    });
  },
};
