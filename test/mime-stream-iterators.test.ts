// parseMultipart's hand-written iterators behave like the async generators
// they replaced: calls made while one waits for the source run in order,
// return()/throw() end the iteration (releasing the source once it is being
// read), parts already parsed come without pulling, and the header accessors
// (computed on first read) equal the headers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMultipart } from '../src/index.js';
import type { MultipartPart } from '../src/index.js';
import { CT, message, text, tracked } from './support/stream-source.js';

function bytewise(bytes: Uint8Array): Uint8Array[] {
  return Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
}

test('parts: concurrent next() calls resolve in order, each skipping the part before it', async () => {
  const bytes = message(['zero', 'one', 'two']);
  for (const chunks of [[bytes], bytewise(bytes)]) {
    const parts = parseMultipart(chunks, CT)[Symbol.asyncIterator]();
    const results = await Promise.all([parts.next(), parts.next(), parts.next()]);
    assert.deepEqual(results.map((r) => r.done === true ? 'done' : r.value.index), [0, 1, 2]);
    // Each part was skipped by the call after it; the last one is still readable.
    await assert.rejects(text(results[0]!.value as MultipartPart), { code: 'ERR_PARSER_STATE' });
    await assert.rejects(text(results[1]!.value as MultipartPart), { code: 'ERR_PARSER_STATE' });
    assert.equal(await text(results[2]!.value as MultipartPart), 'two');
    const ends = await Promise.all([parts.next(), parts.next()]);
    assert.deepEqual(ends, [{ value: undefined, done: true }, { value: undefined, done: true }]);
  }
});

test('parts: the iterator is its own async iterable, and parts parsed already need no pull', async () => {
  const bytes = message(['a', 'b', 'c']);
  const { source, pulls } = tracked([bytes]);
  const parts = parseMultipart(source, CT)[Symbol.asyncIterator]() as AsyncIterableIterator<MultipartPart>;
  assert.equal(parts[Symbol.asyncIterator](), parts);
  const seen: string[] = [];
  for await (const part of parts) {
    seen.push(await text(part));
    assert.equal(pulls(), 1, 'the one chunk holds every part');
  }
  assert.deepEqual(seen, ['a', 'b', 'c']);
});

test('parts: return() before the first next() ends the iteration without pulling', async () => {
  const { source, pulls } = tracked([message(['a'])]);
  const parts = parseMultipart(source, CT)[Symbol.asyncIterator]();
  assert.deepEqual(await parts.return!('bye'), { value: 'bye', done: true });
  assert.deepEqual(await parts.next(), { value: undefined, done: true });
  assert.equal(pulls(), 0);
});

test('parts: return() while next() waits for the source runs after it and releases the source', async () => {
  const bytes = message(['first', 'second']);
  const { source, closed } = tracked(bytewise(bytes));
  const parts = parseMultipart(source, CT)[Symbol.asyncIterator]();
  const order: string[] = [];
  const next = parts.next().then((r) => { order.push('next'); return r; });
  const ret = parts.return!().then((r) => { order.push('return'); return r; });
  const [first, returned] = await Promise.all([next, ret]);
  assert.deepEqual(order, ['next', 'return']);
  assert.equal(first.done, false);
  assert.equal((first.value as MultipartPart).contentId, 'p0');
  assert.deepEqual(returned, { value: undefined, done: true });
  assert.equal(closed(), true);
  assert.deepEqual(await parts.next(), { value: undefined, done: true });
  assert.deepEqual(await parts.return!(), { value: undefined, done: true }, 'return() after the end');
});

test('parts: throw() rejects with its argument before, during and after the iteration', async () => {
  const bytes = message(['a', 'b']);
  const boom = new Error('consumer failed');

  const unstarted = parseMultipart([bytes], CT)[Symbol.asyncIterator]();
  await assert.rejects(unstarted.throw!(boom), (e) => e === boom);
  assert.equal((await unstarted.next()).done, true);

  const { source, closed } = tracked(bytewise(bytes));
  const running = parseMultipart(source, CT)[Symbol.asyncIterator]();
  assert.equal((await running.next()).done, false);
  // Queued behind a next() that waits for the source.
  const pending = running.next();
  const thrown = running.throw!(boom);
  assert.equal((await pending).done, false);
  await assert.rejects(thrown, (e) => e === boom);
  assert.equal(closed(), true, 'the source is released');
  assert.equal((await running.next()).done, true);
  await assert.rejects(running.throw!(boom), (e) => e === boom);
});

test('parts: an error rejects the call that meets it, later calls resolve done', async () => {
  const bad = Buffer.from('--b\r\nX: a\rb\r\n\r\nbody\r\n--b--');
  const { source, closed } = tracked(bytewise(bad));
  const parts = parseMultipart(source, CT)[Symbol.asyncIterator]();
  const calls = [parts.next(), parts.next()];
  await assert.rejects(calls[0]!, { code: 'ERR_MIME_BAD_HEADER' });
  assert.deepEqual(await calls[1], { value: undefined, done: true });
  assert.equal(closed(), true);
  // An unsupported encoding fails when its part begins, before any body byte.
  const unsupported = Buffer.from('--b\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbody\r\n--b--');
  const it = parseMultipart([unsupported], CT)[Symbol.asyncIterator]();
  await assert.rejects(it.next(), { code: 'ERR_MIME_UNSUPPORTED_ENCODING' });
  assert.equal((await it.next()).done, true);
  // The same when that part was parsed already (from the chunk of the part before it).
  const second = Buffer.concat([Buffer.from('--b\r\n\r\nfine\r\n'), unsupported]);
  const { source: secondSource, closed: secondClosed } = tracked([second]);
  const it2 = parseMultipart(secondSource, CT)[Symbol.asyncIterator]();
  const first = await it2.next();
  assert.equal(await text(first.value as MultipartPart), 'fine');
  await assert.rejects(it2.next(), { code: 'ERR_MIME_UNSUPPORTED_ENCODING' });
  assert.equal(secondClosed(), true, 'the source is released');
  assert.equal((await it2.next()).done, true);
});

test('parts: a source whose next() throws synchronously rejects the iterator and is released', async () => {
  let returned = false;
  const failure = new Error('socket gone');
  const source: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => ({
      next: () => { throw failure; },
      return: async () => { returned = true; return { done: true, value: undefined }; },
    }),
  };
  await assert.rejects(async () => {
    for await (const part of parseMultipart(source, CT)) void part;
  }, (e) => e === failure);
  assert.equal(returned, true);
});

test('body: return() and throw() made while next() waits run after it, in order', async () => {
  const bytes = message(['abcdef', 'tail']);
  const parts = parseMultipart(bytewise(bytes), CT)[Symbol.asyncIterator]();
  const part = (await parts.next()).value as MultipartPart;
  const body = part.body[Symbol.asyncIterator]();
  const order: string[] = [];
  const first = body.next().then((r) => { order.push('next'); return r; });
  const returned = body.return!('stop').then((r) => { order.push('return'); return r; });
  const after = body.next().then((r) => { order.push('next after'); return r; });
  assert.equal(Buffer.from((await first).value as Uint8Array).toString(), 'a');
  assert.deepEqual(await returned, { value: 'stop', done: true });
  assert.deepEqual(await after, { value: undefined, done: true });
  assert.deepEqual(order, ['next', 'return', 'next after']);
  // Moving on skips the rest; the next part is intact.
  const second = (await parts.next()).value as MultipartPart;
  const reader = second.body[Symbol.asyncIterator]();
  const boom = new Error('sink failed');
  const view = reader.next();
  const thrown = reader.throw!(boom);
  assert.equal(Buffer.from((await view).value as Uint8Array).toString(), 't');
  await assert.rejects(thrown, (e) => e === boom);
  assert.deepEqual(await reader.next(), { value: undefined, done: true });
  await assert.rejects(reader.throw!(boom), (e) => e === boom, 'throw() after the end rejects too');
  assert.equal((await parts.next()).done, true);
});

test('body: a reader returned before it started leaves the body to another reader', async () => {
  for await (const part of parseMultipart([message(['kept'])], CT)) {
    const unused = part.body[Symbol.asyncIterator]();
    assert.deepEqual(await unused.return!(), { value: undefined, done: true });
    assert.equal(await text(part), 'kept');
  }
});

test('body and parts pulled at once: both wait, the source is never read past its end', async () => {
  // The body waits for more bytes when the consumer also asks for the next part: both pull.
  const truncated = Buffer.from('--b\r\nContent-ID: <p0>\r\n\r\nabc');
  const { source, closed } = tracked([truncated]);
  const parts = parseMultipart(source, CT)[Symbol.asyncIterator]();
  const part = (await parts.next()).value as MultipartPart;
  const body = part.body[Symbol.asyncIterator]();
  assert.equal(Buffer.from((await body.next()).value as Uint8Array).toString(), 'abc');
  // Both queues are empty: each pulls, and each sees the end of the source.
  const [bodyNext, partsNext] = await Promise.allSettled([body.next(), parts.next()]);
  assert.equal(bodyNext.status, 'rejected');
  assert.equal((bodyNext as PromiseRejectedResult).reason.code, 'ERR_MIME_TRUNCATED');
  assert.equal(partsNext.status, 'rejected');
  assert.equal((partsNext as PromiseRejectedResult).reason.code, 'ERR_MIME_TRUNCATED');
  assert.equal(closed(), true);
});

test('header accessors equal the headers, computed or matched against start', async () => {
  const bytes = Buffer.from(
    '--b\r\nContent-Type: text/xml\r\nContent-ID: < root@x >\r\nContent-Location: here\r\n' +
    'Content-Disposition: inline\r\nContent-Transfer-Encoding: BINARY\r\n\r\n<r/>\r\n' +
    '--b\r\nContent-Type: image/png\r\nContent-ID: <img@x>\r\nContent-Transfer-Encoding: base64\r\n\r\naGk=\r\n' +
    '--b\r\n\r\nplain\r\n--b--');
  for (const start of [null, 'img@x']) {
    const ct = start === null ? CT : `${CT}; start="<${start}>"`;
    const parsed = parseMultipart([bytes], ct);
    const seen: Array<Record<string, unknown>> = [];
    for await (const part of parsed) {
      for (const [field, header] of [['contentType', 'content-type'], ['contentTransferEncoding', 'content-transfer-encoding'],
        ['contentLocation', 'content-location'], ['contentDisposition', 'content-disposition']] as const) {
        assert.equal(part[field], part.headers.get(header), field);
        assert.equal(part[field], part[field], `${field} read twice`);
      }
      seen.push({ index: part.index, contentId: part.contentId, isRoot: part.isRoot, body: await text(part) });
    }
    assert.deepEqual(seen, [
      { index: 0, contentId: 'root@x', isRoot: start === null, body: '<r/>' },
      { index: 1, contentId: 'img@x', isRoot: start !== null, body: 'hi' },
      { index: 2, contentId: null, isRoot: false, body: 'plain' },
    ]);
    assert.equal(parsed.rootIndex, start === null ? 0 : 1);
  }
});
