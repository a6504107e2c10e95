/**
 * The `mime` fuzz target: parseMultipart over an input split into given
 * chunks, every body read to the end, the result summarised as an
 * {@link Outcome}. Also dicer as the reference parser for the differential
 * oracle.
 */

import { createRequire } from 'node:module';
import { isXopError, parseMultipart, type MultipartPart, type ParseMultipartOptions } from '../../../src/index.js';
import { BodyDigest, errorOutcome, type FuzzInput, type Outcome, type PartSummary } from '../input.js';

/** How the chunks are offered to parseMultipart (the result must not depend on it). */
export type SourceKind = 'iterable' | 'async' | 'web';

/** Builds the byte source of the chosen kind over `chunks`. */
export function makeSource(chunks: readonly Uint8Array[], kind: SourceKind): Iterable<Uint8Array> | AsyncIterable<Uint8Array> | ReadableStream<Uint8Array> {
  if (kind === 'iterable') return chunks;
  if (kind === 'async') {
    return (async function* () {
      for (const c of chunks) yield c;
    })();
  }
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]!);
      else controller.close();
    },
  });
}

/** Converts fuzz options into parseMultipart options. */
export function parseOptions(input: FuzzInput): ParseMultipartOptions {
  const o = input.options;
  const out: ParseMultipartOptions = {};
  if (o.allowMissingCloseDelimiter !== undefined) out.allowMissingCloseDelimiter = o.allowMissingCloseDelimiter;
  if (o.allowBareLfDelimiters !== undefined) out.allowBareLfDelimiters = o.allowBareLfDelimiters;
  if (o.decode !== undefined) out.decode = o.decode;
  if (o.requireStart !== undefined) out.requireStart = o.requireStart;
  if (o.immutableChunks !== undefined) out.immutableChunks = o.immutableChunks;
  if (o.limits !== undefined) out.limits = o.limits;
  return out;
}

/** Summarises one part, reading its body to the end. */
export async function summarisePart(part: MultipartPart): Promise<PartSummary> {
  const digest = new BodyDigest();
  for await (const view of part.body) digest.push(view);
  return {
    index: part.index,
    isRoot: part.isRoot,
    contentId: part.contentId,
    contentType: part.contentType,
    contentTransferEncoding: part.contentTransferEncoding,
    contentLocation: part.contentLocation,
    headers: [...part.headers.entries()],
    size: digest.size,
    sha256: digest.hex(),
  };
}

/** Runs parseMultipart over the chunks; never throws. */
export async function runMime(input: FuzzInput, chunks: readonly Uint8Array[], kind: SourceKind = 'iterable'): Promise<Outcome> {
  const parts: PartSummary[] = [];
  try {
    const parsed = parseMultipart(makeSource(chunks, kind), input.contentType, parseOptions(input));
    for await (const part of parsed) parts.push(await summarisePart(part));
    // isRoot of the first part can change at the end (start-not-found fallback): re-read it.
    if (parts.length > 0 && parsed.rootIndex !== null) {
      for (const p of parts) p.isRoot = p.index === parsed.rootIndex;
    }
    return { ok: true, parts, rootIndex: parsed.rootIndex, warnings: [...parsed.warnings] };
  } catch (error) {
    return errorOutcome(error, isXopError);
  }
}

// --- dicer, the reference ---------------------------------------------------------

interface DicerPart {
  headers: Record<string, string[]>;
  body: Buffer;
}

type DicerCtor = new (cfg: { boundary: string }) => NodeJS.WritableStream & {
  on(event: 'part', cb: (part: NodeJS.ReadableStream & { on(event: 'header', cb: (h: Record<string, string[]>) => void): unknown }) => void): unknown;
};

const require = createRequire(import.meta.url);
let dicerCtor: DicerCtor | null = null;

/**
 * Parses with dicer (raw bodies, no decoding). Resolves null when dicer
 * reports an error or does not finish; its parts otherwise.
 */
export function runDicer(bytes: Buffer, boundary: string): Promise<DicerPart[] | null> {
  dicerCtor ??= require('dicer') as DicerCtor;
  const Dicer = dicerCtor;
  return new Promise((resolve) => {
    const parts: DicerPart[] = [];
    let failed = false;
    let settled = false;
    const settle = (value: DicerPart[] | null): void => {
      if (settled) return;
      settled = true;
      resolve(value);
    };
    let d: InstanceType<DicerCtor>;
    try {
      d = new Dicer({ boundary });
    } catch {
      settle(null);
      return;
    }
    d.on('part', (p) => {
      const entry: DicerPart = { headers: {}, body: Buffer.alloc(0) };
      const bodies: Buffer[] = [];
      parts.push(entry);
      p.on('header', (h) => { entry.headers = h; });
      p.on('data', (c: Buffer) => { bodies.push(c); });
      p.on('end', () => { entry.body = Buffer.concat(bodies); });
      p.on('error', () => { failed = true; });
    });
    d.on('error', () => { failed = true; settle(null); });
    d.on('finish', () => {
      // Part 'end' events may still be queued: let them run first.
      setImmediate(() => settle(failed ? null : parts));
    });
    try {
      d.end(bytes);
    } catch (error) {
      // Not a bug of ours: dicer keeps a part's headers in a plain object, so a header named after an
      // Object.prototype member (`__proto__`, `constructor`) finds an inherited value, and its
      // HeaderParser throws "self.header[h].push is not a function" (TypeError) out of write()/end().
      // xopstream parses such headers as ordinary ones (corpus/proto-headers). dicer gives no answer
      // here, so there is nothing to compare: skip. Any other exception from dicer is still thrown
      // (the engine reports it), so that a new class does not go unnoticed.
      if (isDicerPrototypeHeaderCrash(error)) settle(null);
      else throw error;
    }
  });
}

/** dicer's crash on a header named after an Object.prototype member (see {@link runDicer}). */
export function isDicerPrototypeHeaderCrash(error: unknown): boolean {
  return error instanceof TypeError && /\bheader\[h\]\.push is not a function\b/.test(error.message);
}

/** dicer's parts as comparable summaries (header values latin1 as dicer gives them, trimmed). */
export function dicerSummary(parts: DicerPart[]): Array<{ headers: Array<[string, string]>; sha256: string; size: number }> {
  return parts.map((p) => {
    const digest = new BodyDigest();
    digest.push(p.body);
    const headers: Array<[string, string]> = [];
    for (const [name, values] of Object.entries(p.headers)) for (const v of values) headers.push([name, v.trim()]);
    return { headers: headers.sort(), size: digest.size, sha256: digest.hex() };
  });
}
