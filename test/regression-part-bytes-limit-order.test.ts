// Regression: with limits.partBytes, a part that arrived in one chunk failed
// before any of its bytes were handed on, while the same part in slices had
// some bytes delivered first; a decoding error in those bytes then won or lost
// against ERR_MIME_PART_TOO_LARGE depending on the chunking (found by the
// property test). The parser now hands on the bytes up to the limit, then
// throws, with the offset of the first byte over the limit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MultipartParser } from '../src/index.js';
import { CHUNKINGS } from './support/corpus.js';
import { collectStream } from './support/collect.js';

test('the bytes up to limits.partBytes are delivered, then the error, for every chunking', async () => {
  const message = Buffer.from('--b\r\n\r\n0123456789ABCDEF\r\n--b--');
  for (const chunking of CHUNKINGS) {
    let seen = '';
    const parser = new MultipartParser({ boundary: 'b', limits: { partBytes: 10 } }, {
      onPartData: (v) => { seen += Buffer.from(v).toString('latin1'); },
    });
    assert.throws(() => {
      for (const c of chunking.split(message)) parser.write(c);
      parser.end();
    }, { code: 'ERR_MIME_PART_TOO_LARGE', offset: 7 + 10 }, chunking.name);
    assert.equal(seen, '0123456789', chunking.name);
  }
  // A bad base64 byte before the limit is the error, whatever the chunking.
  const encoded = Buffer.from('--b\r\nContent-Transfer-Encoding: base64\r\n\r\nQUJD*EVGR0hJSktMTU5P\r\n--b--');
  for (const chunking of CHUNKINGS) {
    const got = await collectStream(chunking.split(encoded), 'multipart/related; boundary=b', { limits: { partBytes: 8 } });
    assert.deepEqual(got.error, { code: 'ERR_MIME_BAD_ENCODING', offset: encoded.indexOf('*') }, chunking.name);
  }
});
