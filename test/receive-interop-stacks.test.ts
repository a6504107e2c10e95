// receive() over messages built byte for byte as real SOAP stacks send them
// (corpus/interop-*, written by corpus/interop-generate.mjs, whose `source`
// fields say where each format comes from): WCF, Metro/JAX-WS RI, gSOAP,
// node-soap, SAAJ. Each runs over the whole chunking matrix into a
// MemoryCache and must give the exact root document, every attachment's
// bytes and the three wss_* properties, the references, and no unexpected
// warning. Formats the shared corpus already holds (Axis/Axis2/Axiom, CXF,
// SoapUI, WebLogic, WebSphere, PHP) are covered by receive-pipeline.test.ts.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { MemoryCache, XopError, createReceiver, receive, type ReceivedMessage } from '../src/index.js';
import { CHUNKINGS } from './support/corpus.js';
import { checkReceived, listen, post, type ReceiveCase, receiveCasesNamed } from './support/receive.js';

interface InteropCase extends ReceiveCase {
  stack: string;
  source: string;
  /** Set when strict mode refuses what the stack sends (by default strict mode must accept it too). */
  strictError?: { code: string };
}

function interopCases(): InteropCase[] {
  return receiveCasesNamed<InteropCase>('interop-');
}


describe('receive: messages as real SOAP stacks serialize them (corpus/interop-*)', () => {
  const cases = interopCases();
  it('has a fixture for each stack not in the shared corpus', () => {
    const stacks = cases.map((c) => c.name.split('-')[1]);
    for (const stack of ['wcf', 'metro', 'gsoap', 'node', 'saaj']) assert.ok(stacks.includes(stack), stack);
    for (const c of cases) {
      assert.ok(c.source.length > 20 && c.stack.length > 5, `${c.name} says which stack and where its format comes from`);
      assert.ok(c.result !== undefined, `${c.name}: interop fixtures are messages a receiver must accept`);
    }
  });
  for (const c of cases) {
    describe(`${c.name}: ${c.stack}`, () => {
      for (const chunking of CHUNKINGS) {
        it(`MemoryCache, ${chunking.name}`, async () => {
          const cache = new MemoryCache();
          const rootId = randomUUID();
          const message = await receive(chunking.split(c.message), { contentType: c.contentType, cache, rootId, ...c.options });
          await checkReceived(c, message, cache, rootId);
        });
      }
      it(c.strictError === undefined ? 'strict mode accepts it too' : `strict mode refuses it: ${c.strictError.code}`, async () => {
        const cache = new MemoryCache();
        const rootId = randomUUID();
        const run = receive([c.message], { contentType: c.contentType, cache, rootId, ...c.options, strict: true });
        if (c.strictError === undefined) {
          const message = await run;
          // Strict mode has no leniency to report.
          await checkReceived({ ...c, result: { ...c.result!, warnings: [] } }, message, cache, rootId);
        } else {
          await assert.rejects(run, (e: unknown) => e instanceof XopError && e.code === c.strictError!.code);
          assert.equal(cache.usedBytes, 0, 'nothing staged or stored');
          assert.deepEqual(await cache.list(rootId), []);
        }
      });
    });
  }
});

describe('the same messages POSTed to createReceiver on loopback (the Content-Type travels as an HTTP header)', () => {
  for (const c of interopCases()) {
    it(`${c.name}: 200 and the same documents`, async () => {
      const cache = new MemoryCache();
      let received: ReceivedMessage | null = null;
      const server = await listen(createReceiver({ cache, onMessage: (message) => { received = message; } }));
      try {
        const response = await post(server.url, c.message, c.contentType, { chunkSize: 1000 });
        await server.idle();
        assert.equal(response.status, 200, response.body.toString('utf8'));
        assert.ok(received !== null, 'onMessage was called');
        const message = received as ReceivedMessage;
        await checkReceived(c, message, cache, message.rootDocument.properties.wss_root_document_id);
      } finally {
        await server.close();
      }
    });
  }
});
