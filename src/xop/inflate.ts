/**
 * MTOM inflate (XOP 1.0 §3.2, "Interpreting XOP packages"): the original
 * infoset, each `xop:Include` replaced by the base64 of the part it names,
 * produced as a stream.
 *
 * Works on the byte ranges the scanner recorded: the envelope's bytes are
 * copied through as views, the content of each element holding an include
 * (the include and the whitespace around it) is replaced by the part's
 * bytes, base64-encoded as they are read. Attachments come from a callback,
 * so they can be read from memory, a file or the document cache; at most one
 * piece of one attachment is held at a time.
 *
 * @module
 */

import { ErrorCodes, xopError } from '../errors.js';
import { Base64Encoder, DEFAULT_BASE64_PIECE } from './base64.js';
import type { SoapScanResult, XopInclude } from './scanner.js';

/** Bytes of an attachment, in any of the shapes a reader may return. */
export type AttachmentBytes = Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** Reads an attachment's decoded bytes by Content-ID (as in {@link XopInclude.cid}). */
export type AttachmentReader = (cid: string, include: XopInclude) => AttachmentBytes | Promise<AttachmentBytes>;

/** Options of {@link inflate}. */
export interface InflateOptions {
  /** Where the attachments are read from. */
  attachment: AttachmentReader;
  /** `envelope` (default): the whole envelope; `rootDocument`: the root document only. */
  target?: 'envelope' | 'rootDocument';
  /**
   * Reads a byte range of the envelope (UTF-8 space) when the scan was made
   * with `retainEnvelope: false` and the bytes were spooled elsewhere.
   */
  envelope?: (start: number, end: number) => AttachmentBytes | Promise<AttachmentBytes>;
  /** Attachment bytes per base64 piece. Default 48 KiB. */
  pieceSize?: number;
}

type Step = { range: [number, number] } | { text: Buffer } | { include: XopInclude };

/** The steps that produce the target: envelope ranges, inserted text, includes. */
function planSteps(scan: SoapScanResult, target: 'envelope' | 'rootDocument'): Step[] {
  let pieces: ReadonlyArray<{ start: number; end: number } | { insert: string }>;
  if (target === 'envelope') {
    pieces = [{ start: 0, end: scan.size }];
  } else {
    if (scan.rootDocumentPlan === null) {
      throw xopError(ErrorCodes.BAD_ARGUMENT, 'inflate: the scan has no root document (empty Body)');
    }
    pieces = scan.rootDocumentPlan.pieces;
  }
  const includes = [...scan.includes].sort((a, b) => a.contentStart - b.contentStart);
  const steps: Step[] = [];
  for (const piece of pieces) {
    if ('insert' in piece) {
      steps.push({ text: Buffer.from(piece.insert, 'utf8') });
      continue;
    }
    let at = piece.start;
    for (const include of includes) {
      if (include.contentStart < piece.start || include.contentEnd > piece.end) continue;
      if (include.contentStart > at) steps.push({ range: [at, include.contentStart] });
      steps.push({ include });
      at = include.contentEnd;
    }
    if (piece.end > at) steps.push({ range: [at, piece.end] });
  }
  return steps;
}

async function* iterate(bytes: AttachmentBytes | Promise<AttachmentBytes>): AsyncGenerator<Uint8Array, void, undefined> {
  const value = await bytes;
  if (value instanceof Uint8Array) {
    yield value;
    return;
  }
  if (value === null || typeof value !== 'object') {
    throw xopError(ErrorCodes.BAD_ARGUMENT, 'inflate: an attachment reader returned neither bytes nor an iterable');
  }
  for await (const chunk of value as AsyncIterable<Uint8Array>) {
    if (!(chunk instanceof Uint8Array)) throw xopError(ErrorCodes.BAD_ARGUMENT, 'inflate: an attachment yielded a non-Uint8Array chunk');
    yield chunk;
  }
}

/**
 * Inflates an MTOM message: yields the envelope (or the root document) with
 * every `xop:Include` replaced by the base64 of its part.
 *
 * @example
 * const parts = new Map<string, Buffer>(...); // cid → bytes
 * for await (const piece of inflate(scan, { attachment: (cid) => parts.get(cid)! })) out.write(piece);
 * // or: stream.Readable.from(inflate(scan, options)).pipe(res)
 *
 * @throws XopError `ERR_BAD_ARGUMENT` when the envelope was not retained and
 *   no `envelope` reader is given; errors of the readers pass through.
 */
export async function* inflate(scan: SoapScanResult, options: InflateOptions): AsyncGenerator<Uint8Array, void, undefined> {
  const steps = planSteps(scan, options.target ?? 'envelope');
  const readRange = options.envelope;
  if (readRange === undefined && scan.envelopeSlice(0, 0) === null) {
    throw xopError(ErrorCodes.BAD_ARGUMENT, 'inflate: the scan did not retain the envelope; pass options.envelope');
  }
  for (const step of steps) {
    if ('range' in step) {
      const [start, end] = step.range;
      if (readRange === undefined) for (const view of scan.envelopeSlice(start, end)!) yield view;
      else yield* iterate(readRange(start, end));
    } else if ('text' in step) {
      yield step.text;
    } else {
      const encoder = new Base64Encoder(options.pieceSize ?? DEFAULT_BASE64_PIECE);
      for await (const chunk of iterate(options.attachment(step.include.cid, step.include))) {
        for (const piece of encoder.push(chunk)) yield piece;
      }
      const tail = encoder.end();
      if (tail.length > 0) yield tail;
    }
  }
}
