// Regression: ERR_MIME_PREAMBLE_TOO_LARGE allowed one byte more than the limit
// and, like ERR_MIME_PART_TOO_LARGE, reported the offset of the chunk being
// written rather than of the first byte over the limit; transport padding
// after a boundary allowed 1025 bytes; ERR_MIME_MESSAGE_TOO_LARGE was raised
// before the bytes up to the limit were parsed, so an earlier error won or
// lost by chunking. Offsets must not depend on the chunking.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MultipartParser } from '../src/index.js';
import type { MimeLimits } from '../src/index.js';
import { CHUNKINGS } from './support/corpus.js';

function failure(message: Buffer, limits: MimeLimits, split: (b: Uint8Array) => Uint8Array[]): { code: string; offset: number | undefined } {
  const parser = new MultipartParser({ boundary: 'b', limits });
  try {
    for (const c of split(message)) parser.write(c);
    parser.end();
  } catch (error) {
    return { code: (error as { code: string }).code, offset: (error as { offset?: number }).offset };
  }
  return { code: 'none', offset: undefined };
}

test('limit errors carry the offset of the first byte over the limit, for every chunking', () => {
  const preamble = Buffer.from('P'.repeat(20) + '\r\n--b\r\n\r\nx\r\n--b--');
  const padding = Buffer.from('--b' + ' '.repeat(1025) + '\r\n\r\nx\r\n--b--');
  const earlyError = Buffer.from('--b\r\nX: a\x00b\r\n\r\nbody\r\n--b--');
  for (const chunking of CHUNKINGS) {
    assert.deepEqual(failure(preamble, { preambleBytes: 20 }, chunking.split), { code: 'none', offset: undefined }, chunking.name);
    assert.deepEqual(failure(preamble, { preambleBytes: 19 }, chunking.split), { code: 'ERR_MIME_PREAMBLE_TOO_LARGE', offset: 19 }, chunking.name);
    assert.deepEqual(failure(padding, {}, chunking.split), { code: 'ERR_MIME_BAD_DELIMITER', offset: 3 + 1024 }, chunking.name);
    assert.deepEqual(failure(earlyError, { totalBytes: 20 }, chunking.split), { code: 'ERR_MIME_BAD_HEADER', offset: 9 }, chunking.name);
    assert.deepEqual(failure(earlyError, { totalBytes: 10 }, chunking.split), { code: 'ERR_MIME_MESSAGE_TOO_LARGE', offset: 10 }, chunking.name);
  }
});
