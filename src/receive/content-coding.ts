/**
 * HTTP content codings of a message body (RFC 9110 §8.4): `gzip` (and its
 * alias `x-gzip`) and `deflate` are undone before the MIME parser sees the
 * bytes; `identity` (or no Content-Encoding) passes the body through
 * untouched. Peers do compress requests: Axis2 with
 * `MC_GZIP_REQUEST`, CXF's GZIPFeature with `force`, .NET clients with a
 * compression message encoder. Anything else is refused with 415 before a
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

async function* inflated(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, coding: 'gzip' | 'deflate'): AsyncGenerator<Uint8Array> {
  // createUnzip takes both the gzip and the zlib (RFC 1950) wrapper: peers label them loosely.
  const unzip = zlib.createUnzip();
  const input = Readable.from(source, { objectMode: false });
  input.on('error', (error) => unzip.destroy(error));
  input.pipe(unzip);
  try {
    for await (const chunk of unzip) yield chunk as Buffer;
  } catch (error) {
    if (isXopError(error)) throw error;
    throw xopError(ErrorCodes.MIME_BAD_ENCODING,
      `the body does not decode as Content-Encoding ${coding}: ${(error as Error).message}`, { status: 400, cause: error });
  } finally {
    input.unpipe(unzip);
    input.destroy();
    unzip.destroy();
  }
}
