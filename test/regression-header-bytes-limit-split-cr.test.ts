// Regression: a header block of exactly limits.headerBytes bytes passed when
// it arrived in one chunk but failed with ERR_MIME_HEADER_TOO_LARGE when a
// chunk ended between the CR and the LF of the empty line that ends it (the
// CR was counted as a header byte). Also the growth of the header buffer
// could not hold that CR.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MultipartParser } from '../src/index.js';

test('limits.headerBytes counts header lines, never the empty line, at every split', () => {
  const head = 'Content-ID: <a>\r\nX-Pad: ' + 'p'.repeat(40) + '\r\n';
  const message = Buffer.from(`--b\r\n${head}\r\nbody\r\n--b--`);
  for (let at = 0; at <= message.length; at++) {
    let body = '';
    const parser = new MultipartParser({ boundary: 'b', limits: { headerBytes: head.length } }, {
      onPartData: (v) => { body += Buffer.from(v).toString('latin1'); },
    });
    parser.write(message.subarray(0, at));
    parser.write(message.subarray(at));
    parser.end();
    assert.equal(body, 'body', `split at ${at}`);
  }
  const tooBig = new MultipartParser({ boundary: 'b', limits: { headerBytes: head.length - 1 } });
  assert.throws(() => tooBig.write(message), { code: 'ERR_MIME_HEADER_TOO_LARGE', offset: 5 + head.length - 1 });
});
