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
