/**
 * Helpers for the receive tests: the corpus/receive-* fixtures, messages
 * built around real files, caches that fail or stall on purpose, what a
 * FileCache directory holds, and a loopback HTTP client. Side-effect free:
 * imported by test files only.
 */

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { xxh64Hex } from '../../src/cache/digest.js';
import { MemoryCache } from '../../src/cache/memory.js';
import { isXopError, receive, type ReceivedMessage } from '../../src/index.js';
import type {
  AttachmentBody, AttachmentDocument, AttachmentMeta, CacheWriter, DocumentCache,
} from '../../src/cache/types.js';
import type { Readable } from 'node:stream';
import { CHUNKINGS, ownCorpusDir } from './corpus.js';

export const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
export const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';
export const XOP = 'http://www.w3.org/2004/08/xop/include';

export function sha256(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

/** A receive fixture (see corpus/receive-generate.mjs for the format). */
export interface ReceiveCase {
  name: string;
  message: Buffer;
  description: string;
  contentType: string;
  options: { strict?: boolean; limits?: Record<string, number>; allowMissingCloseDelimiter?: boolean };
  result?: {
    soap: { version: string | null; bodyElement: string | null; headerBlocks: string[] };
    rootXml: string;
    attachments: Array<{
      properties: { wss_attachment_content_id: string | number; wss_attachment_content_type: string };
      index: number; size: number; sha256: string; contentLocation: string | null; contentTransferEncoding: string | null;
      referencedBy: Array<{ element: string; path: string; kind: string }>;
    }>;
    xopIncludes: Array<{ cid: string; part: number; contentId: string | number }>;
    warnings: string[];
  };
  error?: { code: string };
}

/** Every corpus/receive-* fixture. */
export function receiveCases(): ReceiveCase[] {
  return fs.readdirSync(ownCorpusDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name.startsWith('receive-'))
    .map((e) => {
      const dir = path.join(ownCorpusDir, e.name);
      const expected = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as Omit<ReceiveCase, 'name' | 'message'>;
      return { name: e.name, message: fs.readFileSync(path.join(dir, 'message.bin')), ...expected };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Reads a Readable whole (tests only). */
export async function readAll(stream: Readable | AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** A fresh temporary directory. */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `xopstream-${prefix}-`));
}

/** What a FileCache directory holds: root directories and entries under `.tmp` (staging, trash). */
export function fileCacheState(dir: string): { roots: string[]; temporary: string[] } {
  if (!fs.existsSync(dir)) return { roots: [], temporary: [] };
  const roots = fs.readdirSync(dir).filter((n) => n !== '.tmp');
  const tmp = path.join(dir, '.tmp');
  const temporary = fs.existsSync(tmp) ? fs.readdirSync(tmp) : [];
  return { roots, temporary };
}

// --- messages around real files -------------------------------------------------

/** One attachment of a built message. */
export interface BuiltAttachment {
  /** Content-ID without brackets; null: no Content-ID header. */
  contentId: string | null;
  contentType: string;
  body: Buffer;
  /** `base64` sends it base64-encoded (76-character lines). Default binary. */
  encoding?: 'binary' | 'base64';
}

/** A message and what its receiver must store. */
export interface BuiltMessage {
  body: Buffer;
  contentType: string;
  version: '1.1' | '1.2';
  payload: string;
  attachments: BuiltAttachment[];
}

/**
 * A SwA (swaRef elements) or MTOM (xop:Include elements) message carrying
 * `attachments`, SOAP `version`, root first.
 */
export function buildMessage(mode: 'swa' | 'mtom', version: '1.1' | '1.2', attachments: BuiltAttachment[],
  boundary = `----=_Part_${crypto.randomBytes(6).toString('hex')}`): BuiltMessage {
  const ns = version === '1.1' ? SOAP11 : SOAP12;
  const soapType = version === '1.1' ? 'text/xml' : 'application/soap+xml';
  const refs = attachments.map((a, i) => {
    if (a.contentId === null) return `<m:file n="${i}"/>`;
    return mode === 'mtom'
      ? `<m:file n="${i}"><xop:Include href="cid:${encodeURIComponent(a.contentId).replace(/%40/g, '@')}"/></m:file>`
      : `<m:file n="${i}">cid:${a.contentId}</m:file>`;
  }).join('');
  const payload = `<m:store xmlns:m="urn:store"${mode === 'mtom' ? ` xmlns:xop="${XOP}"` : ''}>${refs}</m:store>`;
  const envelope = `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="${ns}"><s:Body>${payload}</s:Body></s:Envelope>`;
  const rootType = mode === 'mtom' ? `application/xop+xml; charset=UTF-8; type="${soapType}"` : `${soapType}; charset=UTF-8`;
  const chunks: Buffer[] = [Buffer.from(
    `--${boundary}\r\nContent-Type: ${rootType}\r\nContent-Transfer-Encoding: 8bit\r\nContent-ID: <root.message@test>\r\n\r\n${envelope}\r\n`)];
  for (const a of attachments) {
    const encoding = a.encoding ?? 'binary';
    const head = [`Content-Type: ${a.contentType}`, `Content-Transfer-Encoding: ${encoding}`];
    if (a.contentId !== null) head.push(`Content-ID: <${a.contentId}>`);
    chunks.push(Buffer.from(`--${boundary}\r\n${head.join('\r\n')}\r\n\r\n`));
    chunks.push(encoding === 'base64' ? Buffer.from(a.body.toString('base64').replace(/(.{76})/g, '$1\r\n')) : a.body);
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  const contentType = mode === 'mtom'
    ? `multipart/related; type="application/xop+xml"; start="<root.message@test>"; start-info="${soapType}"; boundary="${boundary}"`
    : `multipart/related; type="${soapType}"; start="<root.message@test>"; boundary="${boundary}"`;
  return { body: Buffer.concat(chunks), contentType, version, payload, attachments };
}

// --- caches that misbehave on purpose ---------------------------------------------

/** A MemoryCache whose sink fails (a plain Error, like ENOSPC) once `failAfter` bytes were accepted. */
export class FailingMemoryCache extends MemoryCache {
  accepted = 0;
  constructor(readonly failAfter: number) {
    super();
  }

  override reserve(n: number): void {
    if (this.accepted + n > this.failAfter) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    this.accepted += n;
    super.reserve(n);
  }
}

/**
 * A cache in front of another whose writers pull attachment bytes only while
 * the gate is open: a slow sink. `consumed` counts the bytes let through.
 */
export class GatedCache implements DocumentCache {
  consumed = 0;
  #open = true;
  #waiters: Array<() => void> = [];
  /** Closes the gate once this many bytes went through (Infinity: never). */
  closeAfter = Infinity;
  /** Resolves when the gate closes by itself. */
  readonly stalled: Promise<void>;
  #onStall!: () => void;

  constructor(readonly inner: DocumentCache) {
    this.stalled = new Promise((resolve) => { this.#onStall = resolve; });
  }

  /** Opens the gate for good. */
  release(): void {
    this.#open = true;
    this.closeAfter = Infinity;
    for (const wake of this.#waiters.splice(0)) wake();
  }

  async #gate(): Promise<void> {
    if (this.consumed >= this.closeAfter && this.#open) {
      this.#open = false;
      this.#onStall();
    }
    while (!this.#open) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  gated(body: AttachmentBody): AsyncIterable<Uint8Array> {
    const self = this;
    return (async function* () {
      for await (const view of body as AsyncIterable<Uint8Array>) {
        await self.#gate();
        self.consumed += view.length;
        yield view;
      }
    })();
  }

  async begin(rootId: string): Promise<CacheWriter> {
    const writer = await this.inner.begin(rootId);
    return {
      rootId: writer.rootId,
      put: (meta: AttachmentMeta, body: AttachmentBody) => writer.put(meta, this.gated(body)),
      commit: () => writer.commit(),
      abort: () => writer.abort(),
    };
  }

  put(meta: AttachmentMeta, body: AttachmentBody): Promise<AttachmentDocument> { return this.inner.put(meta, body); }
  list(rootId: string): Promise<AttachmentDocument[]> { return this.inner.list(rootId); }
  open(rootId: string, contentId: string | number): Promise<Readable> { return this.inner.open(rootId, contentId); }
  delete(rootId: string): Promise<boolean> { return this.inner.delete(rootId); }
  sweep(now?: number): Promise<number> { return this.inner.sweep(now); }
  close(): Promise<void> { return this.inner.close(); }
}

// --- loopback HTTP --------------------------------------------------------------

/** A server on 127.0.0.1 with a random port; `settled` collects the handler's promises. */
export interface TestServer {
  url: string;
  server: http.Server;
  settled: Array<Promise<void>>;
  /** Waits for every handler promise so far. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export async function listen(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>,
  server: http.Server = http.createServer(),
): Promise<TestServer> {
  const settled: Array<Promise<void>> = [];
  server.on('request', (req, res) => { settled.push(handler(req, res)); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    server,
    settled,
    async idle() {
      await Promise.all(settled);
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A response as the tests look at it. */
export interface TestResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** POSTs `body` (whole, or in `chunkSize` writes honouring backpressure). */
export function post(url: string, body: Buffer, contentType: string | null,
  options: { chunkSize?: number; headers?: Record<string, string>; method?: string } = {}): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (contentType !== null) headers['content-type'] = contentType;
    const req = http.request(url, { method: options.method ?? 'POST', headers, agent: false });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    const size = options.chunkSize ?? body.length;
    let at = 0;
    const pump = (): void => {
      while (at < body.length) {
        const end = Math.min(body.length, at + Math.max(1, size));
        const more = req.write(body.subarray(at, end));
        at = end;
        if (!more) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

/** The attribute values of the receiver's default answer. */
export function receivedSummary(body: Buffer): { rootDocumentId: string | null; contentIds: string[]; envelopeNs: string | null } {
  const text = body.toString('utf8');
  const rootDocumentId = /rootDocumentId="([^"]*)"/.exec(text)?.[1] ?? null;
  const contentIds = [...text.matchAll(/<x:attachment contentId="([^"]*)"/g)].map((m) => m[1]!);
  const envelopeNs = /<soap:Envelope xmlns:soap="([^"]*)"/.exec(text)?.[1] ?? null;
  return { rootDocumentId, contentIds, envelopeNs };
}

/** The fault code (1.1 faultcode or 1.2 Code/Value) and detail code of a fault answer. */
export function faultSummary(body: Buffer): { faultCode: string | null; code: string | null } {
  const text = body.toString('utf8');
  const faultCode = /<faultcode>([^<]*)<\/faultcode>/.exec(text)?.[1] ?? /<soap:Value>([^<]*)<\/soap:Value>/.exec(text)?.[1] ?? null;
  const code = /<x:error [^>]*code="([^"]*)"/.exec(text)?.[1] ?? null;
  return { faultCode, code };
}

/** Checks a received message against a fixture's expectations (root, SOAP summary, documents, stored bytes, includes, warnings). */
export async function checkReceived(c: ReceiveCase, message: ReceivedMessage, cache: DocumentCache, rootId: string): Promise<void> {
  const expected = c.result!;
  assert.deepEqual(message.rootDocument.properties, { wss_root_document_id: rootId });
  assert.deepEqual({ ...message.soap, headerBlocks: [...message.soap.headerBlocks] }, expected.soap);
  assert.equal(message.rootDocument.xml.toString('utf8'), expected.rootXml);
  const shape = message.attachments.map((d) => ({
    properties: d.properties, index: d.index, size: d.size, contentLocation: d.contentLocation,
    contentTransferEncoding: d.contentTransferEncoding, referencedBy: d.referencedBy,
  }));
  assert.deepEqual(shape, expected.attachments.map((a) => ({
    properties: { wss_root_document_id: rootId, ...a.properties }, index: a.index, size: a.size,
    contentLocation: a.contentLocation, contentTransferEncoding: a.contentTransferEncoding, referencedBy: a.referencedBy,
  })));
  assert.deepEqual(await cache.list(rootId), message.attachments);
  for (const [i, doc] of message.attachments.entries()) {
    const bytes = await readAll(await cache.open(rootId, doc.properties.wss_attachment_content_id));
    assert.equal(sha256(bytes), expected.attachments[i]!.sha256, `bytes of attachment ${i}`);
    assert.equal(doc.xxh64, await xxh64Hex(bytes));
  }
  assert.deepEqual(message.xopIncludes.map((x) => ({ cid: x.cid, part: x.part, contentId: x.contentId })), expected.xopIncludes);
  assert.equal(message.warnings.length, expected.warnings.length, `warnings: ${JSON.stringify(message.warnings)}`);
  for (const w of expected.warnings) {
    assert.ok(message.warnings.some((m) => m.includes(w)), `a warning says ${JSON.stringify(w)}: ${JSON.stringify(message.warnings)}`);
  }
}

/** The fixtures `corpus/<prefix>*`: each directory's message.bin with its expected.json, sorted by name. */
export function receiveCasesNamed<T extends ReceiveCase>(prefix: string): T[] {
  return fs.readdirSync(ownCorpusDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name.startsWith(prefix))
    .map((e) => {
      const dir = path.join(ownCorpusDir, e.name);
      const expected = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as Omit<T, 'name' | 'message'>;
      return { name: e.name, message: fs.readFileSync(path.join(dir, 'message.bin')), ...expected } as T;
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * receive() of a message (a root part and one attachment) whose root breaks
 * the Envelope's structure, under every chunking: lenient, each of
 * `warnings` reaches the message and the attachment is stored; strict,
 * ERR_SOAP_NOT_ENVELOPE for part 0 (at `offset` when given), with nothing
 * staged or stored.
 */
export async function expectReceiveStructureVerdict(message: Buffer, contentType: string, warnings: readonly string[],
  offset?: number): Promise<void> {
  for (const { name, split } of CHUNKINGS) {
    const received = await receive(split(message), { contentType, cache: new MemoryCache() });
    for (const warning of warnings) {
      assert.ok(received.warnings.includes(warning), `${name}: ${warning} not in ${JSON.stringify(received.warnings)}`);
    }
    assert.equal(received.attachments.length, 1, name);

    const strictCache = new MemoryCache();
    const rootId = crypto.randomUUID();
    await assert.rejects(receive(split(message), { contentType, cache: strictCache, strict: true, rootId }), (error: unknown) => {
      assert.ok(isXopError(error), String(error));
      assert.equal(error.code, 'ERR_SOAP_NOT_ENVELOPE', `${name}: ${error.message}`);
      if (offset !== undefined) assert.equal(error.offset, offset, name);
      assert.equal(error.details.part, 0, name);
      return true;
    });
    assert.equal(strictCache.usedBytes, 0, `${name}: nothing staged or stored`);
    assert.deepEqual(await strictCache.list(rootId), [], name);
  }
}
