/**
 * @mjackson/multipart-parser (the predecessor of @remix-run/multipart-parser):
 * write() is a generator of complete parts.
 */

import { createRequire } from 'node:module';
import { MultipartParser } from '@mjackson/multipart-parser';
import type { Contestant } from './types.js';

const require = createRequire(import.meta.url);
const version = (require('@mjackson/multipart-parser/package.json') as { version: string }).version;

export const mjackson: Contestant = {
  name: '@mjackson/multipart-parser',
  description: `@mjackson/multipart-parser ${version} MultipartParser, write() per chunk yields whole parts (content as views)`,
  kind: 'peer',
  parse(message, sink) {
    // Its default of 2 MiB per part is below this message's largest attachments.
    const parser = new MultipartParser(message.boundary, {
      maxFileSize: message.message.length,
      maxHeaderSize: 16 * 1024,
    });
    for (const chunk of message.chunks) {
      for (const part of parser.write(chunk)) {
        const body = sink.begin(part.headers.get('content-id'));
        for (const view of part.content) body.data(view);
        body.end();
      }
    }
    parser.finish();
  },
};
