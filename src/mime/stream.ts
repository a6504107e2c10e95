/**
 * The streaming face of the parser: `parseMultipart` over a Node `Readable`,
 * a Web `ReadableStream` or any `AsyncIterable<Uint8Array>`.
 *
 * Backpressure: the source is pulled one chunk at a time, and only when the
 * consumer has taken every event of the previous chunk. A part body that is
 * not being read therefore pauses the source; the most that is ever held is
 * the views of one chunk.
 *
 * Speed: the part and body iterators are written by hand rather than as
 * async generators. A part or a view already parsed from the last chunk comes
 * in an already resolved promise; only an empty queue pulls, and then the
 * one await is the source's. A source that has its next chunk at hand (an
 * array, a Readable with a chunk waiting: {@link ChunkSource.readNow}) is not
 * awaited at all. The floor left is the consumer's own await per next()
 * (three per small part: the part, its view, its end), plus, for a source
 * that must be awaited, one promise hop per chunk on top of the source's.
 *
 * @module
 */

import { ErrorCodes, xopError, type XopError } from '../errors.js';
import { boundaryOf, isXmlMediaType, parseContentType, stripAngleBrackets, type ContentType } from './content-type.js';
import { PartHeaders } from './headers.js';
import { resolveMimeLimits, type MimeLimits } from './limits.js';
import { MultipartParser, type MultipartParserOptions } from './parser.js';
import { isNodeReadable, readableChunks } from './readable-source.js';
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
  /** Take LF "--" boundary as a delimiter in CRLF-framed messages too (mimepull-compatible); see {@link MultipartParserOptions.allowBareLfDelimiters}. Default false. */
  allowBareLfDelimiters?: boolean;
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
  /**
   * The source never modifies a chunk after yielding it (true of Node
   * sockets and file streams, fetch bodies and Web default readers; not of
   * BYOB readers or sources that refill one buffer): the bytes the parser
   * holds back at a chunk end come as views of that chunk instead of copies.
   * See {@link MultipartParserOptions.immutableChunks}. Default false.
   */
  immutableChunks?: boolean;
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

/**
 * A source as the pump reads it: an async iterator, and for sources that can
 * say so without a promise, `readNow()`: the next chunk (or the end) if it is
 * there already, null if it has to be waited for.
 */
export interface ChunkSource extends AsyncIterator<Uint8Array> {
  readNow?(): IteratorResult<Uint8Array> | null;
}

/**
 * Turns any supported source into an async iterator of byte chunks. A Node.js
 * Readable is read chunk by chunk ({@link readableChunks}), not through its
 * own async iterator, which concatenates (copies) whatever it has buffered.
 * A synchronous iterable (an array of chunks) and a Readable with a chunk
 * already waiting also answer `readNow()`, so parseMultipart takes their
 * chunks without a promise each.
 */
export function toAsyncIterator(source: ByteSource): ChunkSource {
  if (isNodeReadable(source)) return readableChunks(source);
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
    return {
      next: async () => it.next(),
      readNow: () => it.next(),
      return: async () => it.return?.() ?? { done: true, value: undefined },
    };
  }
  throw xopError(ErrorCodes.BAD_ARGUMENT, 'source must be a Readable, ReadableStream or (async) iterable of Uint8Array');
}

// --- The event pump --------------------------------------------------------
//
// The push parser's callbacks for one chunk are queued as records in one flat
// array rather than one object per event (the small-parts benchmark makes
// three events per 4 KiB part): [EV_BEGIN, headers, body offset],
// [EV_DATA, view], [EV_END].

/** Event kinds in the pump's queue. */
const EV_BEGIN = 0; // a part begins: its PartHeaders, and its first body byte's offset in the message
const EV_DATA = 1; //  body bytes: a view
const EV_END = 2; //   the part ends
/** What {@link EventPump.peek} says when the queue is empty: the next chunk must be pulled first. */
const EV_NONE = -1;

/**
 * Pulls chunks from the source and feeds the push parser, one chunk per
 * request, keeping the events of that chunk until the consumer takes them.
 */
class EventPump {
  readonly #source: ChunkSource;
  readonly #parser: MultipartParser | null;
  readonly #signal: AbortSignal | undefined;
  readonly #totalLimit: number;
  /** The events of the last chunk, as records (see above). */
  readonly #queue: Array<number | PartHeaders | Uint8Array> = [];
  /** Where the records end in #queue: the slots past it are free. */
  #end = 0;
  /** Index in #queue of the next record to take. */
  #next = 0;
  /** Body offset of the part {@link takeBegin} took last. */
  bodyOffset = 0;
  #sourceDone = false;
  #failed: unknown = null;
  #closed = false;
  /** For a single-part (non-multipart) message: whether its begin was emitted. */
  #singleBegun = false;
  readonly #singleHeaders: PartHeaders | null;
  #singleBytes = 0;

  constructor(source: ChunkSource, info: MessageInfo, headerValue: string, options: ParseMultipartOptions) {
    this.#source = source;
    this.#signal = options.signal;
    if (info.boundary === null) {
      this.#parser = null;
      this.#singleHeaders = PartHeaders.from([['content-type', headerValue]]);
    } else {
      this.#singleHeaders = null;
      this.#parser = new MultipartParser({
        boundary: info.boundary,
        ...(options.limits === undefined ? {} : { limits: options.limits }),
        allowMissingCloseDelimiter: options.allowMissingCloseDelimiter === true,
        allowBareLfDelimiters: options.allowBareLfDelimiters === true,
        immutableChunks: options.immutableChunks === true,
      }, {
        onPartBegin: (headers) => { this.#add(EV_BEGIN, headers, this.#parser!.bodyOffset); },
        onPartData: (view) => { this.#add(EV_DATA, view); },
        onPartEnd: () => { this.#add(EV_END); },
      });
    }
    this.#totalLimit = resolveMimeLimits(options.limits).totalBytes;
  }

  /** Appends a record: [EV_BEGIN, headers, body offset], [EV_DATA, view] or [EV_END]. */
  #add(kind: number, payload?: PartHeaders | Uint8Array, offset?: number): void {
    const queue = this.#queue;
    let end = this.#end;
    queue[end++] = kind;
    if (payload !== undefined) queue[end++] = payload;
    if (offset !== undefined) queue[end++] = offset;
    this.#end = end;
  }

  /**
   * Kind of the next event of the chunk already parsed, without waiting;
   * EV_NONE when the next chunk must be pulled first ({@link pull}). The hot
   * path: one await per chunk instead of one per event.
   */
  peek(): number {
    const i = this.#next;
    return i < this.#end ? this.#queue[i] as number : EV_NONE;
  }

  /** Takes the EV_DATA event {@link peek} announced: its view. */
  takeData(): Uint8Array {
    const i = this.#next;
    this.#next = i + 2;
    return this.#queue[i + 1] as Uint8Array;
  }

  /** Takes the EV_BEGIN event {@link peek} announced: its headers (its body offset goes to {@link bodyOffset}). */
  takeBegin(): PartHeaders {
    const i = this.#next;
    this.#next = i + 3;
    this.bodyOffset = this.#queue[i + 2] as number;
    return this.#queue[i + 1] as PartHeaders;
  }

  /** Takes the event {@link peek} announced, whatever its kind. */
  drop(kind: number): void {
    this.#next += kind === EV_DATA ? 2 : kind === EV_END ? 1 : 3;
  }

  /**
   * Asks the source for the next chunk, once every queued event is taken:
   * the source's promise, whose result goes to {@link accept} (its rejection
   * to {@link fail}). The caller awaits the source itself, so a chunk costs
   * one await: this is the hot path of large bodies. Null at the end of the
   * message; throws the error that ended the parse once the events queued
   * before it are taken.
   */
  pull(): Promise<IteratorResult<Uint8Array>> | null {
    if (this.#failed !== null) throw this.#failed;
    if (this.#sourceDone) return null;
    this.#clearQueue();
    try {
      this.#checkAbort();
      return this.#source.next();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Parses the next chunk at once if the source has it without waiting
   * (see {@link ChunkSource.readNow}), once every queued event is taken.
   * True when it did (the chunk, the end or a failure is now queued), false
   * when {@link pull} has to wait. For an array of chunks this is every
   * chunk: no promise per chunk, only the consumer's own await.
   */
  pullNow(): boolean {
    const source = this.#source;
    if (source.readNow === undefined || this.#failed !== null || this.#sourceDone) return false;
    this.#clearQueue();
    try {
      this.#checkAbort();
      const result = source.readNow();
      if (result === null) return false;
      this.#consume(result);
    } catch (error) {
      // As fail() does, without waiting: a source that answers readNow() releases itself synchronously.
      this.#failed ??= error;
      this.#sourceDone = true;
      void this.close();
    }
    return true;
  }

  /**
   * Empties the queue of the previous chunk's events, all taken. The array is
   * reused at its size (setting its length to 0 would free its store, regrown
   * by the next chunk's events); its slots are cleared so that no view of an
   * old chunk stays reachable from it.
   */
  #clearQueue(): void {
    const queue = this.#queue;
    // A loop, not fill(): a chunk inside a body leaves two slots, and fill() costs more to call than that.
    for (let i = this.#end - 1; i >= 0; i--) queue[i] = 0;
    this.#end = 0;
    this.#next = 0;
  }

  /** Parses a chunk {@link pull} asked for (or the end of the source). */
  accept(result: IteratorResult<Uint8Array>): void {
    // Only a consumer that pulls from two iterators at once has two chunks in
    // flight: after the end or an error, the second is not parsed.
    if (this.#sourceDone) return;
    this.#checkAbort();
    this.#consume(result);
  }

  /**
   * Ends the parse with `error` (from the source, the parser or an abort)
   * and releases the source. Events the parser queued before failing in this
   * chunk are still delivered; the next pull() throws once they are taken.
   * Otherwise an earlier error (a bad encoding in a previous part) would be
   * hidden by a later one whenever both sit in the same chunk: the error
   * would depend on the chunking (found by the fuzzer, corpus/regressions/).
   */
  async fail(error: unknown): Promise<void> {
    this.#failed ??= error;
    this.#sourceDone = true;
    await this.close();
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
        this.#add(EV_END);
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
      if (allowed > 0) this.#add(EV_DATA, chunk.subarray(0, allowed));
      throw xopError(ErrorCodes.MIME_MESSAGE_TOO_LARGE, `message exceeds limits.totalBytes (${this.#totalLimit})`,
        { offset: this.#totalLimit, limit: this.#totalLimit });
    }
    if (chunk.length > 0) this.#add(EV_DATA, chunk);
  }

  #beginSingle(): void {
    this.#singleBegun = true;
    this.#add(EV_BEGIN, this.#singleHeaders!, 0);
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
}

// --- Serialising an iterator's calls ---------------------------------------
//
// The part and body iterators below are written by hand (an async generator
// costs a frame, a queue and extra promise hops per step). Like a generator,
// each handles one call at a time: next()/return()/throw() calls made while
// one is waiting for the source queue up and run in order.

/** Iterator operations that can be queued. */
const OP_NEXT = 0;
const OP_RETURN = 1;
const OP_THROW = 2;

interface QueuedCall<T> {
  op: number;
  arg: unknown;
  resolve: (result: IteratorResult<T>) => void;
  reject: (error: unknown) => void;
}

/** The queue of calls made while an iterator was busy, and the busy flag. */
abstract class SerialIterator<T> implements AsyncIterableIterator<T> {
  /** True while a call waits for the source (or for the source to close). */
  protected busy = false;
  #queued: Array<QueuedCall<T>> | null = null;

  abstract next(): Promise<IteratorResult<T>>;
  abstract return(value?: unknown): Promise<IteratorResult<T>>;
  abstract throw(error?: unknown): Promise<IteratorResult<T>>;

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** A call made while busy: it runs once the calls before it have settled. */
  protected enqueue(op: number, arg: unknown): Promise<IteratorResult<T>> {
    return new Promise((resolve, reject) => (this.#queued ??= []).push({ op, arg, resolve, reject }));
  }

  /** Ends a busy spell: runs queued calls until one has to wait again. */
  protected settle(): void {
    this.busy = false;
    const queued = this.#queued;
    while (queued !== null && queued.length > 0 && !this.busy) {
      const call = queued.shift()!;
      const result = call.op === OP_NEXT ? this.next() : call.op === OP_RETURN ? this.return(call.arg) : this.throw(call.arg);
      result.then(call.resolve, call.reject);
    }
  }
}

// --- Part bodies -----------------------------------------------------------

/** Body reader states. */
const BODY_IDLE = 0; //    next() not called yet
const BODY_READING = 1; // handing out the part's views
const BODY_TAIL = 2; //    the decoder's last bytes handed out; next() ends
const BODY_DONE = 3; //    ended, returned or failed

/** Part object with a body bound to the pump. */
class StreamedPart implements MultipartPart {
  readonly index: number;
  readonly headers: PartHeaders;
  /** @internal */ root: boolean;
  /** @internal The pump has handed out this part's end event. */ ended = false;
  /** @internal The consumer moved on before reading the body. */ skipped = false;
  /** @internal A body reader has started. */ reading = false;
  readonly #pump: EventPump;
  /** Null when the body passes through as is (identity encodings, or decode: false). */
  readonly #decoder: TransferDecoder | null;
  // The header accessors are computed on first read (undefined: not yet), from
  // headers that never change: a part whose Content-Location nobody asks for
  // does not pay for looking it up (measured in the small-parts benchmark).
  #contentId: string | null | undefined;
  #contentType: string | null | undefined = undefined;
  #contentTransferEncoding: string | null | undefined = undefined;
  #contentLocation: string | null | undefined = undefined;
  #contentDisposition: string | null | undefined = undefined;

  /** `contentId`: the Content-ID without angle brackets when the caller has it already, else undefined. */
  constructor(index: number, headers: PartHeaders, contentId: string | null | undefined, bodyOffset: number,
    pump: EventPump, isRoot: boolean, decode: boolean) {
    this.index = index;
    this.headers = headers;
    this.#contentId = contentId;
    this.root = isRoot;
    this.#pump = pump;
    // Created when the part begins: an unsupported encoding fails here, before its body.
    this.#decoder = decode ? decoderFor(this.contentTransferEncoding, bodyOffset) : null;
  }

  get contentId(): string | null {
    if (this.#contentId === undefined) this.#contentId = contentIdOf(this.headers);
    return this.#contentId;
  }

  get contentType(): string | null {
    if (this.#contentType === undefined) this.#contentType = this.headers.get('content-type');
    return this.#contentType;
  }

  get contentTransferEncoding(): string | null {
    if (this.#contentTransferEncoding === undefined) this.#contentTransferEncoding = this.headers.get('content-transfer-encoding');
    return this.#contentTransferEncoding;
  }

  get contentLocation(): string | null {
    if (this.#contentLocation === undefined) this.#contentLocation = this.headers.get('content-location');
    return this.#contentLocation;
  }

  get contentDisposition(): string | null {
    if (this.#contentDisposition === undefined) this.#contentDisposition = this.headers.get('content-disposition');
    return this.#contentDisposition;
  }

  get isRoot(): boolean {
    return this.root;
  }

  get body(): AsyncIterable<Uint8Array> {
    return new PartBody(this, this.#pump, this.#decoder);
  }
}

/**
 * The decoder for a Content-Transfer-Encoding, or null for the identity
 * encodings (the views pass through). The spellings real peers send for
 * identity are answered without createTransferDecoder's normalisation.
 */
function decoderFor(encoding: string | null, bodyOffset: number): TransferDecoder | null {
  if (encoding === null || encoding === 'binary' || encoding === '8bit' || encoding === '7bit') return null;
  const decoder = createTransferDecoder(encoding, bodyOffset);
  return decoder.identity ? null : decoder;
}

/** A part's Content-ID without angle brackets, or null. */
function contentIdOf(headers: PartHeaders): string | null {
  const value = headers.get('content-id');
  return value === null ? null : stripAngleBrackets(value);
}

/** `part.body`: each iteration is a new reader (only one may read). */
class PartBody implements AsyncIterable<Uint8Array> {
  readonly #part: StreamedPart;
  readonly #pump: EventPump;
  readonly #decoder: TransferDecoder | null;

  constructor(part: StreamedPart, pump: EventPump, decoder: TransferDecoder | null) {
    this.#part = part;
    this.#pump = pump;
    this.#decoder = decoder;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    return new BodyReader(this.#part, this.#pump, this.#decoder);
  }
}

/**
 * Hands out a part's body one view per next(). A view already parsed comes
 * in an already resolved promise; the source is pulled only when the queue
 * of the last chunk is empty.
 */
class BodyReader extends SerialIterator<Uint8Array> {
  readonly #part: StreamedPart;
  readonly #pump: EventPump;
  readonly #decoder: TransferDecoder | null;
  #state = BODY_IDLE;
  /** The decoder's error check is due before the next step (its last output was handed out first). */
  #checkDecoder = false;

  constructor(part: StreamedPart, pump: EventPump, decoder: TransferDecoder | null) {
    super();
    this.#part = part;
    this.#pump = pump;
    this.#decoder = decoder;
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.busy) return this.enqueue(OP_NEXT, undefined);
    let result: IteratorResult<Uint8Array> | null;
    try {
      result = this.#step();
      while (result === null && this.#pump.pullNow()) result = this.#step();
    } catch (error) {
      this.#state = BODY_DONE;
      return Promise.reject(error);
    }
    if (result !== null) return Promise.resolve(result);
    this.busy = true;
    return this.#pull();
  }

  /** Waits for chunks until a step can answer. */
  async #pull(): Promise<IteratorResult<Uint8Array>> {
    try {
      const pump = this.#pump;
      for (;;) {
        if (!pump.pullNow()) {
          const pending = pump.pull();
          if (pending === null) throw xopError(ErrorCodes.MIME_TRUNCATED, 'input ended inside a part');
          try {
            pump.accept(await pending);
          } catch (error) {
            await pump.fail(error);
          }
        }
        const result = this.#step();
        if (result !== null) return result;
      }
    } catch (error) {
      this.#state = BODY_DONE;
      throw error;
    } finally {
      this.settle();
    }
  }

  /** The next result from the events already queued; null when the next chunk is needed. */
  #step(): IteratorResult<Uint8Array> | null {
    const state = this.#state;
    if (state !== BODY_READING) {
      if (state === BODY_IDLE) this.#start();
      else {
        this.#state = BODY_DONE;
        return { value: undefined, done: true };
      }
    }
    const part = this.#part;
    const decoder = this.#decoder;
    if (this.#checkDecoder) {
      this.#checkDecoder = false;
      // An error the decoder found after the bytes it last returned comes before anything
      // later in the stream (a truncation, a bad header): otherwise the chunking would decide
      // which one wins.
      decoder!.throwIfFailed?.();
    }
    const pump = this.#pump;
    while (!part.ended) {
      const kind = pump.peek();
      if (kind === EV_NONE) return null;
      if (kind !== EV_DATA) {
        // EV_END; a begin cannot come before this part's end.
        pump.drop(kind);
        part.ended = true;
        break;
      }
      const view = pump.takeData();
      if (decoder === null) {
        if (view.length > 0) return { value: view, done: false };
        continue;
      }
      const out = decoder.push(view);
      if (out.length > 0) {
        this.#checkDecoder = true;
        return { value: out, done: false };
      }
      decoder.throwIfFailed?.();
    }
    this.#state = BODY_TAIL;
    if (decoder !== null) {
      const tail = decoder.end();
      if (tail.length > 0) return { value: tail, done: false };
    }
    this.#state = BODY_DONE;
    return { value: undefined, done: true };
  }

  #start(): void {
    const part = this.#part;
    if (part.skipped) {
      throw xopError(ErrorCodes.PARSER_STATE, `part ${part.index} body was skipped: read a body before the next part`);
    }
    if (part.reading) throw xopError(ErrorCodes.PARSER_STATE, `part ${part.index} body is already being read`);
    part.reading = true;
    this.#state = BODY_READING;
  }

  return(value?: unknown): Promise<IteratorResult<Uint8Array>> {
    if (this.busy) return this.enqueue(OP_RETURN, value);
    this.#state = BODY_DONE;
    return Promise.resolve({ value: value as undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<Uint8Array>> {
    if (this.busy) return this.enqueue(OP_THROW, error);
    this.#state = BODY_DONE;
    return Promise.reject(error);
  }
}

// --- The parts --------------------------------------------------------------

/** Part iterator states. */
const PARTS_IDLE = 0; //    next() not called yet: the pump does not exist
const PARTS_RUNNING = 1;
const PARTS_DONE = 2; //    ended, returned or failed (the source is released unless it ended by itself)

/**
 * Hands out the parts. Asking for the next part skips what is unread of the
 * current one; a part already parsed comes in an already resolved promise.
 */
class PartIterator extends SerialIterator<MultipartPart> {
  readonly #source: ChunkSource;
  readonly #info: MessageInfo;
  readonly #headerValue: string;
  readonly #options: ParseMultipartOptions;
  readonly #decode: boolean;
  readonly #state: ParseState;
  #pump: EventPump | null = null;
  #phase = PARTS_IDLE;
  #index = 0;
  /** The part handed out last, until its events are drained. */
  #current: StreamedPart | null = null;
  #first: StreamedPart | null = null;
  #rootSeen = false;

  constructor(source: ChunkSource, info: MessageInfo, headerValue: string,
    options: ParseMultipartOptions, decode: boolean, state: ParseState) {
    super();
    this.#source = source;
    this.#info = info;
    this.#headerValue = headerValue;
    this.#options = options;
    this.#decode = decode;
    this.#state = state;
  }

  next(): Promise<IteratorResult<MultipartPart>> {
    if (this.busy) return this.enqueue(OP_NEXT, undefined);
    if (this.#phase !== PARTS_RUNNING) {
      if (this.#phase === PARTS_DONE) return Promise.resolve({ value: undefined, done: true });
      this.#phase = PARTS_RUNNING;
      this.#pump = new EventPump(this.#source, this.#info, this.#headerValue, this.#options);
    }
    let result: IteratorResult<MultipartPart> | null;
    try {
      result = this.#step();
      while (result === null && this.#pump!.pullNow()) result = this.#step();
    } catch (error) {
      this.busy = true;
      return this.#fail(error);
    }
    if (result !== null) return Promise.resolve(result);
    this.busy = true;
    return this.#pull();
  }

  /** Waits for chunks until a step can answer. */
  async #pull(): Promise<IteratorResult<MultipartPart>> {
    let result: IteratorResult<MultipartPart> | null = null;
    try {
      const pump = this.#pump!;
      for (;;) {
        if (!pump.pullNow()) {
          const pending = pump.pull();
          if (pending === null) {
            if (this.#current !== null) throw xopError(ErrorCodes.MIME_TRUNCATED, 'input ended inside a part');
            result = this.#finish();
            break;
          }
          try {
            pump.accept(await pending);
          } catch (error) {
            await pump.fail(error);
          }
        }
        result = this.#step();
        if (result !== null) break;
      }
    } catch (error) {
      return this.#fail(error);
    }
    this.settle();
    return result;
  }

  /**
   * The next part from the events already queued, after skipping the rest of
   * the current one; null when the next chunk is needed.
   */
  #step(): IteratorResult<MultipartPart> | null {
    const pump = this.#pump!;
    const current = this.#current;
    if (current !== null) {
      // Skip the rest of the current part's body (the consumer moved on).
      if (!current.ended) {
        if (!current.reading) current.skipped = true;
        for (;;) {
          const kind = pump.peek();
          if (kind === EV_NONE) return null;
          pump.drop(kind);
          if (kind === EV_END) break;
        }
        current.ended = true;
      }
      this.#current = null;
    }
    const kind = pump.peek();
    if (kind === EV_NONE) return null;
    if (kind !== EV_BEGIN) throw xopError(ErrorCodes.PARSER_STATE, 'internal: body event outside a part');
    const headers = pump.takeBegin();
    const bodyOffset = pump.bodyOffset;
    const info = this.#info;
    const partIndex = this.#index++;
    let contentId: string | null | undefined;
    let isRoot: boolean;
    if (info.start === null) isRoot = partIndex === 0;
    else if (this.#rootSeen) isRoot = false;
    else {
      contentId = contentIdOf(headers);
      // A part without a Content-ID matches start="<>" (as its empty id).
      isRoot = (contentId ?? '') === info.start;
    }
    if (isRoot) {
      this.#rootSeen = true;
      this.#state.rootIndex = partIndex;
    }
    const part = new StreamedPart(partIndex, headers, contentId, bodyOffset, pump, isRoot, this.#decode);
    this.#current = part;
    this.#first ??= part;
    return { value: part, done: false };
  }

  /** The end of the message: RFC 2387 §3.2's start parameter, if it named no part. */
  #finish(): IteratorResult<MultipartPart> {
    const first = this.#first;
    if (!this.#rootSeen && first !== null) {
      const info = this.#info;
      if (this.#options.requireStart === true) {
        throw xopError(ErrorCodes.MIME_START_NOT_FOUND, `start parameter names <${info.start}>, which no part carries`);
      }
      this.#state.warnings.push(`start parameter names <${info.start}>, which no part carries; the first part is the root`);
      this.#state.rootIndex = 0;
      first.root = true;
    }
    // The source ended by itself: nothing to release.
    this.#phase = PARTS_DONE;
    return { value: undefined, done: true };
  }

  /** Ends the iteration with `error` once the source is released. */
  async #fail(error: unknown): Promise<never> {
    this.#phase = PARTS_DONE;
    try {
      await this.#pump!.close();
    } finally {
      this.settle();
    }
    throw error;
  }

  return(value?: unknown): Promise<IteratorResult<MultipartPart>> {
    if (this.busy) return this.enqueue(OP_RETURN, value);
    const done: IteratorResult<MultipartPart> = { value: value as undefined, done: true };
    if (this.#phase !== PARTS_RUNNING) {
      // Not started (nothing was pulled) or already over.
      this.#phase = PARTS_DONE;
      return Promise.resolve(done);
    }
    this.#phase = PARTS_DONE;
    this.busy = true;
    return this.#release().then(() => done);
  }

  throw(error?: unknown): Promise<IteratorResult<MultipartPart>> {
    if (this.busy) return this.enqueue(OP_THROW, error);
    if (this.#phase !== PARTS_RUNNING) {
      this.#phase = PARTS_DONE;
      return Promise.reject(error);
    }
    this.busy = true;
    return this.#fail(error);
  }

  /** The consumer stopped early: release the source. */
  async #release(): Promise<void> {
    try {
      await this.#pump!.close();
    } finally {
      this.settle();
    }
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
      return new PartIterator(toAsyncIterator(source), info, contentTypeHeader, options, decode, state);
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

/** Is `error` one of ours? Re-exported for convenience in this module's users. */
export type { XopError };
