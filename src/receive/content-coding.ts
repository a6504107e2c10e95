/**
 * HTTP content codings of a message body (RFC 9110 §8.4): `gzip` (and its
 * alias `x-gzip`) and `deflate` are undone before the MIME parser sees the
 * bytes; `identity` (or no Content-Encoding) passes the body through
 * untouched. Peers do compress requests: Axis2 with
 * `MC_GZIP_REQUEST`, CXF's GZIPFeature with `force`, .NET clients with a
 * compression message encoder (whose "deflate" is raw RFC 1951 data, without
 * the zlib wrapper RFC 9110 names: both forms are taken, told apart by the
 * first two bytes). Anything else is refused with 415 before a
 * byte is read (RFC 9110 §15.5.16: a content coding the server does not
 * accept), rather than fed to the parser as if it were MIME.
 *
 * The inflated bytes are zlib's own fresh buffers, and the limits of the
 * MIME and XML layers count them: a compression bomb stops at
 * `limits.totalBytes` like any other large message. Backpressure holds: the
 * compressed source is read only as fast as the inflated bytes are taken.
 *
 * @module
 */

import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { ErrorCodes, isXopError, xopError } from '../errors.js';

/** A content coding the receiver undoes. */
export type ContentCoding = 'identity' | 'gzip' | 'deflate';

/** The codings {@link contentCodingOf} accepts, as an `Accept-Encoding` value would list them. */
export const ACCEPTED_CONTENT_CODINGS = 'gzip, deflate, identity';

/**
 * The content coding a Content-Encoding header value names.
 *
 * @throws XopError `ERR_MIME_UNSUPPORTED_MEDIA_TYPE` (status 415) for any
 *   other coding, or for more than one coding applied in turn.
 */
export function contentCodingOf(header: string | undefined | null): ContentCoding {
  if (header === undefined || header === null) return 'identity';
  // A list of codings in the order they were applied; "identity" entries change nothing.
  const codings = header.split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '' && c !== 'identity');
  if (codings.length === 0) return 'identity';
  if (codings.length === 1) {
    const [coding] = codings;
    if (coding === 'gzip' || coding === 'x-gzip') return 'gzip';
    if (coding === 'deflate') return 'deflate';
  }
  throw xopError(ErrorCodes.MIME_UNSUPPORTED_MEDIA_TYPE,
    `Content-Encoding ${JSON.stringify(header)} is not supported (accepted: ${ACCEPTED_CONTENT_CODINGS})`,
    { status: 415, acceptEncoding: ACCEPTED_CONTENT_CODINGS });
}

/**
 * The body with its content coding undone: `source` itself for identity,
 * else its inflated bytes. A body that does not inflate is
 * `ERR_MIME_BAD_ENCODING` (status 400); errors of the source itself (a
 * timeout, an abort) pass through unchanged.
 */
export function decodedBody<S extends AsyncIterable<Uint8Array> | Iterable<Uint8Array>>(source: S, coding: ContentCoding): S | AsyncIterable<Uint8Array> {
  if (coding === 'identity') return source; // the same object: a synchronous source keeps its fast path
  return inflated(source, coding);
}

/**
 * The wrapper a compressed body starts with: gzip (RFC 1952), zlib (RFC 1950,
 * what RFC 9110 calls deflate) or none, raw deflate (RFC 1951), which .NET's
 * DeflateStream and old Microsoft servers send as "deflate".
 */
export function deflateWrapperOf(head: Uint8Array): 'gzip' | 'zlib' | 'raw' {
  const b0 = head[0];
  const b1 = head[1];
  if (b0 === undefined || b1 === undefined) return 'zlib'; // too short for any stream: let zlib say so
  if (b0 === 0x1f && b1 === 0x8b) return 'gzip';
  // RFC 1950 §2.2: CM 8 (deflate), CINFO at most 7, and CMF·256 + FLG a multiple of 31.
  if ((b0 & 0x0f) === 8 && b0 >> 4 <= 7 && ((b0 << 8) | b1) % 31 === 0) return 'zlib';
  return 'raw';
}

/**
 * The body's first `count` bytes (fewer at its end), read and put back; an
 * empty buffer when the body is empty (then the input has ended and cannot be piped).
 */
function peek(input: Readable, count: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const done = (head: Buffer | null): void => {
      input.off('readable', onReadable);
      input.off('end', onEnd);
      input.off('error', onError);
      const bytes = head ?? Buffer.alloc(0);
      if (bytes.length > 0) input.unshift(bytes);
      resolve(bytes);
    };
    // At the end of the input, read(count) gives what is left, however short.
    const onReadable = (): void => {
      const head = input.read(count) as Buffer | null;
      if (head !== null) done(head);
    };
    const onEnd = (): void => done(null);
    const onError = (error: unknown): void => {
      input.off('readable', onReadable);
      input.off('end', onEnd);
      reject(error);
    };
    input.on('readable', onReadable);
    input.once('end', onEnd);
    input.once('error', onError);
  });
}

async function* inflated(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, coding: 'gzip' | 'deflate'): AsyncGenerator<Uint8Array> {
  const input = Readable.from(source, { objectMode: false });
  let decoder: zlib.Unzip | zlib.InflateRaw | null = null;
  try {
    // createUnzip takes the gzip and the zlib wrapper, which peers label loosely; a "deflate" body
    // without either is raw deflate (Microsoft's reading of the name).
    const head = await peek(input, 2);
    decoder = coding === 'deflate' && deflateWrapperOf(head) === 'raw' ? zlib.createInflateRaw() : zlib.createUnzip();
    const inflate = decoder;
    if (head.length === 0) {
      inflate.end(); // an empty body: nothing to pipe (the input has ended); zlib reports the missing stream
    } else {
      input.on('error', (error) => inflate.destroy(error));
      input.pipe(inflate);
    }
    for await (const chunk of inflate) yield chunk as Buffer;
  } catch (error) {
    if (isXopError(error)) throw error;
    throw xopError(ErrorCodes.MIME_BAD_ENCODING,
      `the body does not decode as Content-Encoding ${coding}: ${(error as Error).message}`, { status: 400, cause: error });
  } finally {
    if (decoder !== null) {
      input.unpipe(decoder);
      decoder.destroy();
    }
    input.destroy();
  }
}

/**
 * A whole compressed body inflated at once, to at most `maxBytes` (an error
 * answer read into memory); throws when it does not inflate or is larger.
 */
export function inflateSync(bytes: Uint8Array, coding: ContentCoding, maxBytes: number): Buffer {
  if (coding === 'identity') return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const options = { maxOutputLength: Math.max(1, maxBytes) };
  return coding === 'deflate' && deflateWrapperOf(bytes) === 'raw' ? zlib.inflateRawSync(bytes, options) : zlib.unzipSync(bytes, options);
}
