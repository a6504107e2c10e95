/**
 * The streaming face of the parser: `parseMultipart` over a Node `Readable`,
 * a Web `ReadableStream` or any `AsyncIterable<Uint8Array>`.
 *
 * Backpressure: the source is pulled one chunk at a time, and only when the
 * consumer has taken every event of the previous chunk. A part body that is
 * not being read therefore pauses the source; the most that is ever held is
 * the views of one chunk.
 *
 * @module
 */

import { ErrorCodes, xopError, type XopError } from '../errors.js';
import { boundaryOf, isXmlMediaType, parseContentType, stripAngleBrackets, type ContentType } from './content-type.js';
import { PartHeaders } from './headers.js';
import { resolveMimeLimits, type MimeLimits } from './limits.js';
import { MultipartParser } from './parser.js';
import { createTransferDecoder, type TransferDecoder } from './transfer-encoding.js';

/** Anything parseMultipart reads from. */
export type ByteSource =
  | AsyncIterable<Uint8Array>
  | Iterable<Uint8Array>
  | ReadableStream<Uint8Array>;

/** Options of {@link parseMultipart}. */
export interface ParseMultipartOptions {
  /** Limits; see {@link MimeLimits}. */
  limits?: MimeLimits;
  /** Accept a missing close delimiter (CXF-compatible). Default false. */
  allowMissingCloseDelimiter?: boolean;
  /**
   * Decode base64 / quoted-printable bodies (default true). When false,
   * `part.body` yields the bytes as received.
   */
  decode?: boolean;
  /** Aborts the parse: the iterator rejects with `ERR_ABORTED`. */
  signal?: AbortSignal;
  /**
   * When the `start` parameter names no part: false (default) falls back to
   * the first part as the root, as CXF and Axiom do for XFire-era peers, and
   * records a warning; true rejects with `ERR_MIME_START_NOT_FOUND`.
   */
  requireStart?: boolean;
}

/** One MIME part as {@link parseMultipart} yields it. */
export interface MultipartPart {
  /** Position of the part in the message, from 0. */
  readonly index: number;
  /** The part's headers. */
  readonly headers: PartHeaders;
  /** Content-ID without angle brackets, or null. */
  readonly contentId: string | null;
  /** Content-Type as received, or null. */
  readonly contentType: string | null;
  /** Content-Transfer-Encoding as received, or null. */
  readonly contentTransferEncoding: string | null;
  /** Content-Location as received, or null. */
  readonly contentLocation: string | null;
  /** Content-Disposition as received, or null. */
  readonly contentDisposition: string | null;
  /**
   * True for the root part: the one named by `start` (RFC 2387 §3.2), else
   * the first. Known when the part begins, with one exception: when `start`
   * names no part at all, the first part becomes the root once the message
   * has ended (see {@link ParsedMultipart.rootIndex}).
   */
  readonly isRoot: boolean;
  /**
   * The body, decoded per Content-Transfer-Encoding. Identity encodings yield
   * zero-copy views of the source's chunks, valid as long as those chunks are.
   * Read it before asking for the next part: moving on skips what is unread.
   */
  readonly body: AsyncIterable<Uint8Array>;
}

/** What the Content-Type of a message says about its framing. */
export interface MessageInfo {
  contentType: ContentType;
  /** Boundary for multipart messages, null for a single XML document. */
  boundary: string | null;
  /** The `start` parameter without angle brackets, or null. */
  start: string | null;
}

/**
 * Checks a message's Content-Type before any byte is read.
 *
 * @throws XopError `ERR_MIME_NO_BOUNDARY` (multipart without a usable boundary),
 *   `ERR_MIME_BAD_CONTENT_TYPE`, `ERR_MIME_UNSUPPORTED_MEDIA_TYPE`.
 */
export function describeMessage(contentTypeHeader: string, limits?: MimeLimits): MessageInfo {
  const contentType = parseContentType(contentTypeHeader);
  if (contentType.mediaType.startsWith('multipart/')) {
    const boundary = boundaryOf(contentType, resolveMimeLimits(limits).boundaryLength);
    const start = contentType.parameters['start'];
    return { contentType, boundary, start: start === undefined || start === '' ? null : stripAngleBrackets(start) };
  }
  if (isXmlMediaType(contentType.mediaType)) return { contentType, boundary: null, start: null };
  throw xopError(ErrorCodes.MIME_UNSUPPORTED_MEDIA_TYPE,
    `${contentType.mediaType} is neither multipart nor a SOAP/XML media type`, { status: 415 });
}

type Event =
  | { kind: 0; headers: PartHeaders; bodyOffset: number } // part begins
  | { kind: 1; view: Uint8Array } //      body bytes
  | { kind: 2 }; //                        part ends

const PART_END: Event = { kind: 2 };

/** Turns any supported source into an async iterator of byte chunks. */
export function toAsyncIterator(source: ByteSource): AsyncIterator<Uint8Array> {
  const s = source as Partial<AsyncIterable<Uint8Array> & Iterable<Uint8Array> & ReadableStream<Uint8Array>>;
  if (typeof s[Symbol.asyncIterator] === 'function') return s[Symbol.asyncIterator]!();
  if (typeof s.getReader === 'function') {
    const reader = s.getReader();
    return {
      next: () => reader.read() as Promise<IteratorResult<Uint8Array>>,
      return: async () => {
        await reader.cancel();
        return { done: true, value: undefined };
      },
    };
  }
  if (typeof s[Symbol.iterator] === 'function') {
    const it = s[Symbol.iterator]!();
    return { next: async () => it.next(), return: async () => it.return?.() ?? { done: true, value: undefined } };
  }
  throw xopError(ErrorCodes.BAD_ARGUMENT, 'source must be a Readable, ReadableStream or (async) iterable of Uint8Array');
}

/**
 * Pulls chunks from the source and feeds the push parser, one chunk per
 * request, keeping the events of that chunk until the consumer takes them.
 */
class EventPump {
  readonly #source: AsyncIterator<Uint8Array>;
  readonly #parser: MultipartParser | null;
  readonly #signal: AbortSignal | undefined;
  #events: Event[] = [];
  #next = 0;
  #sourceDone = false;
  #failed: unknown = null;
  /** For a single-part (non-multipart) message: whether its begin was emitted. */
  #singleBegun = false;
  readonly #singleHeaders: PartHeaders | null;

  constructor(source: AsyncIterator<Uint8Array>, info: MessageInfo, headerValue: string, options: ParseMultipartOptions) {
    this.#source = source;
    this.#signal = options.signal;
    if (info.boundary === null) {
      this.#parser = null;
      this.#singleHeaders = PartHeaders.from([['content-type', headerValue]]);
    } else {
      this.#singleHeaders = null;
      const events = (): Event[] => this.#events;
      this.#parser = new MultipartParser({
        boundary: info.boundary,
        ...(options.limits === undefined ? {} : { limits: options.limits }),
        allowMissingCloseDelimiter: options.allowMissingCloseDelimiter === true,
      }, {
        onPartBegin: (headers) => { events().push({ kind: 0, headers, bodyOffset: this.#parser!.bodyOffset }); },
        onPartData: (view) => { events().push({ kind: 1, view }); },
        onPartEnd: () => { events().push(PART_END); },
      });
    }
    this.#totalLimit = resolveMimeLimits(options.limits).totalBytes;
  }

  readonly #totalLimit: number;
  #singleBytes = 0;

  /** The next event, or null at the end of the message. */
  async next(): Promise<Event | null> {
    for (;;) {
      const event = this.shift();
      if (event !== undefined) return event;
      if (!(await this.fill())) return null;
    }
  }

  /**
   * The next event of the chunk already parsed, without waiting; undefined
   * when the next chunk must be pulled first ({@link fill}). The hot path:
   * one await per chunk instead of one per event.
   */
  shift(): Event | undefined {
    return this.#next < this.#events.length ? this.#events[this.#next++] : undefined;
  }

  /** Pulls and parses the next chunk; false at the end of the message. */
  async fill(): Promise<boolean> {
    while (this.#next >= this.#events.length) {
      if (this.#failed !== null) throw this.#failed;
      if (this.#sourceDone) return false;
      // Reuse the array: the consumer has taken every event of the previous chunk.
      this.#events.length = 0;
      this.#next = 0;
      // The one await per chunk is the source's (no nested async call: this is the hot path).
      try {
        this.#checkAbort();
        const result = await this.#source.next();
        this.#checkAbort();
        this.#consume(result);
      } catch (error) {
        // Events the parser queued before failing in this chunk are still
        // delivered; the next fill() throws once they are taken. Otherwise an
        // earlier error (a bad encoding in a previous part) would be hidden by
        // a later one whenever both sit in the same chunk: the error would
        // depend on the chunking (found by the fuzzer, corpus/regressions/).
        this.#failed = error;
        this.#sourceDone = true;
        await this.close();
      }
    }
    return true;
  }

  #checkAbort(): void {
    if (this.#signal?.aborted) {
      throw xopError(ErrorCodes.ABORTED, 'parse aborted', { cause: this.#signal.reason });
    }
  }

  /** Feeds one pulled chunk (or the end of the source) to the parser. */
  #consume(result: IteratorResult<Uint8Array>): void {
    if (result.done === true) {
      this.#sourceDone = true;
      if (this.#parser !== null) this.#parser.end();
      else {
        if (!this.#singleBegun) this.#beginSingle();
        this.#events.push(PART_END);
      }
      return;
    }
    const chunk = result.value;
    if (!(chunk instanceof Uint8Array)) {
      throw xopError(ErrorCodes.BAD_ARGUMENT, `source yielded a ${typeof chunk}, not a Uint8Array`);
    }
    if (this.#parser !== null) {
      this.#parser.write(chunk);
      return;
    }
    if (!this.#singleBegun) this.#beginSingle();
    const allowed = this.#totalLimit - this.#singleBytes;
    this.#singleBytes += chunk.length;
    if (this.#singleBytes > this.#totalLimit) {
      // The bytes up to the limit go out first, as in the multipart parser, so that an error
      // in them (the XML layer's) wins whatever the chunking (found by the fuzzer:
      // corpus/regressions/receive-chunking-single-part-*).
      if (allowed > 0) this.#events.push({ kind: 1, view: chunk.subarray(0, allowed) });
      throw xopError(ErrorCodes.MIME_MESSAGE_TOO_LARGE, `message exceeds limits.totalBytes (${this.#totalLimit})`,
        { offset: this.#totalLimit, limit: this.#totalLimit });
    }
    if (chunk.length > 0) this.#events.push({ kind: 1, view: chunk });
  }

  #beginSingle(): void {
    this.#singleBegun = true;
    this.#events.push({ kind: 0, headers: this.#singleHeaders!, bodyOffset: 0 });
  }

  /** Releases the source (destroys a Node stream, cancels a Web stream). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#source.return?.();
    } catch {
      // The source failing to close is not the consumer's problem.
    }
  }

  #closed = false;

  get failed(): unknown {
    return this.#failed;
  }
}

/** Part object with a body bound to the pump. */
class StreamedPart implements MultipartPart {
  readonly index: number;
  readonly headers: PartHeaders;
  readonly contentId: string | null;
  readonly contentType: string | null;
  readonly contentTransferEncoding: string | null;
  readonly contentLocation: string | null;
  readonly contentDisposition: string | null;
  /** @internal */ root: boolean;
  /** @internal */ ended = false;
  /** @internal */ skipped = false;
  /** @internal */ reading = false;
  readonly #pump: EventPump;
  readonly #decoder: TransferDecoder | null;

  constructor(index: number, headers: PartHeaders, bodyOffset: number, pump: EventPump, isRoot: boolean, decode: boolean) {
    this.index = index;
    this.headers = headers;
    const contentId = headers.get('content-id');
    this.contentId = contentId === null ? null : stripAngleBrackets(contentId);
    this.contentType = headers.get('content-type');
    this.contentTransferEncoding = headers.get('content-transfer-encoding');
    this.contentLocation = headers.get('content-location');
    this.contentDisposition = headers.get('content-disposition');
    this.root = isRoot;
    this.#pump = pump;
    this.#decoder = decode ? createTransferDecoder(this.contentTransferEncoding, bodyOffset) : null;
  }

  get isRoot(): boolean {
    return this.root;
  }

  get body(): AsyncIterable<Uint8Array> {
    return { [Symbol.asyncIterator]: () => this.#iterate() };
  }

  async *#iterate(): AsyncGenerator<Uint8Array, void, undefined> {
    if (this.skipped) {
      throw xopError(ErrorCodes.PARSER_STATE, `part ${this.index} body was skipped: read a body before the next part`);
    }
    if (this.reading) throw xopError(ErrorCodes.PARSER_STATE, `part ${this.index} body is already being read`);
    this.reading = true;
    const decoder = this.#decoder;
    const pump = this.#pump;
    while (!this.ended) {
      const event = pump.shift();
      if (event === undefined) {
        if (!(await pump.fill())) throw xopError(ErrorCodes.MIME_TRUNCATED, 'input ended inside a part');
        continue;
      }
      if (event.kind === 1) {
        const out = decoder === null ? event.view : decoder.push(event.view);
        if (out.length > 0) yield out;
        // An error the decoder found after `out` comes before anything later in the stream
        // (a truncation, a bad header): otherwise the chunking would decide which one wins.
        decoder?.throwIfFailed?.();
      } else {
        // kind 2; a begin cannot come before this part's end.
        this.ended = true;
      }
    }
    if (decoder !== null) {
      const tail = decoder.end();
      if (tail.length > 0) yield tail;
    }
  }

  /** Discards the rest of the body (the consumer moved on). */
  async skip(): Promise<void> {
    if (this.ended) return;
    if (!this.reading) this.skipped = true;
    while (!this.ended) {
      const event = await this.#pump.next();
      if (event === null) throw xopError(ErrorCodes.MIME_TRUNCATED, 'input ended inside a part');
      if (event.kind === 2) this.ended = true;
    }
    // Decode errors in skipped bodies still matter: validate the encoding name.
  }
}

/**
 * Parses a multipart message (or a single SOAP/XML document) from a stream.
 *
 * The Content-Type is checked immediately: a multipart type without a usable
 * boundary throws `ERR_MIME_NO_BOUNDARY` before anything is read. A
 * `text/xml`, `application/soap+xml` or `application/xop+xml` body comes out
 * as one root part, so plain SOAP flows through the same code.
 *
 * @example
 * for await (const part of parseMultipart(req, req.headers['content-type'])) {
 *   console.log(part.index, part.contentId, part.contentType);
 *   for await (const view of part.body) sink.write(view);
 * }
 *
 * @throws XopError synchronously for a bad Content-Type; the iterator rejects
 *   with `XopError` for malformed input, violated limits or an abort. A
 *   `start` parameter that names no part rejects with `ERR_MIME_START_NOT_FOUND`
 *   at the end.
 */
export function parseMultipart(
  source: ByteSource,
  contentTypeHeader: string,
  options: ParseMultipartOptions = {},
): ParsedMultipart {
  const info = describeMessage(contentTypeHeader, options.limits);
  resolveMimeLimits(options.limits); // validate eagerly
  const decode = options.decode !== false;
  let started = false;
  const state: ParseState = { rootIndex: null, warnings: [] };
  return {
    info,
    get rootIndex() { return state.rootIndex; },
    warnings: state.warnings,
    [Symbol.asyncIterator]() {
      if (started) throw xopError(ErrorCodes.PARSER_STATE, 'parseMultipart() can be iterated once');
      started = true;
      return iterateParts(toAsyncIterator(source), info, contentTypeHeader, options, decode, state);
    },
  };
}

/** What {@link parseMultipart} returns: the parts, plus facts known as parsing goes on. */
export interface ParsedMultipart extends AsyncIterable<MultipartPart> {
  /** What the Content-Type said. */
  readonly info: MessageInfo;
  /** Index of the root part once known (null before; 0 for the start-not-found fallback). */
  readonly rootIndex: number | null;
  /** Leniencies applied to this message, e.g. the start-not-found fallback. */
  readonly warnings: string[];
}

interface ParseState {
  rootIndex: number | null;
  warnings: string[];
}

async function* iterateParts(
  source: AsyncIterator<Uint8Array>,
  info: MessageInfo,
  headerValue: string,
  options: ParseMultipartOptions,
  decode: boolean,
  state: ParseState,
): AsyncGenerator<MultipartPart, void, undefined> {
  const pump = new EventPump(source, info, headerValue, options);
  let index = 0;
  let current: StreamedPart | null = null;
  let first: StreamedPart | null = null;
  let rootSeen = false;
  let completed = false;
  try {
    for (;;) {
      if (current !== null) {
        await current.skip();
        current = null;
      }
      const event = await pump.next();
      if (event === null) break;
      if (event.kind !== 0) {
        throw xopError(ErrorCodes.PARSER_STATE, 'internal: body event outside a part');
      }
      const partIndex = index++;
      const isRoot = info.start === null
        ? partIndex === 0
        : !rootSeen && stripAngleBrackets(event.headers.get('content-id') ?? '') === info.start;
      if (isRoot) {
        rootSeen = true;
        state.rootIndex = partIndex;
      }
      current = new StreamedPart(partIndex, event.headers, event.bodyOffset, pump, isRoot, decode);
      first ??= current;
      yield current;
    }
    if (!rootSeen && first !== null) {
      if (options.requireStart === true) {
        throw xopError(ErrorCodes.MIME_START_NOT_FOUND, `start parameter names <${info.start}>, which no part carries`);
      }
      state.warnings.push(`start parameter names <${info.start}>, which no part carries; the first part is the root`);
      state.rootIndex = 0;
      first.root = true;
    }
    completed = true;
  } finally {
    if (!completed) await pump.close();
  }
}

/** Is `error` one of ours? Re-exported for convenience in this module's users. */
export type { XopError };
