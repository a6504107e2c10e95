/**
 * Reading the answer to a sent message with the receive machinery: plain
 * SOAP, SOAP with attachments (older platforms drop these; here they are
 * stored in a document cache, like any received message's), a SOAP Fault (a
 * typed {@link SoapFaultError}) or an HTTP error without SOAP (a typed
 * `ERR_HTTP_STATUS` keeping the start of the body).
 *
 * {@link parseSoapResponse} is the one function the client calls to parse an
 * answer: 2xx answers go through `receive()` (the root document, its
 * `wss_root_document_id`, the attachment documents), other statuses are read
 * bounded and checked for a Fault.
 *
 * @module
 */

import { randomUUID } from 'node:crypto';
import type { DocumentCache } from '../cache/types.js';
import { MemoryCache } from '../cache/memory.js';
import { ErrorCodes, xopError } from '../errors.js';
import { isXmlMediaType, parseContentType } from '../mime/content-type.js';
import { parseMultipart, type MultipartPart } from '../mime/stream.js';
import { contentCodingOf, inflateSync } from '../receive/content-coding.js';
import { receive, type ReceiveLimits, type ReceivedMessage } from '../receive/receive.js';
import { namespaceOfSoapVersion, clarkName } from '../xop/names.js';
import { readResponseEnvelope, type SoapFault } from './fault.js';

/** The HTTP response as the parser needs it. */
export interface HttpResponseLike {
  status: number;
  statusText?: string;
  headers: Record<string, string | string[] | undefined>;
  body: AsyncIterable<Uint8Array>;
}

/**
 * A parsed answer: the received message (root document, attachment
 * documents, SOAP facts — exactly what `receive()` gives) plus the HTTP facts
 * and the cache that holds the attachments.
 */
export interface SoapResponse extends ReceivedMessage {
  status: number;
  statusText: string;
  headers: Record<string, string | string[] | undefined>;
  contentType: string | null;
  /** The cache the attachments are in: the one given, or a private MemoryCache. */
  cache: DocumentCache;
}

/** Options of {@link parseSoapResponse}. */
export interface ResponseOptions {
  /** Limits of the answer (MIME framing and the XML pass); see `ReceiveLimits`. */
  limits?: ReceiveLimits;
  /**
   * Store the answer's attachments here, under the answer's own root id.
   * Default: a private {@link MemoryCache} of `maxBufferedBytes`, returned as
   * `response.cache`.
   */
  cache?: DocumentCache;
  /** Byte cap of the private MemoryCache (when no cache is given). Default 64 MiB. */
  maxBufferedBytes?: number;
  /** Most bytes of an error body kept on an `ERR_HTTP_STATUS` error. Default 64 KiB. */
  maxErrorBodyBytes?: number;
  /** Accept an answer whose close delimiter is missing (CXF-compatible); see `receive`. Default false. */
  allowMissingCloseDelimiter?: boolean;
  /** Take LF "--" boundary as a delimiter in a CRLF-framed answer too (mimepull-compatible); see `receive`. Default false. */
  allowBareLfDelimiters?: boolean;
  signal?: AbortSignal;
}

/** The MIME framing options of an answer, as parseMultipart and receive take them. */
function framingOptions(options: ResponseOptions): { allowMissingCloseDelimiter: boolean; allowBareLfDelimiters: boolean } {
  return {
    allowMissingCloseDelimiter: options.allowMissingCloseDelimiter === true,
    allowBareLfDelimiters: options.allowBareLfDelimiters === true,
  };
}

/** Default of {@link ResponseOptions.maxBufferedBytes}. */
export const DEFAULT_MAX_BUFFERED_BYTES = 64 * 1024 * 1024;
/** Default of {@link ResponseOptions.maxErrorBodyBytes}. */
export const DEFAULT_MAX_ERROR_BODY_BYTES = 64 * 1024;

function headerValue(headers: HttpResponseLike['headers'], name: string): string | null {
  const value = headers[name];
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Is this Content-Type one SOAP travels in (multipart/related or an XML type)? */
function isSoapContentType(contentType: string | null): boolean {
  if (contentType === null) return false;
  try {
    const mediaType = parseContentType(contentType).mediaType;
    return mediaType === 'multipart/related' || isXmlMediaType(mediaType);
  } catch {
    return false;
  }
}

/** Reads at most `limit` bytes and reports whether more followed (the rest is not read). */
async function readBounded(body: AsyncIterable<Uint8Array>, limit: number): Promise<{ bytes: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    const room = limit - total;
    // Copy: the kept error body outlives the stream's chunks.
    chunks.push(Buffer.from(chunk.subarray(0, Math.min(room, chunk.length))));
    total += Math.min(room, chunk.length);
    if (chunk.length > room) return { bytes: Buffer.concat(chunks), truncated: true };
  }
  return { bytes: Buffer.concat(chunks), truncated: false };
}

/** Decodes an error answer's root part per its charset (UTF-8 by default). */
function decodeEnvelope(bytes: Uint8Array, contentType: string | null): string {
  let charset = 'utf-8';
  if (contentType !== null) {
    try {
      charset = parseContentType(contentType).parameters['charset'] ?? 'utf-8';
    } catch {
      // An unparseable part Content-Type: UTF-8, as SOAP 1.2 defaults to.
    }
  }
  try {
    return new TextDecoder(charset, { fatal: true }).decode(bytes);
  } catch (cause) {
    throw xopError(ErrorCodes.XML_BAD_ENCODING, `the response envelope is not valid ${charset}`, { cause });
  }
}

/** The typed error of a SOAP Fault. */
export function faultError(fault: SoapFault, status: number): Error {
  return xopError(ErrorCodes.SOAP_FAULT, `SOAP ${fault.soapVersion} fault ${fault.faultCode}: ${fault.reason}`, {
    status, faultCode: fault.faultCode, faultCodeName: fault.faultCodeName, reason: fault.reason,
    subcodes: fault.subcodes, actor: fault.actor, node: fault.node, detail: fault.detail, soapVersion: fault.soapVersion,
  });
}

/** The answer to a one-way operation (202 Accepted / 204 with no body): an empty received message. */
function oneWayAnswer(): ReceivedMessage {
  return {
    rootDocument: { properties: { wss_root_document_id: randomUUID() }, xml: Buffer.alloc(0), envelope: Buffer.alloc(0) },
    attachments: [], soap: { version: null, bodyElement: null, headerBlocks: [] }, xopIncludes: [],
    warnings: ['the answer has no body (a one-way operation)'],
  };
}

/**
 * Parses an answer. 2xx answers stream through `receive()` into the cache
 * (the given one, or a private MemoryCache); a Fault in them is thrown as a
 * {@link SoapFaultError} and its attachments are deleted again. Other
 * statuses are read up to `maxErrorBodyBytes` and become a SoapFaultError
 * when they hold a Fault, else `ERR_HTTP_STATUS` with the kept body.
 *
 * @throws XopError `ERR_SOAP_FAULT`, `ERR_HTTP_STATUS`, `ERR_SOAP_NOT_ENVELOPE`,
 *   and what `receive()` throws for a malformed answer (`ERR_MIME_*`,
 *   `ERR_XML_*`, `ERR_CACHE_*`, limits).
 */
export async function parseSoapResponse(response: HttpResponseLike, options: ResponseOptions = {}): Promise<SoapResponse> {
  const contentType = headerValue(response.headers, 'content-type');
  const status = response.status;
  const statusText = response.statusText ?? '';
  if (status < 200 || status >= 300) return rejectStatus(response, contentType, options);
  const cache = options.cache ?? new MemoryCache({ maxBytes: options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES, ttlMs: null });
  const http = { status, statusText, headers: response.headers, contentType, cache };

  if (contentType === null || status === 204) {
    const { bytes } = await readBounded(response.body, 1);
    if (bytes.length === 0) return { ...oneWayAnswer(), ...http };
    throw xopError(ErrorCodes.MIME_UNSUPPORTED_MEDIA_TYPE, `HTTP ${status} response has a body but no Content-Type`);
  }

  const received = await receive(response.body, {
    contentType, cache, ...framingOptions(options),
    // Node's client does not inflate, and a server may compress unasked: receive() undoes gzip and deflate.
    contentEncoding: headerValue(response.headers, 'content-encoding') ?? 'identity',
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const version = received.soap.version;
  if (version === null) {
    await cache.delete(received.rootDocument.properties.wss_root_document_id);
    throw xopError(ErrorCodes.SOAP_NOT_ENVELOPE, 'the response is not a SOAP Envelope');
  }
  if (received.soap.bodyElement === clarkName(namespaceOfSoapVersion(version), 'Fault')) {
    // A fault answers nothing: its attachments do not stay.
    await cache.delete(received.rootDocument.properties.wss_root_document_id);
    const fault = readResponseEnvelope(received.rootDocument.envelope.toString('utf8'))?.fault;
    if (fault !== null && fault !== undefined) throw faultError(fault, status);
  }
  return { ...received, ...http };
}

/** Reads one part of an error answer into memory (bounded: the whole answer was read within maxErrorBodyBytes). */
async function readPart(part: MultipartPart): Promise<Buffer> {
  const chunks: Buffer[] = [];
  // Copy: the part outlives the iteration over the kept error body's views.
  for await (const view of part.body) chunks.push(Buffer.from(view));
  return Buffer.concat(chunks);
}

/** A non-2xx answer: a Fault becomes SoapFaultError, anything else ERR_HTTP_STATUS with the body kept. */
async function rejectStatus(response: HttpResponseLike, contentType: string | null, options: ResponseOptions): Promise<never> {
  const limit = options.maxErrorBodyBytes ?? DEFAULT_MAX_ERROR_BODY_BYTES;
  const { bytes: received, truncated } = await readBounded(response.body, limit);
  const status = response.status;
  // A compressed answer is inflated within the same bound, so the error keeps readable bytes; one that
  // does not inflate (or inflates past the bound: a bomb) is kept as received, its coding named.
  const encoding = headerValue(response.headers, 'content-encoding');
  let bytes = received;
  let inflated = encoding === null;
  if (encoding !== null && !truncated) {
    try {
      bytes = inflateSync(received, contentCodingOf(encoding), limit);
      inflated = true;
    } catch {
      // kept as received
    }
  }
  if (!truncated && inflated && isSoapContentType(contentType)) {
    let fault: SoapFault | null = null;
    try {
      for await (const part of parseMultipart([bytes], contentType!,
        { ...framingOptions(options), ...(options.limits === undefined ? {} : { limits: options.limits }) })) {
        const partBytes = await readPart(part);
        if (!part.isRoot) continue;
        fault = readResponseEnvelope(decodeEnvelope(partBytes, part.contentType ?? contentType))?.fault ?? null;
      }
    } catch {
      // Not a readable SOAP message: reported as the HTTP status below, with its body.
    }
    if (fault !== null) throw faultError(fault, status);
  }
  throw xopError(ErrorCodes.HTTP_STATUS, `HTTP ${status}${response.statusText ? ' ' + response.statusText : ''}`, {
    status, body: bytes, bodyTruncated: truncated, contentType,
    // Set when `body` is still compressed (it did not inflate within maxErrorBodyBytes).
    ...(inflated ? {} : { contentEncoding: encoding }),
  });
}
