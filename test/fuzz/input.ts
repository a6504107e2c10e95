/**
 * What the fuzzer feeds a target: the bytes of a message, the Content-Type
 * it arrives with, and the parser options it is parsed under. Also the
 * outcome a target reports and how two outcomes compare.
 */

import { createHash } from 'node:crypto';

/** Options a fuzz input is parsed with (a subset of ParseMultipartOptions, JSON-safe). */
export interface FuzzOptions {
  allowMissingCloseDelimiter?: boolean;
  /** LF "--" boundary is a delimiter in CRLF-framed messages too (mimepull framing). */
  allowBareLfDelimiters?: boolean;
  decode?: boolean;
  requireStart?: boolean;
  /**
   * parseMultipart's immutableChunks (mime and xop targets): held-back bytes go
   * out as views of earlier chunks instead of copies. A whole-input run holds
   * nothing back across chunks, so the chunking oracle compares this path with
   * the copying one.
   */
  immutableChunks?: boolean;
  limits?: Record<string, number>;
}

/** One fuzz input. */
export interface FuzzInput {
  contentType: string;
  bytes: Buffer;
  options: FuzzOptions;
}

/** One part as an outcome records it. */
export interface PartSummary {
  index: number;
  isRoot: boolean;
  contentId: string | null;
  contentType: string | null;
  contentTransferEncoding: string | null;
  contentLocation: string | null;
  headers: Array<[string, string]>;
  /** Bytes of the body as the target yields it (decoded unless decode: false). */
  size: number;
  sha256: string;
}

/** What a target did with an input. */
export type Outcome =
  | {
      ok: true;
      parts: PartSummary[];
      rootIndex: number | null;
      warnings: string[];
      /** Target-specific facts (SOAP version, xop:Include list, cached documents...). */
      extra?: unknown;
    }
  | {
      ok: false;
      /** True when the error is an XopError (the only acceptable kind). */
      xop: boolean;
      code: string;
      message: string;
      offset?: number;
      /** Constructor name and stack, for non-XopError exceptions. */
      name?: string;
      stack?: string;
    };

/** The part of an outcome that must not depend on chunking or source kind. */
export function outcomeKey(outcome: Outcome): string {
  if (outcome.ok) {
    return JSON.stringify({ parts: outcome.parts, rootIndex: outcome.rootIndex, warnings: outcome.warnings, extra: outcome.extra });
  }
  return JSON.stringify({ error: outcome.xop ? outcome.code : `${outcome.name}: ${outcome.message}` });
}

/** A short human-readable description of an outcome. */
export function describeOutcome(outcome: Outcome): string {
  if (outcome.ok) return `ok, ${outcome.parts.length} part(s), root ${outcome.rootIndex}`;
  return outcome.xop ? `${outcome.code}` : `non-XopError ${outcome.name}: ${outcome.message}`;
}

/** Turns anything thrown into an outcome. */
export function errorOutcome(error: unknown, isXopError: (e: unknown) => boolean): Outcome {
  if (isXopError(error)) {
    const e = error as { code: string; message: string; offset?: number };
    return { ok: false, xop: true, code: e.code, message: e.message, ...(e.offset === undefined ? {} : { offset: e.offset }) };
  }
  const e = error instanceof Error ? error : new Error(String(error));
  return { ok: false, xop: false, code: 'NOT_AN_XOP_ERROR', message: e.message, name: e.constructor?.name ?? 'Error', stack: e.stack ?? '' };
}

/** Incremental sha256 + size of a stream of views. */
export class BodyDigest {
  readonly #hash = createHash('sha256');
  size = 0;
  push(view: Uint8Array): void {
    this.#hash.update(view);
    this.size += view.length;
  }
  hex(): string {
    return this.#hash.digest('hex');
  }
}

/** Serialises an input for a worker/watchdog hand-off or a crash file: [u32 json length][json][bytes]. */
export function encodeInput(input: FuzzInput): Buffer {
  const json = Buffer.from(JSON.stringify({ contentType: input.contentType, options: input.options }), 'utf8');
  const head = Buffer.alloc(4);
  head.writeUInt32LE(json.length, 0);
  return Buffer.concat([head, json, input.bytes]);
}

/** Inverse of {@link encodeInput}. */
export function decodeInput(buf: Buffer): FuzzInput {
  const jsonLength = buf.readUInt32LE(0);
  const meta = JSON.parse(buf.subarray(4, 4 + jsonLength).toString('utf8')) as { contentType: string; options: FuzzOptions };
  return { contentType: meta.contentType, options: meta.options, bytes: Buffer.from(buf.subarray(4 + jsonLength)) };
}
