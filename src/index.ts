/**
 * xopstream: streaming SOAP with Attachments (SwA) and MTOM/XOP for Node.js.
 *
 * Layers, lowest first: `mime/` (framing, headers, transfer encodings) →
 * `xop/` (SAX pass, SOAP, XOP) → `cache/` and `receive/` (documents) →
 * `send/` (composer, client). Lower layers never import higher ones.
 *
 * @module
 */

export {
  XopError, MimeError, LimitError, XmlError, CacheError, TransportError, SoapFaultError,
  ErrorCodes, xopError, isXopError, isLimitCode,
} from './errors.js';
export type { ErrorCode, XopErrorDetails } from './errors.js';

export { parseContentType, boundaryOf, stripAngleBrackets, MAX_BOUNDARY_LENGTH } from './mime/content-type.js';
export type { ContentType } from './mime/content-type.js';
export { PartHeaders, parseHeaderBlock } from './mime/headers.js';
export { DEFAULT_MIME_LIMITS } from './mime/limits.js';
export type { MimeLimits } from './mime/limits.js';
export { MultipartParser } from './mime/parser.js';
export type { MultipartCallbacks, MultipartParserOptions } from './mime/parser.js';
export { createTransferDecoder } from './mime/transfer-encoding.js';
export type { TransferDecoder } from './mime/transfer-encoding.js';
export { parseMultipart, describeMessage } from './mime/stream.js';
export type { ByteSource, MultipartPart, ParseMultipartOptions, MessageInfo } from './mime/stream.js';

export { compose, soapMediaType } from './send/compose.js';
export type { ComposeOptions, ComposedMessage, ComposedPart, SendMode } from './send/compose.js';
export type { AttachmentInput, AttachmentBody as SendAttachmentBody } from './send/attachments.js';
