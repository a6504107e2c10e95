// Errors of the MIME layer: typed, with stable codes and offsets, `instanceof`
// that survives a duplicate install, and a parser that stays failed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ErrorCodes, LimitError, MimeError, MultipartParser, XopError, isLimitCode, isXopError, parseMultipart, xopError,
} from '../src/index.js';

const CT = 'multipart/related; boundary=b';
const ok = Buffer.from('--b\r\nContent-ID: <a>\r\n\r\nbody\r\n--b--\r\n');

/** A source that counts how often it was pulled. */
function countingSource(chunks: Uint8Array[]): { source: AsyncIterable<Uint8Array>; pulls: () => number } {
  let pulls = 0;
  return {
    source: {
      async *[Symbol.asyncIterator]() {
        for (const c of chunks) {
          pulls++;
          yield c;
        }
      },
    },
    pulls: () => pulls,
  };
}

test('ERR_MIME_NO_BOUNDARY is thrown by parseMultipart itself, before the source is read', () => {
  for (const ct of ['multipart/related', 'multipart/related; boundary=""', 'multipart/related; boundary=' + 'x'.repeat(71),
    'multipart/mixed; boundary="a\tb"', 'multipart/related; boundary="ends with space "', 'multipart/related; start=x']) {
    const { source, pulls } = countingSource([ok]);
    assert.throws(() => parseMultipart(source, ct), (e: unknown) => {
      assert.ok(e instanceof MimeError);
      assert.equal((e as XopError).code, 'ERR_MIME_NO_BOUNDARY');
      return true;
    }, ct);
    assert.equal(pulls(), 0, ct);
  }
});

test('bad Content-Types: unparsable, and neither multipart nor XML', () => {
  assert.throws(() => parseMultipart([ok], 'nonsense'), { code: 'ERR_MIME_BAD_CONTENT_TYPE' });
  assert.throws(() => parseMultipart([ok], ''), { code: 'ERR_MIME_BAD_CONTENT_TYPE' });
  assert.throws(() => parseMultipart([ok], 'image/png'), (e: unknown) => {
    assert.equal((e as XopError).code, 'ERR_MIME_UNSUPPORTED_MEDIA_TYPE');
    assert.equal((e as XopError).details.status, 415);
    return true;
  });
  assert.throws(() => parseMultipart([ok], CT, { limits: { parts: -1 } }), TypeError);
  assert.throws(() => parseMultipart([ok], CT, { limits: { headerBytes: Number.NaN } }), TypeError);
});

test('MultipartParser: constructor checks the boundary', () => {
  assert.throws(() => new MultipartParser({ boundary: '' }), { code: 'ERR_MIME_NO_BOUNDARY' });
  assert.throws(() => new MultipartParser({ boundary: 'a\r\nb' }), { code: 'ERR_MIME_NO_BOUNDARY' });
  assert.throws(() => new MultipartParser({ boundary: 'x'.repeat(71) }), { code: 'ERR_MIME_NO_BOUNDARY' });
  assert.doesNotThrow(() => new MultipartParser({ boundary: 'x'.repeat(71), limits: { boundaryLength: 100 } }));
  assert.throws(() => new MultipartParser(undefined as never), { code: 'ERR_MIME_NO_BOUNDARY' });
});

test('write after end, end twice, write of a non-buffer', () => {
  const parser = new MultipartParser({ boundary: 'b' });
  parser.write(ok);
  assert.equal(parser.closed, true);
  assert.equal(parser.partCount, 1);
  assert.equal(parser.bytesWritten, ok.length);
  parser.end();
  parser.end(); // idempotent after a clean end
  assert.throws(() => parser.write(Buffer.from('more')), (e: unknown) => {
    assert.ok(isXopError(e));
    assert.equal(e.code, 'ERR_PARSER_STATE');
    return true;
  });
  const other = new MultipartParser({ boundary: 'b' });
  assert.throws(() => other.write('text' as unknown as Uint8Array), { code: 'ERR_BAD_ARGUMENT' });
  assert.throws(() => other.write(ok), { code: 'ERR_BAD_ARGUMENT' }, 'a failed parser stays failed');
});

test('a failed parser rethrows its error on every later call', () => {
  const parser = new MultipartParser({ boundary: 'b' });
  const bad = Buffer.from('--b\r\nX: a\rb\r\n\r\n');
  let first: unknown;
  try { parser.write(bad); } catch (e) { first = e; }
  assert.ok(first instanceof MimeError);
  assert.equal((first as XopError).code, 'ERR_MIME_BAD_HEADER');
  assert.equal((first as XopError).offset, 9); // the bare CR
  assert.throws(() => parser.write(ok), (e: unknown) => e === first);
  assert.throws(() => parser.end(), (e: unknown) => e === first);
});

test('errors from callbacks propagate and end the parser', () => {
  const boom = new Error('sink failed');
  const parser = new MultipartParser({ boundary: 'b' }, { onPartData() { throw boom; } });
  assert.throws(() => parser.write(ok), (e: unknown) => e === boom);
  assert.throws(() => parser.write(ok), { code: 'ERR_PARSER_STATE' });
});

test('XopError: code, offset, details, class by code, message names the offset', () => {
  const e = xopError(ErrorCodes.MIME_PART_TOO_LARGE, 'too big', { offset: 42, part: 3, limit: 10 });
  assert.ok(e instanceof XopError);
  assert.ok(e instanceof LimitError);
  assert.ok(!(e instanceof MimeError));
  assert.ok(e instanceof Error);
  assert.equal(e.code, 'ERR_MIME_PART_TOO_LARGE');
  assert.equal(e.offset, 42);
  assert.equal(e.details.part, 3);
  assert.equal(e.name, 'LimitError');
  assert.match(e.message, /at byte 42/);
  assert.ok(isLimitCode(e.code));
  assert.ok(!isLimitCode('ERR_MIME_TRUNCATED'));
  assert.ok(xopError(ErrorCodes.MIME_TRUNCATED, 'x') instanceof MimeError);
  assert.ok(!isXopError(new Error('plain')));
  assert.ok(!isXopError(null));
  assert.ok(!isXopError({ code: 'ERR_MIME_TRUNCATED' }), 'a look-alike without the brand is not one of ours');
  const cause = new Error('io');
  assert.equal(xopError(ErrorCodes.NETWORK, 'x', { cause }).cause, cause);
});

test('instanceof works across a duplicate install (a second copy of the module)', async () => {
  // A query string makes Node load dist/src/errors.js a second time: a distinct
  // module instance with its own classes, as with two installed copies.
  const copy = (await import(new URL('../src/errors.js?duplicate-install', import.meta.url).href)) as typeof import('../src/errors.js');
  assert.notEqual(copy.XopError, XopError, 'really a second copy');
  const foreign = copy.xopError(copy.ErrorCodes.MIME_TRUNCATED, 'from the other copy', { offset: 7 });
  assert.ok(foreign instanceof XopError);
  assert.ok(foreign instanceof MimeError);
  assert.ok(!(foreign instanceof LimitError));
  assert.ok(isXopError(foreign));
  const local = xopError(ErrorCodes.MIME_TOO_MANY_PARTS, 'local', { offset: 1 });
  assert.ok(local instanceof copy.XopError);
  assert.ok(local instanceof copy.LimitError);
  assert.ok(!(local instanceof copy.MimeError));
  // A hand-made branded object counts too (that is the whole mechanism).
  const branded = Object.assign(Object.create(null), { [Symbol.for('xopstream.XopError')]: true, code: 'ERR_X' });
  assert.ok(branded instanceof XopError);
});

test('streaming errors are XopErrors with offsets; iteration after failure keeps failing', async () => {
  const truncated = Buffer.from('--b\r\nContent-ID: <a>\r\n\r\nbody');
  const parsed = parseMultipart([truncated], CT);
  const seen: string[] = [];
  await assert.rejects(async () => {
    for await (const part of parsed) {
      for await (const v of part.body) seen.push(Buffer.from(v).toString());
    }
  }, (e: unknown) => {
    assert.ok(e instanceof MimeError);
    assert.equal((e as XopError).code, 'ERR_MIME_TRUNCATED');
    assert.equal((e as XopError).offset, truncated.length);
    return true;
  });
  assert.throws(() => parsed[Symbol.asyncIterator](), { code: 'ERR_PARSER_STATE' }, 'iterated once');
});

test('a source that yields something other than bytes is ERR_BAD_ARGUMENT; so is a non-source', async () => {
  await assert.rejects(async () => {
    for await (const part of parseMultipart(['text' as unknown as Uint8Array], CT)) void part;
  }, { code: 'ERR_BAD_ARGUMENT' });
  assert.throws(() => parseMultipart(42 as never, CT)[Symbol.asyncIterator](), { code: 'ERR_BAD_ARGUMENT' });
});
