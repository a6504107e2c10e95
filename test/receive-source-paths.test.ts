// guardSource has two read paths: the hot one (no signal, no time limits: one
// await per chunk) and the guarded one (abort race, slow-client clock). Both
// must deliver the same chunks and fail the same typed way.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCodes, XopError } from '../src/index.js';
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
