/**
 * @remix-run/multipart-parser: a push parser whose write() is a generator of
 * complete parts (each part's content is a list of views, handed on when the
 * part's closing delimiter is seen).
 */

import { createRequire } from 'node:module';
import { MultipartParser } from '@remix-run/multipart-parser';
import type { Contestant } from './types.js';

const require = createRequire(import.meta.url);
const version = (require('@remix-run/multipart-parser/package.json') as { version: string }).version;

export const remix: Contestant = {
  name: '@remix-run/multipart-parser',
  description: `@remix-run/multipart-parser ${version} MultipartParser, write() per chunk yields whole parts (content as views)`,
  kind: 'peer',
  parse(message, sink) {
    // Its defaults (2 MiB per part, 1,000 parts) are below this message's: raise them to the message's size.
    const parser = new MultipartParser(message.boundary, {
      maxFileSize: message.message.length,
      maxTotalSize: message.message.length,
      maxParts: message.parts.length + 1,
      maxHeaderSize: 16 * 1024,
    });
    for (const chunk of message.chunks) {
      for (const part of parser.write(chunk)) {
        const body = sink.begin(part.headers['content-id'] ?? null);
        for (const view of part.content) body.data(view);
        body.end();
      }
    }
    parser.finish();
  },
};
