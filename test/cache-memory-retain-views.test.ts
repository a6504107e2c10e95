// MemoryCache({ retainViews: true }): the contract suite in that mode, the
// retain rule (views kept when at least a quarter of their ArrayBuffer, the
// rest copied), the byte cap and all-or-nothing with kept views, and
// receive() into it over real messages and over Node HTTP request bodies
// (whose chunks are never written again: the promise the mode relies on).

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { describe, test } from 'node:test';
import { ErrorCodes, MemoryCache, receive, type DocumentCache } from '../src/index.js';
import { xxh64Hex } from '../src/cache/digest.js';
import { BLOCK_BYTES, MIN_RETAINED_BYTES, retainable } from '../src/cache/memory-body.js';
import { bytesOf, cacheContract, metaOf, readAll, rejectsWith } from './support/cache-contract.js';
import { chunk, SHARED_CORPUS_ABSENT, sharedCorpusDir, sharedBinaryFiles, sharedMimeMessages } from './support/corpus.js';
import { buildMessage, listen, post } from './support/receive.js';
import fs from 'node:fs';

cacheContract('MemoryCache({ retainViews: true })', () => ({
  make: async (options = {}) => new MemoryCache({ maxBytes: 512 * 1024 * 1024, retainViews: true, ...options }),
  leftovers: async () => 0, // checked through usedBytes below
  heapResident: true,
  retainsViews: true,
}));

/** The chunks open() streams, as the Buffers it hands out. */
async function chunksOf(cache: DocumentCache, root: string, id: string | number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const piece of await cache.open(root, id)) out.push(piece as Buffer);
  return out;
}

/** `bytes` copied into a fresh ArrayBuffer of exactly its size (as a socket read is). */
function own(bytes: Uint8Array): Buffer {
  const copy = Buffer.allocUnsafeSlow(bytes.byteLength);
  copy.set(bytes);
  return copy;
}

test('retainViews: the retain rule keeps views of at least a quarter of their ArrayBuffer', () => {
  const buffer = new ArrayBuffer(400_000);
  assert.equal(retainable(new Uint8Array(buffer)), true);
  assert.equal(retainable(new Uint8Array(buffer, 1000, 100_000)), true, 'exactly a quarter');
  assert.equal(retainable(new Uint8Array(buffer, 1000, 99_999)), false, 'just under a quarter');
  assert.equal(retainable(new Uint8Array(buffer, 0, 65_536)), false, 'a whole block, but small for its buffer');
  assert.equal(retainable(new Uint8Array(new SharedArrayBuffer(10_000))), false, 'shared memory is always copied');
  assert.equal(retainable(new Uint8Array(MIN_RETAINED_BYTES)), true);
  assert.equal(retainable(new Uint8Array(MIN_RETAINED_BYTES - 1)), false, 'a tiny view is copied (coalesced)');
});

test('retainViews: large views are kept (same ArrayBuffer), small ones copied; bytes read back equal', async () => {
  const cache = new MemoryCache({ retainViews: true });
  assert.equal(cache.retainViews, true);
  const root = randomUUID();
  const big = bytesOf(1, 200_000); // its own ArrayBuffer
  const plain = new Uint8Array(own(bytesOf(2, 50_000))); // not a Buffer: kept as a Buffer over the same memory
  const slab = bytesOf(3, 300_000);
  const small = slab.subarray(10_000, 12_000); // 2,000 bytes of a 300,000-byte buffer: copied
  const doc = await cache.put(metaOf(root, 'a', 0), [small, big, plain, slab.subarray(20_000, 20_500)]);
  const expected = Buffer.concat([small, big, plain, slab.subarray(20_000, 20_500)]);
  assert.equal(doc.size, expected.length);
  assert.equal(doc.xxh64, await xxh64Hex(expected));
  assert.equal(cache.usedBytes, expected.length, 'the cap counts the stored bytes, kept or copied');

  const chunks = await chunksOf(cache, root, 'a');
  assert.ok(chunks.some((c) => c.buffer === big.buffer), 'the large Buffer is stored as it was given');
  assert.ok(chunks.some((c) => c.buffer === plain.buffer), 'the large Uint8Array shares the input ArrayBuffer');
  assert.ok(chunks.every((c) => c.buffer !== slab.buffer), 'small views of a large buffer are copied');
  // The caller may now reuse the slab: the copied bytes do not change.
  const before = Buffer.concat(chunks);
  slab.fill(0xee);
  assert.deepEqual(await readAll(await cache.open(root, 'a')), before);
  assert.deepEqual(before, expected);
});

test('retainViews: copied pieces between kept views keep their order, and a small copied tail is trimmed', async () => {
  const cache = new MemoryCache({ retainViews: true });
  const root = randomUUID();
  const slab = bytesOf(4, 1_000_000);
  const pieces: Uint8Array[] = [];
  for (let i = 0; i < 6; i++) {
    pieces.push(slab.subarray(i * 7_000, i * 7_000 + 5_000)); // copied
    pieces.push(bytesOf(10 + i, 30_000)); // kept
  }
  pieces.push(slab.subarray(900_000, 900_100)); // copied tail
  await cache.put(metaOf(root, 'mix', 0), pieces);
  const chunks = await chunksOf(cache, root, 'mix');
  assert.deepEqual(Buffer.concat(chunks), Buffer.concat(pieces));
  const copied = chunks.filter((c) => !pieces.some((p) => p.buffer === c.buffer));
  assert.equal(copied.length, 7, 'each copied piece is one chunk');
  // 30,100 copied bytes fill less than half a block: they live in one exact-size buffer, not a 64 KiB block.
  assert.equal(new Set(copied.map((c) => c.buffer)).size, 1);
  assert.equal(copied[0]!.buffer.byteLength, 6 * 5_000 + 100);
  assert.equal(cache.pooledBytes, BLOCK_BYTES, 'the block went back to the pool');
});

test('retainViews: the byte cap holds and a failed message keeps nothing (its copy blocks go back to the pool)', async () => {
  const cache = new MemoryCache({ maxBytes: 300_000, retainViews: true });
  const kept = randomUUID();
  const first = bytesOf(1, 150_000);
  await cache.put(metaOf(kept, 'a', 0), [first]);
  assert.equal(cache.usedBytes, 150_000);

  const root = randomUUID();
  const writer = await cache.begin(root);
  const slab = bytesOf(2, 1_000_000);
  await writer.put(metaOf(root, 'b', 0), [slab.subarray(0, 100_000)]); // copied: 1/10 of its buffer
  assert.equal(cache.usedBytes, 250_000);
  await rejectsWith(writer.put(metaOf(root, 'c', 1), [bytesOf(3, 40_000), bytesOf(4, 40_000)]), ErrorCodes.CACHE_FULL);
  assert.equal(cache.usedBytes, 150_000, 'the failed message released everything it staged');
  assert.deepEqual(await cache.list(root), []);
  assert.equal(cache.pooledBytes, 2 * BLOCK_BYTES, 'the two blocks the copy filled are free for the next message');
  assert.deepEqual(await readAll(await cache.open(kept, 'a')), first);

  // A body that fails half-way: nothing of it stays, not even its kept views.
  const other = randomUUID();
  async function* failing(): AsyncGenerator<Uint8Array> {
    yield bytesOf(5, 80_000);
    throw new Error('peer went away');
  }
  await rejectsWith(cache.put(metaOf(other, 'x', 0), failing()), ErrorCodes.ABORTED);
  assert.equal(cache.usedBytes, 150_000);
  assert.deepEqual(await cache.list(other), []);
  await cache.close();
});

describe('retainViews: receive() stores the same documents as the copying default', () => {
  const messages = sharedMimeMessages().filter((m) => !m.malformed);
  test('real SOAP messages of the shared corpus, chunked as socket reads', { skip: sharedCorpusDir === null ? SHARED_CORPUS_ABSENT : false }, async () => {
    assert.ok(messages.length > 0);
    let shared = 0;
    let compared = 0;
    for (const m of messages) {
      for (const size of [7, 4_096, 65_536]) {
        if (size === 7 && m.body.length > 40_000) continue; // small messages only (time)
        const chunks = chunk(m.body, size).map(own);
        const sources = new Set(chunks.map((c) => c.buffer));
        const copying = new MemoryCache();
        const retaining = new MemoryCache({ retainViews: true });
        let a;
        try {
          a = await receive(chunks, { contentType: m.contentType, cache: copying });
        } catch (error) {
          // A message the receiver refuses must be refused the same way in both modes.
          await assert.rejects(receive(chunks, { contentType: m.contentType, cache: retaining }),
            { code: (error as { code: string }).code }, m.name);
          assert.equal(retaining.usedBytes, 0);
          continue;
        }
        const b = await receive(chunks, { contentType: m.contentType, cache: retaining });
        const strip = (docs: typeof a.attachments): unknown => docs.map((d) => ({ ...d, properties: { ...d.properties, wss_root_document_id: '' }, storedAt: 0, expiresAt: 0 }));
        assert.deepEqual(strip(b.attachments), strip(a.attachments), m.name);
        assert.equal(retaining.usedBytes, copying.usedBytes);
        for (const [i, doc] of b.attachments.entries()) {
          const id = doc.properties.wss_attachment_content_id;
          const viaRetain = await chunksOf(retaining, b.rootDocument.properties.wss_root_document_id, id);
          const viaCopy = await readAll(await copying.open(a.rootDocument.properties.wss_root_document_id, a.attachments[i]!.properties.wss_attachment_content_id));
          assert.deepEqual(Buffer.concat(viaRetain), viaCopy, `${m.name} attachment ${i}, ${size}-byte chunks`);
          assert.equal(doc.xxh64, await xxh64Hex(viaCopy));
          if (viaRetain.some((c) => sources.has(c.buffer))) shared++;
          compared++;
        }
      }
    }
    assert.ok(compared > 0);
    assert.ok(shared > 0, 'some attachment bytes are stored as views of the source chunks');
  });
});

test('retainViews: receive() of real PDFs and JPEGs over Node HTTP request bodies (two messages, read back after both)',
  { skip: sharedCorpusDir === null ? SHARED_CORPUS_ABSENT : false }, async () => {
    const files = [...sharedBinaryFiles('pdf').slice(0, 2), ...sharedBinaryFiles('jpeg').slice(0, 2)];
    const cache = new MemoryCache({ retainViews: true });
    const received: Array<{ rootId: string; ids: Array<string | number> }> = [];
    const server = await listen(async (req, res) => {
      const message = await receive(req, { cache });
      received.push({ rootId: message.rootDocument.properties.wss_root_document_id,
        ids: message.attachments.map((d) => d.properties.wss_attachment_content_id) });
      res.end('ok');
    }, http.createServer());
    try {
      const built = [0, 1].map((n) => buildMessage(n === 0 ? 'swa' : 'mtom', '1.1', files.map((f, i) => ({
        contentId: `file${i}.${n}@test`, contentType: f.endsWith('.pdf') ? 'application/pdf' : 'image/jpeg',
        body: fs.readFileSync(f),
      }))));
      for (const m of built) {
        const answer = await post(server.url, m.body, m.contentType, { chunkSize: 16_384 });
        assert.equal(answer.status, 200, answer.body.toString());
      }
      await server.idle();
      assert.equal(received.length, 2);
      // Read back only now, after both requests' bodies went through the same sockets.
      for (const [n, r] of received.entries()) {
        for (const [i, id] of r.ids.entries()) {
          assert.deepEqual(await readAll(await cache.open(r.rootId, id)), built[n]!.attachments[i]!.body, `message ${n}, file ${i}`);
        }
      }
    } finally {
      await server.close();
      await cache.close();
    }
  });
