/**
 * The memory case's child process (run by memory.ts, one measurement per
 * process so that nothing else shares its heap):
 *
 *   node --expose-gc dist/bench/cases/memory-child.js receive DIR BYTES
 *   node --expose-gc dist/bench/cases/memory-child.js compose DIR ROOT_ID
 *
 * `receive` generates a multipart/related message of at least BYTES bytes
 * lazily (the corpus files, read once before the baseline, are cycled as
 * attachments and handed out as 64 KiB views: the message never exists in
 * memory) and receives it into a FileCache in DIR. `compose` composes the
 * received attachments from that FileCache as SwA and pipes the body into a
 * sink that only counts parts and bytes (through MultipartParser, to check
 * the framing).
 *
 * RSS (process.memoryUsage.rss()) is sampled every 5 ms and on every chunk;
 * the baseline is taken after setup and a forced GC. The result is one JSON
 * line on stdout.
 *
 * @module
 */

import { once } from 'node:events';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import xxhash from 'xxhash-wasm';
import { compose, FileCache, MultipartParser, receive } from '../../src/index.js';
import { corpusAttachments } from '../builders.js';

const CHUNK = 64 * 1024;
const BOUNDARY = 'MIMEBoundary_memory_0d4b7e1a9c2f5836';

class RssSampler {
  readonly baseline: number;
  peak: number;
  samples = 0;
  readonly #timer: NodeJS.Timeout;

  constructor() {
    (globalThis as { gc?: () => void }).gc?.();
    this.baseline = process.memoryUsage.rss();
    this.peak = this.baseline;
    this.#timer = setInterval(() => this.sample(), 5);
  }

  sample(): void {
    const rss = process.memoryUsage.rss();
    this.samples++;
    if (rss > this.peak) this.peak = rss;
  }

  stop(): { baselineBytes: number; peakBytes: number; growthBytes: number; samples: number } {
    clearInterval(this.#timer);
    this.sample();
    return { baselineBytes: this.baseline, peakBytes: this.peak, growthBytes: this.peak - this.baseline, samples: this.samples };
  }
}

function plan(totalBytes: number): { ids: string[]; files: number[]; root: Buffer } {
  const { files } = corpusAttachments();
  const ids: string[] = [];
  const picks: number[] = [];
  let bytes = 0;
  for (let i = 0; bytes < totalBytes; i++) {
    const f = i % files.length;
    ids.push(`big${i}@memory.example`);
    picks.push(f);
    bytes += files[f]!.bytes.length + 120;
  }
  const items = ids.map((id) => `<ns:document><ns:data href="cid:${id}"/></ns:document>`).join('\n');
  const root = Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
    `xmlns:ns="urn:example:documents"><soapenv:Body><ns:storeDocuments>\n${items}\n</ns:storeDocuments></soapenv:Body></soapenv:Envelope>\n`);
  return { ids, files: picks, root };
}

/** The message, produced as it is read: framing strings and 64 KiB views of the preloaded corpus files. */
async function* lazyMessage(p: ReturnType<typeof plan>, sampler: RssSampler, counter: { bytes: number }): AsyncGenerator<Uint8Array> {
  const { files } = corpusAttachments();
  const emit = (view: Uint8Array): Uint8Array => {
    counter.bytes += view.length;
    sampler.sample();
    return view;
  };
  yield emit(Buffer.from(`--${BOUNDARY}\r\nContent-Type: text/xml; charset=UTF-8\r\nContent-ID: <root@memory.example>\r\n\r\n`));
  yield emit(p.root);
  for (let i = 0; i < p.ids.length; i++) {
    const file = files[p.files[i]!]!;
    yield emit(Buffer.from(`\r\n--${BOUNDARY}\r\nContent-Type: ${file.contentType}\r\nContent-ID: <${p.ids[i]}>\r\n\r\n`));
    for (let at = 0; at < file.bytes.length; at += CHUNK) yield emit(file.bytes.subarray(at, at + CHUNK));
  }
  yield emit(Buffer.from(`\r\n--${BOUNDARY}--\r\n`));
}

async function receiveMode(dir: string, totalBytes: number): Promise<Record<string, unknown>> {
  const p = plan(totalBytes);
  const { files } = corpusAttachments();
  const api = await xxhash();
  const digests = files.map((f) => api.h64Raw(f.bytes).toString(16).padStart(16, '0'));
  const cache = new FileCache({ dir });
  const counter = { bytes: 0 };
  const sampler = new RssSampler();
  const started = performance.now();
  const received = await receive(lazyMessage(p, sampler, counter), {
    contentType: `multipart/related; type="text/xml"; start="<root@memory.example>"; boundary="${BOUNDARY}"`,
    cache,
    limits: { totalBytes: 2 * totalBytes + (1 << 26), parts: p.ids.length + 1 },
  });
  const ms = performance.now() - started;
  const rss = sampler.stop();
  let problem: string | null = null;
  if (received.attachments.length !== p.ids.length) problem = `${received.attachments.length} attachments, expected ${p.ids.length}`;
  for (let i = 0; problem === null && i < p.ids.length; i++) {
    const doc = received.attachments[i]!;
    const file = p.files[i]!;
    if (doc.size !== files[file]!.bytes.length || doc.xxh64 !== digests[file]) problem = `attachment ${i}: size ${doc.size}, xxh64 ${doc.xxh64}`;
  }
  await cache.close();
  return {
    mode: 'receive', messageBytes: counter.bytes, attachments: p.ids.length, ms, ...rss,
    rootId: received.rootDocument.properties.wss_root_document_id, verified: problem === null, problem,
  };
}

async function composeMode(dir: string, rootId: string): Promise<Record<string, unknown>> {
  const cache = new FileCache({ dir });
  const docs = await cache.list(rootId);
  const items = docs.map((d) => `<ns:document><ns:data href="cid:${String(d.properties.wss_attachment_content_id)}"/></ns:document>`).join('');
  const xml = '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns="urn:example:documents">' +
    `<soapenv:Body><ns:storeDocuments>${items}</ns:storeDocuments></soapenv:Body></soapenv:Envelope>`;
  let parts = 0;
  let bytes = 0;
  const sampler = new RssSampler();
  const started = performance.now();
  const composed = await compose({ xml, rootId, cache, mode: 'swa' });
  const parser = new MultipartParser({ boundary: composed.boundary, limits: { totalBytes: Number.MAX_SAFE_INTEGER, parts: docs.length + 1 } }, {
    onPartBegin: () => { parts++; },
  });
  // The discarding sink: checks the framing on the way, keeps nothing.
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      sampler.sample();
      try {
        parser.write(chunk);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
  await pipeline(composed.body, sink);
  parser.end();
  const ms = performance.now() - started;
  const rss = sampler.stop();
  await cache.close();
  const problem = bytes !== composed.contentLength ? `${bytes} bytes, Content-Length ${composed.contentLength}`
    : parts !== docs.length + 1 ? `${parts} parts, expected ${docs.length + 1}` : null;
  return { mode: 'compose', messageBytes: bytes, attachments: docs.length, ms, ...rss, verified: problem === null, problem };
}

async function main(): Promise<void> {
  const [mode, dir, arg] = process.argv.slice(2);
  if (dir === undefined || arg === undefined) throw new Error('usage: memory-child.js receive DIR BYTES | compose DIR ROOT_ID');
  const result = mode === 'receive' ? await receiveMode(dir, Number(arg)) : await composeMode(dir, arg);
  process.stdout.write(JSON.stringify(result) + '\n');
  if (!process.stdout.write('')) await once(process.stdout, 'drain');
}

main().catch((error: unknown) => {
  process.stderr.write(`memory child failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
