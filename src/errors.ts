/**
 * Every failure xopstream reports is an {@link XopError} made by {@link xopError}.
 *
 * Each error has a stable `code` (a contract: callers switch on it), the byte
 * offset in the input where it was detected when that is known, and a brand
 * registered with `Symbol.for` so that `instanceof` still works when two copies
 * of xopstream are installed side by side (the undici / ws pattern).
 *
 * @module
 */

const BRAND = Symbol.for('xopstream.XopError');
const KIND = Symbol.for('xopstream.XopError.kind');

/** The stable error codes. Grouped by the layer that raises them. */
export const ErrorCodes = {
  // --- mime/: framing, headers, transfer encodings -----------------------
  /** Content-Type has no usable `boundary` parameter (RFC 2046 §5.1.1). */
  MIME_NO_BOUNDARY: 'ERR_MIME_NO_BOUNDARY',
  /** A Content-Type value that cannot be parsed at all. */
  MIME_BAD_CONTENT_TYPE: 'ERR_MIME_BAD_CONTENT_TYPE',
  /** A part's header block exceeds `limits.headerBytes`. */
  MIME_HEADER_TOO_LARGE: 'ERR_MIME_HEADER_TOO_LARGE',
  /** A part has more header lines than `limits.headerCount`. */
  MIME_TOO_MANY_HEADERS: 'ERR_MIME_TOO_MANY_HEADERS',
  /** A header line is malformed: bare CR, control byte, no colon, bad name. */
  MIME_BAD_HEADER: 'ERR_MIME_BAD_HEADER',
  /** The input ended before the close delimiter. */
  MIME_TRUNCATED: 'ERR_MIME_TRUNCATED',
  /** More parts than `limits.parts`. */
  MIME_TOO_MANY_PARTS: 'ERR_MIME_TOO_MANY_PARTS',
  /** A part body (as received) exceeds `limits.partBytes`. */
  MIME_PART_TOO_LARGE: 'ERR_MIME_PART_TOO_LARGE',
  /** The whole message exceeds `limits.totalBytes`. */
  MIME_MESSAGE_TOO_LARGE: 'ERR_MIME_MESSAGE_TOO_LARGE',
  /** The preamble before the first delimiter exceeds `limits.preambleBytes`. */
  MIME_PREAMBLE_TOO_LARGE: 'ERR_MIME_PREAMBLE_TOO_LARGE',
  /** A delimiter line's transport padding exceeds a sane length. */
  MIME_BAD_DELIMITER: 'ERR_MIME_BAD_DELIMITER',
  /** Invalid base64 or quoted-printable content, or a body that does not inflate under its Content-Encoding (gzip, deflate). */
  MIME_BAD_ENCODING: 'ERR_MIME_BAD_ENCODING',
  /** A Content-Transfer-Encoding we do not decode (RFC 2045 §6.1 names the known ones). */
  MIME_UNSUPPORTED_ENCODING: 'ERR_MIME_UNSUPPORTED_ENCODING',
  /** A close delimiter with no body part before it (RFC 2046 §5.1.1 requires one). */
  MIME_NO_PARTS: 'ERR_MIME_NO_PARTS',
  /** The `start` parameter names a Content-ID that no part carries (RFC 2387 §3.2). */
  MIME_START_NOT_FOUND: 'ERR_MIME_START_NOT_FOUND',
  /** The Content-Type is neither multipart nor a SOAP/XML media type, or the Content-Encoding is not gzip, deflate or identity (415). */
  MIME_UNSUPPORTED_MEDIA_TYPE: 'ERR_MIME_UNSUPPORTED_MEDIA_TYPE',

  // --- xop/: XML, SOAP and XOP --------------------------------------------
  XML_MALFORMED: 'ERR_XML_MALFORMED',
  XML_BAD_ENCODING: 'ERR_XML_BAD_ENCODING',
  XML_DOCTYPE: 'ERR_XML_DOCTYPE',
  XML_TOO_DEEP: 'ERR_XML_TOO_DEEP',
  XML_TOO_MANY_ATTRIBUTES: 'ERR_XML_TOO_MANY_ATTRIBUTES',
  XML_TOO_MANY_REFERENCES: 'ERR_XML_TOO_MANY_REFERENCES',
  XML_TOO_LARGE: 'ERR_XML_TOO_LARGE',
  SOAP_NOT_ENVELOPE: 'ERR_SOAP_NOT_ENVELOPE',
  SOAP_NO_BODY: 'ERR_SOAP_NO_BODY',
  SOAP_VERSION_MISMATCH: 'ERR_SOAP_VERSION_MISMATCH',
  XOP_BAD_INCLUDE: 'ERR_XOP_BAD_INCLUDE',
  XOP_BAD_HREF: 'ERR_XOP_BAD_HREF',
  XOP_MISSING_PART: 'ERR_XOP_MISSING_PART',

  // --- cache/, receive/, send/ ----------------------------------------------
  CACHE_FULL: 'ERR_CACHE_FULL',
  CACHE_NOT_FOUND: 'ERR_CACHE_NOT_FOUND',
  CACHE_SINK_FAILED: 'ERR_CACHE_SINK_FAILED',
  CACHE_BAD_KEY: 'ERR_CACHE_BAD_KEY',
  ABORTED: 'ERR_ABORTED',
  TIMEOUT: 'ERR_TIMEOUT',
  HTTP_STATUS: 'ERR_HTTP_STATUS',
  NETWORK: 'ERR_NETWORK',
  SOAP_FAULT: 'ERR_SOAP_FAULT',
  BAD_ARGUMENT: 'ERR_BAD_ARGUMENT',
  PARSER_STATE: 'ERR_PARSER_STATE',
} as const;

/** One of the stable codes in {@link ErrorCodes}. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Extra facts an error carries besides its code and message. */
export interface XopErrorDetails {
  /** Byte offset in the input stream where the problem was detected. */
  offset?: number;
  /** Index of the MIME part concerned, when known. */
  part?: number;
  /** The underlying error (I/O failure, saxes error, ...). */
  cause?: unknown;
  /** For limit errors: the limit that was exceeded. */
  limit?: number;
  /** HTTP status (transport errors) or the status a receiver should answer with. */
  status?: number;
  /** Anything else worth keeping (a kept HTTP body, a SOAP fault code, ...). */
  [key: string]: unknown;
}

/**
 * Base class of every error xopstream throws or rejects with.
 *
 * `instanceof XopError` works across duplicate installs because it checks a
 * `Symbol.for` brand, not the prototype chain.
 */
export class XopError extends Error {
  /** Stable machine-readable code, e.g. `ERR_MIME_TRUNCATED`. */
  readonly code: ErrorCode;
  /** Byte offset in the input where the error was detected, if known. */
  readonly offset: number | undefined;
  /** Further details (part index, limit, HTTP status...). */
  readonly details: XopErrorDetails;

  constructor(code: ErrorCode, message: string, details: XopErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    this.offset = details.offset;
    this.details = details;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    const brand = (value as Record<symbol, unknown>)[BRAND];
    if (brand !== true) return false;
    // Subclasses narrow by kind; XopError itself matches every branded error.
    const wanted = (this as unknown as Record<symbol, unknown>)[KIND];
    if (wanted === undefined) return true;
    return (value as Record<symbol, unknown>)[KIND] === wanted;
  }
}
Object.defineProperty(XopError.prototype, BRAND, { value: true });

function defineKind(cls: abstract new (...args: never[]) => XopError, kind: string): void {
  Object.defineProperty(cls, KIND, { value: kind });
  Object.defineProperty(cls.prototype, KIND, { value: kind });
}

/** MIME framing, header and transfer-encoding errors (`ERR_MIME_*`). */
export class MimeError extends XopError {}
defineKind(MimeError, 'mime');

/** A configured limit was exceeded; `details.limit` holds it. */
export class LimitError extends XopError {}
defineKind(LimitError, 'limit');

/** XML, SOAP and XOP errors (`ERR_XML_*`, `ERR_SOAP_*`, `ERR_XOP_*`). */
export class XmlError extends XopError {}
defineKind(XmlError, 'xml');

/** Document cache errors (`ERR_CACHE_*`). */
export class CacheError extends XopError {}
defineKind(CacheError, 'cache');

/** Network, timeout, abort and HTTP status errors. */
export class TransportError extends XopError {}
defineKind(TransportError, 'transport');

/** A SOAP Fault received from a peer; `details.faultCode` and `details.reason` hold it. */
export class SoapFaultError extends XopError {}
defineKind(SoapFaultError, 'fault');

const LIMIT_CODES: ReadonlySet<string> = new Set([
  ErrorCodes.MIME_HEADER_TOO_LARGE,
  ErrorCodes.MIME_TOO_MANY_HEADERS,
  ErrorCodes.MIME_TOO_MANY_PARTS,
  ErrorCodes.MIME_PART_TOO_LARGE,
  ErrorCodes.MIME_MESSAGE_TOO_LARGE,
  ErrorCodes.MIME_PREAMBLE_TOO_LARGE,
  ErrorCodes.XML_TOO_DEEP,
  ErrorCodes.XML_TOO_MANY_ATTRIBUTES,
  ErrorCodes.XML_TOO_MANY_REFERENCES,
  ErrorCodes.XML_TOO_LARGE,
  ErrorCodes.CACHE_FULL,
]);

/** True when `code` reports an exceeded limit (HTTP 413 territory). */
export function isLimitCode(code: string): boolean {
  return LIMIT_CODES.has(code);
}

/**
 * The one factory for xopstream errors: picks the class from the code so that
 * every call site only names the code.
 */
export function xopError(code: ErrorCode, message: string, details: XopErrorDetails = {}): XopError {
  const where = details.offset === undefined ? '' : ` (at byte ${details.offset})`;
  const text = message + where;
  if (LIMIT_CODES.has(code)) return new LimitError(code, text, details);
  if (code.startsWith('ERR_MIME_')) return new MimeError(code, text, details);
  if (code.startsWith('ERR_XML_') || code.startsWith('ERR_SOAP_NOT') || code === 'ERR_SOAP_NO_BODY' ||
      code === 'ERR_SOAP_VERSION_MISMATCH' || code.startsWith('ERR_XOP_')) {
    return new XmlError(code, text, details);
  }
  if (code.startsWith('ERR_CACHE_')) return new CacheError(code, text, details);
  if (code === 'ERR_SOAP_FAULT') return new SoapFaultError(code, text, details);
  if (code === 'ERR_ABORTED' || code === 'ERR_TIMEOUT' || code === 'ERR_HTTP_STATUS' || code === 'ERR_NETWORK') {
    return new TransportError(code, text, details);
  }
  return new XopError(code, text, details);
}

/** Type guard: is `value` an xopstream error (of any copy of the package)? */
export function isXopError(value: unknown): value is XopError {
  return value instanceof XopError;
}
