/**
 * Runs a message through the parser's two faces and reduces the outcome to
 * plain data (part headers, sizes, sha256 of each body, error code and
 * offset), so that tests can compare chunkings, APIs and parsers with one
 * deepEqual. Side-effect free: imported by test files only.
 */

import crypto from 'node:crypto';
import { MultipartParser, isXopError, parseMultipart } from '../../src/index.js';
import type { MultipartParserOptions, ParseMultipartOptions } from '../../src/index.js';

/** One part as a test compares it. */
export interface CollectedPart {
  index: number;
  contentId: string | null;
  contentType: string | null;
  contentTransferEncoding: string | null;
  headers: Array<[string, string]>;
  size: number;
  sha256: string;
  isRoot: boolean;
}

/** The outcome of one parse. */
export interface Collected {
  parts: CollectedPart[];
  root: number | null;
  warnings: number;
  error: { code: string; offset: number | null } | null;
}

/** sha256 over a list of views, as hex. */
export function sha256Of(views: Iterable<Uint8Array>): { size: number; sha256: string } {
  const hash = crypto.createHash('sha256');
  let size = 0;
  for (const view of views) {
    hash.update(view);
    size += view.length;
  }
  return { size, sha256: hash.digest('hex') };
}

/** XopErrors become data; anything else is rethrown (a crash the test must report). */
export function errorData(error: unknown): { code: string; offset: number | null } {
  if (!isXopError(error)) throw error;
  return { code: error.code, offset: error.offset ?? null };
}

/**
 * How parseMultipart is fed: the array itself (its chunks are taken without a
 * promise each) or an async generator over it (one await per chunk): the two
 * paths of its pump.
 */
export type Feed = 'array' | 'async-generator';

/** The same chunks from an async generator. */
async function* generated(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

/** Parses `chunks` with parseMultipart, reading every body. */
export async function collectStream(
  chunks: readonly Uint8Array[],
  contentType: string,
  options: ParseMultipartOptions = {},
  feed: Feed = 'array',
): Promise<Collected> {
  const parts: CollectedPart[] = [];
  const live: Array<{ isRoot: boolean }> = [];
  let error: Collected['error'] = null;
  let parsed: ReturnType<typeof parseMultipart> | null = null;
  try {
    parsed = parseMultipart(feed === 'array' ? chunks : generated(chunks), contentType, options);
    for await (const part of parsed) {
      const views: Uint8Array[] = [];
      // Copy: views may be decoder output reused by nothing, but the test keeps them past the loop.
      for await (const view of part.body) views.push(Uint8Array.from(view));
      live.push(part);
      parts.push({
        index: part.index, contentId: part.contentId, contentType: part.contentType,
        contentTransferEncoding: part.contentTransferEncoding, headers: [...part.headers.entries()],
        ...sha256Of(views), isRoot: false,
      });
    }
  } catch (caught) {
    error = errorData(caught);
  }
  // isRoot is final only once the message has ended (the start-not-found fallback).
  parts.forEach((p, i) => { p.isRoot = live[i]!.isRoot; });
  return { parts, root: parsed?.rootIndex ?? null, warnings: parsed?.warnings.length ?? 0, error };
}

/** One part as the push parser reports it (raw bytes, no decoding). */
export interface PushPart {
  headers: Array<[string, string]>;
  size: number;
  sha256: string;
}

/** Parses `chunks` with MultipartParser. */
export function collectPush(
  chunks: readonly Uint8Array[],
  options: MultipartParserOptions,
): { parts: PushPart[]; error: { code: string; offset: number | null } | null } {
  const parts: PushPart[] = [];
  let views: Uint8Array[] = [];
  let headers: Array<[string, string]> = [];
  let open = false;
  let error: { code: string; offset: number | null } | null = null;
  try {
    const parser = new MultipartParser(options, {
      onPartBegin(h) {
        if (open) throw new Error('onPartBegin inside a part');
        open = true;
        headers = [...h.entries()];
        views = [];
      },
      onPartData(view) {
        if (!open) throw new Error('onPartData outside a part');
        if (view.length === 0) throw new Error('empty view');
        views.push(Uint8Array.from(view)); // Copy: kept past the chunk for hashing.
      },
      onPartEnd() {
        if (!open) throw new Error('onPartEnd outside a part');
        open = false;
        parts.push({ headers, ...sha256Of(views) });
      },
    });
    for (const c of chunks) parser.write(c);
    parser.end();
  } catch (caught) {
    error = errorData(caught);
  }
  return { parts, error };
}

/** Splits `bytes` in two at `at`. */
export function splitAt(bytes: Uint8Array, at: number): Uint8Array[] {
  return [bytes.subarray(0, at), bytes.subarray(at)];
}
