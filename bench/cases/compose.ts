/**
 * compose: the big set's attachments, stored once in a MemoryCache and in a
 * FileCache, composed as SwA and as MTOM (compose() with rootId + cache) and
 * read to a sink that discards. The limit: reading the same attachments out
 * of the same cache (open() and drain each, in order) — what any composer
 * must at least do.
 *
 * @module
 */

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { compose, FileCache, MemoryCache, MultipartParser, parseContentType, receive, type DocumentCache } from '../../src/index.js';
import { benchLimits } from '../contestants/limits.js';
import type { BenchMessage } from '../messages.js';
import { ratioOf, runTable, type Entry, type Verdict } from '../tables.js';
import type { BenchCase } from './types.js';

async function* source(chunks: readonly Buffer[]): AsyncGenerator<Buffer> {
  for (const chunk of chunks) yield chunk;
}

/** An MTOM envelope naming every attachment through xop:Include. */
function mtomEnvelope(contentIds: readonly string[]): string {
  const items = contentIds.map((id) => `<ns:document><ns:data><xop:Include href="cid:${encodeURIComponent(id).replace(/%40/g, '@')}"/></ns:data></ns:document>`).join('');
  return '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns="urn:example:documents" ' +
    `xmlns:xop="http://www.w3.org/2004/08/xop/include"><soapenv:Body><ns:storeDocuments>${items}</ns:storeDocuments></soapenv:Body></soapenv:Envelope>`;
}

/** Parses a composed message back and compares its attachment parts with the message's. */
function verifyComposed(bytes: Buffer, contentType: string, message: BenchMessage): Verdict {
  const boundary = parseContentType(contentType).parameters['boundary']!;
  const got: Array<{ size: number; sha256: string }> = [];
  let hash: crypto.Hash | null = null;
  let size = 0;
  const parser = new MultipartParser({ boundary, limits: benchLimits(message) }, {
    onPartBegin: () => { hash = crypto.createHash('sha256'); size = 0; },
    onPartData: (view) => { hash!.update(view); size += view.length; },
    onPartEnd: () => { got.push({ size, sha256: hash!.digest('hex') }); },
  });
  parser.write(bytes);
  parser.end();
  const want = message.parts.slice(1);
  if (got.length !== want.length + 1) return { ok: false, reason: `${got.length} parts, expected ${want.length + 1}` };
  for (let i = 0; i < want.length; i++) {
    if (got[i + 1]!.size !== want[i]!.size || got[i + 1]!.sha256 !== want[i]!.sha256) {
      return { ok: false, reason: `attachment ${i} differs (${got[i + 1]!.size} bytes)` };
    }
  }
  return { ok: true, zeroCopyShare: null };
}

function composeEntry(mode: 'swa' | 'mtom', cacheName: string, cache: DocumentCache, rootId: string, xml: string, message: BenchMessage): Entry {
  const drain = async (keep: Buffer[] | null): Promise<{ bytes: number; contentLength: number | null; contentType: string }> => {
    const composed = await compose({ xml, rootId, cache, mode, boundary: 'MIMEBoundary_compose_5e2a' });
    let bytes = 0;
    for await (const chunk of composed.body) {
      bytes += (chunk as Buffer).length;
      keep?.push(Buffer.from(chunk as Buffer)); // Copy (verification only): the chunk may be reused after this step.
    }
    return { bytes, contentLength: composed.contentLength, contentType: composed.contentType };
  };
  return {
    name: `compose ${mode === 'swa' ? 'SwA' : 'MTOM'} ← ${cacheName}`,
    description: `compose({ mode: '${mode}', rootId, cache }) and read its body to a discarding sink`,
    kind: 'xopstream',
    async verify() {
      const kept: Buffer[] = [];
      const result = await drain(kept);
      if (result.contentLength !== result.bytes) return { ok: false, reason: `${result.bytes} bytes, Content-Length ${result.contentLength}` };
      return verifyComposed(Buffer.concat(kept), result.contentType, message);
    },
    task: {
      fn: async () => {
        const result = await drain(null);
        if (result.bytes !== result.contentLength) throw new Error('short body');
      },
    },
  };
}

function readLimitEntry(cacheName: string, cache: DocumentCache, rootId: string, message: BenchMessage): Entry {
  const read = async (): Promise<number> => {
    let bytes = 0;
    for (const doc of await cache.list(rootId)) {
      for await (const chunk of await cache.open(rootId, doc.properties.wss_attachment_content_id)) bytes += (chunk as Buffer).length;
    }
    return bytes;
  };
  const want = message.parts.slice(1).reduce((n, p) => n + p.size, 0);
  return {
    name: `read limit ← ${cacheName}`,
    description: 'list() + open() and drain every attachment, in order',
    kind: 'limit',
    async verify() {
      const bytes = await read();
      return bytes === want ? { ok: true, zeroCopyShare: null } : { ok: false, reason: `${bytes} bytes, expected ${want}` };
    },
    task: { fn: read },
  };
}

export const composeCase: BenchCase = {
  name: 'compose',
  title: 'compose: SwA and MTOM of the big set from a cache to a discarding sink',
  async run(context) {
    const message = context.bigMessage();
    const memory = new MemoryCache({ maxBytes: 4 * message.message.length });
    const dir = fs.mkdtempSync(path.join(context.tmpDir, 'compose-'));
    const file = new FileCache({ dir });
    try {
      const limits = benchLimits(message);
      const inMemory = await receive(source(message.chunks), { contentType: message.contentType, cache: memory, limits });
      const inFile = await receive(source(message.chunks), { contentType: message.contentType, cache: file, limits });
      const swaXml = inMemory.rootDocument.envelope.toString('utf8');
      const mtomXml = mtomEnvelope(message.parts.slice(1).map((p) => p.contentId));
      const memoryId = inMemory.rootDocument.properties.wss_root_document_id;
      const fileId = inFile.rootDocument.properties.wss_root_document_id;
      context.log(`compose: ${message.parts.length - 1} attachments in a MemoryCache and a FileCache`);
      const table = await runTable({
        id: 'compose',
        title: `${message.parts.length - 1} attachments, ${(message.message.length / 1e6).toFixed(1)} MB`,
        unit: 'MB/s',
        workPerRun: message.message.length,
        notes: ['MB/s over the received message size (the composed messages differ from it by their headers only).'],
        entries: [
          composeEntry('swa', 'MemoryCache', memory, memoryId, swaXml, message),
          composeEntry('mtom', 'MemoryCache', memory, memoryId, mtomXml, message),
          composeEntry('swa', 'FileCache', file, fileId, swaXml, message),
          composeEntry('mtom', 'FileCache', file, fileId, mtomXml, message),
          readLimitEntry('MemoryCache', memory, memoryId, message),
          readLimitEntry('FileCache', file, fileId, message),
        ],
        settings: context.settings,
        log: context.log,
      });
      // Only like against like: a composer over a cache against reading that same cache.
      table.ratios = table.ratios.filter((r) => r.to.endsWith(r.of.slice(r.of.indexOf('←'))));
      return { name: 'compose', title: this.title, notes: [`The big message's attachments (${message.description}).`], tables: [table], targets: [] };
    } finally {
      await memory.close();
      await file.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
