/**
 * The HTTP client: sends a composed message and parses the answer.
 *
 * Built on `node:http` / `node:https` rather than the built-in `fetch`
 * (undici), on purpose:
 * - framing control: the composer knows the exact Content-Length whenever
 *   every attachment size is known, and `node:http` sends it as given (and
 *   chunked otherwise); with `fetch`, a streamed body always goes chunked, which
 *   some SOAP stacks (older IIS/WCF hosts, some proxies) refuse;
 * - backpressure: `stream.pipeline(body, request)` pauses the cache stream when
 *   the socket is full, with no intermediate Web-stream conversion;
 * - precise error classes: whether the connection was ever established tells
 *   a request that never reached the server (safe to retry) from one that
 *   died mid-upload (not safe for a POST) — `fetch` folds both into one
 *   `TypeError: fetch failed`;
 * - early answers: a server that answers (413, a Fault) before reading the
 *   whole upload is read, not lost to an EPIPE.
 *
 * @module
 */

import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { pipeline, type Readable } from 'node:stream';
import { ErrorCodes, isXopError, xopError } from '../errors.js';
import { compose, type ComposeOptions, type ComposedMessage } from './compose.js';
import { parseSoapResponse, type ResponseOptions, type SoapResponse } from './response.js';

/** Options of {@link send}. */
export interface SendOptions extends ResponseOptions {
  /**
   * The SOAP action. SOAP 1.1: the `SOAPAction` header. SOAP 1.2: the `action`
   * parameter, which lives in the Content-Type — pass it to `compose()` (or
   * give `send()` the compose options); a different one here is an error.
   */
  soapAction?: string;
  /** Milliseconds for the whole exchange, retries included (connect, upload, answer). Default 300000. */
  timeout?: number;
  /** Aborts the exchange: the promise rejects with `ERR_ABORTED`. */
  signal?: AbortSignal;
  /** Extra request headers (not Content-Type, Content-Length or MIME-Version: the composer owns those). */
  headers?: Record<string, string>;
  /**
   * Retries when it is safe for a POST: the connection could not be
   * established (the server never saw the request), or the server answered
   * 503 / 429 (it refused to process it). Needs a replayable message (byte
   * arrays and cache documents; not once-only streams). Default 0.
   */
  retries?: number;
  /** First retry delay in ms, doubled each time; a Retry-After header (up to 30 s) wins. Default 200. */
  retryDelay?: number;
  /** HTTP agent (keep-alive pools, TLS options). */
  agent?: http.Agent;
}

/** What {@link send} resolves with: the parsed answer. */
export type SendResult = SoapResponse;

/** Default of {@link SendOptions.timeout}: five minutes. */
export const DEFAULT_SEND_TIMEOUT_MS = 300_000;
const MAX_RETRY_AFTER_MS = 30_000;
const ACCEPT = 'multipart/related, application/soap+xml, application/xop+xml, text/xml';

function isComposed(message: ComposedMessage | ComposeOptions): message is ComposedMessage {
  return typeof (message as ComposedMessage).contentType === 'string' && typeof (message as ComposedMessage).recompose === 'function';
}

/** Builds the request headers: the composer's, an Accept, the caller's extras, the SOAP 1.1 action. */
function requestHeaders(message: ComposedMessage, options: SendOptions): Record<string, string> {
  const headers: Record<string, string> = { ...message.headers, Accept: ACCEPT };
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    const lower = name.toLowerCase();
    if (lower === 'content-type' || lower === 'content-length' || lower === 'mime-version' || lower === 'transfer-encoding') {
      throw xopError(ErrorCodes.BAD_ARGUMENT, `the ${name} header is set by the composer`);
    }
    if (typeof value !== 'string' || /[\r\n\0]/.test(value)) {
      throw xopError(ErrorCodes.BAD_ARGUMENT, `header ${name} must be a single-line string`);
    }
    if (lower === 'soapaction') delete headers['SOAPAction'];
    if (lower === 'accept') delete headers['Accept'];
    headers[name] = value;
  }
  if (options.soapAction !== undefined) {
    if (message.soapVersion === '1.2') {
      if (options.soapAction !== message.soapAction) {
        throw xopError(ErrorCodes.BAD_ARGUMENT,
          'a SOAP 1.2 action lives in the Content-Type: pass soapAction to compose() (or give send() the compose options)');
      }
    } else {
      if (/["\\\r\n]/.test(options.soapAction)) throw xopError(ErrorCodes.BAD_ARGUMENT, 'soapAction must not contain quotes, backslashes or line breaks');
      headers['SOAPAction'] = `"${options.soapAction}"`;
    }
  }
  return headers;
}

/** Where an exchange was when it failed: connecting, uploading, waiting for the answer, reading it. */
type Phase = 'connect' | 'request' | 'wait' | 'response';

const PHASE_TEXT: Record<Phase, string> = {
  connect: 'could not connect',
  request: 'the connection failed while sending',
  wait: 'the connection closed before an answer',
  response: 'the connection failed while receiving',
};

function networkError(error: unknown, phase: Phase): Error {
  const code = (error as { code?: unknown })?.code;
  return xopError(ErrorCodes.NETWORK, `${PHASE_TEXT[phase]}: ${error instanceof Error ? error.message : String(error)}`,
  { cause: error, phase, ...(typeof code === 'string' ? { systemCode: code } : {}) });
}

/**
 * Sends a message and parses the answer.
 *
 * `message` is a {@link ComposedMessage} or the options to compose one (then
 * `options.soapAction` goes into the composition, and retries can rebuild the
 * body). The body streams: a slow server slows the cache reads.
 *
 * @example
 * const answer = await send('https://peer/service', { xml, rootId, cache, mode: 'mtom', soapVersion: '1.2' },
 *   { soapAction: 'urn:Upload', timeout: 60_000 });
 *
 * @throws XopError `ERR_NETWORK` (`details.phase`: connect | request | wait | response;
 *   only `connect` means the server never saw the request),
 *   `ERR_TIMEOUT`, `ERR_ABORTED`, `ERR_HTTP_STATUS` (`details.status`,
 *   `details.body` — the first `maxErrorBodyBytes`), `ERR_SOAP_FAULT`
 *   ({@link SoapFaultError}, `details.faultCode`, `details.reason`), and the
 *   composer's and parser's own errors.
 */
export async function send(url: string | URL, message: ComposedMessage | ComposeOptions, options: SendOptions = {}): Promise<SendResult> {
  let target: URL;
  try {
    target = new URL(url);
  } catch (cause) {
    throw xopError(ErrorCodes.BAD_ARGUMENT, `not a URL: ${String(url)}`, { cause });
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw xopError(ErrorCodes.BAD_ARGUMENT, `unsupported protocol ${target.protocol} (http: or https:)`);
  }
  const timeout = options.timeout ?? DEFAULT_SEND_TIMEOUT_MS;
  const retries = options.retries ?? 0;
  if (!(timeout > 0) || !Number.isFinite(timeout)) throw xopError(ErrorCodes.BAD_ARGUMENT, 'timeout must be a positive number of ms');
  if (!Number.isSafeInteger(retries) || retries < 0) throw xopError(ErrorCodes.BAD_ARGUMENT, 'retries must be a non-negative integer');
  const signal = options.signal;
  if (signal?.aborted) throw xopError(ErrorCodes.ABORTED, 'send aborted before it started', { cause: signal.reason });

  const composed = isComposed(message)
    ? message
    : await compose(options.soapAction === undefined || message.soapAction !== undefined ? message : { ...message, soapAction: options.soapAction });
  const headers = requestHeaders(composed, options);
  const deadline = Date.now() + timeout;

  for (let attempt = 0; ; attempt++) {
    const body = attempt === 0 ? composed.body : composed.recompose();
    try {
      return await exchange(target, headers, body, options, deadline);
    } catch (error) {
      body.destroy();
      const wait = retryWait(error, attempt, options);
      if (attempt >= retries || !composed.replayable || wait === null) throw error;
      await sleep(Math.min(wait, Math.max(0, deadline - Date.now())), signal);
      if (Date.now() >= deadline) throw error;
    }
  }
}

/** How long to wait before retrying after `error`, or null when retrying is not safe. */
function retryWait(error: unknown, attempt: number, options: SendOptions): number | null {
  if (!isXopError(error)) return null;
  const backoff = (options.retryDelay ?? 200) * 2 ** attempt;
  if (error.code === ErrorCodes.NETWORK && error.details['phase'] === 'connect') return backoff;
  if (error.code === ErrorCodes.HTTP_STATUS && (error.details.status === 503 || error.details.status === 429)) {
    const retryAfter = Number(error.details['retryAfter']);
    return Number.isFinite(retryAfter) && retryAfter >= 0 ? Math.min(retryAfter * 1000, MAX_RETRY_AFTER_MS) : backoff;
  }
  return null;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(xopError(ErrorCodes.ABORTED, 'send aborted', { cause: signal!.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** One request/response exchange. */
function exchange(target: URL, headers: Record<string, string>, body: Readable, options: SendOptions, deadline: number): Promise<SoapResponse> {
  return new Promise<SoapResponse>((resolve, reject) => {
    const signal = options.signal;
    const transport = target.protocol === 'https:' ? https : http;
    let phase: Phase = 'connect';
    let settled = false;
    let bodyError: unknown = null;
    let uploadDone = false;
    const abortParse = new AbortController();

    const finish = (error: unknown, result?: SoapResponse): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (error === null) {
        // An answer that came before the upload ended: stop sending (the server has spoken).
        if (!uploadDone) {
          request.destroy();
          body.destroy();
        }
        resolve(result!);
        return;
      }
      abortParse.abort(error);
      request.destroy();
      body.destroy();
      reject(error);
    };
    const onAbort = (): void => finish(xopError(ErrorCodes.ABORTED, 'send aborted', { cause: signal!.reason, phase }), undefined);
    const timer = setTimeout(() => finish(xopError(ErrorCodes.TIMEOUT, `no complete answer within the timeout (${phase} phase)`,
      { phase, limit: options.timeout ?? DEFAULT_SEND_TIMEOUT_MS })), Math.max(0, deadline - Date.now()));

    const request = transport.request(target, { method: 'POST', headers, ...(options.agent === undefined ? {} : { agent: options.agent }) });
    request.on('socket', (socket: Socket) => {
      if (socket.connecting) socket.once('connect', () => { if (phase === 'connect') phase = 'request'; });
      else if (phase === 'connect') phase = 'request';
    });
    request.on('error', (error) => {
      // After the answer began, its own stream reports failures.
      if (phase !== 'response') finish(bodyError ?? networkError(error, phase));
    });
    body.on('error', (error) => { bodyError ??= error; });
    pipeline(body, request, (error) => {
      uploadDone = error === undefined || error === null;
      if (uploadDone && phase === 'request') phase = 'wait';
      if (error !== undefined && error !== null && phase !== 'response') finish(bodyError ?? networkError(error, phase));
    });
    request.on('response', (response: http.IncomingMessage) => {
      phase = 'response';
      response.on('error', () => { /* reported through the parse below */ });
      const retryAfter = response.headers['retry-after'];
      parseSoapResponse({
        status: response.statusCode ?? 0, statusText: response.statusMessage ?? '', headers: response.headers, body: response,
      }, { ...options, signal: abortParse.signal }).then(
        (result) => finish(null, result),
        (error: unknown) => {
          if (isXopError(error) && error.code === ErrorCodes.ABORTED && !abortParse.signal.aborted && signal?.aborted !== true) {
            // Nobody aborted: the answer's stream failed (the connection dropped mid-answer).
            finish(networkError(error.details.cause ?? error, 'response'));
          } else if (isXopError(error)) {
            if (error.code === ErrorCodes.HTTP_STATUS && retryAfter !== undefined && /^\d+$/.test(retryAfter.trim())) {
              error.details['retryAfter'] = Number(retryAfter.trim());
            }
            finish(error);
          } else {
            finish(networkError(error, 'response'));
          }
        },
      );
    });
    if (signal !== undefined) signal.addEventListener('abort', onAbort, { once: true });
  });
}
