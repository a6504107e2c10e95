/**
 * The push-based multipart state machine (RFC 2046 §5.1.1, RFC 2387).
 *
 * I/O-free: bytes go in through {@link MultipartParser.write} and
 * {@link MultipartParser.end}; typed callbacks come out synchronously. The
 * Node, Web and async-iterator faces (`stream.ts`) are thin wrappers.
 *
 * ## Framing and line endings
 * RFC 2046 §5.1.1 defines the delimiter as CRLF "--" boundary. Some real
 * peers (PHP SOAP stacks, SoapUI, Axis2 and Python test captures) frame with
 * bare LF instead. Like Go's mime/multipart, the parser takes a message's
 * framing from its first delimiter line: if that line ends in a bare LF, or
 * any header line later ends in one, LF "--" boundary is a delimiter for the
 * rest of the message (a CR right before that LF belongs to the delimiter; the
 * one consequence is that a body ending with a CR byte loses that CR).
 * Otherwise the message is CRLF-framed and parsed as the RFC says: a bare-LF
 * look-alike inside a body is data, as for dicer, busboy and Go, and the
 * search skips such look-alikes in native code. The Java peers (mimepull,
 * JavaMail, mime4j under Axiom) take a boundary at the start of any line
 * instead; `allowBareLfDelimiters` does the same here (a CRLF-framed message
 * whose bodies end in a bare LF, as Axis 1.x captures do), at the price of the
 * bare-LF search on every message. The first delimiter may start
 * the message without a line break (RFC 2046 §5.1.1 "the CRLF preceding the
 * boundary delimiter line is conceptually attached to the boundary").
 *
 * After the boundary, a delimiter line is confirmed by "--" (close
 * delimiter), or by optional transport padding (SP/HTAB) and a line break.
 * Anything else means the bytes were body data that merely looked like a
 * boundary, and they are handed on as data.
 *
 * ## Zero copy
 * Body bytes are handed to `onPartData` as `subarray` views of the chunk
 * given to `write()`: no copy, same `ArrayBuffer`. The only exception is the
 * few bytes (at most the delimiter's length plus its padding) that the parser
 * held back because a delimiter might straddle two chunks and that turned out
 * to be data: those are handed on as a fresh allocation owned by the caller.
 * So every view stays valid for as long as the caller keeps (and does not
 * overwrite) the chunk it came from.
 *
 * ## Linear time
 * Delimiter search is {@link DelimiterSearch}: `Buffer.prototype.indexOf`'s
 * answer, found by four interleaved Horspool cursors on binary data and by
 * `Buffer.indexOf` itself (Boyer-Moore) on needle-rich input, with a bounded
 * amount of work per byte either way. A CRLF-framed message is searched for CR LF "--"
 * boundary; otherwise for the suffix of LF "--" boundary that starts at an
 * uncommon boundary byte ({@link searchStartOf}), confirming the bytes before
 * it. Either needle's first byte occurs in it once, so matches never overlap
 * and a failed candidate never needs re-scanning; a partial match at a chunk
 * end can only begin at the last LF (or the CR before it): every input byte
 * is examined a bounded number of times whatever its content.
 *
 * @module
 */

import { ErrorCodes, xopError, type XopError } from '../errors.js';
import { parseHeaderBlock, PartHeaders } from './headers.js';
import { resolveMimeLimits, type MimeLimits } from './limits.js';
import { DelimiterSearch } from './search.js';

const LF = 0x0a;
const CR = 0x0d;
const DASH = 0x2d;
const SPACE = 0x20;
const HTAB = 0x09;

// --- States (one method each, dispatched from write()) ---------------------
/** Scanning for a delimiter: in the preamble, or in a part body. */
const S_BODY = 0;
/** Just read LF "--" boundary: deciding between close, open, or not a delimiter. */
const S_DELIMITER = 1;
/** Collecting a part's header block up to its empty line. */
const S_HEADERS = 2;
/** After the close delimiter: everything is epilogue and is ignored. */
const S_EPILOGUE = 3;
/** end() was called, or an error ended the parse. */
const S_DONE = 4;

// --- Phases inside S_DELIMITER ------------------------------------------
/** Right after the boundary. */
const D_AFTER_BOUNDARY = 0;
/** Read one '-': a second one makes the close delimiter. */
const D_DASH = 1;
/** Reading transport padding (SP / HTAB). */
const D_PADDING = 2;
/** Read CR: LF must follow. */
const D_CR = 3;

/** RFC 7230 tchar: 1 for the bytes allowed in a header field name. */
const TOKEN_BYTE = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  const alnum = (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a);
  if (alnum || "!#$%&'*+-.^_`|~".includes(String.fromCharCode(b))) TOKEN_BYTE[b] = 1;
}

/** Transport padding longer than this is not a delimiter line we accept. */
const MAX_TRANSPORT_PADDING = 1024;

/** Callbacks of {@link MultipartParser}. All fire synchronously inside write()/end(). */
export interface MultipartCallbacks {
  /** A part's header block was parsed; its body bytes follow. */
  onPartBegin?(headers: PartHeaders): void;
  /**
   * Body bytes of the current part, undecoded (as received).
   *
   * The view shares the memory of the chunk passed to write() (a `subarray`
   * of it, or the chunk itself when all of it is body bytes) and stays valid
   * as long as the caller keeps that chunk unmodified; bytes the parser held
   * back across a chunk border come as a fresh allocation instead (or, with
   * `immutableChunks`, as views of the earlier chunk). Never empty.
   */
  onPartData?(view: Uint8Array): void;
  /** The current part ended (its delimiter was seen). */
  onPartEnd?(): void;
}

/** Options of {@link MultipartParser}. */
export interface MultipartParserOptions {
  /** The boundary parameter of the Content-Type (without the leading "--"). */
  boundary: string;
  /** Limits; see {@link MimeLimits} for defaults. */
  limits?: MimeLimits;
  /**
   * Accept a message that ends without a close delimiter, ending the last part
   * at end of input (what CXF does). Default false: `ERR_MIME_TRUNCATED`.
   */
  allowMissingCloseDelimiter?: boolean;
  /**
   * Take LF "--" boundary as a delimiter in every message, also in one whose
   * first delimiter line and header lines end in CRLF (what mimepull, JavaMail
   * and mime4j do: a part body ending in a bare LF before the next delimiter,
   * as in Axis 1.x captures, still ends the part). Default false: such a
   * message is CRLF-framed (RFC 2046 §5.1.1, as for dicer, busboy and Go),
   * a bare-LF look-alike in its bodies is data, and the delimiter search
   * passes over those look-alikes natively; with this option on, each one is
   * a candidate to confirm (about half the throughput on look-alike-rich
   * bodies: `npm run bench -- --case pathological`).
   */
  allowBareLfDelimiters?: boolean;
  /**
   * The caller never modifies a chunk after passing it to write() (true of
   * Node sockets and file streams, fetch bodies and Web default readers; not
   * of BYOB readers or sources that refill one buffer). The parser may then
   * hand on the bytes it held back at a chunk end as views of that earlier
   * chunk instead of copying them: every body byte is a view of the input
   * (except, in a part whose header block lacks its empty line, a first body
   * line that began in an earlier chunk: it was read into the header buffer).
   * Default false.
   */
  immutableChunks?: boolean;
}

/**
 * Push parser for one multipart body.
 *
 * @example
 * const parser = new MultipartParser({ boundary }, {
 *   onPartBegin(headers) { console.log(headers.get('content-id')); },
 *   onPartData(view) { sink.write(view); },
 *   onPartEnd() { sink.end(); },
 * });
 * for (const chunk of chunks) parser.write(chunk);
 * parser.end();
 */
export class MultipartParser {
  readonly #callbacks: MultipartCallbacks;
  readonly #lenientEnd: boolean;
  readonly #immutableChunks: boolean;
  /**
   * With immutableChunks: views of the caller's chunks holding exactly the
   * real bytes now in #held or #pending, handed on instead of a copy if they
   * turn out to be data. Not exact when those bytes came from the header buffer.
   */
  readonly #retained: Buffer[] = [];
  #retainedExact = true;
  // Limits, flattened for the hot path.
  readonly #headerBytesLimit: number;
  readonly #headerCountLimit: number;
  readonly #partsLimit: number;
  readonly #partBytesLimit: number;
  readonly #totalBytesLimit: number;
  readonly #preambleLimit: number;

  /** LF "--" boundary. */
  readonly #needle: Buffer;
  /** The suffix of the needle searched for in bare-LF framing, and where it starts in the needle. */
  readonly #search: DelimiterSearch;
  readonly #searchStart: number;
  /** CR LF "--" boundary: the needle once the message is known to frame with CRLF. */
  readonly #crlfSearch: DelimiterSearch;
  /** Bytes held back at a chunk end: [CR] LF "--" boundary-prefix, or a lone CR. */
  readonly #held: Uint8Array;
  #heldLength = 0;
  /** The held LF was not received: it stands for a line break consumed before (message start, header block end). */
  #heldIsVirtual = false;
  /** Bytes consumed while deciding a delimiter, re-emitted as data if it is not one. */
  #pending: Uint8Array;
  #pendingLength = 0;
  /**
   * Where the current delimiter candidate starts in the chunk being written,
   * or -1 when it began in an earlier chunk. Lets a near-miss that is decided
   * within one chunk go out as a view of that chunk rather than a copy.
   */
  #candidateStart = -1;
  /** Leading pending bytes that were never input (a virtual LF). */
  #pendingSkip = 0;
  /**
   * Body bytes of the chunk being written that are not handed on yet:
   * contiguous views are merged into one (a rejected delimiter candidate would
   * otherwise split the body into a callback per candidate). Handed on before
   * any other callback, before write() returns and before an error is thrown.
   */
  #runSource: Uint8Array | null = null;
  #runFrom = 0;
  #runTo = 0;

  #state = S_BODY;
  /**
   * Whether a delimiter may follow a bare LF (true until the first delimiter
   * line, and for the rest of the message once it or a header line ended in
   * a bare LF); otherwise only CRLF "--" boundary is a delimiter (RFC 2046).
   */
  #bareLfFraming = true;
  /** `allowBareLfDelimiters`: bare-LF framing whatever the first delimiter line ends in. */
  readonly #bareLfAlways: boolean;
  #delimiterPhase = D_AFTER_BOUNDARY;
  #paddingLength = 0;
  /** True between onPartBegin and onPartEnd; false in the preamble and between parts. */
  #inPart = false;
  #closed = false;
  #error: XopError | null = null;

  /** Bytes of all chunks written before the current one. */
  #offset = 0;
  #partCount = 0;
  #partBytes = 0;
  /** Offset in the message of the current part's first body byte. */
  #bodyOffset = 0;
  #preambleBytes = 0;

  // Header block accumulator: header bytes are copied (they are parsed into
  // strings and must outlive the chunk), bounded by the header limit.
  #headerBuffer: Uint8Array;
  #headerLength = 0;
  /** Offset in the message of the first header byte of the current part. */
  #headerOffset = 0;
  /** Bytes in the current header line so far (a line of just CR counts as empty). */
  #headerLineLength = 0;
  #headerLineLastByte = 0;
  /** Scratch of #wholeHeaderBlock: per field, its start, name end, value start and value end from the block start. */
  readonly #fieldBounds = new Int32Array(4 * 32);

  constructor(options: MultipartParserOptions, callbacks: MultipartCallbacks = {}) {
    const boundary = options?.boundary;
    if (typeof boundary !== 'string' || boundary.length === 0) {
      throw xopError(ErrorCodes.MIME_NO_BOUNDARY, 'MultipartParser needs a non-empty boundary');
    }
    const limits = resolveMimeLimits(options.limits);
    if (boundary.length > limits.boundaryLength || /[\r\n]/.test(boundary)) {
      throw xopError(ErrorCodes.MIME_NO_BOUNDARY, `unusable boundary of ${boundary.length} characters`);
    }
    this.#callbacks = callbacks;
    this.#lenientEnd = options.allowMissingCloseDelimiter === true;
    this.#bareLfAlways = options.allowBareLfDelimiters === true;
    this.#immutableChunks = options.immutableChunks === true;
    this.#headerBytesLimit = limits.headerBytes;
    this.#headerCountLimit = limits.headerCount;
    this.#partsLimit = limits.parts;
    this.#partBytesLimit = limits.partBytes;
    this.#totalBytesLimit = limits.totalBytes;
    this.#preambleLimit = limits.preambleBytes;
    this.#needle = Buffer.from('\n--' + boundary, 'latin1');
    this.#searchStart = searchStartOf(this.#needle);
    this.#search = new DelimiterSearch(this.#needle.subarray(this.#searchStart));
    this.#crlfSearch = new DelimiterSearch(Buffer.from('\r\n--' + boundary, 'latin1'));
    this.#held = new Uint8Array(this.#needle.length + 1);
    this.#pending = new Uint8Array(this.#needle.length + 8);
    this.#headerBuffer = new Uint8Array(Math.min(1024, Math.max(16, this.#headerBytesLimit)));
    // The message may start with the first delimiter without a line break:
    // pretend a line ended just before byte 0.
    this.#held[0] = LF;
    this.#heldLength = 1;
    this.#heldIsVirtual = true;
  }

  /** Bytes written so far. */
  get bytesWritten(): number {
    return this.#offset;
  }

  /** Number of parts begun so far. */
  get partCount(): number {
    return this.#partCount;
  }

  /**
   * Offset in the message of the current part's first body byte: read it in
   * onPartBegin to turn offsets within a body (decoding errors) into message offsets.
   */
  get bodyOffset(): number {
    return this.#bodyOffset;
  }

  /** True once the close delimiter was seen. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Parses a chunk. Every callback for its bytes fires before write() returns.
   * The parser keeps no reference to `chunk` after returning.
   *
   * @throws XopError on malformed input or a violated limit; the parser is
   *   then finished and rethrows that error on every later call.
   */
  write(chunk: Uint8Array): void {
    if (this.#state === S_DONE) throw this.#finishedError();
    if (!(chunk instanceof Uint8Array)) {
      throw this.#fail(xopError(ErrorCodes.BAD_ARGUMENT, 'write() takes a Uint8Array or Buffer'));
    }
    // Over limits.totalBytes: parse the bytes up to the limit first, so that an
    // earlier error wins whatever the chunking, then fail.
    const overflow = this.#offset + chunk.length > this.#totalBytesLimit;
    const usable = overflow ? Math.max(0, this.#totalBytesLimit - this.#offset) : chunk.length;
    // A Buffer view of the same memory: the delimiter search falls back to Buffer.indexOf.
    const buf = Buffer.isBuffer(chunk) && !overflow
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, usable);
    const length = buf.length;
    let pos = 0;
    try {
      while (pos < length) {
        switch (this.#state) {
          case S_BODY: pos = this.#body(buf, pos); break;
          case S_DELIMITER: pos = this.#delimiter(buf, pos); break;
          case S_HEADERS: pos = this.#headers(buf, pos); break;
          case S_EPILOGUE: pos = length; break;
          default: throw this.#finishedError();
        }
      }
      if (this.#state === S_DELIMITER && this.#candidateStart >= 0) {
        // The candidate is still undecided and the chunk is the caller's: keep its bytes (see #beginDelimiter).
        this.#appendPending(buf, this.#candidateStart, length);
        this.#retain(buf, this.#candidateStart, length);
      }
      this.#flushRun();
    } catch (error) {
      // The bytes before the error reach the consumer first, as they would have without merging.
      let failure = error;
      try {
        this.#flushRun();
      } catch (consumerError) {
        failure = consumerError;
      }
      throw this.#fail(failure);
    }
    this.#candidateStart = -1;
    this.#offset += length;
    if (overflow) {
      throw this.#fail(xopError(ErrorCodes.MIME_MESSAGE_TOO_LARGE,
        `message exceeds limits.totalBytes (${this.#totalBytesLimit})`,
        { offset: this.#totalBytesLimit, limit: this.#totalBytesLimit }));
    }
  }

  /**
   * Signals the end of input.
   *
   * @throws XopError `ERR_MIME_TRUNCATED` when the close delimiter is missing
   *   (unless `allowMissingCloseDelimiter`).
   */
  end(): void {
    if (this.#state === S_DONE) {
      if (this.#error !== null) throw this.#error;
      return;
    }
    try {
      this.#end();
    } catch (error) {
      throw this.#fail(error);
    }
    this.#state = S_DONE;
  }

  #end(): void {
    const state = this.#state;
    if (state === S_EPILOGUE) return;
    if (this.#partCount === 0 && (state === S_BODY || state === S_DELIMITER)) {
      throw xopError(ErrorCodes.MIME_TRUNCATED, 'no multipart delimiter found before the end of input',
        { offset: this.#offset });
    }
    if (!this.#lenientEnd) {
      throw xopError(ErrorCodes.MIME_TRUNCATED, 'input ended before the close delimiter',
        { offset: this.#offset, part: this.#partCount - 1 });
    }
    // Lenient end (CXF-compatible): the last part runs to the end of input.
    if (state === S_BODY && this.#inPart && this.#heldLength > 0) {
      const from = this.#heldIsVirtual ? 1 : 0;
      if (this.#heldLength > from) this.#dataHeldBack(this.#held, from, this.#heldLength);
    }
    if (state === S_HEADERS && this.#headerLength > 0) {
      throw xopError(ErrorCodes.MIME_TRUNCATED, 'input ended inside a part header block', { offset: this.#offset });
    }
    if (state === S_HEADERS && this.#partCount === 1) {
      // Only a delimiter line: no part ever began, and a multipart body has at
      // least one (RFC 2046 §5.1.1). Succeeding with zero parts would leave
      // callers without a root (found by the fuzzer: corpus/regressions/).
      throw xopError(ErrorCodes.MIME_TRUNCATED, 'input ended before the first part began', { offset: this.#offset });
    }
    if (this.#inPart) this.#endPart();
  }

  // --- S_BODY -------------------------------------------------------------

  /** Scans for the delimiter; returns the position after what it consumed. */
  #body(buf: Buffer, start: number): number {
    let pos = start;
    const needle = this.#needle;
    const needleLength = needle.length;
    const length = buf.length;

    if (this.#heldLength > 0) {
      // Does the held-back tail of the previous chunk continue into this one?
      const held = this.#held;
      const crOffset = held[0] === CR ? 1 : 0;
      const matched = this.#heldLength - crOffset; // needle bytes already matched
      const wanted = needleLength - matched;
      const available = Math.min(wanted, length - pos);
      // With CRLF framing a held prefix must start with its CR (or stand for a line break consumed before).
      let ok = this.#bareLfFraming || crOffset === 1 || this.#heldIsVirtual;
      for (let i = 0; ok && i < available; i++) {
        if (buf[pos + i] !== needle[matched + i]) { ok = false; break; }
      }
      if (ok && available < wanted) {
        // Still a prefix: hold these bytes back too (copy: the chunk is the caller's and may go away).
        held.set(buf.subarray(pos, pos + available), this.#heldLength);
        this.#heldLength += available;
        this.#retain(buf, pos, pos + available);
        return length;
      }
      if (ok) {
        // The delimiter straddled the chunks. The held bytes were never data.
        // A virtual LF is not input, but it is harmless in pending: a
        // non-delimiter re-emits pending only from real bytes (see #notADelimiter).
        this.#pendingSkip = this.#heldIsVirtual ? 1 : 0;
        this.#beginDelimiter(held, this.#heldLength, -1);
        this.#heldLength = 0;
        this.#heldIsVirtual = false;
        // Bytes of this chunk that completed the needle go to pending as well.
        this.#appendPending(buf, pos, pos + available);
        this.#retain(buf, pos, pos + available);
        return pos + available;
      }
      // Not a delimiter: the held bytes are data. The delimiter has one LF, at
      // its start, so no other match can begin inside them.
      const heldLength = this.#heldLength;
      const from = this.#heldIsVirtual ? 1 : 0;
      this.#heldLength = 0;
      this.#heldIsVirtual = false;
      if (heldLength > from) this.#dataHeldBack(this.#held, from, heldLength);
    }

    const index = this.#findCandidate(buf, pos);
    if (index !== -1) {
      const crBefore = index > pos && buf[index - 1] === CR;
      const dataEnd = crBefore ? index - 1 : index;
      if (dataEnd > pos) this.#data(buf, pos, dataEnd, false);
      const after = index + needleLength;
      // The common delimiter lines, decided here without entering S_DELIMITER (RFC 2046 §5.1.1).
      if (after + 1 < length) {
        const b0 = buf[after];
        const b1 = buf[after + 1];
        if (b0 === CR && b1 === LF) return this.#openDelimiter(after + 2, true);
        if (b0 === DASH && b1 === DASH) return this.#closeDelimiter(after + 2);
      }
      this.#beginDelimiter(null, 0, dataEnd);
      return after;
    }

    // No full delimiter. Hold back a tail that may be the start of one: it can
    // only begin at the last LF (the needle's only LF is its first byte).
    // Only the last needleLength - 1 bytes can hold one, so look no further
    // back (lastIndexOf would scan a whole LF-free chunk a second time).
    let holdFrom = length;
    const windowStart = Math.max(pos, length - needleLength + 1);
    let lastLf = length - 1;
    while (lastLf >= windowStart && buf[lastLf] !== LF) lastLf--;
    if (lastLf >= windowStart) {
      let prefix = true;
      for (let i = lastLf + 1, j = 1; i < length; i++, j++) {
        if (buf[i] !== needle[j]) { prefix = false; break; }
      }
      const crBefore = lastLf > pos && buf[lastLf - 1] === CR;
      if (prefix && (crBefore || this.#bareLfFraming)) holdFrom = crBefore ? lastLf - 1 : lastLf;
    }
    if (holdFrom === length && length > pos && buf[length - 1] === CR) holdFrom = length - 1; // CR may precede LF
    if (holdFrom > pos) this.#data(buf, pos, holdFrom, false);
    if (holdFrom < length) {
      // Copy: at most delimiter-length bytes of the caller's chunk, kept past this write().
      this.#held.set(buf.subarray(holdFrom, length), 0);
      this.#heldLength = length - holdFrom;
      this.#retainedReset(true);
      this.#retain(buf, holdFrom, length);
    }
    return length;
  }

  /**
   * Where the first delimiter candidate (LF "--" boundary, whole in `buf`)
   * at or after `pos` begins, or -1.
   *
   * `Buffer.indexOf` runs memchr on the needle's first byte, so it searches
   * for the suffix of the delimiter that starts at its rarest byte (see
   * {@link searchStartOf}) and confirms the bytes before it: in LF-rich data
   * (PDFs, CR/LF noise) a needle starting with LF would stop at every line.
   * A candidate whose next byte can end no delimiter line (anything but
   * "-", SP, HTAB, CR, LF) is data and is passed over here, without leaving
   * the body state: the body run stays one view.
   */
  #findCandidate(buf: Buffer, pos: number): number {
    if (!this.#bareLfFraming) return this.#findCrlfCandidate(buf, pos);
    const search = this.#search;
    const start = this.#searchStart;
    const needle = this.#needle;
    const length = buf.length;
    const searchLength = search.needle.length;
    let from = pos + start;
    for (;;) {
      const found = search.indexOf(buf, from);
      if (found === -1) return -1;
      // The suffix's first byte occurs in it once, so matches never overlap: resume right after this one.
      from = found + 1;
      const candidate = found - start;
      let j = 0;
      while (j < start && buf[candidate + j] === needle[j]) j++;
      if (j < start) continue;
      const after = found + searchLength;
      if (after < length) {
        const b = buf[after]!;
        if (b !== DASH && b !== SPACE && b !== HTAB && b !== CR && b !== LF) continue;
      }
      return candidate;
    }
  }

  /**
   * {@link #findCandidate} for a message framed with CRLF: searches for the
   * whole CR LF "--" boundary, so that `Buffer.indexOf` passes over bare-LF
   * look-alikes without stopping. Returns the position of the LF.
   */
  #findCrlfCandidate(buf: Buffer, pos: number): number {
    const search = this.#crlfSearch;
    const needleLength = search.needle.length;
    const length = buf.length;
    // A CR just before `pos` was consumed as data: a candidate's CR must be at pos or later.
    let from = pos;
    for (;;) {
      const found = search.indexOf(buf, from);
      if (found === -1) return -1;
      // The needle's CR occurs in it once, so matches never overlap: resume right after this one.
      from = found + 1;
      const after = found + needleLength;
      if (after < length) {
        const b = buf[after]!;
        if (b !== DASH && b !== SPACE && b !== HTAB && b !== CR && b !== LF) continue;
      }
      return found + 1;
    }
  }

  /** Hands body bytes on (part) or counts them (preamble). */
  #data(source: Uint8Array, from: number, to: number, copy: boolean): void {
    const count = to - from;
    if (!this.#inPart) {
      this.#preambleBytes += count;
      if (this.#preambleBytes > this.#preambleLimit) {
        // The preamble starts at byte 0: the first byte over the limit is at offset `limit`.
        throw xopError(ErrorCodes.MIME_PREAMBLE_TOO_LARGE, `preamble exceeds limits.preambleBytes (${this.#preambleLimit})`,
          { offset: this.#preambleLimit, limit: this.#preambleLimit });
      }
      return;
    }
    if (this.#partBytes + count > this.#partBytesLimit) {
      // Hand on the bytes up to the limit first: whatever the chunking, the
      // consumer sees the same bytes before the error (and their decoding errors first).
      const allowed = this.#partBytesLimit - this.#partBytes;
      if (allowed > 0) this.#emit(source, from, from + allowed, copy);
      this.#partBytes = this.#partBytesLimit;
      throw xopError(ErrorCodes.MIME_PART_TOO_LARGE, `part ${this.#partCount - 1} exceeds limits.partBytes (${this.#partBytesLimit})`,
        { offset: this.#bodyOffset + this.#partBytesLimit, part: this.#partCount - 1, limit: this.#partBytesLimit });
    }
    this.#partBytes += count;
    this.#emit(source, from, to, copy);
  }

  /**
   * Held-back bytes (in #held or #pending, from `from` to `to`) turned out to
   * be data: hands them on as views of the chunks they came from when the
   * chunks are immutable, else as a copy of our scratch bytes.
   */
  #dataHeldBack(scratch: Uint8Array, from: number, to: number): void {
    const retained = this.#retained;
    if (this.#immutableChunks && this.#retainedExact) {
      for (let i = 0; i < retained.length; i++) this.#data(retained[i]!, 0, retained[i]!.length, false);
    } else {
      this.#data(scratch, from, to, true);
    }
    retained.length = 0;
  }

  /** With immutableChunks: remembers a view of bytes just held back or made pending. */
  #retain(buf: Buffer, from: number, to: number): void {
    if (!this.#immutableChunks || from >= to) return;
    const retained = this.#retained;
    const last = retained.length === 0 ? null : retained[retained.length - 1]!;
    if (last !== null && last.buffer === buf.buffer && last.byteOffset + last.length === buf.byteOffset + from) {
      // Contiguous with the last view (a delimiter line decided byte by byte): extend it.
      retained[retained.length - 1] = Buffer.from(last.buffer, last.byteOffset, last.length + to - from);
    } else {
      retained.push(buf.subarray(from, to));
    }
  }

  #retainedReset(exact: boolean): void {
    this.#retained.length = 0;
    this.#retainedExact = exact;
  }

  #emit(source: Uint8Array, from: number, to: number, copy: boolean): void {
    const onPartData = this.#callbacks.onPartData;
    if (onPartData === undefined) return;
    if (!copy) {
      if (this.#runSource === source && this.#runTo === from) {
        this.#runTo = to;
        return;
      }
      this.#flushRun();
      this.#runSource = source;
      this.#runFrom = from;
      this.#runTo = to;
      return;
    }
    this.#flushRun();
    // Copy only our own scratch bytes (held/pending): they are reused, so a view must not escape.
    onPartData(source.slice(from, to));
  }

  /** Hands on the merged run of chunk bytes, if any. */
  #flushRun(): void {
    const source = this.#runSource;
    if (source === null) return;
    this.#runSource = null;
    const from = this.#runFrom;
    const to = this.#runTo;
    // A run that covers its whole source (a chunk inside a large body, the usual
    // case) is that source itself: no view object to allocate, same bytes.
    // Run sources are the caller's chunks or views of them, never our scratch.
    this.#callbacks.onPartData!(from === 0 && to === source.length ? source : source.subarray(from, to));
  }

  // --- S_DELIMITER -----------------------------------------------------------

  /**
   * Records the candidate delimiter bytes ([CR] LF "--" boundary) and enters
   * S_DELIMITER. A candidate that begins in the chunk being written is not
   * copied: it is decided from the chunk itself, and copied into pending only
   * if the chunk ends before it is decided (at the end of write()).
   */
  #beginDelimiter(held: Uint8Array | null, length: number, candidateStart: number): void {
    if (candidateStart >= 0) this.#pendingSkip = 0;
    this.#candidateStart = candidateStart;
    this.#pendingLength = 0;
    if (held !== null) this.#appendPending(held, 0, length); // its views, if retained, stay
    else this.#retainedReset(true);
    this.#state = S_DELIMITER;
    this.#delimiterPhase = D_AFTER_BOUNDARY;
    this.#paddingLength = 0;
  }

  #appendPending(bytes: Uint8Array, from: number, to: number): void {
    const count = to - from;
    if (count <= 0) return;
    if (this.#pendingLength + count > this.#pending.length) {
      const grown = new Uint8Array(Math.max(this.#pending.length * 2, this.#pendingLength + count));
      grown.set(this.#pending.subarray(0, this.#pendingLength));
      this.#pending = grown;
    }
    // Copy: pending bytes must survive until the delimiter is decided, possibly in a later chunk.
    this.#pending.set(bytes.subarray(from, to), this.#pendingLength);
    this.#pendingLength += count;
  }

  /** Decides what follows a boundary; consumes only the bytes that belong to the delimiter line. */
  #delimiter(buf: Buffer, start: number): number {
    let pos = start;
    const length = buf.length;
    while (pos < length) {
      const b = buf[pos]!;
      switch (this.#delimiterPhase) {
        case D_AFTER_BOUNDARY:
          if (b === DASH) this.#delimiterPhase = D_DASH;
          else if (b === SPACE || b === HTAB) {
            this.#delimiterPhase = D_PADDING;
            this.#paddingLength = 1;
          }
          else if (b === CR) this.#delimiterPhase = D_CR;
          else if (b === LF) return this.#openDelimiter(pos + 1, false);
          else return this.#notADelimiter(buf, pos);
          break;
        case D_DASH:
          if (b === DASH) return this.#closeDelimiter(pos + 1);
          return this.#notADelimiter(buf, pos);
        case D_PADDING:
          if (b === SPACE || b === HTAB) {
            if (++this.#paddingLength > MAX_TRANSPORT_PADDING) {
              throw xopError(ErrorCodes.MIME_BAD_DELIMITER,
                `transport padding after a boundary exceeds ${MAX_TRANSPORT_PADDING} bytes`, { offset: this.#offset + pos });
            }
          } else if (b === CR) this.#delimiterPhase = D_CR;
          else if (b === LF) return this.#openDelimiter(pos + 1, false);
          else return this.#notADelimiter(buf, pos);
          break;
        default: // D_CR
          if (b === LF) return this.#openDelimiter(pos + 1, true);
          return this.#notADelimiter(buf, pos);
      }
      if (this.#candidateStart < 0) {
        this.#appendPending(buf, pos, pos + 1);
        this.#retain(buf, pos, pos + 1);
      }
      pos++;
    }
    return pos;
  }

  /** The candidate was body data after all: hand it on and resume scanning at `pos`. */
  #notADelimiter(buf: Buffer, pos: number): number {
    this.#state = S_BODY;
    if (this.#candidateStart >= 0) this.#data(buf, this.#candidateStart, pos, false);
    else if (this.#pendingLength > this.#pendingSkip) this.#dataHeldBack(this.#pending, this.#pendingSkip, this.#pendingLength);
    this.#pendingSkip = 0;
    this.#pendingLength = 0;
    return pos;
  }

  /** RFC 2046 §5.1.1 dash-boundary transport-padding CRLF: a part follows. */
  #openDelimiter(pos: number, endsInCrlf: boolean): number {
    this.#pendingLength = 0;
    // The first delimiter line sets the message's framing (see "Framing and line endings").
    if (this.#partCount === 0) this.#bareLfFraming = !endsInCrlf || this.#bareLfAlways;
    if (this.#inPart) this.#endPart();
    if (this.#partCount + 1 > this.#partsLimit) {
      throw xopError(ErrorCodes.MIME_TOO_MANY_PARTS, `message has more than limits.parts (${this.#partsLimit}) parts`,
        { offset: this.#offset + pos, limit: this.#partsLimit });
    }
    this.#partCount++;
    this.#state = S_HEADERS;
    this.#headerLength = 0;
    this.#headerOffset = this.#offset + pos;
    this.#headerLineLength = 0;
    this.#headerLineLastByte = 0;
    return pos;
  }

  /** RFC 2046 §5.1.1 close-delimiter: the epilogue follows and is ignored. */
  #closeDelimiter(pos: number): number {
    this.#pendingLength = 0;
    if (this.#partCount === 0) {
      // RFC 2046 §5.1.1: a multipart body has at least one body part.
      throw xopError(ErrorCodes.MIME_NO_PARTS, 'close delimiter before any body part', { offset: this.#offset + pos });
    }
    if (this.#inPart) this.#endPart();
    this.#closed = true;
    this.#state = S_EPILOGUE;
    return pos;
  }

  #endPart(): void {
    this.#flushRun();
    this.#inPart = false;
    this.#callbacks.onPartEnd?.();
  }

  // --- S_HEADERS ---------------------------------------------------------------

  /**
   * Collects header bytes until the empty line that ends the block (RFC 2045 §3).
   *
   * A line that cannot be a header field (no colon, or a name that is not a
   * token) ends the block early and starts the body, as Python's email package
   * does for its MissingHeaderBodySeparatorDefect: some peers omit the empty
   * line. Bytes that can never be legitimate (a bare CR, control bytes inside a
   * field) are still errors, raised by parseHeaderBlock.
   */
  #headers(buf: Buffer, start: number): number {
    if (this.#headerLength === 0 && this.#headerLineLength === 0) {
      const end = this.#wholeHeaderBlock(buf, start);
      if (end !== -1) return end;
    }
    let pos = start;
    const length = buf.length;
    while (pos < length) {
      const lf = buf.indexOf(LF, pos);
      const segmentEnd = lf === -1 ? length : lf;
      const segmentLength = segmentEnd - pos;
      if (segmentLength > 0) {
        this.#headerLineLength += segmentLength;
        this.#headerLineLastByte = buf[segmentEnd - 1]!;
      }
      if (lf === -1) {
        this.#appendHeader(buf, pos, length);
        return length;
      }
      const lineLength = this.#headerLineLength;
      // A header line ending in a bare LF: this peer writes bare LF, so its delimiters may be framed with it too.
      if (lineLength === 0 || this.#headerLineLastByte !== CR) this.#bareLfFraming = true;
      if (lineLength === 0 || (lineLength === 1 && this.#headerLineLastByte === CR)) {
        // The empty line: the block is complete. The empty line itself is not part of it.
        const blockLength = this.#headerLength - (lineLength === 1 && segmentLength === 0 ? 1 : 0);
        this.#beginPart(blockLength, this.#offset + lf + 1);
        this.#holdVirtualLf();
        return lf + 1;
      }
      const lineStart = this.#headerLength - (lineLength - segmentLength);
      const segmentStart = pos;
      this.#appendHeader(buf, pos, lf + 1);
      this.#headerLineLength = 0;
      pos = lf + 1;
      if (!this.#isHeaderLine(lineStart)) {
        // No header/body separator: this line is the first body line.
        const lineBreakEnd = this.#headerLength;
        const lineEnd = lineBreakEnd - 1 - (lineBreakEnd >= 2 && this.#headerBuffer[lineBreakEnd - 2] === CR ? 1 : 0);
        this.#beginPart(lineStart, this.#headerOffset + lineStart);
        // Hold its line break: it may start the next delimiter. (Copy: the header buffer is reused.)
        this.#held.set(this.#headerBuffer.subarray(lineEnd, lineBreakEnd), 0);
        this.#heldLength = lineBreakEnd - lineEnd;
        this.#heldIsVirtual = false;
        if (this.#immutableChunks && lineLength === segmentLength) {
          // The whole line lies in this (immutable) chunk: hand it on as views of the chunk.
          const bufLineEnd = segmentStart + (lineEnd - lineStart);
          this.#data(buf, segmentStart, bufLineEnd, false);
          this.#retainedReset(true);
          this.#retain(buf, bufLineEnd, pos);
        } else {
          this.#data(this.#headerBuffer, lineStart, lineEnd, true);
          this.#retainedReset(false);
        }
        return pos;
      }
    }
    return pos;
  }

  /**
   * The common case in one pass and without a copy: a header block that lies
   * whole in `buf` from `start`, every line `token [WSP] ":" value` in
   * printable ASCII, no folding, within the limits. Parses it straight from the
   * chunk (the strings are made from it: nothing refers to the chunk after),
   * starts the part and returns the position of its first body byte. Returns -1
   * without consuming anything for anything else (a block that continues in the
   * next chunk, folding, UTF-8, a line that is no field, a limit or a syntax
   * error): the byte-wise path handles it and raises the errors.
   */
  #wholeHeaderBlock(buf: Buffer, start: number): number {
    const length = buf.length;
    // The block may hold limits.headerBytes bytes, then the empty line (at most 2).
    const scanEnd = Math.min(length, start + this.#headerBytesLimit + 2);
    const maxCount = this.#headerCountLimit;
    const bounds = this.#fieldBounds;
    let count = 0;
    let bareLf = false;
    let pos = start;
    for (;;) {
      if (pos >= scanEnd) return -1;
      let b = buf[pos]!;
      if (b === LF || b === CR) {
        // RFC 2045 §3 / RFC 5322 §2.1: the empty line ends the block.
        let bodyStart = pos + 1;
        if (b === CR) {
          if (pos + 1 >= scanEnd || buf[pos + 1] !== LF) return -1;
          bodyStart++;
        } else bareLf = true;
        if (pos - start > this.#headerBytesLimit || count > maxCount) return -1;
        if (bareLf) this.#bareLfFraming = true;
        // Decoded once; the field bounds are relative to `start`, so they index the text.
        this.#startPart(PartHeaders.fromBlock(buf.toString('latin1', start, pos), bounds.slice(0, count * 4)),
          this.#offset + bodyStart);
        this.#holdVirtualLf();
        return bodyStart;
      }
      // RFC 7230 tchar name, optional obsolete whitespace (RFC 5322 §4.5), colon.
      let i = pos;
      while (i < scanEnd && TOKEN_BYTE[buf[i]!] === 1) i++;
      if (i === pos) return -1; // folding, or not a field: the byte-wise path decides
      const nameEnd = i;
      while (i < scanEnd && ((b = buf[i]!) === SPACE || b === HTAB)) i++;
      if (i >= scanEnd || buf[i] !== 0x3a) return -1;
      const valueStart = i + 1;
      // RFC 5322 §2.2: the value in printable ASCII and HTAB; anything else takes the byte-wise path.
      i = valueStart;
      while (i < scanEnd && (((b = buf[i]!) >= SPACE && b < 0x7f) || b === HTAB)) i++;
      if (i >= scanEnd) return -1;
      const valueEnd = i;
      if (b === CR) {
        if (i + 1 >= scanEnd || buf[i + 1] !== LF) return -1;
        i += 2;
      } else if (b === LF) {
        bareLf = true;
        i += 1;
      } else return -1;
      if (count === maxCount) return -1;
      const j = count * 4;
      if (j >= bounds.length) return -1; // more fields than the bounds scratch holds: rare, byte-wise
      bounds[j] = pos - start;
      bounds[j + 1] = nameEnd - start;
      bounds[j + 2] = valueStart - start;
      bounds[j + 3] = valueEnd - start;
      count++;
      pos = i;
    }
  }

  /**
   * The empty line's LF may double as the LF of the next delimiter when the
   * body is empty ("...header LF LF --boundary"): hold a virtual LF.
   */
  #holdVirtualLf(): void {
    this.#held[0] = LF;
    this.#heldLength = 1;
    this.#heldIsVirtual = true;
    this.#retainedReset(true);
  }

  /** Can the header line starting at `lineStart` in the header buffer be a field or a continuation? */
  #isHeaderLine(lineStart: number): boolean {
    const bytes = this.#headerBuffer;
    const end = this.#headerLength;
    // A bare CR (one not ending the line) is never body data in a header
    // position: report it as a header error rather than start a body with it.
    for (let i = lineStart; i < end - 2; i++) if (bytes[i] === CR) return true;
    const first = bytes[lineStart]!;
    if (first === SPACE || first === HTAB) return lineStart > 0; // continuation of a field
    let i = lineStart;
    while (i < end && bytes[i] !== 0x3a /* : */) {
      const b = bytes[i]!;
      if (b <= SPACE || b >= 0x7f || b === 0x28 || b === 0x29 || b === 0x2c || b === 0x2f || (b >= 0x3b && b <= 0x40) ||
          (b >= 0x5b && b <= 0x5d) || b === 0x7b || b === 0x7d || b === 0x22) {
        // Whitespace before the colon is obsolete syntax we accept (RFC 5322 §4.5).
        if (b === SPACE || b === HTAB) { i++; continue; }
        return false;
      }
      i++;
    }
    return i < end && i > lineStart;
  }

  /** Parses the collected header block and starts the part body, whose first byte is at `bodyOffset`. */
  #beginPart(blockLength: number, bodyOffset: number): void {
    const block = this.#headerBuffer.subarray(0, blockLength);
    this.#startPart(parseHeaderBlock(block, this.#headerOffset, this.#headerCountLimit), bodyOffset);
  }

  /** Starts the part body, whose first byte is at `bodyOffset`. */
  #startPart(headers: PartHeaders, bodyOffset: number): void {
    this.#headerLength = 0;
    this.#state = S_BODY;
    this.#inPart = true;
    this.#partBytes = 0;
    this.#bodyOffset = bodyOffset;
    this.#callbacks.onPartBegin?.(headers);
  }

  #appendHeader(buf: Buffer, from: number, to: number): void {
    const count = to - from;
    const needed = this.#headerLength + count;
    // The limit counts header lines with their line breaks, not the empty line
    // that ends the block; a CR at a chunk end may be that empty line's first byte.
    const emptyLineCr = count === 1 && this.#headerLineLength === 1 && buf[from] === CR;
    if (needed > this.#headerBytesLimit && !(emptyLineCr && needed === this.#headerBytesLimit + 1)) {
      throw xopError(ErrorCodes.MIME_HEADER_TOO_LARGE,
        `part header block exceeds limits.headerBytes (${this.#headerBytesLimit})`,
        { offset: this.#headerOffset + this.#headerBytesLimit, part: this.#partCount - 1, limit: this.#headerBytesLimit });
    }
    if (needed > this.#headerBuffer.length) {
      const grown = new Uint8Array(Math.max(needed, Math.min(this.#headerBytesLimit + 1, this.#headerBuffer.length * 2)));
      grown.set(this.#headerBuffer.subarray(0, this.#headerLength));
      this.#headerBuffer = grown;
    }
    // Copy: header bytes are parsed into strings once the block is complete, possibly chunks later.
    this.#headerBuffer.set(buf.subarray(from, to), this.#headerLength);
    this.#headerLength = needed;
  }

  // --- errors ---------------------------------------------------------------------

  #fail(error: unknown): unknown {
    this.#state = S_DONE;
    if (this.#error === null && error instanceof Error && 'code' in error) this.#error = error as XopError;
    return error;
  }

  #finishedError(): XopError {
    return this.#error ?? xopError(ErrorCodes.PARSER_STATE, 'the parser has ended; write() after end()');
  }
}

/**
 * How common a byte is in the bodies SOAP attachments carry (PDF text and
 * streams, XML, base64, binary): lower is rarer. Only the order matters.
 */
function byteCommonness(b: number): number {
  if (b === DASH || b === SPACE || b === LF || b === CR || b === 0x30) return 9; // runs, line noise, padding, '0'
  if (b >= 0x31 && b <= 0x39) return 6; // digits: PDF object syntax, numbers in XML
  if ((b >= 0x61 && b <= 0x7a) || b === 0x2e || b === 0x2f) return 5; // lowercase, '.', '/': text, paths, base64
  if (b >= 0x41 && b <= 0x5a) return 4; // uppercase
  return 2; // '=', '_', ':', '+' and other punctuation
}

/**
 * Where in the needle (LF "--" boundary) the searched suffix starts: at the
 * first boundary byte that is not common in bodies and occurs only once from
 * there on (so that matches of the suffix never overlap and the search stays
 * linear). The earliest such byte keeps the suffix long, which keeps
 * `Buffer.indexOf`'s Boyer-Moore-Horspool skips long. 0 (the whole needle,
 * whose LF occurs once) when there is none or the boundary is short.
 */
export function searchStartOf(needle: Uint8Array): number {
  // A short suffix would match often in ordinary data, and each match costs a
  // restart of the native search: below 8 bytes, search for the whole needle.
  const minimumSuffix = 8;
  for (let k = 3; needle.length - k >= minimumSuffix; k++) {
    const b = needle[k]!;
    if (byteCommonness(b) > 5) continue;
    if (needle.indexOf(b, k + 1) === -1) return k;
  }
  return 0;
}
