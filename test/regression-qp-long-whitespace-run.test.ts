// Regression (fuzzer, target mime, seed 11): the quoted-printable decoder
// dropped a whitespace run before a line break as trailing whitespace
// (RFC 2045 §6.7 rule 3) when it saw the run whole, but flushed it as data once
// its carry passed 998 bytes when the run was split across chunks. A run
// longer than a line (RFC 5322 §2.1.1: 998 bytes) is now data whatever the
// chunking, and an '=' followed by such a run is a literal '=', not a soft
// break; shorter runs are still trailing whitespace. The carry stays bounded.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTransferDecoder } from '../src/index.js';
import { CHUNKINGS } from './support/corpus.js';

function decode(chunks: Uint8Array[]): string {
  const decoder = createTransferDecoder('quoted-printable');
  const out: Buffer[] = [];
  for (const c of chunks) out.push(Buffer.from(decoder.push(c)));
  out.push(Buffer.from(decoder.end()));
  return Buffer.concat(out).toString('latin1');
}

const CASES: Array<{ name: string; input: string; expected: string }> = [
  { name: 'a short run before CRLF is trailing whitespace', input: `a${' '.repeat(998)}\r\nb`, expected: 'a\r\nb' },
  { name: 'a run longer than a line before CRLF is data', input: `a${' '.repeat(999)}\r\nb`, expected: `a${' '.repeat(999)}\r\nb` },
  { name: 'a long run of tabs and spaces before bare LF is data', input: `a${' \t'.repeat(600)}\nb`, expected: `a${' \t'.repeat(600)}\nb` },
  { name: "'=' then a short run then CRLF is a soft break", input: `a=${' '.repeat(998)}\r\nb`, expected: 'ab' },
  { name: "'=' then a run longer than a line is a literal '=' and data", input: `a=${' '.repeat(1500)}\r\nb`, expected: `a=${' '.repeat(1500)}\r\nb` },
  { name: 'a long run, then a short trailing one on the next line', input: `${' '.repeat(2000)}x  \r\ny`, expected: `${' '.repeat(2000)}x\r\ny` },
];

for (const c of CASES) {
  test(`quoted-printable whitespace runs: ${c.name}, under every chunking`, () => {
    const bytes = Buffer.from(c.input, 'latin1');
    for (const { name, split } of CHUNKINGS) assert.equal(decode(split(bytes)), c.expected, name);
    for (let at = 1; at < bytes.length; at += 97) assert.equal(decode([bytes.subarray(0, at), bytes.subarray(at)]), c.expected, `split at ${at}`);
  });
}

test('quoted-printable: a whitespace run of 10 MB in 64 KiB chunks keeps a bounded carry and comes out whole', () => {
  const decoder = createTransferDecoder('quoted-printable');
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  let out = 0;
  for (let i = 0; i < 160; i++) {
    const decoded = decoder.push(chunk);
    out += decoded.length;
    // Past the first line's worth, every chunk comes straight out: nothing accumulates.
    if (i > 0) assert.equal(decoded.length, chunk.length);
  }
  out += decoder.push(Buffer.from('x\r\n')).length + decoder.end().length;
  assert.equal(out, 160 * chunk.length + 3);
});
