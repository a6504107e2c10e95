/**
 * The HTTP receiver: a `(req, res)` handler for `node:http` (and so for
 * Express, and Fastify with a pass-through content-type parser) that runs
 * {@link receive} on each POSTed SOAP message and answers in SOAP.
 *
 * - Success: the handler's own answer (`onMessage`), or a SOAP response in
 *   the request's SOAP version naming the root document id and the stored
 *   attachments; always with the `X-Wss-Root-Document-Id` header.
 * - Failure: a SOAP Fault with the status of {@link statusOf}; nothing of the
 *   message stays in the cache — also when `onMessage` throws (the stored
 *   root is deleted again: a client that gets a fault may retry).
 *
 * Hardening:
 * - Limits come from `limits`; a Content-Length above `totalBytes` is refused
 *   (413) before a byte of the body is read.
 * - Body timeouts (see `source.ts`): an idle client and one trickling bytes
 *   below `minBytesPerSecond` are cut off (408, connection closed). Time the
 *   receiver spends waiting for a slow cache does not count. Header timeouts
 *   belong to the server: {@link createReceiverServer} sets them.
 * - A client that goes away aborts the receive: its staged attachments are
 *   discarded, no temporary file stays. (While a slow sink holds the socket
 *   paused, Node does not see the connection drop; it is seen as soon as the
 *   receiver reads again.)
 * - After an error with the body still arriving, the fault is written first
 *   and the rest of the body read and discarded up to a bounded size, then no
 *   longer read (flow control stalls the client), until the client goes or a
 *   bounded time passes (a lingering close), so that the client reads the
 *   fault instead of a connection reset; then the connection is closed.
 *
 * @module
 */

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { Readable, type Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DocumentCache } from '../cache/types.js';
import { ErrorCodes, isXopError, xopError, type XopError } from '../errors.js';
import { resolveMimeLimits } from '../mime/limits.js';
import { readableChunks } from '../mime/readable-source.js';
import { describeMessage } from '../mime/stream.js';
import type { SoapVersion } from '../xop/names.js';
import { SoapScanner } from '../xop/scanner.js';
import { receive, type ReceivedMessage, type ReceiveLimits } from './receive.js';
import {
  ROOT_ID_HEADER, announcedSoapVersion, faultReply, type FaultStatusMode, receivedReply, soapContentType, type SoapReply,
} from './reply.js';
import { contentCodingOf } from './content-coding.js';
import { guardSource } from './source.js';

/** Timeouts of the receiver, in ms (0 turns one off). */
export interface ReceiverTimeouts {
  /** Time to receive a request's headers; applied by {@link createReceiverServer}. Default 30 000. */
  headersMs?: number;
  /** Longest wait for the next chunk of a body. Default 30 000. */
  idleMs?: number;
  /**
   * Lowest average body rate, in bytes per second, over the time spent
   * waiting for the client (once `rateGraceMs` of waiting have passed).
   * Default 240 (Kestrel's `MinRequestBodyDataRate`).
   */
  minBytesPerSecond?: number;
  /** Waiting time before `minBytesPerSecond` applies. Default 5 000. */
  rateGraceMs?: number;
  /** Wall-clock limit for receiving and storing a whole message. Default 0 (none). */
  bodyMs?: number;
  /** After an error, how long to wait for the client to read the fault and go before closing. Default 2 000. */
  lingerMs?: number;
}

/** The defaults of {@link ReceiverTimeouts}. */
export const DEFAULT_RECEIVER_TIMEOUTS: Readonly<Required<ReceiverTimeouts>> = Object.freeze({
  headersMs: 30_000,
  idleMs: 30_000,
  minBytesPerSecond: 240,
  rateGraceMs: 5_000,
  bodyMs: 0,
  lingerMs: 2_000,
});

/** Most bytes read and discarded after an error (lingering close). */
export const DEFAULT_LINGER_BYTES = 1024 * 1024;

/** What `onMessage` is told besides the message. */
export interface ReceiverContext {
  req: IncomingMessage;
  /** The response: an `onMessage` that writes it itself must end it (then no other answer is sent). */
  res: ServerResponse;
  /** The root document id (the message's `wss_root_document_id`). */
  rootId: string;
  /** The cache the attachments are in. */
  cache: DocumentCache;
  /** The request's SOAP version (answers use it). */
  soapVersion: SoapVersion;
}

/**
 * An answer of `onMessage`:
 * - `{ xml }`: a SOAP response — a whole Envelope, or a payload that is put in
 *   a Body of the request's SOAP version;
 * - `{ headers, body }`: anything, streamed: e.g. the `ComposedMessage` of
 *   `compose()` — a `multipart/related` SwA or MTOM response with attachments.
 * The receiver adds `X-Wss-Root-Document-Id`.
 */
export type ReceiverReply =
  | { xml: string | Uint8Array; status?: number; headers?: Record<string, string> }
  | {
    headers: Record<string, string>;
    body: Readable | AsyncIterable<Uint8Array> | Uint8Array | string;
    status?: number;
  };

/** Options of {@link createReceiver}. */
export interface ReceiverOptions {
  /** Where attachments go. */
  cache: DocumentCache;
  /** Limits of each message; see {@link ReceiveLimits}. */
  limits?: ReceiveLimits;
  /** See `ReceiveOptions.strict`. */
  strict?: boolean;
  /**
   * The HTTP status of a fault: `'http'` (default) by what went wrong (400
   * malformed, 413 over a limit, 415 unsupported media type, 408 too slow,
   * 500 the server's failure); `'soap'` by the SOAP binding, so that SOAP
   * clients read the fault: every SOAP 1.1 fault with 500 (SOAP 1.1 §6.2,
   * WS-I BP R1126; Metro reads no other), SOAP 1.2 Sender faults with 400 and
   * Receiver faults with 500 (gSOAP reads only 400 and 500); 415, 408 and 405
   * stay.
   */
  faultStatus?: FaultStatusMode;
  /** Accept a message without its close delimiter (CXF-compatible). */
  allowMissingCloseDelimiter?: boolean;
  /** Take LF "--" boundary as a delimiter in CRLF-framed messages too (mimepull-compatible; see `receive`). Default false. */
  allowBareLfDelimiters?: boolean;
  timeouts?: ReceiverTimeouts;
  /** Most bytes read and discarded after an error; past them the body is no longer read. Default {@link DEFAULT_LINGER_BYTES}. */
  lingerBytes?: number;
  /**
   * Called with each message once its attachments are committed. Returns the
   * answer, or nothing for the default one. When it throws, the message's
   * documents are deleted and the client gets a fault (500 unless the error
   * is an XopError with another status).
   */
  onMessage?: (message: ReceivedMessage, context: ReceiverContext) =>
    ReceiverReply | void | undefined | Promise<ReceiverReply | void | undefined>;
  /** Told about every failed request (logging). Must not throw. */
  onError?: (error: unknown, context: { req: IncomingMessage; status: number }) => void;
}

/** A `(req, res)` handler; its promise settles when the request is finished with, and never rejects. */
export interface ReceiverHandler {
  (req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** For a server's `checkContinue` event: answers `Expect: 100-continue` after the checks that need no body. */
  checkContinue(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

function checkTimeouts(timeouts: ReceiverTimeouts | undefined): Required<ReceiverTimeouts> {
  const out = { ...DEFAULT_RECEIVER_TIMEOUTS };
  if (timeouts === undefined) return out;
  for (const key of Object.keys(DEFAULT_RECEIVER_TIMEOUTS) as Array<keyof ReceiverTimeouts>) {
    const value = timeouts[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw xopError(ErrorCodes.BAD_ARGUMENT, `timeouts.${key} must be a non-negative number, got ${String(value)}`);
    }
    out[key] = value;
  }
  return out;
}

/**
 * Creates the receiver.
 *
 * @example
 * const cache = new FileCache({ dir: './.xopstream-cache' });
 * http.createServer(createReceiver({ cache })).listen(8080);
 *
 * @throws XopError `ERR_BAD_ARGUMENT` for bad options.
 */
export function createReceiver(options: ReceiverOptions): ReceiverHandler {
  if (options === null || typeof options !== 'object' || options.cache === null || typeof options.cache !== 'object' ||
      typeof options.cache.begin !== 'function') {
    throw xopError(ErrorCodes.BAD_ARGUMENT, 'createReceiver() needs options.cache (a DocumentCache)');
  }
  if (options.onMessage !== undefined && typeof options.onMessage !== 'function') {
    throw xopError(ErrorCodes.BAD_ARGUMENT, 'onMessage must be a function');
  }
  if (options.faultStatus !== undefined && options.faultStatus !== 'http' && options.faultStatus !== 'soap') {
    throw xopError(ErrorCodes.BAD_ARGUMENT, `faultStatus must be 'http' or 'soap', got ${JSON.stringify(options.faultStatus)}`);
  }
  let totalBytes: number;
  try {
    totalBytes = resolveMimeLimits(options.limits).totalBytes;
  } catch (error) {
    throw xopError(ErrorCodes.BAD_ARGUMENT, (error as Error).message, { cause: error });
  }
  const timeouts = checkTimeouts(options.timeouts);
  const lingerBytes = options.lingerBytes ?? DEFAULT_LINGER_BYTES;
  if (!Number.isSafeInteger(lingerBytes) || lingerBytes < 0) {
    throw xopError(ErrorCodes.BAD_ARGUMENT, `lingerBytes must be a non-negative integer, got ${String(lingerBytes)}`);
  }
  const settings: Settings = { options, timeouts, totalBytes, lingerBytes };
  const handler = ((req: IncomingMessage, res: ServerResponse) => handle(req, res, settings, false)) as ReceiverHandler;
  handler.checkContinue = async (req, res) => {
    const refused = precheck(req, settings);
    if (refused === null) res.writeContinue();
    // Refused: the client sends no body (it waits for 100 Continue), so there is nothing to linger over.
    await handle(req, res, settings, refused !== null);
  };
  return handler;
}

interface Settings {
  options: ReceiverOptions;
  timeouts: Required<ReceiverTimeouts>;
  totalBytes: number;
  lingerBytes: number;
}

/** The checks that need no body: method, media type, content coding, declared length. */
function precheck(req: IncomingMessage, settings: Settings): XopError | null {
  if (req.method !== 'POST') {
    return xopError(ErrorCodes.BAD_ARGUMENT, `method ${String(req.method)} not allowed: POST a SOAP message`, { status: 405 });
  }
  const contentType = req.headers['content-type'];
  if (contentType === undefined || contentType.trim() === '') {
    return xopError(ErrorCodes.MIME_UNSUPPORTED_MEDIA_TYPE, 'the request has no Content-Type', { status: 415 });
  }
  try {
    describeMessage(contentType, settings.options.limits);
    contentCodingOf(req.headers['content-encoding']);
  } catch (error) {
    return error as XopError;
  }
  const declared = req.headers['content-length'];
  if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > settings.totalBytes) {
    return xopError(ErrorCodes.MIME_MESSAGE_TOO_LARGE,
      `Content-Length ${declared} exceeds limits.totalBytes (${settings.totalBytes})`, { limit: settings.totalBytes });
  }
  return null;
}

async function handle(req: IncomingMessage, res: ServerResponse, settings: Settings, noBody: boolean): Promise<void> {
  const { options, timeouts } = settings;
  const contentType = req.headers['content-type'];
  const controller = new AbortController();
  const onClose = (): void => {
    if (!res.writableFinished) {
      controller.abort(xopError(ErrorCodes.ABORTED, 'the client closed the connection'));
    }
  };
  res.on('close', onClose);
  let deadline: NodeJS.Timeout | undefined;
  if (timeouts.bodyMs > 0) {
    deadline = setTimeout(() => controller.abort(xopError(ErrorCodes.TIMEOUT,
      `the message was not received within ${timeouts.bodyMs} ms`, { status: 408 })), timeouts.bodyMs);
  }
  let rootId: string | null = null;
  let version: SoapVersion = announcedSoapVersion(contentType);
  try {
    const refused = precheck(req, settings);
    if (refused !== null) throw refused;
    const source = guardSource(readableChunks(req, { destroyOnReturn: false }), {
      idleMs: timeouts.idleMs, minBytesPerSecond: timeouts.minBytesPerSecond, rateGraceMs: timeouts.rateGraceMs,
    });
    const message = await receive(source, {
      contentType: contentType!,
      cache: options.cache,
      signal: controller.signal,
      ...(options.limits === undefined ? {} : { limits: options.limits }),
      strict: options.strict === true,
      allowMissingCloseDelimiter: options.allowMissingCloseDelimiter === true,
      allowBareLfDelimiters: options.allowBareLfDelimiters === true,
      // The timeouts above measure the bytes on the wire; receive() inflates a gzip or deflate body.
      contentEncoding: req.headers['content-encoding'] ?? 'identity',
      // The request's own base (RFC 2557 §5), as receive(req) would take it: the source here is not req itself.
      ...messageBase(req),
    });
    clearTimeout(deadline);
    rootId = message.rootDocument.properties.wss_root_document_id;
    version = message.soap.version ?? version;
    let reply: ReceiverReply | void | undefined;
    if (options.onMessage !== undefined) {
      try {
        reply = await options.onMessage(message, { req, res, rootId, cache: options.cache, soapVersion: version });
      } catch (error) {
        // The handler's own XopError keeps its status; anything else is the server's failure.
        throw isXopError(error) ? error : serverFailure('onMessage failed', error);
      }
    }
    if (res.writableEnded || res.destroyed) return; // onMessage answered itself
    try {
      if (res.headersSent) throw xopError(ErrorCodes.BAD_ARGUMENT, 'onMessage started a response and did not end it');
      await writeReply(res, reply ?? receivedReply(rootId, message.attachments, version), rootId, version);
    } catch (error) {
      throw serverFailure('the answer could not be written', error);
    }
  } catch (error) {
    clearTimeout(deadline);
    if (rootId !== null) {
      // The message was stored but its handling failed: the client gets a fault, so nothing stays.
      await options.cache.delete(rootId).catch(() => undefined);
    }
    await fail(req, res, error, version, settings, noBody);
  } finally {
    res.off('close', onClose);
  }
}

/** The `baseUri` option from the request's Content-Base or Content-Location header, when it has one. */
function messageBase(req: IncomingMessage): { baseUri?: string } {
  const value = req.headers['content-base'] ?? req.headers['content-location'];
  return typeof value === 'string' ? { baseUri: value } : {};
}

/** Answers with a fault, lingering over the rest of the body when there is one. */
async function fail(req: IncomingMessage, res: ServerResponse, error: unknown, requestVersion: SoapVersion,
  settings: Settings, noBody: boolean): Promise<void> {
  const detailsVersion = isXopError(error) ? error.details['soapVersion'] : undefined;
  const version = detailsVersion === '1.1' || detailsVersion === '1.2' ? detailsVersion : requestVersion;
  const reply = faultReply(error, version, settings.options.faultStatus ?? 'http');
  try {
    settings.options.onError?.(error, { req, status: reply.status });
  } catch {
    // A logging hook must not change the answer.
  }
  if (res.headersSent || res.destroyed || (isXopError(error) && error.code === ErrorCodes.ABORTED && req.destroyed)) {
    res.destroy();
    return;
  }
  const bodyLeft = !req.complete;
  if (!bodyLeft) {
    res.writeHead(reply.status, reply.headers);
    res.end(reply.body);
    return;
  }
  // The client may still be sending: this connection cannot be reused.
  res.writeHead(reply.status, { ...reply.headers, Connection: 'close' });
  if (noBody || (isXopError(error) && error.code === ErrorCodes.TIMEOUT)) {
    // A client too slow to send is not waited for again (nor one told not to send).
    res.end(reply.body, () => { if (!noBody) req.socket?.destroy(); });
    return;
  }
  // The whole fault goes out (Content-Length tells the client it is complete) before the body is drained.
  res.write(reply.body);
  await linger(req, settings);
  res.end();
}

/** A failure after the message was received: the server's (500), whatever it was. */
function serverFailure(what: string, error: unknown): XopError {
  const message = error instanceof Error ? error.message : String(error);
  return xopError(ErrorCodes.BAD_ARGUMENT, `${what}: ${message}`, { cause: error, status: 500 });
}

/** Reads and discards the rest of a request, up to the linger budget. */
function linger(req: IncomingMessage, settings: Settings): Promise<void> {
  return new Promise((resolve) => {
    let bytes = 0;
    const done = (): void => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', done);
      req.off('error', done);
      req.off('close', done);
      if (!req.complete) req.pause();
      resolve();
    };
    const onData = (chunk: Buffer): void => {
      bytes += chunk.length;
      if (bytes > settings.lingerBytes) {
        // Enough discarded: stop reading, so that TCP flow control stalls the
        // client while it reads the fault, but do not close yet — closing with
        // unread bytes sends a reset that can destroy the fault in the
        // client's receive queue. Wait for the client to go, or the linger time.
        req.off('data', onData);
        req.pause();
      }
    };
    const timer = setTimeout(done, settings.timeouts.lingerMs);
    if (req.complete || req.destroyed) {
      done();
      return;
    }
    req.on('data', onData);
    req.once('end', done);
    req.once('error', done);
    req.once('close', done);
    req.resume();
  });
}

/** Writes an answer of `onMessage` (or the default one). */
async function writeReply(res: ServerResponse, reply: ReceiverReply | SoapReply, rootId: string,
  version: SoapVersion): Promise<void> {
  if ('xml' in reply) {
    const { body, contentType } = soapResponse(reply.xml, version);
    res.writeHead(reply.status ?? 200, {
      'Content-Type': contentType, ...reply.headers, 'Content-Length': String(body.length), [ROOT_ID_HEADER]: rootId,
    });
    res.end(body);
    return;
  }
  if (reply === null || typeof reply !== 'object' || reply.headers === null || typeof reply.headers !== 'object') {
    throw xopError(ErrorCodes.BAD_ARGUMENT, 'onMessage must return { xml } or { headers, body }');
  }
  res.writeHead(reply.status ?? 200, { ...reply.headers, [ROOT_ID_HEADER]: rootId });
  const body = reply.body;
  if (typeof body === 'string' || body instanceof Uint8Array) {
    res.end(body);
    return;
  }
  await pipeline(body instanceof Readable ? body : Readable.from(body, { objectMode: false }), res);
}

/** A whole Envelope as it is; a payload wrapped in a Body of `version`. */
function soapResponse(xml: string | Uint8Array, version: SoapVersion): { body: Buffer; contentType: string } {
  const bytes = typeof xml === 'string' ? Buffer.from(xml, 'utf8') : Buffer.from(xml.buffer, xml.byteOffset, xml.length);
  const scanner = new SoapScanner({ requireEnvelope: false, retainEnvelope: false });
  scanner.write(bytes);
  const scan = scanner.end();
  if (scan.version !== null) return { body: bytes, contentType: soapContentType(scan.version) };
  const ns = version === '1.1' ? 'http://schemas.xmlsoap.org/soap/envelope/' : 'http://www.w3.org/2003/05/soap-envelope';
  const payload = stripXmlDeclaration(bytes);
  // Copy: the payload is joined with the Envelope's start and end tags into one response body.
  const body = Buffer.concat([
    Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="${ns}"><soap:Body>`, 'utf8'),
    payload,
    Buffer.from('</soap:Body></soap:Envelope>\n', 'utf8'),
  ]);
  return { body, contentType: soapContentType(version) };
}

function stripXmlDeclaration(bytes: Buffer): Buffer {
  let start = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  if (bytes.subarray(start, start + 5).toString('latin1') === '<?xml') {
    const end = bytes.indexOf('?>', start);
    if (end > 0) start = end + 2;
  }
  return bytes.subarray(start);
}

/** Options of {@link createReceiverServer}: the receiver's, plus the server's. */
export interface ReceiverServerOptions extends ReceiverOptions {
  /** Largest request header block, bytes. Default 16 KiB (Node's default). */
  maxHeaderSize?: number;
  /** How long an idle keep-alive connection stays open, ms. Default 5 000. */
  keepAliveMs?: number;
}

/**
 * An `http.Server` running the receiver with the timeouts that only a server
 * can set: `timeouts.headersMs` (slow headers: 408, closed), no overall
 * request timeout (large uploads are policed by the body timeouts instead),
 * keep-alive timeout, and early answers to `Expect: 100-continue`. Bytes
 * that follow a complete request on a closing connection do not cut off the
 * answer to that request (Node's default would answer 400 and destroy the
 * socket mid-answer): it is finished, then the connection is closed.
 */
export function createReceiverServer(options: ReceiverServerOptions): http.Server {
  const handler = createReceiver(options);
  const timeouts = checkTimeouts(options.timeouts);
  const headersMs = timeouts.headersMs;
  const server = http.createServer({
    ...(headersMs > 0 ? { headersTimeout: headersMs } : {}),
    requestTimeout: 0,
    // Node checks header deadlines on this interval: keep it well under the deadline.
    connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor((headersMs > 0 ? headersMs : 30_000) / 4))),
    maxHeaderSize: options.maxHeaderSize ?? 16 * 1024,
  }, (req, res) => { void handler(req, res); });
  server.keepAliveTimeout = options.keepAliveMs ?? 5_000;
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => { void handler.checkContinue(req, res); });
  server.on('clientError', handleClientError);
  return server;
}

/** What Node's own clientError handler writes for each parser error (lib/_http_server.js). */
const CLIENT_ERROR_ANSWERS: Readonly<Record<string, string>> = {
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: '413 Payload Too Large',
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
};

/**
 * A `'clientError'` listener for an `http.Server` that runs the receiver:
 * Node's handling of a client error, except that the answer to a request
 * received whole is finished first, then the connection closed.
 * {@link createReceiverServer} installs it; a server you create yourself
 * around {@link createReceiver} needs `server.on('clientError', handleClientError)`
 * for the same behaviour. Node's default writes 400 and
 * destroys the socket at once, also when the error is in bytes that follow a
 * complete request on a connection that is to close (HTTP/1.0 or
 * `Connection: close`: Node reports `HPE_CLOSED_CONNECTION`) — so the
 * receiver's answer to that request was lost and the client read a bare 400.
 * Apache Axis 1.4 with JavaMail 1.6 sends such bytes: its HTTP/1.0
 * Content-Length falls short of the body it writes (checked live in
 * test/interop-axis.test.ts).
 */
export function handleClientError(error: Error & { code?: string }, socket: Duplex): void {
  const pending = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  // Only after a complete request: an error inside a body leaves the receiver waiting for bytes that never come.
  if (pending !== undefined && pending !== null && pending.req.complete && !pending.writableFinished && !pending.destroyed) {
    pending.once('finish', () => socket.end());
    pending.once('close', () => socket.destroy());
    return;
  }
  if (socket.writable && (pending === undefined || pending === null || !pending.headersSent)) {
    const status = CLIENT_ERROR_ANSWERS[error.code ?? ''] ?? '400 Bad Request';
    socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
  }
  socket.destroy();
}
