// parseMultipart({ immutableChunks: true }) hands the option to the push
// parser: the bytes held back at a chunk end come as views of the chunk they
// came from, so every body byte is a view of the source's chunks, and the
// output is byte-for-byte the default's at every split point.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMultipart } from '../src/index.js';

interface Outcome {
  bodies: string[];
  /** Body bytes in views that share no chunk's ArrayBuffer. */
  copiedBytes: number;
}

/** Parses copies of `chunks` (one ArrayBuffer each, so a view's origin is known). */
async function parse(chunks: readonly Uint8Array[], boundary: string, immutableChunks: boolean): Promise<Outcome> {
  const own = chunks.map((c) => Uint8Array.from(c)); // Copy: every chunk gets an ArrayBuffer of its own.
  const buffers = new Set<ArrayBufferLike>(own.map((c) => c.buffer));
  const bodies: string[] = [];
  let copiedBytes = 0;
  for await (const part of parseMultipart(own, `multipart/related; boundary="${boundary}"`, { immutableChunks })) {
    let body = '';
    for await (const view of part.body) {
      if (!buffers.has(view.buffer)) copiedBytes += view.length;
      body += Buffer.from(view).toString('latin1');
    }
    bodies.push(body);
  }
  return { bodies, copiedBytes };
}

test('immutableChunks: near-misses split at every point give the default bodies, every byte a view', async () => {
  const B = 'imm_stream-boundary';
  const body = `a\r\n--${B.slice(0, 5)}b\r\n--${B}x c\n--${B}-d\r\r\n-`;
  const message = Buffer.from(`--${B}\r\n\r\n${body}\r\n--${B}\r\nContent-ID: <two>\r\n\r\n${body}\r\n--${B}--\r\n`, 'latin1');
  let copiedByDefault = 0;
  for (let at = 1; at < message.length; at++) {
    const chunks = [message.subarray(0, at), message.subarray(at)];
    const lenient = await parse(chunks, B, true);
    const strict = await parse(chunks, B, false);
    assert.deepEqual(lenient.bodies, [body, body], `split at ${at}`);
    assert.deepEqual(strict.bodies, lenient.bodies, `split at ${at}`);
    assert.equal(lenient.copiedBytes, 0, `split at ${at}: every body byte is a view`);
    copiedByDefault += strict.copiedBytes;
  }
  assert.ok(copiedByDefault > 0, 'by default some held-back bytes are copies');
});

test('without the option the held-back bytes are copied (the chunk may be reused)', async () => {
  const B = 'imm_default';
  const message = Buffer.from(`--${B}\r\n\r\nabc\r\n--${B}x more\r\n--${B}--`, 'latin1');
  const at = message.indexOf(`\r\n--${B}x`) + 4; // split inside the near-miss: its first bytes are held back
  const chunks = [message.subarray(0, at), message.subarray(at)];
  assert.equal((await parse(chunks, B, false)).copiedBytes, `\r\n--${B}`.length);
  assert.equal((await parse(chunks, B, true)).copiedBytes, 0);
});
