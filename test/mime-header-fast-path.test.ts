// The parser reads a header block that lies whole in one chunk in a single
// pass straight from the chunk (the small-parts benchmark: 2,000 parts of
// 4 KiB), and falls back to the byte-wise path for anything unusual. The two
// paths must agree on everything: a block given whole (fast path) and byte by
// byte (never whole in a chunk: byte-wise path) give the same headers, bodies,
// errors and offsets — over header lines chosen to hit every fallback.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MultipartParser, isXopError } from '../src/index.js';
import { collectPush } from './support/collect.js';
import { chunk } from './support/corpus.js';

const B = 'fast_path_boundary_51c2';
const SETTINGS = { seed: Number(process.env['XOPSTREAM_PROPERTY_SEED'] ?? 0x4ead_e75), numRuns: 1500, interruptAfterTimeLimit: 15_000, markInterruptAsFailure: false };

/** Header lines, well-formed and not, without their line breaks. */
const LINES = [
  'Content-Type: application/octet-stream', 'Content-ID: <a@example.org>', 'content-id:<b>', 'Content-Transfer-Encoding: binary',
  'X-Empty:', 'X-Spaces:   padded value   ', 'X-Tab:\tvalue', 'Name-Before-Colon : obsolete', 'Weird!#$%&\'*+.^_`|~: token bytes',
  '  folded continuation', '\tfolded with tab', 'X-Utf8: caf\u00e9', 'no colon here', ': empty name', 'Bad Name: space inside',
  'X-Ctl: a\u0001b', 'X-Del: a\u007fb', 'X-Cr: a\rb', 'X-High: \u00ff', 'Content-ID: <second@example.org>', '__proto__: x',
];

const blockArb = fc.record({
  lines: fc.array(fc.constantFrom(...LINES), { minLength: 0, maxLength: 40 }),
  breaks: fc.array(fc.constantFrom('\r\n', '\n'), { minLength: 41, maxLength: 41 }),
  emptyLine: fc.constantFrom('\r\n', '\n'),
  body: fc.constantFrom('', 'body bytes', 'x\r\n--not-the-boundary'),
  headerBytes: fc.option(fc.integer({ min: 0, max: 400 }), { nil: undefined }),
  headerCount: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
});

test('property: a header block parsed whole (fast path) and byte by byte (byte-wise path) gives the same outcome', () => {
  fc.assert(fc.property(blockArb, (c) => {
    const block = c.lines.map((line, i) => line + c.breaks[i]).join('');
    const message = Buffer.from(`--${B}\r\n${block}${c.emptyLine}${c.body}\r\n--${B}\r\nContent-ID: <next>\r\n\r\nn\r\n--${B}--\r\n`, 'utf8');
    const limits = { ...(c.headerBytes === undefined ? {} : { headerBytes: c.headerBytes }), ...(c.headerCount === undefined ? {} : { headerCount: c.headerCount }) };
    const whole = collectPush([message], { boundary: B, limits });
    const bytewise = collectPush(chunk(message, 1), { boundary: B, limits });
    assert.deepEqual(whole, bytewise);
    // The fast path's headers answer get() from the block without building the entries: the same answers.
    assert.deepEqual(lookups([message], limits), lookups(chunk(message, 1), limits));
  }), SETTINGS);
});

/** Names asked for with get()/has(), in several letter cases, and some that never occur. */
const NAMES = ['content-id', 'Content-ID', 'CONTENT-TYPE', 'content-transfer-encoding', 'x-empty', 'X-Spaces', 'x-tab',
  'name-before-colon', "weird!#$%&'*+.^_`|~", "WEIRD!#$%&'*+.~_`|^", 'x-utf8', '__proto__', 'constructor', 'x-missing', ''];

/** What get(), has() and size say for each part (get before anything else, so the lazy path answers). */
function lookups(chunks: Uint8Array[], limits: object): unknown {
  const out: unknown[] = [];
  try {
    const parser = new MultipartParser({ boundary: B, limits }, {
      onPartBegin(headers) {
        out.push(NAMES.map((n) => [headers.get(n), headers.has(n)]), headers.size, headers.getAll('content-id'), headers.toJSON());
      },
    });
    for (const c of chunks) parser.write(c);
    parser.end();
  } catch (error) {
    if (!isXopError(error)) throw error;
    out.push(error.code);
  }
  return out;
}

test('the fast path keeps header values exactly: trimmed, case of names folded, repeated names kept', () => {
  const message = Buffer.from(`--${B}\r\nContent-ID:  <a>  \r\nX-A: 1\r\nx-a: 2\r\nContent-Type :text/xml\r\n\r\nbody\r\n--${B}--`, 'latin1');
  const { parts, error } = collectPush([message], { boundary: B });
  assert.equal(error, null);
  assert.deepEqual(parts[0]!.headers, [['content-id', '<a>'], ['x-a', '1'], ['x-a', '2'], ['content-type', 'text/xml']]);
});

test('a block of more fields than the fast path tracks (40) is parsed by the byte-wise path, the same as byte by byte', () => {
  const fields = Array.from({ length: 40 }, (_, i) => `X-F${i}: ${i}\r\n`).join('');
  const message = Buffer.from(`--${B}\r\n${fields}\r\nbody\r\n--${B}--`, 'latin1');
  const whole = collectPush([message], { boundary: B, limits: { headerCount: 64 } });
  assert.equal(whole.error, null);
  assert.equal(whole.parts[0]!.headers.length, 40);
  assert.deepEqual(whole, collectPush(chunk(message, 1), { boundary: B, limits: { headerCount: 64 } }));
});
