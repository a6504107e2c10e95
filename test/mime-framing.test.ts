// A message's framing (RFC 2046 §5.1.1 CRLF, or bare LF as some peers send)
// is set by its first delimiter line, as Go's mime/multipart does: a message
// whose first delimiter line ends in CRLF and whose header lines end in CRLF
// is parsed strictly (a bare-LF "--boundary" inside a body is data, as for
// dicer, busboy and Go), which lets the search skip bare-LF look-alikes in
// native code; a bare LF ending the first delimiter line or any header line
// makes bare-LF delimiters count for the rest of the message;
// allowBareLfDelimiters makes them count in every message (mimepull, JavaMail).
// Every case holds under every chunking and at every split point.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { searchStartOf } from '../src/mime/parser.js';
import { collectPush, sha256Of, splitAt } from './support/collect.js';
import { CHUNKINGS } from './support/corpus.js';

const B = 'MIME_boundary-7f3a';

interface FramingCase {
  name: string;
  message: string;
  /** Each part's body, in order. */
  bodies: string[];
  /** allowBareLfDelimiters (mimepull / JavaMail framing). */
  bareLf?: boolean;
}

const CASES: readonly FramingCase[] = [
  {
    name: 'CRLF framing: a bare-LF delimiter look-alike in a body is data',
    message: `--${B}\r\nContent-ID: <a>\r\n\r\nline one\n--${B}\nstill part a\r\n--${B}\r\nContent-ID: <b>\r\n\r\nb\r\n--${B}--\r\n`,
    bodies: [`line one\n--${B}\nstill part a`, 'b'],
  },
  {
    name: 'CRLF framing: a bare-LF close delimiter look-alike is data too',
    message: `--${B}\r\nContent-ID: <a>\r\n\r\nx\n--${B}--\r\ny\r\n--${B}--\r\n`,
    bodies: [`x\n--${B}--\r\ny`],
  },
  {
    name: 'CRLF framing: CRLF delimiters with transport padding still count',
    message: `--${B} \t\r\nContent-ID: <a>\r\n\r\na\r\n--${B}  \r\n\r\nb\r\n--${B}-- \r\n`,
    bodies: ['a', 'b'],
  },
  {
    name: 'bare-LF framing from the first delimiter line: bare-LF and CRLF delimiters both count',
    message: `--${B}\nContent-ID: <a>\n\na\n--${B}\nContent-ID: <b>\n\nb\r\n--${B}--\n`,
    bodies: ['a', 'b'],
  },
  {
    name: 'a header line ending in bare LF switches a CRLF-started message to bare-LF framing',
    message: `--${B}\r\nContent-ID: <a>\nContent-Type: text/plain\r\n\r\na\n--${B}\r\nContent-ID: <b>\r\n\r\nb\n--${B}--\r\n`,
    bodies: ['a', 'b'],
  },
  {
    name: 'a bare-LF empty line ending a header block switches to bare-LF framing',
    message: `--${B}\r\nContent-ID: <a>\r\n\na\n--${B}--\n`,
    bodies: ['a'],
  },
  {
    name: 'a preamble with a bare-LF first delimiter: bare-LF framing',
    message: `preamble\n--${B}\nContent-ID: <a>\n\na\n--${B}--`,
    bodies: ['a'],
  },
  {
    name: 'allowBareLfDelimiters: in a CRLF-framed message a bare-LF delimiter ends the part (Axis 1.x capture, as mimepull reads it)',
    message: `--${B}\r\nContent-ID: <a>\r\n\r\nline one\n--${B}\r\nContent-ID: <b>\r\n\r\nb\n--${B}--`,
    bodies: ['line one', 'b'],
    bareLf: true,
  },
  {
    name: 'allowBareLfDelimiters: the same look-alikes that CRLF framing keeps as data are delimiters',
    message: `--${B}\r\nContent-ID: <a>\r\n\r\nline one\n--${B}\nstill part a\r\n--${B}\r\nContent-ID: <b>\r\n\r\nb\r\n--${B}--\r\n`,
    bodies: ['line one', 'still part a', 'b'],
    bareLf: true,
  },
  {
    name: 'allowBareLfDelimiters: a bare-LF close delimiter closes; CRLF delimiters and a body ending in CR LF LF keep their meaning',
    message: `--${B}\r\nContent-ID: <a>\r\n\r\nx\r\n\r\n--${B}\r\n\r\ny\r\n\n--${B}--\r\nepilogue\n--${B}\r\n`,
    bodies: ['x\r\n', 'y\r\n'],
    bareLf: true,
  },
  {
    name: 'allowBareLfDelimiters: a look-alike followed by other bytes is still data',
    message: `--${B}\r\n\r\na\n--${B}x\n--${B}-x\r\n--${B}--`,
    bodies: [`a\n--${B}x\n--${B}-x`],
    bareLf: true,
  },
  {
    name: 'CRLF framing: an empty body (the empty line doubles as the delimiter line break)',
    message: `--${B}\r\nContent-ID: <a>\r\n\r\n--${B}\r\nContent-ID: <b>\r\n\r\nb\r\n--${B}--`,
    bodies: ['', 'b'],
  },
];

for (const c of CASES) {
  const bytes = Buffer.from(c.message, 'latin1');
  const expected = c.bodies.map((body) => sha256Of([Buffer.from(body, 'latin1')]));
  test(`framing: ${c.name}`, () => {
    const check = (chunks: Uint8Array[], how: string): void => {
      const { parts, error } = collectPush(chunks, { boundary: B, allowBareLfDelimiters: c.bareLf === true });
      assert.equal(error, null, `${how}: ${JSON.stringify(error)}`);
      assert.deepEqual(parts.map(({ size, sha256 }) => ({ size, sha256 })), expected, how);
    };
    for (const { name, split } of CHUNKINGS) check(split(bytes), name);
    for (let at = 1; at < bytes.length; at++) check(splitAt(bytes, at), `split at ${at}`);
  });
}

test('framing: a CRLF message whose only close delimiter is bare-LF framed is truncated, whatever the chunking', () => {
  const bytes = Buffer.from(`--${B}\r\nContent-ID: <a>\r\n\r\na\n--${B}--\n`, 'latin1');
  for (const { name, split } of CHUNKINGS) {
    assert.equal(collectPush(split(bytes), { boundary: B }).error?.code, 'ERR_MIME_TRUNCATED', name);
  }
  // CXF-compatible lenient end: the look-alike is part of the last body.
  const lenient = collectPush([bytes], { boundary: B, allowMissingCloseDelimiter: true });
  assert.equal(lenient.error, null);
  assert.deepEqual(lenient.parts.map((p) => p.size), [`a\n--${B}--\n`.length]);
  // mimepull-compatible framing: it is the close delimiter.
  for (const { name, split } of CHUNKINGS) {
    const java = collectPush(split(bytes), { boundary: B, allowBareLfDelimiters: true });
    assert.equal(java.error, null, name);
    assert.deepEqual(java.parts.map((p) => p.size), [1], name);
  }
});

test('searchStartOf: the searched suffix starts at an uncommon boundary byte that occurs once after it', () => {
  const at = (boundary: string): string => {
    const needle = Buffer.from(`\n--${boundary}`, 'latin1');
    return needle.subarray(searchStartOf(needle)).toString('latin1');
  };
  assert.equal(at('----=_Part_42_x.1700000000000'), '=_Part_42_x.1700000000000'); // JavaMail: past the dashes
  assert.equal(at('uuid:5b0c4b1c-7f1e-4e2a-9c4d-2a1b3c4d5e6f'), 'uid:5b0c4b1c-7f1e-4e2a-9c4d-2a1b3c4d5e6f'); // CXF: the first 'u' repeats
  assert.equal(at('MIMEBoundary_bench_6b1e'), 'IMEBoundary_bench_6b1e'); // Axis2: 'M' repeats
  // No uncommon byte that occurs once: the whole needle (its LF occurs once).
  assert.equal(at('0000000000'), `\n--0000000000`);
  assert.equal(at('----'), '\n------');
  // A suffix under 8 bytes would match too often in ordinary data: the whole needle.
  assert.equal(at('a'), '\n--a');
  assert.equal(at('abcdefg'), '\n--abcdefg');
  assert.equal(at('abcdefgh'), 'abcdefgh');
});
