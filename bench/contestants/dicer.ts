/** dicer 0.3.1 (the parser busboy was built on): a Writable with part streams. */

import Dicer from 'dicer';
import type { BodySink, Contestant } from './types.js';

export const dicer: Contestant = {
  name: 'dicer',
  description: 'dicer 0.3.1 Writable, write() per chunk, part "data" events',
  kind: 'peer',
  parse(message, sink) {
    return new Promise<void>((resolve, reject) => {
      const parser = new Dicer({ boundary: message.boundary });
      // Part streams flow on later ticks: done when the parser has finished and every part has ended.
      let open = 0;
      let finished = false;
      parser.on('part', (part) => {
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
