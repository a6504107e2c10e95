/**
 * Helpers for the send-side tests: read a composed body whole, parse a
 * composed message back with our own parser (optionally re-chunked), and a
 * cache pre-filled the way the receive pipeline fills it. Side-effect free:
 * imported by test files only.
 */

import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { compose, parseMultipart } from '../../src/index.js';
import { MemoryCache } from '../../src/cache/memory.js';

/** Reads a stream or async iterable of bytes into one Buffer (tests only: messages here are small). */
export async function readAll(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** One parsed part, bodies whole. */
export interface ParsedPart {
  index: number;
  contentId: string | null;
  contentType: string | null;
  contentTransferEncoding: string | null;
  isRoot: boolean;
  body: Buffer;
}

/** Parses a composed message with parseMultipart over the given chunks. */
export async function parseParts(chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, contentType: string): Promise<ParsedPart[]> {
  const out: ParsedPart[] = [];
  for await (const part of parseMultipart(chunks, contentType, { requireStart: true })) {
    const views: Buffer[] = [];
    // Copy: the next source chunk may reuse nothing here, but tests keep bodies after the parse.
    for await (const view of part.body) views.push(Buffer.from(view));
    out.push({
      index: part.index, contentId: part.contentId, contentType: part.contentType,
      contentTransferEncoding: part.contentTransferEncoding, isRoot: part.isRoot, body: Buffer.concat(views),
    });
  }
  return out;
}

/** sha256 of bytes, hex. */
export function sha256(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

/** Deterministic pseudo-random bytes (xorshift32), for attachments whose content does not matter. */
export function pseudoRandomBytes(length: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = seed | 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** One attachment to store: its content id (string or integer index), type and bytes. */
export interface StoredAttachment {
  contentId: string | number;
  contentType: string;
  bytes: Uint8Array;
}

/** A MemoryCache holding `attachments` under `rootId`, as the receive pipeline stores them. */
export async function cacheWith(rootId: string, attachments: readonly StoredAttachment[]): Promise<MemoryCache> {
  const cache = new MemoryCache();
  const writer = await cache.begin(rootId);
  let index = 1;
  for (const a of attachments) {
    await writer.put({
      properties: {
        wss_root_document_id: rootId,
        wss_attachment_content_id: a.contentId,
        wss_attachment_content_type: a.contentType,
      },
      index: index++,
      contentLocation: null,
      contentTransferEncoding: 'binary',
    }, [a.bytes]);
  }
  await writer.commit();
  return cache;
}

/** One attachment a test service answers with. */
export interface ServiceAttachment { contentId: string; contentType: string; bytes: Buffer }

/**
 * A loopback SOAP service for the interop tests: serves corpus/send-interop/
 * files.wsdl on GET, records every POST, and answers `download` with a
 * message composed by xopstream (mode and attachments set per test; the
 * answer's `data` holds an xop:Include of the first attachment for MTOM, or
 * `dataText` for SwA).
 */
export class FilesService {
  readonly received: Array<{ url: string; headers: http.IncomingHttpHeaders; body: Buffer }> = [];
  mode: 'swa' | 'mtom' = 'mtom';
  attachments: ServiceAttachment[] = [];
  /** Text of `data` in SwA answers (the swaRef, or base64 for peers that validate it). */
  dataText: (first: ServiceAttachment) => string = (first) => `cid:${first.contentId}`;
  base = '';
  #server: http.Server | null = null;

  constructor(private readonly wsdl: string) {}

  async start(): Promise<void> {
    this.#server = http.createServer((req, res) => {
      void (async () => {
        if (req.method === 'GET') {
          res.writeHead(200, { 'Content-Type': 'text/xml' });
          res.end(this.wsdl.replaceAll('__BASE__', this.base));
          return;
        }
        const body = await readAll(req);
        this.received.push({ url: req.url!, headers: req.headers, body });
        const soapVersion = req.url === '/soap12' ? '1.2' : '1.1';
        const first = this.attachments[0]!;
        const data = this.mode === 'mtom'
          ? `<xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:${first.contentId}"/>`
          : this.dataText(first);
        const answer = await compose({
          xml: `<f:downloadResponse xmlns:f="urn:example:files"><f:name>${first.contentId}</f:name><f:data>${data}</f:data></f:downloadResponse>`,
          mode: this.mode, soapVersion,
          attachments: this.attachments.map((a) => ({ contentId: a.contentId, contentType: a.contentType, body: a.bytes })),
        });
        res.writeHead(200, answer.headers);
        answer.body.pipe(res);
      })();
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (server === null) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
