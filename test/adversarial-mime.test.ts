// Hostile multipart input against the MIME layer: each case has the outcome
// it must produce (a typed error with its code, or the exact parts), and the
// memory checks are deterministic bounds (bytes pulled from the source before
// the error, bytes the push parser holds back), not timings.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import {
  MultipartParser, createTransferDecoder, isXopError, parseMultipart, type ParseMultipartOptions, type XopError,
} from '../src/index.js';
import { runMime } from './fuzz/targets/mime.js';
import { applyPlan } from './fuzz/chunking.js';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const KiB = 1024;
const MiB = 1024 * 1024;

/** A lazy source over generated chunks that counts the bytes pulled and whether it was released. */
function meteredSource(chunks: () => Iterable<Uint8Array>): { source: AsyncIterable<Uint8Array>; pulled: () => number; released: () => boolean } {
  let pulled = 0;
  let released = false;
  return {
    source: {
      [Symbol.asyncIterator]() {
        const it = chunks()[Symbol.iterator]();
        return {
          async next() {
            const r = it.next();
            if (r.done !== true) pulled += r.value.length;
            return r;
          },
          async return() {
            released = true;
            return { done: true as const, value: undefined };
          },
        };
      },
    },
    pulled: () => pulled,
    released: () => released,
  };
}

/** Yields `total` bytes of `unit` repeated, in chunks of `size`, after `head` and before `tail`. */
function* repeated(head: string, unit: string, total: number, tail: string, size = 64 * KiB): Iterable<Uint8Array> {
  yield Buffer.from(head, 'latin1');
  const block = Buffer.from(unit.repeat(Math.ceil(size / unit.length)).slice(0, size), 'latin1');
  let left = total;
  while (left > 0) {
    const n = Math.min(left, block.length);
    yield block.subarray(0, n);
    left -= n;
  }
  yield Buffer.from(tail, 'latin1');
}

/** Reads every part; resolves to the error it rejected with (or null) and the parts seen. */
async function drain(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, ct: string, options: ParseMultipartOptions = {}) {
  const parts: Array<{ id: string | null; size: number; sha: string; isRoot: boolean }> = [];
  let error: XopError | null = null;
  try {
    const parsed = parseMultipart(source, ct, options);
    for await (const part of parsed) {
      const hash = createHash('sha256');
      let size = 0;
      for await (const view of part.body) {
        hash.update(view);
        size += view.length;
      }
      parts.push({ id: part.contentId, size, sha: hash.digest('hex'), isRoot: part.isRoot });
    }
    if (parsed.rootIndex !== null) for (const [i, p] of parts.entries()) p.isRoot = i === parsed.rootIndex;
    return { error, parts, warnings: parsed.warnings };
  } catch (e) {
    assert.ok(isXopError(e), `a typed error, not ${String(e)}`);
    error = e as XopError;
    return { error, parts, warnings: [] as string[] };
  }
}

const CT = 'multipart/related; boundary=boundary';

test('a 1 MiB header line: ERR_MIME_HEADER_TOO_LARGE, having read at most limits.headerBytes plus one chunk', async () => {
  const m = meteredSource(() => repeated('--boundary\r\nX-Huge: ', 'v', MiB, '\r\n\r\nbody\r\n--boundary--\r\n', 4 * KiB));
  const { error } = await drain(m.source, CT);
  assert.equal(error?.code, 'ERR_MIME_HEADER_TOO_LARGE');
  assert.equal(error?.details.limit, 16 * KiB);
  assert.ok(m.pulled() <= 16 * KiB + 2 * 4 * KiB, `pulled ${m.pulled()} bytes`);
  assert.ok(m.released(), 'the source is released');
});

test('100,000 header lines: ERR_MIME_TOO_MANY_HEADERS (header bytes raised), a 100,000-line fold is ERR_MIME_HEADER_TOO_LARGE', async () => {
  const many = meteredSource(() => repeated('--boundary\r\n', 'X: 1\r\n', 600_000, '\r\nbody\r\n--boundary--\r\n'));
  const r1 = await drain(many.source, CT, { limits: { headerBytes: MiB } });
  assert.equal(r1.error?.code, 'ERR_MIME_TOO_MANY_HEADERS');
  assert.equal(r1.error?.details.limit, 64);
  const fold = meteredSource(() => repeated('--boundary\r\nX-Fold: a', '\r\n b', 300_000, '\r\n\r\nbody\r\n--boundary--\r\n'));
  const r2 = await drain(fold.source, CT);
  assert.equal(r2.error?.code, 'ERR_MIME_HEADER_TOO_LARGE');
  assert.ok(fold.pulled() <= 16 * KiB + 2 * 64 * KiB);
});

function tinyParts(count: number): Buffer {
  const pieces: string[] = [];
  for (let i = 0; i < count; i++) pieces.push(`--boundary\r\nContent-ID: <p${i}>\r\n\r\n${i % 10}\r\n`);
  pieces.push('--boundary--\r\n');
  return Buffer.from(pieces.join(''), 'latin1');
}

test('100,000 tiny parts: ERR_MIME_TOO_MANY_PARTS at part 1,001 with the default limits', async () => {
  const bytes = tinyParts(100_000);
  const { error, parts } = await drain(applyPlan(bytes, { mode: 'fixed', size: 64 * KiB }), CT);
  assert.equal(error?.code, 'ERR_MIME_TOO_MANY_PARTS');
  assert.equal(error?.details.limit, 1000);
  assert.equal(parts.length, 1000, 'the first 1,000 parts come out before the error');
  // The error points just past the 1,001st delimiter line.
  const perPart = (i: number): number => `--boundary\r\nContent-ID: <p${i}>\r\n\r\n${i % 10}\r\n`.length;
  let offset = 0;
  for (let i = 0; i < 1000; i++) offset += perPart(i);
  assert.equal(error?.offset, offset + '--boundary\r\n'.length);
});

test('100,000 tiny parts with limits.parts raised: every part parses, with its id and body', { timeout: 120_000 }, async () => {
  const bytes = tinyParts(100_000);
  // Push API: exactly one begin and one end per part, bodies as planted.
  let begins = 0;
  let ends = 0;
  let bodyBytes = 0;
  const parser = new MultipartParser({ boundary: 'boundary', limits: { parts: 100_000 } }, {
    onPartBegin: () => { begins++; },
    onPartData: (v) => { bodyBytes += v.length; },
    onPartEnd: () => { ends++; },
  });
  for (const c of applyPlan(bytes, { mode: 'fixed', size: 1000 })) parser.write(c);
  parser.end();
  assert.deepEqual({ begins, ends, bodyBytes }, { begins: 100_000, ends: 100_000, bodyBytes: 100_000 });
  // Streaming API.
  const { error, parts } = await drain(applyPlan(bytes, { mode: 'fixed', size: 64 * KiB }), CT, { limits: { parts: 100_000 } });
  assert.equal(error, null);
  assert.equal(parts.length, 100_000);
  assert.equal(parts[99_999]!.id, 'p99999');
  assert.equal(parts[12_345]!.sha, sha256(Buffer.from('5')));
});

test('millions of boundary-prefix bytes are body data, and the push parser holds back at most a delimiter', async () => {
  const boundary = 'boundary';
  const needle = `\r\n--${boundary}`.length;
  for (const unit of ['\r\n--boundar', '\r\n--boundaryx', '\r\n-', '\r', '\n', '-', '\r\n--', '\n--boundar']) {
    const body = Buffer.from(unit.repeat(Math.ceil(2 * MiB / unit.length)), 'latin1');
    const message = Buffer.concat([Buffer.from(`--${boundary}\r\n\r\n`), body, Buffer.from(`\r\n--${boundary}--\r\n`)]);
    for (const size of [64 * KiB, 1000, 7]) {
      if (size === 7 && unit.length > 2) continue; // 7-byte slices of 2 MiB: covered by the short units
      let emitted = 0;
      let written = 0;
      const hash = createHash('sha256');
      let worstHeld = 0;
      const parser = new MultipartParser({ boundary }, { onPartData: (v) => { emitted += v.length; hash.update(v); } });
      const header = `--${boundary}\r\n\r\n`.length;
      for (const c of applyPlan(message, { mode: 'fixed', size })) {
        parser.write(c);
        written += c.length;
        if (written > header && written < header + body.length) worstHeld = Math.max(worstHeld, written - header - emitted);
      }
      parser.end();
      assert.equal(emitted, body.length, `${JSON.stringify(unit)} in ${size}-byte chunks`);
      assert.equal(hash.digest('hex'), sha256(body));
      assert.ok(worstHeld <= needle + 1, `${JSON.stringify(unit)}: held back ${worstHeld} bytes`);
    }
  }
});

test('a 10 MB preamble: ERR_MIME_PREAMBLE_TOO_LARGE at byte 65,536, after reading at most 64 KiB plus one chunk', async () => {
  const m = meteredSource(() => repeated('', 'preamble line\r\n', 10_000_000, '--boundary\r\n\r\nbody\r\n--boundary--\r\n'));
  const { error, parts } = await drain(m.source, CT);
  assert.equal(error?.code, 'ERR_MIME_PREAMBLE_TOO_LARGE');
  assert.equal(error?.offset, 64 * KiB);
  assert.equal(parts.length, 0);
  assert.ok(m.pulled() <= 64 * KiB + 2 * 64 * KiB, `pulled ${m.pulled()}`);
  // Raised: the preamble is skipped and the part parses.
  const again = meteredSource(() => repeated('', 'preamble line\r\n', 10_000_000, '\r\n--boundary\r\n\r\nbody\r\n--boundary--\r\n'));
  const ok = await drain(again.source, CT, { limits: { preambleBytes: 16 * MiB } });
  assert.equal(ok.error, null);
  assert.deepEqual(ok.parts.map((p) => p.sha), [sha256(Buffer.from('body'))]);
});

test('boundaries of 70 and 71 characters: 70 parses; 71 is ERR_MIME_NO_BOUNDARY before any byte is read, unless limits.boundaryLength allows it', async () => {
  for (const length of [70, 71]) {
    const boundary = 'x'.repeat(length - 1) + 'Z';
    const message = Buffer.from(`--${boundary}\r\nContent-ID: <a>\r\n\r\n--${boundary.slice(0, -1)} is data\r\n--${boundary}--\r\n`);
    const m = meteredSource(() => [message]);
    if (length === 70) {
      const r = await drain(m.source, `multipart/related; boundary="${boundary}"`);
      assert.equal(r.error, null);
      assert.deepEqual(r.parts.map((p) => p.sha), [sha256(Buffer.from(`--${boundary.slice(0, -1)} is data`))]);
    } else {
      assert.throws(() => parseMultipart(m.source, `multipart/related; boundary="${boundary}"`), { code: 'ERR_MIME_NO_BOUNDARY' });
      assert.equal(m.pulled(), 0);
      const r = await drain([message], `multipart/related; boundary="${boundary}"`, { limits: { boundaryLength: 71 } });
      assert.equal(r.error, null);
      assert.equal(r.parts.length, 1);
    }
  }
});

test('bare CR in headers is ERR_MIME_BAD_HEADER at its offset; the dicer CVE-2022-24434 shape gives a typed outcome, no crash', async () => {
  const B = '----WebKitFormBoundaryoo6vortfDzBsDiro';
  const ct = `multipart/form-data; boundary=${B}`;
  const bareCr = Buffer.from(`--${B}\r\nContent-Type: text/plain\rX-Injected: 1\r\n\r\nbody\r\n--${B}--`, 'latin1');
  for (const size of [bareCr.length, 1, 5]) {
    const r = await drain(applyPlan(bareCr, { mode: 'fixed', size }), ct);
    assert.equal(r.error?.code, 'ERR_MIME_BAD_HEADER');
    assert.equal(r.error?.offset, bareCr.indexOf('\rX-'));
  }
  // A bare LF is a line end (the documented line-ending choice: real peers send bare-LF
  // headers), so it cannot hide a second header inside a first one's value: it is a second header.
  const bareLf = Buffer.from(`--${B}\r\nContent-Type: text/plain\nX-Second: 1\r\n\r\nbody\r\n--${B}--`, 'latin1');
  const lf = await runMime({ contentType: ct, bytes: bareLf, options: {} }, [bareLf]);
  assert.ok(lf.ok);
  assert.deepEqual(lf.parts[0]!.headers, [['content-type', 'text/plain'], ['x-second', '1']]);
  for (const header of ['Content\r-Type: a', 'A: b\r\n c\rd', 'A: b\x00c', 'A: \x1bc']) {
    const bytes = Buffer.from(`--${B}\r\n${header}\r\n\r\nbody\r\n--${B}--`, 'latin1');
    const r = await drain([bytes], ct);
    assert.equal(r.error?.code, 'ERR_MIME_BAD_HEADER', JSON.stringify(header));
  }
  // CVE-2022-24434: a header block whose first line is folded crashed dicer's HeaderParser
  // (an uninitialised header name). Here such a line cannot be a header field, so the part
  // has no headers and the line is body data (the missing-separator leniency): nothing is
  // injected as a header, nothing throws.
  const cve = Buffer.from(`--${B}\r\n Content-Disposition: form-data; name="bildbeschreibung"\r\n\r\n\r\n--${B}--`, 'latin1');
  for (const size of [cve.length, 1, 3]) {
    const outcome = await runMime({ contentType: ct, bytes: cve, options: {} }, applyPlan(cve, { mode: 'fixed', size }));
    assert.ok(outcome.ok, JSON.stringify(outcome));
    assert.equal(outcome.parts.length, 1);
    assert.deepEqual(outcome.parts[0]!.headers, []);
    assert.equal(outcome.parts[0]!.sha256, sha256(Buffer.from(' Content-Disposition: form-data; name="bildbeschreibung"\r\n\r\n', 'latin1')));
  }
});

test('duplicate Content-IDs: both parts come out with the same id, and `start` picks the first', async () => {
  const bytes = Buffer.from('--boundary\r\nContent-ID: <dup@x>\r\n\r\nfirst\r\n--boundary\r\nContent-ID: <dup@x>\r\n\r\nsecond\r\n--boundary--\r\n');
  const r = await drain([bytes], `${CT}; start="<dup@x>"`);
  assert.equal(r.error, null);
  assert.deepEqual(r.parts.map((p) => [p.id, p.isRoot, p.sha]), [
    ['dup@x', true, sha256(Buffer.from('first'))],
    ['dup@x', false, sha256(Buffer.from('second'))],
  ]);
});

test('Content-ID and Content-Location with ../ come out verbatim as strings; with NUL they are ERR_MIME_BAD_HEADER', async () => {
  const traversal = Buffer.from('--boundary\r\nContent-ID: <../../etc/passwd>\r\nContent-Location: ../../../tmp/x\r\n\r\nx\r\n--boundary--\r\n');
  const outcome = await runMime({ contentType: CT, bytes: traversal, options: {} }, [traversal]);
  assert.ok(outcome.ok);
  assert.equal(outcome.parts[0]!.contentId, '../../etc/passwd');
  assert.equal(outcome.parts[0]!.contentLocation, '../../../tmp/x');
  for (const header of ['Content-ID: <a\x00b>', 'Content-Location: ../x\x00.txt']) {
    const bytes = Buffer.from(`--boundary\r\n${header}\r\n\r\nx\r\n--boundary--\r\n`, 'latin1');
    const r = await drain([bytes], CT);
    assert.equal(r.error?.code, 'ERR_MIME_BAD_HEADER', JSON.stringify(header));
    assert.equal(r.error?.offset, bytes.indexOf(0));
  }
});

test('`start` naming a missing part: the first part is the root with a warning; requireStart makes it ERR_MIME_START_NOT_FOUND', async () => {
  const bytes = Buffer.from('--boundary\r\nContent-ID: <a>\r\n\r\nroot?\r\n--boundary\r\nContent-ID: <b>\r\n\r\nb\r\n--boundary--\r\n');
  const lenient = await drain([bytes], `${CT}; start="<missing@x>"`);
  assert.equal(lenient.error, null);
  assert.deepEqual(lenient.parts.map((p) => p.isRoot), [true, false]);
  assert.equal(lenient.warnings.length, 1);
  assert.match(lenient.warnings[0]!, /missing@x/);
  const strict = await drain([bytes], `${CT}; start="<missing@x>"`, { requireStart: true });
  assert.equal(strict.error?.code, 'ERR_MIME_START_NOT_FOUND');
});

test('UTF-8 in a header value split inside a multi-byte character decodes the same under every split', async () => {
  const value = 'caf\u00e9/\u20ac/\u{1F600}.bin';
  const bytes = Buffer.from(`--boundary\r\nContent-Location: ${value}\r\nContent-ID: <\u00e9@x>\r\n\r\nx\r\n--boundary--\r\n`, 'utf8');
  const start = bytes.indexOf('caf');
  for (let at = start; at < start + Buffer.byteLength(value); at++) {
    const outcome = await runMime({ contentType: CT, bytes, options: {} }, applyPlan(bytes, { mode: 'two', at }));
    assert.ok(outcome.ok);
    assert.equal(outcome.parts[0]!.contentLocation, value, `split at ${at}`);
    assert.equal(outcome.parts[0]!.contentId, '\u00e9@x');
  }
});

test('abort at every byte of a message: ERR_ABORTED and the source released, whatever the phase', async () => {
  const bytes = Buffer.from('preamble\r\n--boundary\r\nContent-ID: <a>\r\nContent-Transfer-Encoding: base64\r\n\r\nQUJD\r\n' +
    '--boundary \t\r\nContent-ID: <b>\r\n\r\nbody\r\n--boundary--\r\nepilogue');
  for (let at = 0; at <= bytes.length; at++) {
    const controller = new AbortController();
    let pulled = 0;
    let released = false;
    const source: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({
        async next() {
          if (pulled === at) controller.abort(new Error('client went away'));
          if (pulled >= bytes.length) return { done: true as const, value: undefined };
          return { done: false as const, value: bytes.subarray(pulled, ++pulled) };
        },
        async return() {
          released = true;
          return { done: true as const, value: undefined };
        },
      }),
    };
    const r = await drain(source, CT, { signal: controller.signal });
    assert.equal(r.error?.code, 'ERR_ABORTED', `abort before byte ${at}`);
    assert.ok(released, `source released after an abort before byte ${at}`);
  }
});

test('a megabyte of transport padding after a boundary: ERR_MIME_BAD_DELIMITER after at most 1,024 bytes of it', async () => {
  const m = meteredSource(() => repeated('--boundary', ' ', MiB, '\r\n\r\nx\r\n--boundary--', 4 * KiB));
  const { error } = await drain(m.source, CT);
  assert.equal(error?.code, 'ERR_MIME_BAD_DELIMITER');
  assert.ok(error!.offset! <= '--boundary'.length + 1025);
  assert.ok(m.pulled() <= 2 * 4 * KiB + 16);
});

test('transfer decoders carry a bounded number of bytes: 4 MiB of base64 whitespace, 4 MiB of quoted-printable trailing spaces', () => {
  for (const [encoding, unit] of [['base64', ' \t\r\n'], ['quoted-printable', ' '], ['quoted-printable', '\t \t'], ['quoted-printable', '=']] as const) {
    const decoder = createTransferDecoder(encoding);
    const chunk = Buffer.from(unit.repeat(64 * KiB / unit.length), 'latin1');
    let consumed = 0;
    let produced = 0;
    let worst = 0;
    for (let i = 0; i < 64; i++) {
      let out: Uint8Array;
      try {
        out = decoder.push(chunk);
      } catch (e) {
        // '=' runs are malformed QP, decoded leniently: no throw expected.
        assert.fail(`${encoding} ${JSON.stringify(unit)} threw ${String(e)}`);
      }
      consumed += chunk.length;
      produced += out.length;
      // base64 whitespace decodes to nothing; QP whitespace and '=' come back out.
      if (encoding === 'quoted-printable') worst = Math.max(worst, consumed - produced);
    }
    assert.ok(worst <= 2 * KiB, `${encoding} ${JSON.stringify(unit)} carried ${worst} bytes`);
    const tail = decoder.end();
    assert.ok(tail.length <= 2 * KiB);
  }
});

test('a multipart nested 10,000 deep is one opaque part at the top: no recursion in the MIME layer', async () => {
  let body = 'leaf';
  for (let depth = 0; depth < 10_000; depth++) body = `--n${depth}\r\nContent-Type: multipart/related; boundary=n${depth - 1}\r\n\r\n${body}\r\n--n${depth}--`;
  const bytes = Buffer.from(`--boundary\r\nContent-Type: multipart/related; boundary=n9999\r\n\r\n${body}\r\n--boundary--\r\n`);
  const r = await drain([bytes], CT);
  assert.equal(r.error, null);
  assert.equal(r.parts.length, 1);
  assert.equal(r.parts[0]!.size, Buffer.byteLength(body));
});
