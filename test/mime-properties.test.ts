// Seeded, time-bounded property tests of the MIME parser:
//  - random boundaries (1–70 legal characters) and random binary bodies with
//    planted CR, LF, "--", boundary prefixes and near-miss delimiters,
//    serialised, then parsed under random chunking: the same parts and bytes;
//  - malformed mutations of such messages: only XopErrors, never another
//    exception, and the same outcome (parts, or error code + offset) for every
//    chunking.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { collectPush, collectStream, sha256Of } from './support/collect.js';
import { chunkBySizes, chunkSizesArb, contentTypeOf, messageArb, serialize } from './support/mime-gen.js';
import type { GenMessage } from './support/mime-gen.js';
import { mutate, type Mutation } from './support/mutations.js';

// Seeded (XOPSTREAM_PROPERTY_SEED overrides, to explore further by hand) and time-bounded.
const SETTINGS = { seed: Number(process.env['XOPSTREAM_PROPERTY_SEED'] ?? 0x5eed_2002), numRuns: 300, interruptAfterTimeLimit: 15_000, markInterruptAsFailure: false };

function expectedParts(m: GenMessage): Array<{ headers: Array<[string, string]>; size: number; sha256: string }> {
  return m.parts.map((p) => ({
    headers: p.headers.map(([n, v]) => [n.toLowerCase(), v] as [string, string]),
    ...sha256Of([p.body]),
  }));
}

test('property: serialise → parse under random chunking gives the same parts and bytes (streaming API)', async () => {
  await fc.assert(fc.asyncProperty(messageArb(), chunkSizesArb, async (m, sizes) => {
    const bytes = serialize(m);
    const got = await collectStream(chunkBySizes(bytes, sizes), contentTypeOf(m), { decode: false });
    assert.equal(got.error, null, JSON.stringify(got.error));
    assert.deepEqual(got.parts.map((p) => ({ headers: p.headers, size: p.size, sha256: p.sha256 })), expectedParts(m));
    assert.equal(got.root, 0);
  }), SETTINGS);
});

test('property: serialise → parse under random chunking gives the same parts and bytes (push API)', () => {
  fc.assert(fc.property(messageArb({ maxParts: 8 }), chunkSizesArb, (m, sizes) => {
    const bytes = serialize(m);
    const got = collectPush(chunkBySizes(bytes, sizes), { boundary: m.boundary });
    assert.equal(got.error, null, JSON.stringify(got.error));
    assert.deepEqual(got.parts, expectedParts(m));
  }), { ...SETTINGS, numRuns: 1000 });
});

/** Ways to break a message. */
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 8 }),
    fc.constantFrom(...['\r', '\n', '--', '\r\n--', '=', ' ', '\x00', ':'].map((s) => Buffer.from(s, 'latin1'))),
  ) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('bare-cr' as const), at: fc.nat() }),
);

const limitsArb = fc.option(fc.record({
  headerBytes: fc.integer({ min: 0, max: 200 }),
  headerCount: fc.integer({ min: 0, max: 4 }),
  parts: fc.integer({ min: 0, max: 5 }),
  partBytes: fc.integer({ min: 0, max: 300 }),
  totalBytes: fc.integer({ min: 0, max: 2000 }),
  preambleBytes: fc.integer({ min: 0, max: 100 }),
}, { requiredKeys: [] }), { nil: undefined });

test('property: malformed mutations give only XopErrors, and the same outcome for every chunking', async () => {
  const contentTypes = (m: GenMessage): string[] => [
    contentTypeOf(m),
    `${contentTypeOf(m)}; start="<nowhere>"`,
  ];
  await fc.assert(fc.asyncProperty(
    messageArb(), fc.array(mutationArb, { minLength: 1, maxLength: 4 }), chunkSizesArb, limitsArb, fc.boolean(), fc.boolean(),
    async (m, mutations, sizes, limits, lenient, base64) => {
      let bytes = serialize(m);
      if (base64) bytes = Buffer.from(bytes.toString('latin1').replace(/\r?\n\r?\n/, '\r\nContent-Transfer-Encoding: base64\r\n\r\n'), 'latin1');
      const broken = mutate(bytes, mutations);
      for (const contentType of contentTypes(m)) {
        const options = { ...(limits === undefined ? {} : { limits }), allowMissingCloseDelimiter: lenient, requireStart: base64 };
        // collectStream rethrows anything that is not an XopError: the property fails on a crash.
        const whole = await collectStream([broken], contentType, options);
        const chunked = await collectStream(chunkBySizes(broken, sizes), contentType, options);
        assert.deepEqual(chunked, whole);
        const pushWhole = collectPush([broken], { boundary: m.boundary, ...(limits === undefined ? {} : { limits }), allowMissingCloseDelimiter: lenient });
        const pushChunked = collectPush(chunkBySizes(broken, sizes), { boundary: m.boundary, ...(limits === undefined ? {} : { limits }), allowMissingCloseDelimiter: lenient });
        assert.deepEqual(pushChunked, pushWhole);
        if (whole.error !== null) {
          assert.match(whole.error.code, /^ERR_(MIME|PARSER)_/);
        }
      }
    }), { ...SETTINGS, numRuns: 400 });
});
