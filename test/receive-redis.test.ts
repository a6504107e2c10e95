// The HTTP receiver into a RedisCache (several servers sharing one cache):
// real attachments stored byte for byte, and a Redis that hangs mid-upload
// answered with a 500 fault, leaving nothing visible.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ErrorCodes, ROOT_ID_HEADER, RedisCache, createReceiver } from '../src/index.js';
import { SHARED_CORPUS_ABSENT, sharedBinaryFiles, sharedCorpusDir } from './support/corpus.js';
import { redisUnavailableReason, startPrivateRedis, type TestRedis } from './support/redis-server.js';
import { buildMessage, faultSummary, listen, post, readAll, sha256 } from './support/receive.js';

const unavailable = redisUnavailableReason();

describe('receiver into a RedisCache', { skip: unavailable ?? false }, () => {
  let redis: TestRedis;
  before(async () => { redis = await startPrivateRedis(); });
  after(async () => { await redis.stop(); });

  it('stores real JPEG and PDF attachments byte for byte (chunked in Redis)', async (t) => {
    if (sharedCorpusDir === null) return t.skip(SHARED_CORPUS_ABSENT);
    const cache = new RedisCache({ url: redis.url, keyPrefix: 'receive-test:', chunkBytes: 64 * 1024 });
    const server = await listen(createReceiver({ cache }));
    try {
      const jpeg = fs.readFileSync(sharedBinaryFiles('jpeg')[0]!);
      const pdf = fs.readFileSync(sharedBinaryFiles('pdf')[0]!);
      const message = buildMessage('mtom', '1.2', [
        { contentId: 'photo@x', contentType: 'image/jpeg', body: jpeg },
        { contentId: 'doc@x', contentType: 'application/pdf', body: pdf },
      ]);
      const response = await post(server.url, message.body, message.contentType, { chunkSize: 32 * 1024 });
      assert.equal(response.status, 200, response.body.toString());
      const rootId = response.headers[ROOT_ID_HEADER.toLowerCase()] as string;
      const docs = await cache.list(rootId);
      assert.deepEqual(docs.map((d) => d.properties), [
        { wss_root_document_id: rootId, wss_attachment_content_id: 'photo@x', wss_attachment_content_type: 'image/jpeg' },
        { wss_root_document_id: rootId, wss_attachment_content_id: 'doc@x', wss_attachment_content_type: 'application/pdf' },
      ]);
      assert.equal(sha256(await readAll(await cache.open(rootId, 'photo@x'))), sha256(jpeg));
      assert.equal(sha256(await readAll(await cache.open(rootId, 'doc@x'))), sha256(pdf));
    } finally {
      await server.close();
      await cache.close();
    }
  });

  it('a Redis that hangs mid-upload: 500 soap:Receiver (sink failure), and nothing of the message is visible afterwards', async () => {
    const cache = new RedisCache({ url: redis.url, keyPrefix: 'receive-hang:', chunkBytes: 16 * 1024, commandTimeoutMs: 500 });
    const rootIds: string[] = [];
    const server = await listen(createReceiver({
      cache,
      onError: () => undefined,
      onMessage: (m) => { rootIds.push(m.rootDocument.properties.wss_root_document_id); },
    }));
    try {
      // Warm the connection, then freeze Redis while the attachment streams in.
      await cache.list('warm-up');
      const message = buildMessage('swa', '1.2', [{ contentId: 'a@x', contentType: 'application/octet-stream', body: Buffer.alloc(2 * 1024 * 1024, 7) }]);
      redis.pause();
      let response;
      try {
        response = await post(server.url, message.body, message.contentType, { chunkSize: 64 * 1024 });
      } finally {
        redis.resume();
      }
      assert.equal(response.status, 500);
      assert.deepEqual(faultSummary(response.body), { faultCode: 'soap:Receiver', code: ErrorCodes.CACHE_SINK_FAILED });
      assert.deepEqual(rootIds, [], 'onMessage never saw the message');
      await server.idle();
      // Nothing committed: no root under this prefix has documents.
      const reader = new RedisCache({ url: redis.url, keyPrefix: 'receive-hang:' });
      try {
        const client = (await (reader as unknown as { ready(): Promise<{ keys(pattern: string): Promise<string[]> }> }).ready());
        const visible = (await client.keys('receive-hang:*')).filter((k) => k.endsWith(':m'));
        assert.deepEqual(visible, []);
      } finally {
        await reader.close();
      }
    } finally {
      await server.close();
      await cache.close();
    }
  });
});
