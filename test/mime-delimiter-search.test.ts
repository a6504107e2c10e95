// DelimiterSearch is Buffer.indexOf, faster: a seeded property test over
// haystacks large enough for its four cursors (random bytes, runs of the
// needle's own bytes, planted needles and near-misses, at segment borders and
// buffer ends), one instance reused across haystacks so that its hand-overs
// to Buffer.indexOf and back are exercised, every match and random `from`
// values compared with Buffer.indexOf's answer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DelimiterSearch } from '../src/mime/search.js';

const SETTINGS = { seed: Number(process.env['XOPSTREAM_PROPERTY_SEED'] ?? 0x5eed_5ea4), numRuns: 150, interruptAfterTimeLimit: 15_000, markInterruptAsFailure: false };

/** Characters RFC 2046 allows in a boundary (bchars, without the space). */
const BCHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=?";

const needleArb: fc.Arbitrary<Buffer> = fc.oneof(
  // CR LF "--" boundary, as the CRLF-framed parser searches.
  fc.string({ unit: fc.constantFrom(...BCHARS), minLength: 1, maxLength: 70 }).map((b) => Buffer.from(`\r\n--${b}`, 'latin1')),
  // A short suffix, as the bare-LF search uses, and needles made of few distinct bytes (Horspool's hard case).
  fc.uint8Array({ minLength: 1, maxLength: 12 }).map((u) => Buffer.from(u)),
  fc.array(fc.constantFrom(0x0d, 0x0a, 0x2d, 0x30), { minLength: 1, maxLength: 40 }).map((a) => Buffer.from(a)),
);

/** One stretch of a haystack, built against the needle. */
type Piece =
  | { kind: 'random'; length: number; seed: number }
  | { kind: 'run'; length: number; which: number }
  | { kind: 'needle' }
  | { kind: 'near'; at: number; value: number }
  | { kind: 'prefix'; length: number }
  | { kind: 'needle-bytes'; length: number; seed: number };

const pieceArb: fc.Arbitrary<Piece> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('random' as const), length: fc.integer({ min: 1, max: 40_000 }), seed: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('run' as const), length: fc.integer({ min: 1, max: 5_000 }), which: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('needle' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('near' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('prefix' as const), length: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('needle-bytes' as const), length: fc.integer({ min: 1, max: 20_000 }), seed: fc.nat() }) },
);

/** A deterministic byte stream from a seed (xorshift32). */
function bytesFrom(seed: number, length: number, alphabet?: Uint8Array): Buffer {
  const out = Buffer.alloc(length);
  let x = (seed | 0) || 0x9e3779b9;
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = alphabet === undefined ? x & 0xff : alphabet[(x >>> 0) % alphabet.length]!;
  }
  return out;
}

function build(needle: Buffer, pieces: Piece[]): Buffer {
  const parts: Buffer[] = [];
  for (const piece of pieces) {
    switch (piece.kind) {
      case 'random': parts.push(bytesFrom(piece.seed, piece.length)); break;
      case 'run': parts.push(Buffer.alloc(piece.length, needle[piece.which % needle.length]!)); break;
      case 'needle': parts.push(needle); break;
      case 'near': {
        const near = Buffer.from(needle);
        near[piece.at % near.length] = piece.value;
        parts.push(near);
        break;
      }
      case 'prefix': parts.push(needle.subarray(0, piece.length % (needle.length + 1))); break;
      case 'needle-bytes': parts.push(bytesFrom(piece.seed, piece.length, needle)); break;
    }
  }
  return Buffer.concat(parts);
}

/** Every match from `from` on, by repeated search (as the parser resumes after a rejected candidate). */
function allMatches(find: (from: number) => number, from: number): number[] {
  const found: number[] = [];
  for (let at = from; ;) {
    const i = find(at);
    if (i === -1) return found;
    found.push(i);
    at = i + 1;
  }
}

test('property: DelimiterSearch.indexOf(buf, from) equals buf.indexOf(needle, from) on every call', () => {
  fc.assert(fc.property(needleArb, fc.array(fc.array(pieceArb, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 4 }),
    fc.array(fc.nat(), { maxLength: 6 }), (needle, haystacks, froms) => {
      // One instance across several haystacks: a hand-over's stretch carries over from call to call.
      const search = new DelimiterSearch(needle);
      for (const pieces of haystacks) {
        const buf = build(needle, pieces);
        assert.deepEqual(allMatches((at) => search.indexOf(buf, at), 0), allMatches((at) => buf.indexOf(needle, at), 0),
          `needle ${JSON.stringify(needle.toString('latin1'))}, ${buf.length} bytes`);
        for (const f of froms) {
          const from = f % (buf.length + 2);
          assert.equal(search.indexOf(buf, from), buf.indexOf(needle, from), `from ${from} of ${buf.length}`);
        }
      }
    }), SETTINGS);
});

test('a needle at every position of a block: at the start, across the quarters\' borders, at the very end', () => {
  const needle = Buffer.from('\r\n--MIMEBoundary_0123456789', 'latin1');
  const search = new DelimiterSearch(needle);
  const size = 70_000;
  const base = bytesFrom(7, size);
  // Positions around the quarter borders of the first block and around the end.
  const positions = new Set<number>([0, 1, size - needle.length, size - needle.length - 1]);
  for (const quarter of [16_384, 32_768, 49_152, 65_536]) for (let d = -needle.length - 2; d <= 2; d++) positions.add(quarter + d);
  for (const at of positions) {
    const buf = Buffer.from(base);
    needle.copy(buf, at);
    assert.equal(search.indexOf(buf, 0), buf.indexOf(needle, 0), `needle planted at ${at}`);
    assert.equal(search.indexOf(buf, at), at, `from the match itself (${at})`);
    assert.equal(search.indexOf(buf, at + 1), buf.indexOf(needle, at + 1), `just past the match (${at})`);
  }
  // Two matches, the later one in an earlier-finishing quarter: the first is still reported first.
  const buf = Buffer.from(base);
  needle.copy(buf, 16_000); // near the end of the first quarter: its cursor gets there last
  needle.copy(buf, 16_500); // near the start of the second: its cursor gets there first
  needle.copy(buf, 40_000);
  needle.copy(buf, 60_000);
  assert.deepEqual(allMatches((at) => search.indexOf(buf, at), 0), [16_000, 16_500, 40_000, 60_000]);
});

test('needle-rich input (runs and near-misses of the needle, as in the pathological benchmark) gives Buffer.indexOf\'s answers', () => {
  const needle = Buffer.from('\r\n------=_Part_42_pathological.1700000000000', 'latin1');
  const search = new DelimiterSearch(needle);
  const pieces: Buffer[] = [];
  for (let i = 0; i < 3000; i++) {
    const near = Buffer.from(needle);
    near[i % needle.length] = 0x78;
    pieces.push(near, Buffer.alloc(1 + (i % 50), [0x0d, 0x0a, 0x2d, 0x30][i % 4]!));
    if (i % 997 === 0) pieces.push(needle);
  }
  const buf = Buffer.concat(pieces);
  assert.deepEqual(allMatches((at) => search.indexOf(buf, at), 0), allMatches((at) => buf.indexOf(needle, at), 0));
  // After that input's hand-overs, random bytes are searched correctly again.
  const random = bytesFrom(99, 200_000);
  needle.copy(random, 123_456);
  for (let k = 0; k < 80; k++) assert.equal(search.indexOf(random, 0), 123_456, `call ${k}`);
});

test('a cursor left to finish its segment alone, among many failed candidates, hands over and still finds the first match', () => {
  const needle = Buffer.from('\r\n--MIMEBoundary_crawl_42', 'latin1');
  const search = new DelimiterSearch(needle);
  const buf = bytesFrom(11, 80_000); // a first block of four quarters of 16 KiB, then a second block
  // The second quarter starts with bytes that let its cursor jump one byte at a time
  // (the needle's next-to-last byte: never a candidate), so the others finish first ...
  buf.fill(needle[needle.length - 2]!, 16_384, 20_000);
  // ... and then holds failed candidates (the needle with its first byte wrong) and the match.
  const near = Buffer.from(needle);
  near[0] = 0x78;
  let at = 24_000;
  for (let i = 0; i < 60; i++, at += near.length + 3) near.copy(buf, at);
  needle.copy(buf, at + 100);
  needle.copy(buf, 70_000); // a later match, in the second block, that must not be reported first
  assert.equal(search.indexOf(buf, 0), at + 100);
  assert.equal(search.indexOf(buf, 0), buf.indexOf(needle, 0));
});

test('edge cases: from past the end, a one-byte needle, an empty needle is refused', () => {
  const search = new DelimiterSearch(Buffer.from('\r\n--b'));
  const buf = bytesFrom(3, 10_000);
  assert.equal(search.indexOf(buf, 10_000), -1);
  assert.equal(search.indexOf(buf, 20_000), -1);
  assert.equal(search.indexOf(Buffer.alloc(0), 0), -1);
  const one = new DelimiterSearch(Buffer.from([0x41]));
  const hay = Buffer.alloc(50_000, 0x42);
  hay[31_000] = 0x41;
  assert.equal(one.indexOf(hay, 0), 31_000);
  assert.equal(one.indexOf(hay, 31_001), -1);
  assert.throws(() => new DelimiterSearch(Buffer.alloc(0)), RangeError);
});
