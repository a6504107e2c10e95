// Table-driven conformance cases: every corpus/<case>/ (message.bin +
// expected.json, written by corpus/generate.mjs from how each message was
// built) parsed under the whole chunking matrix, through both faces of the
// parser. The expected parts, hashes, root, warnings and error code + offset
// must come out identical for every chunking.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { describeMessage } from '../src/index.js';
import type { ParseMultipartOptions } from '../src/index.js';
import { CHUNKINGS, ownCorpusDir } from './support/corpus.js';
import { collectPush, collectStream, type Feed } from './support/collect.js';

interface ExpectedPart {
  index: number;
  contentId: string | null;
  contentType: string | null;
  contentTransferEncoding: string | null;
  headers: Array<[string, string]>;
  size: number;
  sha256: string;
  rawSize: number;
  rawSha256: string;
  isRoot: boolean;
}

interface Expected {
  description: string;
  contentType: string;
  options: ParseMultipartOptions;
  parts?: ExpectedPart[];
  root?: number;
  warnings?: number;
  error?: { code: string; offset: number | null };
  pushError?: { code: string; offset: number | null };
}

/** The MIME cases: the corpus/ folders corpus/generate.mjs wrote (others hold other layers' fixtures). */
const cases = fs.readdirSync(ownCorpusDir, { withFileTypes: true })
  .filter((e) => {
    const file = path.join(ownCorpusDir, e.name, 'expected.json');
    return e.isDirectory() && fs.existsSync(file) && fs.existsSync(path.join(ownCorpusDir, e.name, 'message.bin')) &&
      (JSON.parse(fs.readFileSync(file, 'utf8')) as { generatedBy?: string }).generatedBy === 'corpus/generate.mjs';
  })
  .map((e) => e.name)
  .sort();

test('the project corpus holds the conformance cases', () => {
  // The cases the issue names must exist (a renamed or lost fixture fails here).
  for (const name of ['boundary-in-body', 'boundary-lwsp', 'empty-part', 'part-without-headers', 'one-byte-part',
    'quoted-boundary', 'invalid-close-delimiter', 'missing-close-delimiter', 'bare-lf-framing', 'mixed-crlf-lf',
    'preamble-epilogue', 'boundary-1-char', 'boundary-70-chars', 'boundary-71-chars', 'body-crlf-dashes',
    'boundary-minus-one-byte', 'folded-headers', 'bare-cr-in-header', 'base64-part', 'base64-invalid',
    'quoted-printable-part', 'quoted-printable-invalid', 'start-with-angle-brackets', 'start-without-angle-brackets',
    'start-not-found', 'start-not-found-required', 'single-text-xml', 'limit-header-bytes', 'limit-header-count',
    'limit-parts', 'limit-part-bytes', 'limit-total-bytes', 'limit-preamble-bytes']) {
    assert.ok(cases.includes(name), `corpus/${name} is missing`);
  }
});

function load(name: string): { message: Buffer; expected: Expected } {
  const dir = path.join(ownCorpusDir, name);
  return {
    message: fs.readFileSync(path.join(dir, 'message.bin')),
    expected: JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as Expected,
  };
}

/** Both paths of parseMultipart's pump: chunks taken at once (an array) and awaited (an async generator). */
const FEEDS: readonly Feed[] = ['array', 'async-generator'];

describe('parseMultipart over corpus/ cases × chunkings × feeds', () => {
  for (const name of cases) {
    const { message, expected } = load(name);
    test(`${name}: ${expected.description}`, async () => {
      for (const chunking of CHUNKINGS) for (const feed of FEEDS) {
        const got = await collectStream(chunking.split(message), expected.contentType, expected.options, feed);
        const where = `${name} / ${chunking.name} / ${feed}`;
        if (expected.error !== undefined) {
          assert.deepEqual(got.error, expected.error, where);
          continue;
        }
        assert.equal(got.error, null, `${where}: ${JSON.stringify(got.error)}`);
        const want = expected.parts!.map(({ rawSize: _s, rawSha256: _h, ...p }) => p);
        assert.deepEqual(got.parts, want, where);
        assert.equal(got.root, expected.root, where);
        assert.equal(got.warnings, expected.warnings, where);
      }
    });
  }
});

describe('MultipartParser (push) over corpus/ cases × chunkings', () => {
  for (const name of cases) {
    const { message, expected } = load(name);
    let boundary: string | null;
    try {
      boundary = describeMessage(expected.contentType, expected.options.limits).boundary;
    } catch {
      continue; // a Content-Type error: nothing for the push parser to do (checked above)
    }
    if (boundary === null) continue; // not multipart
    test(`${name} (push)`, () => {
      for (const chunking of CHUNKINGS) {
        const got = collectPush(chunking.split(message), {
          boundary: boundary!,
          ...(expected.options.limits === undefined ? {} : { limits: expected.options.limits }),
          allowMissingCloseDelimiter: expected.options.allowMissingCloseDelimiter === true,
          allowBareLfDelimiters: expected.options.allowBareLfDelimiters === true,
        });
        const where = `${name} / ${chunking.name}`;
        if (expected.pushError !== undefined) {
          assert.deepEqual(got.error, expected.pushError, where);
          continue;
        }
        assert.equal(got.error, null, `${where}: ${JSON.stringify(got.error)}`);
        if (expected.parts === undefined) continue; // a stream-level error (decoding, start): framing is fine
        assert.deepEqual(got.parts, expected.parts.map((p) => ({ headers: p.headers, size: p.rawSize, sha256: p.rawSha256 })), where);
      }
    });
  }
});
