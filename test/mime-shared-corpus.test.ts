// Every MIME message of ../shared/corpus (real SOAP stacks' and parsers' test
// messages) parsed whole, byte by byte, and split in two at every position:
// the parts (headers, sizes, body bytes) and errors must be the same each way,
// part counts must match the manifest, and the malformed-on-purpose messages
// must fail with typed errors (or, with allowMissingCloseDelimiter, parse as
// the manifest notes say).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, test } from 'node:test';
import { MultipartParser, describeMessage, isXopError } from '../src/index.js';
import { chunk, SHARED_CORPUS_ABSENT, sharedCorpusDir, sharedMimeMessages } from './support/corpus.js';
import type { CorpusMessage } from './support/corpus.js';
import { collectStream, splitAt } from './support/collect.js';

/** A raw part body located in the message: body === message[start, start + size). */
interface LocatedPart {
  headers: Array<[string, string]>;
  size: number;
  /** Where the body is in the message; -1 when its bytes are not the message's bytes there. */
  start: number;
}

interface Layout {
  parts: LocatedPart[];
  error: { code: string; offset: number | null } | null;
}

/**
 * Parses `chunks` (subarrays of `message`) with the push parser and locates
 * every part body in the message. A zero-copy view is checked by its offset
 * alone, a copied one (held-back bytes) by comparing its bytes, so one check
 * costs O(views), not O(message): that is what makes every split affordable.
 */
function locate(message: Buffer, chunks: readonly Uint8Array[], boundary: string, lenient: boolean, reference?: Layout): Layout {
  const parts: LocatedPart[] = [];
  let pieces: Array<{ offset: number; bytes: Uint8Array | null; length: number }> = [];
  let headers: Array<[string, string]> = [];
  let searchFrom = 0;
  const finish = (): void => {
    const index = parts.length;
    const size = pieces.reduce((n, p) => n + p.length, 0);
    let start: number;
    let before = 0;
    const firstZeroCopy = pieces.find((p) => {
      if (p.bytes === null) return true;
      before += p.length;
      return false;
    });
    if (firstZeroCopy !== undefined) start = firstZeroCopy.offset - before;
    else if (reference !== undefined) start = reference.parts[index]?.start ?? -1;
    else start = size === 0 ? searchFrom : message.indexOf(Buffer.concat(pieces.map((p) => p.bytes!)), searchFrom);
    let pos = start;
    for (const p of pieces) {
      if (pos < 0) break;
      const ok = p.bytes === null ? p.offset === pos : message.subarray(pos, pos + p.length).equals(p.bytes);
      if (!ok) pos = -1;
      else pos += p.length;
    }
    if (pos < 0) start = -1;
    else searchFrom = pos;
    parts.push({ headers, size, start });
  };
  let error: Layout['error'] = null;
  try {
    const parser = new MultipartParser({ boundary, allowMissingCloseDelimiter: lenient }, {
      onPartBegin(h) {
        headers = [...h.entries()];
        pieces = [];
      },
      onPartData(view) {
        if (view.buffer === message.buffer) {
          pieces.push({ offset: view.byteOffset - message.byteOffset, bytes: null, length: view.length });
        } else {
          pieces.push({ offset: -1, bytes: Uint8Array.from(view), length: view.length }); // Copy: outlives the callback.
        }
      },
      onPartEnd: finish,
    });
    for (const c of chunks) parser.write(c);
    parser.end();
  } catch (caught) {
    if (!isXopError(caught)) throw caught;
    error = { code: caught.code, offset: caught.offset ?? null };
  }
  return { parts, error };
}

/**
 * Split positions: every position for messages up to 128 KiB. For the two
 * 3.3 MB messages, every position within 100 bytes of every part's start and
 * end (each delimiter and header block straddles a split there) plus every
 * 16381st position: all of them would be 3.3 million whole-message parses.
 */
function splitPositions(message: Buffer, whole: Layout): number[] {
  if (message.length <= 128 * 1024) return Array.from({ length: message.length + 1 }, (_, i) => i);
  const set = new Set<number>([0, message.length]);
  const around = (at: number): void => {
    for (let i = Math.max(0, at - 100); i <= Math.min(message.length, at + 100); i++) set.add(i);
  };
  for (const p of whole.parts) {
    around(p.start);
    around(p.start + p.size);
  }
  for (let i = 0; i < message.length; i += 16381) set.add(i);
  return [...set].sort((a, b) => a - b);
}

/** What the manifest says a message must give. */
function expectation(m: CorpusMessage): { strict: 'parts' | 'error'; lenientParts: number | null } {
  const strictFails = m.malformed && /NO CLOSE DELIMITER|end boundary missing|lacks the trailing|no close delimiter|misspelled/i.test(m.notes);
  return { strict: strictFails ? 'error' : 'parts', lenientParts: m.expectedParts === 0 ? null : m.expectedParts };
}

const messages = sharedMimeMessages();

describe('shared corpus: every message, whole / byte by byte / every split', () => {
  if (sharedCorpusDir === null) {
    test('shared corpus', (t) => { t.skip(SHARED_CORPUS_ABSENT); });
    return;
  }

  test('the manifest lists the 59 MIME messages', () => {
    assert.equal(messages.length, 59);
  });

  for (const m of messages) {
    const boundary = describeMessage(m.contentType).boundary!;
    const { strict, lenientParts } = expectation(m);

    test(`${m.name}: strict parse ${strict === 'parts' ? `gives ${m.expectedParts} parts` : 'fails with a typed error'}, the same for every split`, () => {
      const whole = locate(m.body, [m.body], boundary, false);
      if (strict === 'parts') {
        assert.equal(whole.error, null, JSON.stringify(whole.error));
        assert.equal(whole.parts.length, m.expectedParts);
        for (const p of whole.parts) assert.ok(p.start >= 0, 'every body is a contiguous range of the message');
      } else {
        assert.ok(whole.error !== null && ['ERR_MIME_TRUNCATED', 'ERR_MIME_NO_PARTS'].includes(whole.error.code),
          JSON.stringify(whole.error));
      }
      const byteByByte = locate(m.body, chunk(m.body, 1), boundary, false, whole);
      assert.deepEqual(byteByByte, whole, 'byte by byte');
      for (const at of splitPositions(m.body, whole)) {
        const split = locate(m.body, splitAt(m.body, at), boundary, false, whole);
        if (split.error !== whole.error || split.parts.length !== whole.parts.length) {
          assert.deepEqual(split, whole, `split at ${at}`);
        }
        for (let i = 0; i < whole.parts.length; i++) {
          const a = split.parts[i]!;
          const b = whole.parts[i]!;
          if (a.start !== b.start || a.size !== b.size || a.headers.length !== b.headers.length) {
            assert.deepEqual(split, whole, `split at ${at}`);
          }
        }
        assert.deepEqual(split.error, whole.error, `split at ${at}`);
      }
    });

    test(`${m.name}: allowMissingCloseDelimiter ${lenientParts === null ? 'still fails' : `gives ${lenientParts} parts`}`, () => {
      const whole = locate(m.body, [m.body], boundary, true);
      if (lenientParts === null) {
        assert.equal(whole.error?.code, 'ERR_MIME_NO_PARTS');
      } else {
        assert.equal(whole.error, null, JSON.stringify(whole.error));
        assert.equal(whole.parts.length, lenientParts);
      }
      assert.deepEqual(locate(m.body, chunk(m.body, 7), boundary, true, whole), whole, '7-byte slices');
      if (m.body.length <= 128 * 1024) assert.deepEqual(locate(m.body, chunk(m.body, 1), boundary, true, whole), whole, 'byte by byte');
    });

    test(`${m.name}: parseMultipart whole and byte by byte agree with each other and with the push parser`, async () => {
      const options = { allowMissingCloseDelimiter: strict === 'error' };
      const whole = await collectStream([m.body], m.contentType, options);
      const bytewise = await collectStream(chunk(m.body, m.body.length > 128 * 1024 ? 13 : 1), m.contentType, options);
      assert.deepEqual(bytewise, whole);
      const raw = await collectStream([m.body], m.contentType, { ...options, decode: false });
      const pushed = locate(m.body, [m.body], boundary, options.allowMissingCloseDelimiter);
      assert.equal(raw.error?.code ?? null, pushed.error?.code ?? null);
      assert.deepEqual(raw.parts.map((p) => ({ headers: p.headers, size: p.size, sha256: p.sha256 })),
        pushed.parts.map((p) => ({
          headers: p.headers, size: p.size,
          sha256: crypto.createHash('sha256').update(m.body.subarray(p.start, p.start + p.size)).digest('hex'),
        })));
      if (whole.error === null) {
        assert.equal(whole.parts.length, m.expectedParts);
        assert.ok(whole.root !== null && whole.parts[whole.root]!.isRoot);
        assert.equal(whole.parts.filter((p) => p.isRoot).length, 1, 'exactly one root part');
      }
    });
  }
});
