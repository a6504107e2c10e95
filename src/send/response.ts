/**
 * Reading the answer to a sent message: plain SOAP, SOAP with attachments
 * (older platforms drop these; they come back here), a SOAP Fault (a typed
 * {@link SoapFaultError}) or an HTTP error without SOAP (a typed
 * `ERR_HTTP_STATUS` keeping the start of the body).
 *
 * This is the one function the client calls to parse a response
 * ({@link parseSoapResponse}); the receive pipeline's `receive()` is meant to
 * take its place for the 2xx path, with the same result shape.
 *
 * @module
 */

import { randomUUID } from 'node:crypto';
import type { AttachmentDocument, CacheWriter, DocumentCache } from '../cache/types.js';
import { ErrorCodes, xopError } from '../errors.js';
import { isXmlMediaType, parseContentType } from '../mime/content-type.js';
import type { MimeLimits } from '../mime/limits.js';
import { parseMultipart, type MultipartPart } from '../mime/stream.js';
import { readResponseEnvelope, type SoapFault } from './fault.js';
import type { SoapVersion } from '../xop/names.js';

/** The HTTP response as the parser needs it. */
export interface HttpResponseLike {
  status: number;
  statusText?: string;
  headers: Record<string, string | string[] | undefined>;
  body: AsyncIterable<Uint8Array>;
}

/** An attachment of a response. */
export interface ResponseAttachment {
  /** Position of the part in the response, from 0. */
  index: number;
  /** Content-ID without angle brackets, or null. */
  contentId: string | null;
  contentType: string | null;
  /** Decoded size in bytes. */
  size: number;
  /** The bytes, when the response was read into memory (no cache given). */
  body: Buffer | null;
  /** The stored document, when a cache was given. */
  document: AttachmentDocument | null;
}

/** A parsed SOAP response. */
export interface SoapResponse {
  status: number;
  statusText: string;
  headers: Record<string, string | string[] | undefined>;
  contentType: string | null;
  /** SOAP version of the response envelope, or null for an empty (202/204) answer. */
  soapVersion: SoapVersion | null;
  /** The response envelope's bytes (the root part), or null for an empty answer. */
  envelope: Buffer | null;
  /** The attachments, in part order. */
  attachments: ResponseAttachment[];
  /** The `wss_root_document_id` the attachments were stored under, when a cache was given. */
  rootId: string | null;
}

/** Options of {@link parseSoapResponse}. */
export interface ResponseOptions {
  /** MIME limits for the response. */
  limits?: MimeLimits;
  /** Most bytes read into memory (envelope plus in-memory attachments). Default 64 MiB. */
  maxBufferedBytes?: number;
  /** Most bytes of an error body kept on an `ERR_HTTP_STATUS` error. Default 64 KiB. */
  maxErrorBodyBytes?: number;
  /** Store response attachments here (under a fresh root id) instead of in memory. */
  cache?: DocumentCache;
  signal?: AbortSignal;
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

/** Decodes the root part per its charset (UTF-8 by default). */
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

/**
 * Parses a response. 2xx answers stream through `parseMultipart` (a plain
 * SOAP body is its single root part); other statuses are read up to
 * `maxErrorBodyBytes` and become a {@link SoapFaultError} when they hold a
 * Fault, else `ERR_HTTP_STATUS` with the kept body.
 *
 * @throws XopError `ERR_SOAP_FAULT`, `ERR_HTTP_STATUS`, `ERR_SOAP_NOT_ENVELOPE`,
 *   `ERR_MIME_*`/`ERR_XML_*` for a malformed answer, `ERR_CACHE_*`.
 */
export async function parseSoapResponse(response: HttpResponseLike, options: ResponseOptions = {}): Promise<SoapResponse> {
  const contentType = headerValue(response.headers, 'content-type');
  const status = response.status;
  const statusText = response.statusText ?? '';
  if (status < 200 || status >= 300) return rejectStatus(response, contentType, options);

  const result: SoapResponse = {
    status, statusText, headers: response.headers, contentType, soapVersion: null, envelope: null, attachments: [], rootId: null,
  };
  if (contentType === null || status === 204) {
    const { bytes } = await readBounded(response.body, 1);
    if (bytes.length === 0) return result; // one-way operation: 202 Accepted / 204 with no body
    throw xopError(ErrorCodes.MIME_UNSUPPORTED_MEDIA_TYPE, `HTTP ${status} response has a body but no Content-Type`);
  }

  const maxBuffered = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  let buffered = 0;
  const parsed = parseMultipart(response.body, contentType, {
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  let writer: CacheWriter | null = null;
  const rootId = options.cache === undefined ? null : randomUUID();
  let committed = false;
  let rootType: string | null = null;
  try {
    for await (const part of parsed) {
      if (part.isRoot) {
        rootType = part.contentType;
        const bytes = await readPart(part, () => maxBuffered - buffered);
        buffered += bytes.length;
        result.envelope = bytes;
        continue;
      }
      const attachment: ResponseAttachment = {
        index: part.index, contentId: part.contentId, contentType: part.contentType, size: 0, body: null, document: null,
      };
      if (options.cache !== undefined) {
        writer ??= await options.cache.begin(rootId!);
        const document = await writer.put({
          properties: {
            wss_root_document_id: rootId!,
            wss_attachment_content_id: part.contentId ?? part.index,
            wss_attachment_content_type: part.contentType ?? 'application/octet-stream',
          },
          index: part.index,
          contentLocation: part.contentLocation,
          contentTransferEncoding: part.contentTransferEncoding,
        }, part.body);
        attachment.document = document;
        attachment.size = document.size;
      } else {
        const bytes = await readPart(part, () => maxBuffered - buffered);
        buffered += bytes.length;
        attachment.body = bytes;
        attachment.size = bytes.length;
      }
      result.attachments.push(attachment);
    }
    if (result.envelope === null && parsed.rootIndex !== null) {
      // `start` named no part: the first part is the root after all (parseMultipart's fallback).
      const first = result.attachments.findIndex((a) => a.index === parsed.rootIndex);
      if (first >= 0 && result.attachments[first]!.body !== null) {
        const [root] = result.attachments.splice(first, 1);
        result.envelope = root!.body;
        rootType = root!.contentType;
      } else {
        throw xopError(ErrorCodes.MIME_START_NOT_FOUND, 'the response\'s start parameter names no part');
      }
    }
    if (result.envelope === null) throw xopError(ErrorCodes.MIME_NO_PARTS, 'the response has no root part');
    const envelope = readResponseEnvelope(decodeEnvelope(result.envelope, rootType ?? contentType));
    if (envelope === null) throw xopError(ErrorCodes.SOAP_NOT_ENVELOPE, 'the response is not a SOAP Envelope');
    result.soapVersion = envelope.soapVersion;
    if (envelope.fault !== null) throw faultError(envelope.fault, status);
    if (writer !== null) {
      await writer.commit();
      committed = true;
      result.rootId = rootId;
    }
    return result;
  } finally {
    if (writer !== null && !committed) await writer.abort();
  }
}

/** Reads one part into memory within the room left. */
async function readPart(part: MultipartPart, room: () => number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const view of part.body) {
    total += view.length;
    if (total > room()) {
      throw xopError(ErrorCodes.MIME_MESSAGE_TOO_LARGE, `the response exceeds maxBufferedBytes (${total} bytes read)`, { limit: room() });
    }
    // Copy: the views belong to the socket's chunks, and this part outlives them.
    chunks.push(Buffer.from(view));
  }
  return Buffer.concat(chunks);
}

/** A non-2xx answer: a Fault becomes SoapFaultError, anything else ERR_HTTP_STATUS with the body kept. */
async function rejectStatus(response: HttpResponseLike, contentType: string | null, options: ResponseOptions): Promise<never> {
  const limit = options.maxErrorBodyBytes ?? DEFAULT_MAX_ERROR_BODY_BYTES;
  const { bytes, truncated } = await readBounded(response.body, limit);
  const status = response.status;
  if (!truncated && isSoapContentType(contentType)) {
    let fault: SoapFault | null = null;
    try {
      for await (const part of parseMultipart([bytes], contentType!, options.limits === undefined ? {} : { limits: options.limits })) {
        const partBytes = await readPart(part, () => limit);
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
  });
}
