// The receiver mounted in Express 5 and in Fastify 5 (with a content-type
// parser that passes the raw stream through), as the README shows it: real
// attachments stored byte for byte, faults answered, aborts leaving nothing.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import express from 'express';
import Fastify from 'fastify';
import { ErrorCodes, FileCache, ROOT_ID_HEADER, createReceiver, type ReceiverHandler } from '../src/index.js';
import { SHARED_CORPUS_ABSENT, sharedBinaryFiles, sharedCorpusDir } from './support/corpus.js';
import { buildMessage, faultSummary, fileCacheState, post, readAll, sha256, tempDir } from './support/receive.js';

interface Mounted {
  url: string;
  close(): Promise<void>;
}

/** Express 5: the receiver is an ordinary route handler. */
async function mountExpress(receiver: ReceiverHandler): Promise<Mounted> {
  const app = express();
  app.post('/soap', receiver);
  const server = await new Promise<http.Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/soap`,
    close: () => { server.closeAllConnections(); return new Promise((resolve) => server.close(() => resolve())); },
  };
}

/** Fastify 5: every body passes through untouched; the handler takes over the raw request and response. */
async function mountFastify(receiver: ReceiverHandler): Promise<Mounted> {
  const app = Fastify();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));
  app.post('/soap', async (request, reply) => {
    reply.hijack();
    await receiver(request.raw, reply.raw);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/soap`, close: () => app.close() };
}

for (const [name, mount] of [['Express', mountExpress], ['Fastify', mountFastify]] as const) {
  describe(`receiver under ${name}`, () => {
    async function withReceiver(run: (m: Mounted, cache: FileCache, dir: string, settled: Array<Promise<void>>) => Promise<void>): Promise<void> {
      const dir = tempDir(`receive-${name.toLowerCase()}`);
      const cache = new FileCache({ dir, fsync: false });
      const settled: Array<Promise<void>> = [];
      const inner = createReceiver({ cache });
      const receiver = Object.assign((req: http.IncomingMessage, res: http.ServerResponse) => {
        const p = inner(req, res);
        settled.push(p);
        return p;
      }, { checkContinue: inner.checkContinue });
      const mounted = await mount(receiver);
      try {
        await run(mounted, cache, dir, settled);
      } finally {
        await mounted.close();
        await cache.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }

    it('stores real JPEG and PDF attachments (MTOM 1.2 and SwA 1.1) byte for byte', async (t) => {
      if (sharedCorpusDir === null) return t.skip(SHARED_CORPUS_ABSENT);
      const jpeg = fs.readFileSync(sharedBinaryFiles('jpeg')[0]!);
      const pdf = fs.readFileSync(sharedBinaryFiles('pdf')[3]!);
      await withReceiver(async (m, cache, dir) => {
        for (const [mode, version] of [['mtom', '1.2'], ['swa', '1.1']] as const) {
          const message = buildMessage(mode, version, [
            { contentId: 'photo@x', contentType: 'image/jpeg', body: jpeg },
            { contentId: 'doc@x', contentType: 'application/pdf', body: pdf },
          ]);
          const response = await post(m.url, message.body, message.contentType, { chunkSize: 32 * 1024 });
          assert.equal(response.status, 200, response.body.toString());
          const rootId = response.headers[ROOT_ID_HEADER.toLowerCase()] as string;
          const docs = await cache.list(rootId);
          assert.deepEqual(docs.map((d) => d.properties), [
            { wss_root_document_id: rootId, wss_attachment_content_id: 'photo@x', wss_attachment_content_type: 'image/jpeg' },
            { wss_root_document_id: rootId, wss_attachment_content_id: 'doc@x', wss_attachment_content_type: 'application/pdf' },
          ]);
          assert.equal(sha256(await readAll(await cache.open(rootId, 'photo@x'))), sha256(jpeg));
          assert.equal(sha256(await readAll(await cache.open(rootId, 'doc@x'))), sha256(pdf));
        }
        assert.equal(fileCacheState(dir).roots.length, 2);
      });
    });

    it('answers faults: 400 for a malformed message, 415 for JSON; nothing stored', async () => {
      await withReceiver(async (m, _cache, dir, settled) => {
        const message = buildMessage('mtom', '1.2', [{ contentId: 'a@x', contentType: 'application/pdf', body: Buffer.alloc(20_000, 1) }]);
        const truncated = await post(m.url, message.body.subarray(0, message.body.length - 50), message.contentType);
        assert.equal(truncated.status, 400);
        assert.deepEqual(faultSummary(truncated.body), { faultCode: 'soap:Sender', code: ErrorCodes.MIME_TRUNCATED });
        const json = await post(m.url, Buffer.from('{"a":1}'), 'application/json');
        assert.equal(json.status, 415);
        await Promise.all(settled);
        assert.deepEqual(fileCacheState(dir), { roots: [], temporary: [] });
      });
    });

    it('an aborted upload leaves nothing', async () => {
      await withReceiver(async (m, _cache, dir, settled) => {
        const message = buildMessage('swa', '1.1', [{ contentId: 'a@x', contentType: 'application/pdf', body: Buffer.alloc(500_000, 1) }]);
        await new Promise<void>((resolve) => {
          const req = http.request(m.url, { method: 'POST', agent: false, headers: { 'content-type': message.contentType } });
          req.on('error', () => resolve());
          req.on('close', () => resolve());
          req.write(message.body.subarray(0, 250_000), () => setTimeout(() => req.destroy(), 50));
        });
        while (settled.length === 0) await new Promise((r) => setTimeout(r, 10));
        await Promise.all(settled);
        assert.deepEqual(fileCacheState(dir), { roots: [], temporary: [] });
      });
    });
  });
}
