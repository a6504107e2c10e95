// Delimiter near-misses do not fragment a body: the parser merges the views
// of one chunk between two real delimiters into a single onPartData call
// (the pathological benchmark has ~93,000 rejected LF "--" boundary
// candidates in 64 MiB: one callback per candidate made the push API 5x
// slower than Buffer.indexOf and the streaming API one await per candidate).
// The merged view is still a subarray of the caller's chunk; candidates that
// straddle a chunk border are still decided right.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MultipartParser } from '../src/index.js';

const BOUNDARY = '----=_Part_7_near.miss';

/** A body full of candidates that are not delimiters: LF "--" boundary followed by a byte that ends no delimiter line. */
function nearMissBody(count: number): Buffer {
  const pieces: string[] = [];
  for (let i = 0; i < count; i++) {
    pieces.push(`data ${i}\n--${BOUNDARY}${'xZ=!'[i % 4]}`, i % 3 === 0 ? '\r' : '', `\n--${BOUNDARY.slice(0, i % BOUNDARY.length)}y`);
  }
  return Buffer.from(pieces.join('') + ' end', 'latin1');
}

function message(body: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`--${BOUNDARY}\r\nContent-Type: application/octet-stream\r\n\r\n`, 'latin1'),
    body,
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`, 'latin1'),
  ]);
}

function parse(chunks: Buffer[]): { views: Uint8Array[]; body: Buffer } {
  const views: Uint8Array[] = [];
  const parser = new MultipartParser({ boundary: BOUNDARY }, { onPartData: (view) => { views.push(view); } });
  for (const chunk of chunks) parser.write(chunk);
  parser.end();
  return { views, body: Buffer.concat(views) };
}

test('near-misses inside one chunk come out as one view of that chunk', () => {
  const body = nearMissBody(1000);
  const whole = message(body);
  const { views, body: got } = parse([whole]);
  assert.ok(got.equals(body));
  assert.equal(views.length, 1);
  assert.equal(views[0]!.buffer, whole.buffer, 'a view of the input, not a copy');
});

test('near-misses split across two chunks at every position: same bytes, few views, all but a delimiter-length tail zero-copy', () => {
  const body = nearMissBody(12);
  const whole = message(body);
  for (let at = 1; at < whole.length; at++) {
    const first = Buffer.from(whole.subarray(0, at));
    const second = Buffer.from(whole.subarray(at));
    const { views, body: got } = parse([first, second]);
    assert.ok(got.equals(body), `split at ${at}`);
    assert.ok(views.length <= 3, `split at ${at}: ${views.length} views`);
    const copied = views.filter((v) => v.buffer !== first.buffer && v.buffer !== second.buffer).reduce((n, v) => n + v.length, 0);
    assert.ok(copied <= BOUNDARY.length + 8, `split at ${at}: ${copied} bytes copied`);
  }
});

test('a consumer error while a merged view is handed on stops the parse with that error', () => {
  const whole = message(nearMissBody(50));
  const failure = new Error('sink failed');
  const parser = new MultipartParser({ boundary: BOUNDARY }, { onPartData: () => { throw failure; } });
  assert.throws(() => parser.write(whole), (error) => error === failure);
  assert.throws(() => parser.write(Buffer.from('x')));
});
