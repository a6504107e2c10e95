// Zero-copy is a contract: every body view of an identity-encoded part shares
// the ArrayBuffer of the chunk it came from.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MultipartParser, parseMultipart } from '../src/index.js';

const message = Buffer.from(
  '--b\r\nContent-ID: <a>\r\n\r\nhello world\r\n--b\r\nContent-ID: <c>\r\n\r\nsecond body\r\n--b--\r\n',
  'latin1',
);

test('push API: body views are subarrays of the written chunk', () => {
  const views: Uint8Array[] = [];
  const parser = new MultipartParser({ boundary: 'b' }, { onPartData: (v) => views.push(v) });
  parser.write(message);
  parser.end();
  assert.equal(views.length, 2);
  for (const view of views) assert.equal(view.buffer, message.buffer);
  assert.deepEqual(views.map((v) => Buffer.from(v).toString()), ['hello world', 'second body']);
});

test('streaming API: body views share the source chunk ArrayBuffer', async () => {
  const seen: Array<{ id: string | null; same: boolean; text: string }> = [];
  for await (const part of parseMultipart([message], 'multipart/related; boundary=b')) {
    for await (const view of part.body) {
      seen.push({ id: part.contentId, same: view.buffer === message.buffer, text: Buffer.from(view).toString() });
    }
  }
  assert.deepEqual(seen, [
    { id: 'a', same: true, text: 'hello world' },
    { id: 'c', same: true, text: 'second body' },
  ]);
});

test('every chunking: views are subarrays of a written chunk or small fresh copies, and none is overwritten later', () => {
  const boundary = 'MIME_boundary-1234';
  const needleLength = boundary.length + 3; // LF "--" boundary
  const bodies = [
    Buffer.from('a'.repeat(3000)),
    Buffer.from(`x\r\n--${boundary.slice(0, -1)}\r\n--${boundary}Q\r\n\r\r\n`),
    Buffer.alloc(0),
    Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) & 0xff)),
  ];
  const whole = Buffer.concat([
    ...bodies.flatMap((b, i) => [Buffer.from(`\r\n--${boundary}\r\nContent-ID: <p${i}>\r\n\r\n`), b]),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]).subarray(2);
  for (const size of [1, 2, 3, 5, 17, 64, 4096, whole.length]) {
    // Each chunk gets its own ArrayBuffer, as network chunks do.
    const chunks: Buffer[] = [];
    for (let i = 0; i < whole.length; i += size) chunks.push(Buffer.from(whole.subarray(i, i + size)));
    const buffers = new Set(chunks.map((c) => c.buffer));
    const parts: Uint8Array[][] = [];
    const parser = new MultipartParser({ boundary }, {
      onPartBegin: () => { parts.push([]); },
      onPartData: (view) => {
        if (!buffers.has(view.buffer as ArrayBuffer)) {
          assert.ok(view.length <= needleLength + 2, `a copied view of ${view.length} bytes (chunk size ${size})`);
        }
        parts.at(-1)!.push(view); // kept without copying: must stay valid
      },
    });
    for (const c of chunks) parser.write(c);
    parser.end();
    assert.deepEqual(parts.map((views) => Buffer.concat(views)), bodies, `chunk size ${size}`);
    if (size === whole.length) {
      for (const views of parts) for (const v of views) assert.ok(buffers.has(v.buffer as ArrayBuffer), 'one chunk: no copy at all');
    }
  }
});

test('a chunk that lies whole inside a body is handed on as the chunk itself (no view object per chunk)', () => {
  const head = Buffer.from('--b\r\nContent-ID: <a>\r\n\r\n', 'latin1');
  const middle = [Buffer.from('x'.repeat(1000)), new Uint8Array(500).fill(0x79)];
  const tail = Buffer.from('zz\r\n--b--\r\n', 'latin1');
  const views: Uint8Array[] = [];
  const parser = new MultipartParser({ boundary: 'b' }, { onPartData: (v) => views.push(v) });
  for (const chunk of [head, ...middle, tail]) parser.write(chunk);
  parser.end();
  assert.equal(views.length, 3);
  assert.equal(views[0], middle[0], 'a Buffer chunk comes back as the same object');
  // A plain Uint8Array chunk comes back as a Buffer over the same memory (Buffer.indexOf needs one).
  assert.equal(views[1]!.buffer, middle[1]!.buffer);
  assert.equal(views[1]!.byteOffset, middle[1]!.byteOffset);
  assert.equal(views[1]!.length, 500);
  assert.equal(Buffer.from(views[2]!).toString(), 'zz');
});
