// MultipartParser({ immutableChunks: true }): the caller promises never to
// modify a chunk after write(), so the bytes held back at a chunk end (a
// possible delimiter start that turned out to be data) are handed on as views
// of the chunk they came from instead of a copy — 100% of the body bytes are
// views of the input. The output must be byte-for-byte the default's, under
// every chunking, at every split point, over the project's conformance
// messages, the shared corpus's real messages and a body full of near-misses.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { MultipartParser, parseContentType, isXopError } from '../src/index.js';
import { sha256Of } from './support/collect.js';
import { CHUNKINGS, ownCorpusDir, SHARED_CORPUS_ABSENT, sharedCorpusDir, sharedMimeMessages } from './support/corpus.js';

interface Outcome {
  parts: Array<{ size: number; sha256: string }>;
  error: string | null;
  /** Body bytes handed on in views that share no chunk's ArrayBuffer. */
  copiedBytes: number;
}

/** Parses copies of `chunks` (one ArrayBuffer each, so a view's origin is known). */
function parse(chunks: readonly Uint8Array[], boundary: string, immutableChunks: boolean): Outcome {
  const own = chunks.map((c) => Uint8Array.from(c)); // Copy: every chunk gets an ArrayBuffer of its own.
  const buffers = new Set<ArrayBufferLike>(own.map((c) => c.buffer));
  const parts: Outcome['parts'] = [];
  let views: Uint8Array[] = [];
  let copiedBytes = 0;
  let error: string | null = null;
  try {
    const parser = new MultipartParser({ boundary, immutableChunks, allowMissingCloseDelimiter: false }, {
      onPartBegin() { views = []; },
      onPartData(view) {
        if (!buffers.has(view.buffer)) copiedBytes += view.length;
        views.push(view);
      },
      onPartEnd() { parts.push(sha256Of(views)); },
    });
    for (const chunk of own) parser.write(chunk);
    parser.end();
  } catch (caught) {
    if (!isXopError(caught)) throw caught;
    error = `${caught.code}@${caught.offset ?? '-'}`;
  }
  return { parts, error, copiedBytes };
}

/** Does some part's header block run into a line that is no header field (its empty line missing)? */
function lacksHeaderSeparator(bytes: Uint8Array, boundary: string): boolean {
  const lines = Buffer.from(bytes).toString('latin1').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith(`--${boundary}`) || lines[i]!.startsWith(`--${boundary}--`)) continue;
    for (let j = i + 1; j < lines.length && lines[j] !== ''; j++) {
      if (!/^[ \t]/.test(lines[j]!) && !/^[^\s:]+[ \t]*:/.test(lines[j]!)) return true;
    }
  }
  return false;
}

function splits(bytes: Uint8Array): Array<{ name: string; chunks: Uint8Array[] }> {
  // Large messages (the 3 MB shared ones): no byte-by-byte, each 1-byte chunk would get an ArrayBuffer of its own.
  const matrix = bytes.length <= 64 * 1024 ? CHUNKINGS : CHUNKINGS.filter((c) => c.name === 'whole' || c.name === '4 KiB slices');
  const out = matrix.map(({ name, split }) => ({ name, chunks: split(bytes) }));
  // Every split point of a small message; 64 evenly spread ones of a large one.
  const step = bytes.length <= 4096 ? 1 : Math.ceil(bytes.length / 64);
  for (let at = 1; at < bytes.length; at += step) out.push({ name: `split at ${at}`, chunks: [bytes.subarray(0, at), bytes.subarray(at)] });
  return out;
}

/**
 * Checks `bytes` split every way. Every body byte must be a view, except that
 * a part whose header block lacks its empty line may start with a copied first
 * body line when that line began in an earlier chunk (it was read as a header):
 * whole, that never happens.
 */
function checkMessage(name: string, bytes: Uint8Array, boundary: string, copyAllowed = false): void {
  for (const { name: how, chunks } of splits(bytes)) {
    const byDefault = parse(chunks, boundary, false);
    const immutable = parse(chunks, boundary, true);
    assert.deepEqual(immutable.parts, byDefault.parts, `${name} (${how}): same parts`);
    assert.equal(immutable.error, byDefault.error, `${name} (${how}): same error`);
    if (!copyAllowed || chunks.length === 1) assert.equal(immutable.copiedBytes, 0, `${name} (${how}): every body byte is a view of the input`);
  }
}

test('immutableChunks: the conformance messages of corpus/ give the default output, every body byte a view', () => {
  let checked = 0;
  for (const entry of fs.readdirSync(ownCorpusDir, { withFileTypes: true })) {
    const dir = path.join(ownCorpusDir, entry.name);
    const expectedFile = path.join(dir, 'expected.json');
    if (!entry.isDirectory() || !fs.existsSync(expectedFile) || !fs.existsSync(path.join(dir, 'message.bin'))) continue;
    const expected = JSON.parse(fs.readFileSync(expectedFile, 'utf8')) as { contentType?: string; generatedBy?: string };
    if (expected.generatedBy !== 'corpus/generate.mjs' || expected.contentType === undefined) continue;
    const boundary = parseContentType(expected.contentType).parameters['boundary'];
    if (boundary === undefined) continue;
    const bytes = fs.readFileSync(path.join(dir, 'message.bin'));
    checkMessage(entry.name, bytes, boundary, lacksHeaderSeparator(bytes, boundary));
    checked++;
  }
  assert.ok(checked >= 40, `only ${checked} conformance messages found`);
});

test('immutableChunks: the shared corpus messages give the default output, every body byte a view', (t) => {
  if (sharedCorpusDir === null) return t.skip(SHARED_CORPUS_ABSENT);
  const messages = sharedMimeMessages();
  assert.ok(messages.length > 0);
  for (const m of messages) {
    const boundary = parseContentType(m.contentType).parameters['boundary']!;
    checkMessage(m.name, m.body, boundary, lacksHeaderSeparator(m.body, boundary));
  }
});

test('immutableChunks: a body full of delimiter near-misses, split everywhere, is 100% views', () => {
  const B = 'imm_7c1e-boundary';
  const pieces: string[] = [];
  for (let i = 0; i < 40; i++) {
    pieces.push(`d${i}\r\n--${B}`.slice(0, 3 + (i % 20)), 'x', `\r\n--${B}`, 'Z', `\r`, `\n--${B.slice(0, i % B.length)}`, '-');
  }
  const body = pieces.join('');
  const crlf = Buffer.from(`--${B}\r\nContent-ID: <a>\r\n\r\n${body}\r\n--${B}\r\n\r\n${body}\r\n--${B}--\r\n`, 'latin1');
  const lf = Buffer.from(`--${B}\nContent-ID: <a>\n\n${body}\n--${B}\n\n${body}\n--${B}--\n`, 'latin1');
  for (const [name, bytes] of [['CRLF-framed', crlf], ['LF-framed', lf]] as const) {
    checkMessage(name, bytes, B, false);
    const whole = parse([bytes], B, true);
    assert.equal(whole.error, null, name);
    assert.equal(whole.parts.length, 2, name);
  }
});

test('by default the held-back bytes are copied (the chunk may be reused), with immutableChunks they are not', () => {
  const B = 'imm_default';
  const message = Buffer.from(`--${B}\r\n\r\nabc\r\n--${B}x more\r\n--${B}--`, 'latin1');
  const at = message.indexOf(`\r\n--${B}x`) + 4; // split inside the near-miss: its first bytes are held back
  const chunks = [message.subarray(0, at), message.subarray(at)];
  // The held "\r\n--" and the boundary bytes that completed it wait in the parser's scratch until the 'x' decides.
  assert.equal(parse(chunks, B, false).copiedBytes, `\r\n--${B}`.length);
  assert.equal(parse(chunks, B, true).copiedBytes, 0);
});
