// Regression: a part whose header block has no empty line after it (the body's
// first line follows the headers directly) was handed on as ~1 KB of the
// parser's scratch buffer instead of that line: the line end was computed after
// the header buffer had been reset.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MultipartParser } from '../src/index.js';
import { CHUNKINGS } from './support/corpus.js';

test('the first body line after headers without a separator is handed on exactly', () => {
  const message = Buffer.from('--b\r\nContent-Type: text/xml\r\n<root/>\r\nsecond line\r\n--b--\r\n');
  for (const chunking of CHUNKINGS) {
    const bodies: Buffer[] = [];
    const headers: Array<string | null> = [];
    const parser = new MultipartParser({ boundary: 'b' }, {
      onPartBegin: (h) => { headers.push(h.get('content-type')); bodies.push(Buffer.alloc(0)); },
      onPartData: (v) => { bodies[bodies.length - 1] = Buffer.concat([bodies.at(-1)!, v]); },
    });
    for (const c of chunking.split(message)) parser.write(c);
    parser.end();
    assert.deepEqual(headers, ['text/xml'], chunking.name);
    assert.deepEqual(bodies.map((b) => b.toString('latin1')), ['<root/>\r\nsecond line'], chunking.name);
  }
});
