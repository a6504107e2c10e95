/**
 * receive end to end: receive() over the big message (64 KiB chunks) —
 * parse, SAX pass over the root, xxh64 of every attachment, into a
 * MemoryCache (copying, the default), a MemoryCache({ retainViews: true })
 * (zero-copy) and a FileCache (temp dir, default options: fsync on commit)
 * — against the serial limit: the Buffer.indexOf splitter plus xxhash-wasm
 * xxh64 of every body over the same chunks (and that plus the copy a
 * copying heap store makes).
 *
 * Each 64 KiB chunk is its own ArrayBuffer, as a socket read is (the
 * message builder's chunks are views of one 64 MB buffer, which a
 * retainViews cache would copy rather than pin).
 *
 * @module
 */

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import xxhash from 'xxhash-wasm';
import { FileCache, MemoryCache, receive, type DocumentCache, type ReceivedMessage } from '../../src/index.js';
import { indexOfLimit } from '../contestants/indexof-limit.js';
import { benchLimits } from '../contestants/limits.js';
import type { BenchMessage } from '../messages.js';
import { ratioOf, runTable, type Entry, type Verdict } from '../tables.js';
import { formatShare, type BenchCase } from './types.js';

const MEMORY = 'receive → MemoryCache';
const RETAINING = 'receive → MemoryCache({ retainViews })';

/**
 * What receive() reads: the chunk array itself, as the serial limit does (a
 * synchronous source is read without a promise per chunk; the streaming
 * contestants' async-generator feed is measured in the multipart tables).
 */
function source(chunks: readonly Buffer[]): readonly Buffer[] {
  return chunks;
}

/**
 * Reads every attachment back from the cache and compares it with the
 * message's parts. For a heap store, the zero-copy share is the share of
 * stored bytes that are views of the input chunks.
 */
async function verifyReceived(message: BenchMessage, received: ReceivedMessage, cache: DocumentCache,
  heapStore: boolean): Promise<Verdict> {
  const inputs = new Set<ArrayBufferLike>(message.chunks.map((c) => c.buffer));
  let viewBytes = 0;
  let storedBytes = 0;
  const want = message.parts;
  const root = crypto.createHash('sha256').update(received.rootDocument.envelope).digest('hex');
  if (root !== want[0]!.sha256) return { ok: false, reason: 'the envelope differs from the root part' };
  if (received.attachments.length !== want.length - 1) {
    return { ok: false, reason: `${received.attachments.length} attachments, expected ${want.length - 1}` };
  }
  const rootId = received.rootDocument.properties.wss_root_document_id;
  for (let i = 1; i < want.length; i++) {
    const doc = received.attachments[i - 1]!;
    if (doc.properties.wss_attachment_content_id !== want[i]!.contentId) {
      return { ok: false, reason: `attachment ${i} has content id ${String(doc.properties.wss_attachment_content_id)}` };
    }
    const hash = crypto.createHash('sha256');
    let size = 0;
    for await (const chunk of await cache.open(rootId, doc.properties.wss_attachment_content_id)) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (inputs.has((chunk as Buffer).buffer)) viewBytes += (chunk as Buffer).length;
    }
    storedBytes += size;
    const sha = hash.digest('hex');
    if (size !== want[i]!.size || doc.size !== size || sha !== want[i]!.sha256) {
      return { ok: false, reason: `attachment ${i} read back as ${size} bytes (document says ${doc.size}), sha256 ${sha.slice(0, 12)}…` };
    }
  }
  return { ok: true, zeroCopyShare: heapStore && storedBytes > 0 ? viewBytes / storedBytes : null };
}

/** The message with each chunk copied once into its own ArrayBuffer (as socket reads arrive). */
function withSocketChunks(message: BenchMessage): BenchMessage {
  // Copy (set-up, untimed): one ArrayBuffer per chunk, like the reads of a socket.
  return { ...message, chunks: message.chunks.map((chunk) => Buffer.from(chunk)) };
}

function receiveEntry(name: string, description: string, message: BenchMessage, cache: DocumentCache,
  received: (m: ReceivedMessage) => void): Entry {
  const limits = benchLimits(message);
  let last: ReceivedMessage | null = null;
  return {
    name,
    description,
    kind: 'xopstream',
    async verify() {
      const m = await receive(source(message.chunks), { contentType: message.contentType, cache, limits });
      received(m);
      const verdict = await verifyReceived(message, m, cache, cache instanceof MemoryCache);
      await cache.delete(m.rootDocument.properties.wss_root_document_id);
      return verdict;
    },
    task: {
      fn: async () => {
        last = await receive(source(message.chunks), { contentType: message.contentType, cache, limits });
      },
      // Clean-up outside the timing: the next iteration starts from an empty cache.
      afterEach: async () => {
        if (last !== null) await cache.delete(last.rootDocument.properties.wss_root_document_id);
        last = null;
      },
    },
  };
}

/** The serial limit: indexOf splitting and xxh64 of every body, one after the other, no cache. */
function serialLimitEntry(message: BenchMessage, api: Awaited<ReturnType<typeof xxhash>>, expected: () => string[],
  withCopy: boolean): Entry {
  const MAX_UPDATE_BYTES = 1 << 20;
  const BLOCK_BYTES = 64 * 1024;
  const run = (): string[] => {
    const digests: string[] = [];
    // With copy: every body byte also goes into fresh 64 KiB blocks, as a store in the heap must (MemoryCache does).
    let blocks: Buffer[] = [];
    let block = Buffer.allocUnsafe(0);
    let fill = 0;
    indexOfLimit.parse(message, {
      begin() {
        const hasher = api.create64();
        return {
          data(view) {
            for (let at = 0; at < view.length; at += MAX_UPDATE_BYTES) hasher.update(view.subarray(at, at + MAX_UPDATE_BYTES));
            for (let at = 0; withCopy && at < view.length;) {
              if (fill === block.length) {
                block = Buffer.allocUnsafe(BLOCK_BYTES);
                blocks.push(block);
                fill = 0;
              }
              const n = Math.min(block.length - fill, view.length - at);
              block.set(view.subarray(at, at + n), fill);
              fill += n;
              at += n;
            }
          },
          end() { digests.push(hasher.digest().toString(16).padStart(16, '0')); },
        };
      },
    });
    blocks = [];
    return digests;
  };
  return {
    name: withCopy ? 'scan + xxh64 + copy limit' : 'scan + xxh64 limit',
    description: withCopy
      ? 'the same plus a copy of every body into fresh 64 KiB blocks (what a heap store that allocates new blocks for every message pays at the least)'
      : 'Buffer.indexOf splitter + xxhash-wasm xxh64 of every body, serially (no headers, no XML, no cache)',
    kind: 'limit',
    async verify() {
      const got = run().slice(1); // the root part is not hashed by receive()
      const want = expected();
      if (want.length === 0) return { ok: false, reason: 'no verified receive() run to compare the digests with' };
      const same = got.length === want.length && got.every((d, i) => d === want[i]);
      return same ? { ok: true, zeroCopyShare: null } : { ok: false, reason: 'its xxh64 digests differ from the verified receive()' };
    },
    task: { fn: run },
  };
}

export const receiveCase: BenchCase = {
  name: 'receive',
  title: 'receive end to end: parse + SAX pass + xxh64 + cache',
  async run(context) {
    const message = withSocketChunks(context.bigMessage());
    const api = await xxhash();
    const memory = new MemoryCache({ maxBytes: 4 * message.message.length });
    const retaining = new MemoryCache({ maxBytes: 4 * message.message.length, retainViews: true });
    const dir = fs.mkdtempSync(path.join(context.tmpDir, 'receive-'));
    const file = new FileCache({ dir });
    let digests: string[] = [];
    const remember = (m: ReceivedMessage): void => { digests = m.attachments.map((d) => d.xxh64); };
    context.log(`receive: ${(message.message.length / 1e6).toFixed(1)} MB, ${message.parts.length} parts`);
    try {
      const table = await runTable({
        id: 'receive',
        title: `${(message.message.length / 1e6).toFixed(1)} MB big message, 64 KiB chunks, read from the chunk array`,
        unit: 'MB/s',
        workPerRun: message.message.length,
        notes: [
          'Each run is a whole receive() (fresh root id); the root id is deleted after each run, outside the timing.',
          'Each 64 KiB chunk is its own ArrayBuffer, as socket reads are. The copying MemoryCache reuses the blocks of ' +
          'the previous run (deleted unread: back to its free list); retainViews keeps the chunks\' views (zero-copy).',
        ],
        entries: [
          receiveEntry(MEMORY, 'receive(): parseMultipart + SoapScanner + XopResolver + xxh64 + MemoryCache writer (default: copies into 64 KiB blocks)', message, memory, remember),
          receiveEntry(RETAINING, 'the same into a MemoryCache({ retainViews: true }): keeps the body views (zero-copy)', message, retaining, () => {}),
          receiveEntry('receive → FileCache', 'the same into a FileCache in a temp dir (default options: fsync on commit)', message, file, () => {}),
          serialLimitEntry(message, api, () => digests, false),
          serialLimitEntry(message, api, () => digests, true),
        ],
        settings: context.settings,
        log: context.log,
      });
      // The copying store against both limits; the zero-copy and the file store against the one that does not copy.
      table.ratios = table.ratios.filter((x) => x.of === MEMORY || x.to === 'scan + xxh64 limit');
      const r = ratioOf(table, RETAINING, 'scan + xxh64 limit');
      const copying = ratioOf(table, MEMORY, 'scan + xxh64 limit');
      const withCopy = ratioOf(table, MEMORY, 'scan + xxh64 + copy limit');
      return {
        name: 'receive',
        title: this.title,
        notes: [`The big message (${message.description}).`],
        tables: [table],
        targets: [{
          text: 'receive to MemoryCache with xxh64: at least 80% of the serial limit (scan + xxh64) — MemoryCache({ retainViews: true }), zero-copy',
          measured: r === null ? 'not measured' : formatShare(r),
          met: r === null ? null : r.median >= 0.8,
        }, {
          text: 'receive to MemoryCache (default, copying) against the serial limit (scan + xxh64)',
          measured: copying === null ? 'not measured' : formatShare(copying),
          met: null,
          informational: true,
        }, {
          text: 'receive to MemoryCache (default, copying) against the serial limit plus the copy a heap store makes (scan + xxh64 + copy)',
          measured: withCopy === null ? 'not measured' : formatShare(withCopy),
          met: null,
          informational: true,
        }],
      };
    } finally {
      await memory.close();
      await retaining.close();
      await file.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
