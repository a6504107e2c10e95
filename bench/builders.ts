/**
 * Message builders shared by the cases: framing a list of part bodies as a
 * multipart/related message, re-cutting a message into other chunk sizes,
 * and a seeded random generator (benchmarks must be reproducible).
 *
 * @module
 */

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ownCorpusDir, sharedBinaryFiles, sharedCorpusDir } from '../test/support/corpus.js';
import type { BenchMessage, BenchPart } from './messages.js';

/** One part to frame. */
export interface PartSpec {
  contentId: string;
  contentType: string;
  body: Uint8Array;
}

/** `message` cut into `chunkSize` pieces (subarrays: no copy). */
export function cut(message: Buffer, chunkSize: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < message.length; i += chunkSize) chunks.push(message.subarray(i, i + chunkSize));
  return chunks;
}

/** The same message fed in other chunks. */
export function rechunk(message: BenchMessage, chunkSize: number): BenchMessage {
  return { ...message, chunks: cut(message.message, chunkSize), chunkSize };
}

export function sha256(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

/**
 * Frames parts as multipart/related (CRLF line ends, binary transfer
 * encoding, the first part the root) and cuts the message into chunks.
 */
export function assembleMultipart(spec: {
  description: string;
  boundary: string;
  parts: PartSpec[];
  chunkSize: number;
  /** The root part's media type for the `type` parameter (default text/xml). */
  type?: string;
}): BenchMessage {
  const { boundary } = spec;
  const pieces: Buffer[] = [];
  const parts: BenchPart[] = [];
  for (const part of spec.parts) {
    pieces.push(Buffer.from(`\r\n--${boundary}\r\nContent-Type: ${part.contentType}\r\nContent-Transfer-Encoding: binary\r\n` +
      `Content-ID: <${part.contentId}>\r\n\r\n`, 'latin1'));
    pieces.push(Buffer.from(part.body.buffer, part.body.byteOffset, part.body.byteLength));
    parts.push({ contentId: part.contentId, size: part.body.length, sha256: sha256(part.body) });
  }
  pieces.push(Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1'));
  // The first delimiter needs no leading CRLF (RFC 2046 §5.1.1); Buffer.concat gives the message its own ArrayBuffer.
  const message = Buffer.concat(pieces).subarray(2);
  const rootId = spec.parts[0]!.contentId;
  return {
    description: spec.description,
    contentType: `multipart/related; type="${spec.type ?? 'text/xml'}"; start="<${rootId}>"; boundary="${boundary}"`,
    boundary,
    message,
    chunks: cut(message, spec.chunkSize),
    chunkSize: spec.chunkSize,
    parts,
  };
}

/** xorshift32: a small seeded generator (never Math.random in a benchmark input). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x100000000;
  };
}

/** One real attachment from the corpus. */
export interface CorpusFile {
  name: string;
  contentType: string;
  bytes: Buffer;
}

let corpusFiles: { files: CorpusFile[]; from: string } | undefined;

/**
 * The real PDFs and JPEGs of ../shared/corpus, interleaved in a stable order
 * (read once); without it, the project's corpus/ fixtures.
 */
export function corpusAttachments(): { files: CorpusFile[]; from: string } {
  if (corpusFiles !== undefined) return corpusFiles;
  if (sharedCorpusDir !== null) {
    const pdf = sharedBinaryFiles('pdf');
    const jpeg = sharedBinaryFiles('jpeg');
    const files: CorpusFile[] = [];
    const add = (file: string): void => {
      files.push({ name: path.basename(file), contentType: file.endsWith('.pdf') ? 'application/pdf' : 'image/jpeg', bytes: fs.readFileSync(file) });
    };
    for (let i = 0; i < Math.max(pdf.length, jpeg.length); i++) {
      if (i < pdf.length) add(pdf[i]!);
      if (i < jpeg.length) add(jpeg[i]!);
    }
    corpusFiles = { files, from: '../shared/corpus (pdf/, jpeg/)' };
  } else {
    // The fixtures are small: joined into one ~140 KB attachment, as bench/messages.ts does.
    const joined = Buffer.concat(fs.readdirSync(ownCorpusDir).sort()
      .map((d) => path.join(ownCorpusDir, d, 'message.bin'))
      .filter((f) => fs.existsSync(f))
      .map((f) => fs.readFileSync(f)));
    const files = joined.length === 0 ? [] : [{ name: 'corpus-fixtures.bin', contentType: 'application/octet-stream', bytes: joined }];
    corpusFiles = { files, from: 'corpus/ fixtures (../shared/corpus absent)' };
  }
  if (corpusFiles.files.length === 0) throw new Error('no attachment files found for the benchmark');
  return corpusFiles;
}
