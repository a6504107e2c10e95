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
export { readableChunks } from './mime/readable-source.js';
export type { ReadableChunkIterator, ReadableChunksOptions } from './mime/readable-source.js';
export type { ByteSource, MultipartPart, ParseMultipartOptions, MessageInfo } from './mime/stream.js';

export { SoapScanner } from './xop/scanner.js';
export type {
  SoapScannerOptions, SoapScanResult, XopInclude, SwaReference, RootDocumentPlan,
} from './xop/scanner.js';
export { scanSoap } from './xop/scan-stream.js';
export { XopResolver, resolveXopReferences } from './xop/resolve.js';
export type {
  PartIdentity, ResolvedInclude, ResolvedSwaRef, DuplicateReference, XopResolution, XopResolverOptions,
} from './xop/resolve.js';
export { contentIdFromCidUrl, cidUrlOf, contentIdMatches } from './xop/cid.js';
export { inflate } from './xop/inflate.js';
export type { InflateOptions, AttachmentReader, AttachmentBytes } from './xop/inflate.js';
export { optimize } from './xop/optimize.js';
export type { OptimizeOptions, OptimizeCandidate, OptimizedPart, OptimizedMessage } from './xop/optimize.js';
export { Base64Encoder } from './xop/base64.js';
export { describeRootMediaType } from './xop/media-type.js';
export type { RootMediaType, ContentTypeInput } from './xop/media-type.js';
export { DEFAULT_XML_LIMITS } from './xop/limits.js';
export type { XmlLimits } from './xop/limits.js';
export {
  SOAP11_NAMESPACE, SOAP12_NAMESPACE, XOP_NAMESPACE, XMIME_NAMESPACE, SOAP11_MEDIA_TYPE, SOAP12_MEDIA_TYPE,
  XOP_MEDIA_TYPE, clarkName,
} from './xop/names.js';
export type { SoapVersion } from './xop/names.js';

export type {
  AttachmentProperties, AttachmentReference, AttachmentMeta, AttachmentDocument, AttachmentBody, CacheWriter,
  DocumentCache,
} from './cache/types.js';
export { MemoryCache, DEFAULT_MEMORY_CACHE_BYTES } from './cache/memory.js';
export type { MemoryCacheOptions } from './cache/memory.js';
export { FileCache } from './cache/file.js';
export type { FileCacheOptions } from './cache/file.js';
export { RedisCache, DEFAULT_REDIS_CHUNK_BYTES } from './cache/redis.js';
export type { RedisCacheOptions, RedisClient, RedisClusterClient, RedisClusterOptions } from './cache/redis.js';
export { parseCacheSpec, openCache, describeCacheSpec, DEFAULT_CACHE_DIR, DEFAULT_CACHE_SPEC } from './cache/spec.js';
export type { CacheSpec, OpenCacheOptions } from './cache/spec.js';
export { DEFAULT_TTL_MS } from './cache/expiry.js';
export type { ExpiryOptions } from './cache/expiry.js';
export { StreamingDigest, streamMeasured } from './cache/digest.js';
export type { Measured } from './cache/digest.js';

export { receive } from './receive/receive.js';
export type {
  ReceiveOptions, ReceiveLimits, ReceivedMessage, RootDocument, RootDocumentProperties, ReceivedInclude,
} from './receive/receive.js';
export {
  createReceiver, createReceiverServer, handleClientError, DEFAULT_RECEIVER_TIMEOUTS, DEFAULT_LINGER_BYTES,
} from './receive/receiver.js';
export type {
  ReceiverOptions, ReceiverServerOptions, ReceiverHandler, ReceiverContext, ReceiverReply, ReceiverTimeouts,
} from './receive/receiver.js';
export { ROOT_ID_HEADER, RECEIVER_NAMESPACE, statusOf as receiverStatusOf } from './receive/reply.js';
export type { FaultStatusMode } from './receive/reply.js';

export { compose, soapMediaType } from './send/compose.js';
export type { ComposeOptions, ComposedMessage, ComposedPart, SendMode } from './send/compose.js';
export type { AttachmentInput, AttachmentBody as SendAttachmentBody } from './send/attachments.js';
export { send, DEFAULT_SEND_TIMEOUT_MS } from './send/client.js';
export type { SendOptions, SendResult } from './send/client.js';
export { parseSoapResponse } from './send/response.js';
export type { SoapResponse, ResponseOptions, HttpResponseLike } from './send/response.js';
export { readResponseEnvelope } from './send/fault.js';
export type { SoapFault, ResponseEnvelope } from './send/fault.js';
