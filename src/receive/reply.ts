/**
 * What the HTTP receiver answers: a SOAP response naming the root document
 * and its attachments, or a SOAP Fault — in the SOAP version of the request —
 * with the HTTP status that fits the error.
 *
 * Status and fault code (SOAP 1.1 §4.4.1 Client/Server, SOAP 1.2 part 1
 * §5.4.6 Sender/Receiver/VersionMismatch):
 *
 * | error                                             | HTTP | 1.1 code        | 1.2 code        |
 * |---------------------------------------------------|------|-----------------|-----------------|
 * | malformed message, missing part, bad key          | 400  | Client          | Sender          |
 * | Envelope in an unknown namespace                  | 400  | VersionMismatch | VersionMismatch |
 * | a limit (`isLimitCode`), full cache               | 413  | Client          | Sender          |
 * | not multipart nor SOAP/XML                        | 415  | Client          | Sender          |
 * | client too slow                                   | 408  | Client          | Sender          |
 * | method other than POST                            | 405  | Client          | Sender          |
 * | sink failure, handler failure, anything else      | 500  | Server          | Receiver        |
 *
 * That is the default (`faultStatus: 'http'`): the HTTP status says what
 * went wrong at the HTTP level, as the receiver's contract has it (400
 * malformed, 413 over a limit, 415 unsupported media type, 500 sink failure).
 * SOAP clients read a fault only under the status their binding gives it:
 * SOAP 1.1 §6.2 and WS-I Basic Profile R1126 require 500 for every SOAP 1.1
 * fault, SOAP 1.2 part 2 §7.5.2.2 maps Sender faults to 400 and Receiver
 * faults to 500. Metro reads a SOAP 1.1 fault only from a 500 answer and
 * gSOAP only from 400 or 500 (both checked live, test/interop-java.test.ts and
 * test/interop-gsoap.test.ts); under any other status they report a
 * transport error and the fault is lost. `faultStatus: 'soap'` answers every
 * fault with its binding's status (413 → 500 in SOAP 1.1, 400 in SOAP 1.2;
 * 400 → 500 in SOAP 1.1), except the HTTP-level refusals 415, 408 and 405,
 * which are not answers to a SOAP message.
 *
 * A 5xx fault says only what failed (the error code), not why: the cause of a
 * sink failure may name server paths. The full error goes to `onError`.
 *
 * @module
 */

import type { AttachmentDocument } from '../cache/types.js';
import { ErrorCodes, isLimitCode, isXopError } from '../errors.js';
import { describeMessage } from '../mime/stream.js';
import { describeRootMediaType } from '../xop/media-type.js';
import {
  SOAP11_NAMESPACE, SOAP12_NAMESPACE, escapeAttribute, mediaTypeOfSoapVersion, type SoapVersion,
} from '../xop/names.js';

/** The namespace of the receiver's own response and fault-detail elements. */
export const RECEIVER_NAMESPACE = 'urn:xopstream:receiver:1';

/** The HTTP header that carries the root document id of a received message. */
export const ROOT_ID_HEADER = 'X-Wss-Root-Document-Id';

/** An answer ready to write. */
export interface SoapReply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Escapes character data (`&`, `<`, `>`; `>` for `]]>`). */
export function escapeText(value: string): string {
  return value.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

/** Removes characters XML 1.0 cannot carry (controls but TAB, CR, LF; lone surrogates; U+FFFE/F). */
function xmlSafe(value: string): string {
  return value.replace(/[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD');
}

/** The Content-Type of a SOAP envelope of `version`, UTF-8. */
export function soapContentType(version: SoapVersion): string {
  return `${mediaTypeOfSoapVersion(version)}; charset=utf-8`;
}

function envelope(version: SoapVersion, body: string): Buffer {
  const ns = version === '1.1' ? SOAP11_NAMESPACE : SOAP12_NAMESPACE;
  return Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="${ns}"><soap:Body>${body}</soap:Body></soap:Envelope>\n`,
    'utf8');
}

/**
 * The SOAP version to answer a request in when its envelope was not read:
 * what its media types announce, else 1.1.
 */
export function announcedSoapVersion(contentType: string | undefined): SoapVersion {
  if (contentType === undefined) return '1.1';
  try {
    const info = describeMessage(contentType);
    if (info.boundary === null) return describeRootMediaType(info.contentType).announcedVersion ?? '1.1';
    const p = info.contentType.parameters;
    return describeRootMediaType(null, { type: p['type'] ?? null, startInfo: p['start-info'] ?? null }).announcedVersion ?? '1.1';
  } catch {
    return '1.1';
  }
}

/**
 * How the receiver picks the HTTP status of a fault: `'http'` (the default)
 * by what went wrong, as in the module table; `'soap'` by the SOAP binding of
 * the answer's version, so that every SOAP client reads the fault.
 */
export type FaultStatusMode = 'http' | 'soap';

/**
 * The HTTP status an error answers with; see the module table. With
 * `mode` 'soap' and the answer's `version`, the status its SOAP binding
 * gives a fault (SOAP 1.1 §6.2 and WS-I BP R1126: 500; SOAP 1.2 part 2
 * §7.5.2.2: 400 for Sender, 500 for Receiver), except 415, 408 and 405.
 */
export function statusOf(error: unknown, version?: SoapVersion, mode: FaultStatusMode = 'http'): number {
  const status = statusOfError(error);
  if (mode !== 'soap' || version === undefined) return status;
  // Refusals at the HTTP level: the request was not a SOAP message one could answer in kind.
  if (status === 415 || status === 408 || status === 405) return status;
  if (version === '1.1') return 500;
  return status >= 500 ? 500 : 400;
}

/** The status by the error alone (the default mapping). */
function statusOfError(error: unknown): number {
  if (!isXopError(error)) return 500;
  const code = error.code;
  if (code === ErrorCodes.MIME_UNSUPPORTED_MEDIA_TYPE) return 415;
  if (isLimitCode(code)) return 413;
  if (code === ErrorCodes.CACHE_SINK_FAILED) return 500;
  if (code === ErrorCodes.TIMEOUT) return 408;
  if (code === ErrorCodes.PARSER_STATE) return 500; // an internal inconsistency, not the client's fault
  const status = error.details.status;
  if (typeof status === 'number' && Number.isInteger(status) && status >= 400 && status <= 599) return status;
  // Everything else the pipeline raises is about the input.
  return 400;
}

/** A SOAP Fault for `error`, in `version`. */
export function faultReply(error: unknown, version: SoapVersion, mode: FaultStatusMode = 'http'): SoapReply {
  // Who is at fault is decided by the error; the HTTP status also by the SOAP version.
  const status = statusOfError(error);
  const xop = isXopError(error) ? error : null;
  const code = xop?.code ?? 'ERR_INTERNAL';
  const versionMismatch = xop?.details['faultCode'] === 'VersionMismatch';
  const sender = status < 500;
  const reason = xmlSafe(sender && xop !== null ? xop.message : status === 500 && code === ErrorCodes.CACHE_SINK_FAILED
    ? 'the message could not be stored' : 'the message could not be processed');
  let detailAttributes = ` code="${escapeAttribute(code)}"`;
  if (xop?.offset !== undefined && sender) detailAttributes += ` offset="${xop.offset}"`;
  if (typeof xop?.details.part === 'number' && sender) detailAttributes += ` part="${xop.details.part}"`;
  if (typeof xop?.details.limit === 'number' && sender) detailAttributes += ` limit="${xop.details.limit}"`;
  const detail = `<x:error xmlns:x="${RECEIVER_NAMESPACE}"${detailAttributes}/>`;
  let fault: string;
  if (version === '1.1') {
    const faultCode = versionMismatch ? 'VersionMismatch' : sender ? 'Client' : 'Server';
    fault = `<soap:Fault><faultcode>soap:${faultCode}</faultcode><faultstring>${escapeText(reason)}</faultstring>` +
      `<detail>${detail}</detail></soap:Fault>`;
  } else {
    const faultCode = versionMismatch ? 'VersionMismatch' : sender ? 'Sender' : 'Receiver';
    fault = `<soap:Fault><soap:Code><soap:Value>soap:${faultCode}</soap:Value></soap:Code>` +
      `<soap:Reason><soap:Text xml:lang="en">${escapeText(reason)}</soap:Text></soap:Reason>` +
      `<soap:Detail>${detail}</soap:Detail></soap:Fault>`;
  }
  const body = envelope(version, fault);
  const headers: Record<string, string> = {
    'Content-Type': soapContentType(version),
    'Content-Length': String(body.length),
  };
  if (status === 405) headers['Allow'] = 'POST';
  // RFC 7694 §3: a 415 for a content coding says which codings the server takes.
  const acceptEncoding = xop?.details['acceptEncoding'];
  if (typeof acceptEncoding === 'string') headers['Accept-Encoding'] = acceptEncoding;
  return { status: statusOf(error, version, mode), headers, body };
}

function attachmentElement(doc: AttachmentDocument): string {
  const id = doc.properties.wss_attachment_content_id;
  let attributes = ` contentId="${escapeAttribute(xmlSafe(String(id)))}"`;
  if (typeof id === 'number') attributes += ' contentIdIsIndex="true"';
  attributes += ` contentType="${escapeAttribute(xmlSafe(doc.properties.wss_attachment_content_type))}"`;
  attributes += ` index="${doc.index}" size="${doc.size}" xxh64="${doc.xxh64}"`;
  return `<x:attachment${attributes}/>`;
}

/**
 * The default success answer: a SOAP response (in the request's version)
 * whose Body names the root document id and every stored attachment, plus
 * the {@link ROOT_ID_HEADER} header.
 *
 * ```xml
 * <x:received xmlns:x="urn:xopstream:receiver:1" rootDocumentId="…" attachments="2">
 *   <x:attachment contentId="photo@example.org" contentType="image/jpeg" index="1" size="27364" xxh64="…"/>
 * </x:received>
 * ```
 */
export function receivedReply(rootId: string, attachments: readonly AttachmentDocument[], version: SoapVersion): SoapReply {
  const items = attachments.map(attachmentElement).join('');
  const body = envelope(version,
    `<x:received xmlns:x="${RECEIVER_NAMESPACE}" rootDocumentId="${escapeAttribute(rootId)}" attachments="${attachments.length}">` +
    `${items}</x:received>`);
  return {
    status: 200,
    headers: {
      'Content-Type': soapContentType(version),
      'Content-Length': String(body.length),
      [ROOT_ID_HEADER]: rootId,
    },
    body,
  };
}
