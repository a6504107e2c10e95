// Seeded, time-bounded property tests of immutableChunks (random chunkings,
// where mime-immutable-chunks.test.ts checks fixed ones and two-chunk splits):
//  - push API: a message (generated, a corpus/ conformance message, or either
//    one broken by random mutations) split at random sizes gives the same
//    parts and bytes (or the same error code and offset) as the whole
//    message parsed by default, both with immutableChunks (the views are
//    kept, uncopied, until the parse has ended: they must still hold the
//    right bytes) and by default from a source that refills one buffer (every
//    chunk written from the same memory, overwritten after write() returns:
//    what the parser held back must not be a view of it); with
//    immutableChunks every body byte of a well-formed generated message is a
//    view of the input;
//  - streaming API: parseMultipart with and without immutableChunks, decoding
//    on, gives byte-identical parts and the same error under random chunking.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { MultipartParser, parseContentType } from '../src/index.js';
import { collectStream, errorData, sha256Of } from './support/collect.js';
import { ownCorpusDir } from './support/corpus.js';
import { chunkBySizes, chunkSizesArb, contentTypeOf, messageArb, serialize } from './support/mime-gen.js';
import { mutate, type Mutation } from './support/mutations.js';

// Seeded (XOPSTREAM_PROPERTY_SEED overrides, to explore further by hand) and time-bounded.
const SETTINGS = { seed: Number(process.env['XOPSTREAM_PROPERTY_SEED'] ?? 0x5eed_2611), numRuns: 400, interruptAfterTimeLimit: 10_000, markInterruptAsFailure: false };

/** A message to parse: its bytes, boundary and Content-Type. */
interface Message {
  name: string;
  bytes: Buffer;
  boundary: string;
  contentType: string;
}

/** The multipart conformance messages of corpus/ (those corpus/generate.mjs wrote, with a boundary). */
const CORPUS: Message[] = (() => {
  const out: Message[] = [];
  for (const entry of fs.readdirSync(ownCorpusDir, { withFileTypes: true })) {
    const dir = path.join(ownCorpusDir, entry.name);
    const expectedFile = path.join(dir, 'expected.json');
    if (!entry.isDirectory() || !fs.existsSync(expectedFile) || !fs.existsSync(path.join(dir, 'message.bin'))) continue;
    const expected = JSON.parse(fs.readFileSync(expectedFile, 'utf8')) as { contentType?: string };
    if (expected.contentType === undefined) continue;
    const boundary = parseContentType(expected.contentType).parameters['boundary'];
    if (boundary === undefined) continue;
    const bytes = fs.readFileSync(path.join(dir, 'message.bin'));
    if (bytes.length > 256 * 1024) continue; // keeps a run cheap: the random chunkings are mostly tiny
    out.push({ name: entry.name, bytes, boundary, contentType: expected.contentType });
  }
  return out;
})();

/** Ways to break a message (as in mime-properties.test.ts), biased to the bytes framing is made of. */
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.constantFrom(0x0d, 0x0a, 0x2d, 0x20, 0x3d, 0x41, 0x00) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 8 }),
    fc.constantFrom(...['\r', '\n', '--', '\r\n--', '\n--', '=', ' ', ':', '\r\n\r\n'].map((s) => Buffer.from(s, 'latin1'))),
  ) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

/** A generated well-formed message, or a corpus message; either possibly mutated. */
const caseArb: fc.Arbitrary<{ message: Message; mutated: boolean }> = fc.tuple(
  fc.oneof(
    messageArb().map((m): Message => ({ name: 'generated', bytes: serialize(m), boundary: m.boundary, contentType: contentTypeOf(m) })),
    ...(CORPUS.length === 0 ? [] : [fc.constantFrom(...CORPUS)]),
  ),
  fc.option(fc.array(mutationArb, { minLength: 1, maxLength: 3 }), { nil: null, freq: 2 }),
).map(([message, mutations]) => (mutations === null
  ? { message, mutated: false }
  : { message: { ...message, name: `${message.name} (mutated)`, bytes: mutate(message.bytes, mutations) }, mutated: true }));

const limitsArb = fc.option(fc.record({
  partBytes: fc.integer({ min: 0, max: 400 }),
  totalBytes: fc.integer({ min: 0, max: 4000 }),
  preambleBytes: fc.integer({ min: 0, max: 100 }),
}, { requiredKeys: [] }), { nil: undefined });

interface PushOutcome {
  parts: Array<{ headers: Array<[string, string]>; size: number; sha256: string }>;
  error: { code: string; offset: number | null } | null;
}

/**
 * Parses with MultipartParser. `mode`:
 * - 'whole': the default parser, copying each view as it comes (the reference);
 * - 'immutable': every chunk in an ArrayBuffer of its own, never modified;
 *   the views are kept as they are and hashed only after end(); counts the
 *   body bytes in views of no chunk;
 * - 'reused': the default parser fed from one buffer that every chunk is
 *   copied into before write() (a source that refills one buffer); views are
 *   copied as they come, as the default contract requires.
 */
function parsePush(chunks: readonly Uint8Array[], boundary: string, mode: 'whole' | 'immutable' | 'reused',
  options: { lenient: boolean; limits: Record<string, number> | undefined }): PushOutcome & { copiedBytes: number } {
  const parts: PushOutcome['parts'] = [];
  let views: Uint8Array[] = [];
  let headers: Array<[string, string]> = [];
  let error: PushOutcome['error'] = null;
  let copiedBytes = 0;
  const own = mode === 'immutable' ? chunks.map((c) => Uint8Array.from(c)) : [...chunks]; // Copy: a buffer per chunk.
  const buffers = new Set<ArrayBufferLike>(own.map((c) => c.buffer));
  const scratch = new Uint8Array(Math.max(1, ...chunks.map((c) => c.length)));
  const finished: Array<{ headers: Array<[string, string]>; views: Uint8Array[] }> = [];
  try {
    const parser = new MultipartParser({
      boundary, immutableChunks: mode === 'immutable', allowMissingCloseDelimiter: options.lenient,
      ...(options.limits === undefined ? {} : { limits: options.limits }),
    }, {
      onPartBegin(h) {
        headers = [...h.entries()];
        views = [];
      },
      onPartData(view) {
        assert.ok(view.length > 0, 'onPartData with an empty view');
        if (mode === 'immutable') {
          if (!buffers.has(view.buffer)) copiedBytes += view.length;
          views.push(view); // Kept as it is: it must stay valid as long as the chunks do.
        } else {
          views.push(Uint8Array.from(view)); // Copy: the default contract (the chunk may be reused).
        }
      },
      onPartEnd() {
        finished.push({ headers, views });
      },
    });
    for (const chunk of own) {
      if (mode === 'reused') {
        scratch.set(chunk, 0);
        parser.write(scratch.subarray(0, chunk.length));
        scratch.fill(0xa5); // The source refills its buffer: nothing the parser kept may point into it.
      } else {
        parser.write(chunk);
      }
    }
    parser.end();
  } catch (caught) {
    error = errorData(caught);
  }
  // Hashed only now: immutable views must still hold their bytes after the whole parse.
  for (const p of finished) parts.push({ headers: p.headers, ...sha256Of(p.views) });
  return { parts, error, copiedBytes };
}

test('property: immutableChunks (views kept to the end) and a reused source buffer give the whole-message parts under random chunking (push API)', () => {
  fc.assert(fc.property(caseArb, chunkSizesArb, limitsArb, fc.boolean(), ({ message, mutated }, sizes, limits, lenient) => {
    const options = { lenient, limits };
    const whole = parsePush([message.bytes], message.boundary, 'whole', options);
    const chunks = chunkBySizes(message.bytes, sizes);
    const immutable = parsePush(chunks, message.boundary, 'immutable', options);
    const reused = parsePush(chunks, message.boundary, 'reused', options);
    const label = `${message.name}, ${chunks.length} chunk(s)`;
    assert.deepEqual({ parts: immutable.parts, error: immutable.error }, { parts: whole.parts, error: whole.error }, `${label}: immutableChunks`);
    assert.deepEqual({ parts: reused.parts, error: reused.error }, { parts: whole.parts, error: whole.error }, `${label}: reused buffer`);
    // A generated message always has its header/body separators: every body byte is then a view of the input.
    if (!mutated && message.name === 'generated') assert.equal(immutable.copiedBytes, 0, `${label}: every body byte a view`);
  }), SETTINGS);
});

test('property: parseMultipart with and without immutableChunks gives byte-identical decoded parts under random chunking', async () => {
  await fc.assert(fc.asyncProperty(caseArb, chunkSizesArb, limitsArb, fc.boolean(), async ({ message }, sizes, limits, lenient) => {
    const options = { ...(limits === undefined ? {} : { limits }), allowMissingCloseDelimiter: lenient };
    const chunks = chunkBySizes(message.bytes, sizes);
    const whole = await collectStream([message.bytes], message.contentType, options);
    const byDefault = await collectStream(chunks, message.contentType, options);
    const immutable = await collectStream(chunks.map((c) => Uint8Array.from(c)), message.contentType, { ...options, immutableChunks: true });
    assert.deepEqual(immutable, byDefault, `${message.name}, ${chunks.length} chunk(s): immutableChunks`);
    assert.deepEqual(byDefault, whole, `${message.name}, ${chunks.length} chunk(s): chunked vs whole`);
  }), { ...SETTINGS, numRuns: 300 });
});
