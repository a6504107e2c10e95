// guardSource has two read paths: the hot one (no signal, no time limits: one
// await per chunk, none for a chunk the source has at hand) and the guarded
// one (abort race, slow-client clock). Both must deliver the same chunks and
// fail the same typed way.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCodes, MemoryCache, XopError, receive } from '../src/index.js';
import { guardSource, type GuardOptions } from '../src/receive/source.js';

const PATHS: ReadonlyArray<{ name: string; options: () => GuardOptions }> = [
  { name: 'unguarded (no signal, no limits)', options: () => ({}) },
  { name: 'with a signal', options: () => ({ signal: new AbortController().signal }) },
  { name: 'with time limits', options: () => ({ idleMs: 10_000, minBytesPerSecond: 1, rateGraceMs: 10_000 }) },
];

async function drain(source: AsyncIterable<Uint8Array>): Promise<number[]> {
  const sizes: number[] = [];
  for await (const chunk of source) sizes.push(chunk.length);
  return sizes;
}

describe('guardSource read paths', () => {
  for (const path of PATHS) {
    it(`${path.name}: delivers every chunk as given and counts the bytes`, async () => {
      const chunks = [new Uint8Array(3), new Uint8Array(0), Buffer.alloc(70_000)];
      const guarded = guardSource((async function* () { yield* chunks; })(), path.options());
      const seen: Uint8Array[] = [];
      for await (const chunk of guarded) seen.push(chunk);
      assert.equal(seen.length, 3);
      seen.forEach((chunk, i) => assert.equal(chunk, chunks[i], 'the same object: no copy'));
      assert.equal(guarded.bytes, 70_003);
      assert.ok(guarded.waitedMs >= 0);
    });

    it(`${path.name}: a source failure is ERR_ABORTED, and the guard stays failed`, async () => {
      const guarded = guardSource((async function* () {
        yield new Uint8Array(5);
        throw new Error('connection reset');
      })(), path.options());
      const it = guarded[Symbol.asyncIterator]();
      assert.equal((await it.next()).value?.length, 5);
      for (let i = 0; i < 2; i++) {
        await assert.rejects(it.next(),
          (e: unknown) => e instanceof XopError && e.code === ErrorCodes.ABORTED && /connection reset/.test(e.message));
      }
      assert.equal(guarded.bytes, 5);
    });

    it(`${path.name}: a chunk that is not bytes is ERR_BAD_ARGUMENT`, async () => {
      const guarded = guardSource((async function* () { yield 42 as unknown as Uint8Array; })(), path.options());
      await assert.rejects(drain(guarded), (e: unknown) => e instanceof XopError && e.code === ErrorCodes.BAD_ARGUMENT);
    });
  }

  it('unguarded over an array: chunks at hand are passed on by readNow(), counted and checked; a failure is ERR_ABORTED', () => {
    const chunks = [new Uint8Array(3), Buffer.alloc(10)];
    const guarded = guardSource(chunks);
    const it = guarded[Symbol.asyncIterator]();
    assert.equal(typeof it.readNow, 'function');
    assert.equal(it.readNow!()!.value, chunks[0]);
    assert.equal(it.readNow!()!.value, chunks[1]);
    assert.equal(it.readNow!()!.done, true);
    assert.equal(guarded.bytes, 13);
    const notBytes = guardSource(['text'] as unknown as Uint8Array[])[Symbol.asyncIterator]();
    assert.throws(() => notBytes.readNow!(), (e: unknown) => e instanceof XopError && e.code === ErrorCodes.BAD_ARGUMENT);
    const failing = guardSource({
      [Symbol.iterator]: () => ({ next: (): IteratorResult<Uint8Array> => { throw new Error('disk gone'); } }),
    })[Symbol.asyncIterator]();
    for (let i = 0; i < 2; i++) {
      assert.throws(() => failing.readNow!(), (e: unknown) => e instanceof XopError && e.code === ErrorCodes.ABORTED && /disk gone/.test(e.message));
    }
  });

  it('with a signal or time limits there is no readNow(): every read runs the guard', () => {
    for (const options of [{ signal: new AbortController().signal }, { idleMs: 1000 }]) {
      assert.equal(guardSource([new Uint8Array(1)], options)[Symbol.asyncIterator]().readNow, undefined);
    }
  });

  it('receive() over an array of chunks stores the same attachment as over an async generator', async () => {
    const body = Buffer.alloc(200_000, 7);
    const message = Buffer.concat([Buffer.from('--b\r\nContent-Type: text/xml\r\n\r\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">' +
      '<s:Body><m:x xmlns:m="urn:m"/></s:Body></s:Envelope>\r\n--b\r\nContent-ID: <a@x>\r\n\r\n'), body, Buffer.from('\r\n--b--\r\n')]);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < message.length; i += 4096) chunks.push(message.subarray(i, i + 4096));
    const cache = new MemoryCache();
    const contentType = 'multipart/related; type="text/xml"; boundary=b';
    const fromArray = await receive(chunks, { contentType, cache });
    const fromGenerator = await receive((async function* () { yield* chunks; })(), { contentType, cache });
    assert.equal(fromArray.attachments[0]!.size, body.length);
    assert.equal(fromArray.attachments[0]!.xxh64, fromGenerator.attachments[0]!.xxh64);
    await cache.close();
  });

  it('with a signal: an abort interrupts a stalled read with the signal\'s reason', async () => {
    const controller = new AbortController();
    const guarded = guardSource((async function* () {
      yield new Uint8Array(1);
      await new Promise(() => {}); // stalls forever
    })(), { signal: controller.signal });
    const it = guarded[Symbol.asyncIterator]();
    await it.next();
    const pending = it.next();
    controller.abort();
    await assert.rejects(pending, (e: unknown) => e instanceof XopError && e.code === ErrorCodes.ABORTED);
  });
});
