// The streaming face: sources (Node Readable, Web ReadableStream, iterables),
// backpressure, abort, releasing the source, skipping bodies, single-part XML.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { test } from 'node:test';
import { parseMultipart } from '../src/index.js';
import type { MultipartPart } from '../src/index.js';
import { CT, message, text, tracked } from './support/stream-source.js';

test('backpressure: a part body that is not being read pauses the source', async () => {
  const big = 'x'.repeat(100 * 1024);
  const bytes = message([big, 'tail']);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += 1024) chunks.push(bytes.subarray(i, i + 1024));
  const { source, pulls } = tracked(chunks);
  const parts = parseMultipart(source, CT)[Symbol.asyncIterator]();
  const first = await parts.next();
  assert.equal(first.done, false);
  const body = first.value!.body[Symbol.asyncIterator]();
  const view = await body.next();
  assert.equal(view.done, false);
  const pulledAfterFirstView = pulls();
  assert.ok(pulledAfterFirstView <= 2, `pulled ${pulledAfterFirstView} chunks to produce one view`);
  for (let i = 0; i < 20; i++) await tick();
  assert.equal(pulls(), pulledAfterFirstView, 'nothing more is pulled while the consumer waits');
  let size = view.value!.length;
  for (;;) {
    const next = await body.next();
    if (next.done === true) break;
    size += next.value.length;
    assert.ok(pulls() <= Math.ceil((size + 64) / 1024) + 1, 'at most a chunk ahead of the consumer');
  }
  assert.equal(size, big.length);
  const second = await parts.next();
  assert.equal(await text(second.value!), 'tail');
  assert.equal((await parts.next()).done, true);
  assert.equal(pulls(), chunks.length);
});

test('abort via signal: the iterator rejects with ERR_ABORTED and the source is released', async () => {
  const bytes = message(['one', 'two', 'three']);
  const chunks = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
  const { source, closed } = tracked(chunks);
  const controller = new AbortController();
  const seen: string[] = [];
  await assert.rejects(async () => {
    for await (const part of parseMultipart(source, CT, { signal: controller.signal })) {
      seen.push(await text(part));
      controller.abort(new Error('user gave up'));
    }
  }, (e: unknown) => {
    assert.equal((e as { code: string }).code, 'ERR_ABORTED');
    assert.match(String((e as Error & { cause: Error }).cause), /user gave up/);
    return true;
  });
  assert.deepEqual(seen, ['one']);
  assert.equal(closed(), true);
  // An already aborted signal fails on the first pull.
  const pre = new AbortController();
  pre.abort();
  await assert.rejects(async () => {
    for await (const part of parseMultipart([bytes], CT, { signal: pre.signal })) void part;
  }, { code: 'ERR_ABORTED' });
});

test('breaking out of the loop releases the source: a Node Readable is destroyed', async () => {
  const bytes = message(['one', 'two', 'three']);
  const readable = Readable.from([bytes.subarray(0, 30), bytes.subarray(30, 60), bytes.subarray(60)], { objectMode: false });
  for await (const part of parseMultipart(readable, CT)) {
    assert.equal(await text(part), 'one');
    break;
  }
  await tick();
  assert.equal(readable.destroyed, true);

  const { source, closed } = tracked([bytes.subarray(0, 30), bytes.subarray(30)]);
  for await (const part of parseMultipart(source, CT)) {
    void part;
    break;
  }
  assert.equal(closed(), true);
});

test('a failing parse destroys the Readable too', async () => {
  const readable = Readable.from([Buffer.from('--b\r\nX: a\rb\r\n\r\n'), Buffer.from('rest')]);
  await assert.rejects(async () => {
    for await (const part of parseMultipart(readable, CT)) void part;
  }, { code: 'ERR_MIME_BAD_HEADER' });
  await tick();
  assert.equal(readable.destroyed, true);
});

test('a Web ReadableStream and a sync iterable work as sources; cancel on break', async () => {
  const bytes = message(['alpha', 'beta']);
  const web = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes.subarray(0, 10));
      controller.enqueue(bytes.subarray(10));
      controller.close();
    },
  });
  // Hide the async iterator Node's ReadableStream has, to exercise the getReader() path.
  const readerOnly = { getReader: () => web.getReader() } as unknown as ReadableStream<Uint8Array>;
  const texts: string[] = [];
  for await (const part of parseMultipart(readerOnly, CT)) texts.push(await text(part));
  assert.deepEqual(texts, ['alpha', 'beta']);

  let cancelled = false;
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) { controller.enqueue(Buffer.from('--b\r\n\r\n' + 'z'.repeat(100))); },
    cancel() { cancelled = true; },
  });
  const readerOnly2 = { getReader: () => endless.getReader() } as unknown as ReadableStream<Uint8Array>;
  for await (const part of parseMultipart(readerOnly2, CT)) {
    void part;
    break;
  }
  assert.equal(cancelled, true);

  const sync = [bytes.subarray(0, 5), bytes.subarray(5)];
  const fromSync: string[] = [];
  for await (const part of parseMultipart(sync[Symbol.iterator]() as unknown as Iterable<Uint8Array>, CT)) {
    fromSync.push(await text(part));
  }
  assert.deepEqual(fromSync, ['alpha', 'beta']);
});

test('moving on skips an unread body; reading it later, or twice, is ERR_PARSER_STATE', async () => {
  const bytes = message(['skipped', 'read']);
  const parts: MultipartPart[] = [];
  for await (const part of parseMultipart([bytes], CT)) {
    parts.push(part);
    if (part.index === 1) assert.equal(await text(part), 'read');
  }
  assert.equal(parts.length, 2);
  await assert.rejects(text(parts[0]!), { code: 'ERR_PARSER_STATE' });

  for await (const part of parseMultipart([bytes], CT)) {
    const it = part.body[Symbol.asyncIterator]();
    await it.next();
    await assert.rejects(text(part), { code: 'ERR_PARSER_STATE' }, 'a second reader while the first is active');
    break;
  }
});

test('a part half read when the consumer moves on: the rest is skipped, the next part is intact', async () => {
  const bytes = message(['a'.repeat(5000), 'next']);
  const chunks = Array.from({ length: Math.ceil(bytes.length / 100) }, (_, i) => bytes.subarray(i * 100, i * 100 + 100));
  const got: string[] = [];
  for await (const part of parseMultipart(chunks, CT)) {
    if (part.index === 0) {
      const it = part.body[Symbol.asyncIterator]();
      const first = await it.next();
      assert.ok(first.value!.length > 0);
      continue; // leave the rest unread
    }
    got.push(await text(part));
  }
  assert.deepEqual(got, ['next']);
});

test('a body iterated after the message was cut short rejects with ERR_MIME_TRUNCATED', async () => {
  const cut = Buffer.from('--b\r\n\r\nunfinished body');
  await assert.rejects(async () => {
    for await (const part of parseMultipart([cut], CT, { allowMissingCloseDelimiter: false })) await text(part);
  }, { code: 'ERR_MIME_TRUNCATED' });
  await assert.rejects(async () => {
    for await (const part of parseMultipart([cut], CT)) void part; // skipped body, same error
  }, { code: 'ERR_MIME_TRUNCATED' });
});

test('a non-multipart XML body is one root part with zero-copy views', async () => {
  const xml = Buffer.from('<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body/></soap:Envelope>');
  const chunks = [xml.subarray(0, 10), xml.subarray(10, 10), xml.subarray(10)];
  const parsed = parseMultipart(chunks, 'application/soap+xml; charset=utf-8');
  assert.equal(parsed.info.boundary, null);
  const parts: MultipartPart[] = [];
  const views: Uint8Array[] = [];
  for await (const part of parsed) {
    parts.push(part);
    for await (const v of part.body) views.push(v);
  }
  assert.equal(parts.length, 1);
  assert.equal(parts[0]!.isRoot, true);
  assert.equal(parts[0]!.contentType, 'application/soap+xml; charset=utf-8');
  assert.equal(parts[0]!.contentId, null);
  assert.equal(parsed.rootIndex, 0);
  assert.deepEqual(Buffer.concat(views), xml);
  for (const v of views) assert.equal(v.buffer, xml.buffer);
  // An empty XML body is still one (empty) part; totalBytes bounds it too.
  const empty: number[] = [];
  for await (const part of parseMultipart([], 'text/xml')) empty.push((await text(part)).length);
  assert.deepEqual(empty, [0]);
  await assert.rejects(async () => {
    for await (const part of parseMultipart([xml], 'application/xop+xml', { limits: { totalBytes: 10 } })) await text(part);
  }, { code: 'ERR_MIME_MESSAGE_TOO_LARGE', offset: 10 });
});

test('info, rootIndex and warnings are visible while and after parsing', async () => {
  const bytes = message(['one', 'two']);
  const parsed = parseMultipart([bytes], `${CT}; start="<p1>"; type="text/xml"`);
  assert.deepEqual(parsed.info.start, 'p1');
  assert.equal(parsed.info.contentType.parameters['type'], 'text/xml');
  assert.equal(parsed.rootIndex, null, 'not known before parsing');
  const roots: boolean[] = [];
  for await (const part of parsed) roots.push(part.isRoot);
  assert.deepEqual(roots, [false, true]);
  assert.equal(parsed.rootIndex, 1);
  assert.deepEqual(parsed.warnings, []);
  const fallback = parseMultipart([bytes], `${CT}; start="<zzz>"`);
  for await (const part of fallback) await text(part);
  assert.equal(fallback.rootIndex, 0);
  assert.equal(fallback.warnings.length, 1);
  assert.match(fallback.warnings[0]!, /zzz/);
});

test('decode: false yields bodies as received', async () => {
  const bytes = Buffer.from('--b\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--b--');
  const decoded: string[] = [];
  for await (const part of parseMultipart([bytes], CT)) decoded.push(await text(part));
  const raw: string[] = [];
  for await (const part of parseMultipart([bytes], CT, { decode: false })) raw.push(await text(part));
  assert.deepEqual(decoded, ['hello']);
  assert.deepEqual(raw, ['aGVsbG8=']);
});

test('body iterator: concurrent next() calls resolve in order; return() ends it; errors end it', async () => {
  const bytes = message(['abcdefghij', 'tail']);
  const chunks = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
  const parts = parseMultipart(chunks, CT)[Symbol.asyncIterator]();
  const first = (await parts.next()).value!;
  const it = first.body[Symbol.asyncIterator]();
  const results = await Promise.all(Array.from({ length: 12 }, () => it.next()));
  assert.equal(results.filter((r) => r.done !== true).map((r) => Buffer.from(r.value!).toString()).join(''), 'abcdefghij');
  assert.deepEqual(results.slice(10).map((r) => r.done), [true, true]);
  assert.equal((await it.next()).done, true);
  const second = (await parts.next()).value!;
  const it2 = second.body[Symbol.asyncIterator]();
  assert.equal(Buffer.from((await it2.next()).value!).toString(), 't');
  assert.deepEqual(await it2.return!(), { value: undefined, done: true });
  assert.equal((await it2.next()).done, true, 'done after return()');
  assert.equal((await parts.next()).done, true);

  const bad = Buffer.from('--b\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!\r\n--b--');
  for await (const part of parseMultipart([bad], CT)) {
    const body = part.body[Symbol.asyncIterator]();
    await assert.rejects(body.next(), { code: 'ERR_MIME_BAD_ENCODING' });
    assert.equal((await body.next()).done, true, 'done after an error');
    break;
  }
});
