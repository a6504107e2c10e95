/**
 * Byte → text decoding of an XML root part, as the bytes arrive.
 *
 * Which encoding (RFC 7303 §3 and XML 1.0 Appendix F, in this order):
 * a byte order mark; else the `charset` parameter; else the encoding
 * declaration of an ASCII-compatible document (UTF-16 without a BOM is
 * recognised by its `<` code unit); else UTF-8.
 *
 * Output is a sequence of text segments in the *UTF-8 space*: for a UTF-8
 * document that is the input itself (offsets are input offsets, the kept
 * bytes are the input views, nothing is copied); any other encoding is
 * transcoded to UTF-8 segment by segment and its XML declaration dropped
 * (it would name the old encoding), so that everything downstream — byte
 * offsets, the envelope, the root document, inflate — is UTF-8.
 *
 * Decoding is `TextDecoder(..., { fatal: true })` with `stream: true`, so a
 * character split across chunks is decoded once both halves are there, and
 * an invalid byte sequence is `ERR_XML_BAD_ENCODING`.
 *
 * @module
 */

import { TextDecoder } from 'node:util';
import { ErrorCodes, xopError } from '../errors.js';

/** Receives decoded text: `utf8Bytes` is its length in the UTF-8 space, 0 for a dropped declaration. */
export type SegmentSink = (text: string, utf8Bytes: number, dropped: boolean) => void;

/** Receives the bytes of the UTF-8 space, in order (input views, or transcoded copies). */
export type ByteSink = (bytes: Uint8Array) => void;

/** Longest prolog looked at for an encoding declaration. */
const SNIFF_LIMIT = 1024;

const UTF8_LABELS = new Set(['utf-8', 'utf8', 'unicode-1-1-utf-8', 'us-ascii', 'ascii', 'ansi_x3.4-1968']);

/** Canonical name of a charset label when it is UTF-8 (or its ASCII subset), else the label lower-cased. */
function normaliseLabel(label: string): string {
  const l = label.trim().toLowerCase();
  return UTF8_LABELS.has(l) ? 'utf-8' : l;
}

/** Decodes one root part; see the module comment. */
export class XmlByteDecoder {
  readonly #charsetParameter: string | null;
  readonly #onSegment: SegmentSink;
  readonly #onBytes: ByteSink | null;
  /** Views held while the encoding is undecided (at most {@link SNIFF_LIMIT} bytes' worth). */
  #held: Uint8Array[] = [];
  #heldBytes = 0;
  #decoder: TextDecoder | null = null;
  #utf8 = true;
  /** For transcoded input: decoded text held until the XML declaration is complete. */
  #prolog: string | null = null;
  #encoding = 'utf-8';
  #bomBytes = 0;
  /** Input bytes consumed so far (for error offsets). */
  #inputBytes = 0;
  /** Input bytes the decoder has decoded without error (the offset of the next byte it decodes). */
  #decodedBytes = 0;
  /** The last (at most 4) bytes decoded: what the decoder may carry into the next chunk. */
  #tail: Uint8Array = new Uint8Array(0);
  /** UTF-16 code units and UTF-8 bytes of the text decoded so far (for {@link XmlByteDecoder.#carryLength}). */
  #producedUnits = 0;
  #producedUtf8 = 0;
  /** A UTF-16 byte order mark the decoder dropped. */
  #utf16BomBytes = 0;

  /**
   * @param charsetParameter the `charset` parameter of the part's Content-Type, or null.
   * @param onSegment gets every piece of decoded text, in order.
   * @param onBytes gets the bytes of the UTF-8 space (null: nothing is kept).
   */
  constructor(charsetParameter: string | null, onSegment: SegmentSink, onBytes: ByteSink | null) {
    this.#charsetParameter = charsetParameter === null || charsetParameter.trim() === '' ? null : charsetParameter;
    this.#onSegment = onSegment;
    this.#onBytes = onBytes;
  }

  /** The encoding in use (a TextDecoder name), final once the first bytes were seen. */
  get encoding(): string {
    return this.#encoding;
  }

  /** True when the input is UTF-8, so UTF-8-space offsets are input offsets. */
  get isUtf8(): boolean {
    return this.#utf8;
  }

  /** Bytes of the byte order mark (UTF-8 input only; they are kept but decode to nothing). */
  get bomBytes(): number {
    return this.#bomBytes;
  }

  /** Decodes a chunk. */
  push(view: Uint8Array): void {
    this.#inputBytes += view.length;
    if (this.#decoder === null) {
      if (view.length > 0) {
        this.#held.push(view);
        this.#heldBytes += view.length;
      }
      if (!this.#decide(false)) return;
      const held = this.#held;
      this.#held = [];
      for (const h of held) this.#decode(h, true);
      return;
    }
    this.#decode(view, true);
  }

  /** Flushes the decoder at the end of the part. */
  end(): void {
    if (this.#decoder === null) {
      this.#decide(true);
      const held = this.#held;
      this.#held = [];
      for (const h of held) this.#decode(h, true);
    }
    this.#decode(new Uint8Array(0), false);
    if (this.#prolog !== null) this.#flushProlog(true);
  }

  #decode(view: Uint8Array, stream: boolean): void {
    let text: string;
    try {
      text = this.#decoder!.decode(view, { stream });
    } catch (cause) {
      if (!stream) {
        throw xopError(ErrorCodes.XML_BAD_ENCODING, `the root part ends inside a ${this.#encoding} character`,
          { offset: this.#inputBytes, cause });
      }
      // The text before the invalid sequence goes out first, so that an
      // earlier XML error in it wins whatever the chunking (found by the
      // fuzzer: corpus/regressions/xop-chunking-*), and the offset is the
      // invalid byte's rather than the chunk end's.
      const carry = this.#carryLength();
      if (carry === null || carry < 0 || carry > this.#tail.length) {
        throw xopError(ErrorCodes.XML_BAD_ENCODING, `the root part is not valid ${this.#encoding}`, { offset: this.#inputBytes, cause });
      }
      const valid = this.#validPrefix(view, this.#tail.subarray(this.#tail.length - carry));
      this.#deliver(view.subarray(0, valid.bytes), valid.text);
      // The invalid sequence starts at the bytes still pending after the valid text (they may be carried ones).
      const textBytes = this.#utf8 ? Buffer.byteLength(valid.text, 'utf8') : 2 * valid.text.length;
      const bom = this.#decodedBytes - carry === 0 ? (this.#utf8 ? this.#bomBytes : this.#utf16BomBytes) : 0;
      const pending = Math.max(0, carry + valid.bytes - bom - textBytes);
      throw xopError(ErrorCodes.XML_BAD_ENCODING, `the root part is not valid ${this.#encoding}`,
        { offset: this.#decodedBytes + valid.bytes - pending, cause });
    }
    this.#decodedBytes += view.length;
    this.#tail = lastBytes(this.#tail, view);
    this.#producedUnits += text.length;
    // UTF-8 length counted once per chunk, for the carry arithmetic and for the segment.
    const utf8Bytes = this.#utf8 ? Buffer.byteLength(text, 'utf8') : 0;
    this.#producedUtf8 += utf8Bytes;
    this.#deliver(view, text, utf8Bytes);
  }

  /**
   * Bytes the decoder holds back (an incomplete character at the end of the
   * input so far): input decoded minus what the text produced so far takes,
   * for the encodings where that is a fixed count; null for the others.
   */
  #carryLength(): number | null {
    let bom: number;
    let produced: number;
    if (this.#utf8) {
      bom = this.#bomBytes;
      produced = this.#producedUtf8;
    } else if (this.#encoding === 'utf-16le' || this.#encoding === 'utf-16be') {
      bom = this.#utf16BomBytes;
      produced = 2 * this.#producedUnits;
    } else {
      return null;
    }
    // Until the byte order mark is complete, everything decoded so far is (part of) it.
    return this.#decodedBytes <= bom ? this.#decodedBytes : this.#decodedBytes - bom - produced;
  }

  /**
   * After a decoding error in `view`: its longest prefix that decodes, and
   * that prefix's text. Fresh decoders re-decode the bytes the failed one
   * carried from earlier chunks followed by a prefix of `view`, found by
   * bisection (a prefix of a valid prefix is valid).
   */
  #validPrefix(view: Uint8Array, carry: Uint8Array): { bytes: number; text: string } {
    // A fresh decoder drops a byte order mark only where the real one did: at the start of the input.
    const atStart = this.#decodedBytes - carry.length === 0;
    const fresh = (): TextDecoder => new TextDecoder(this.#encoding, { fatal: true, ignoreBOM: !atStart });
    const attempt = (bytes: Uint8Array): string | null => {
      try {
        return fresh().decode(bytes, { stream: true });
      } catch {
        return null;
      }
    };
    const withCarry = (k: number): Uint8Array => {
      // Scratch copy (error path only): the carried bytes joined to a prefix of the view.
      const joined = new Uint8Array(carry.length + k);
      joined.set(carry, 0);
      joined.set(view.subarray(0, k), carry.length);
      return joined;
    };
    let lo = 0;
    let hi = view.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (attempt(withCarry(mid)) !== null) lo = mid;
      else hi = mid - 1;
    }
    return { bytes: lo, text: attempt(withCarry(lo)) ?? '' };
  }

  /** Hands decoded text (and, for UTF-8, its input bytes) on; `utf8Bytes` is the text's UTF-8 length when known. */
  #deliver(view: Uint8Array, text: string, utf8Bytes = -1): void {
    if (this.#utf8) {
      if (view.length > 0) this.#onBytes?.(view);
      if (text.length > 0) this.#onSegment(text, utf8Bytes >= 0 ? utf8Bytes : Buffer.byteLength(text, 'utf8'), false);
      return;
    }
    if (this.#prolog !== null) {
      this.#prolog += text;
      this.#flushProlog(false);
      return;
    }
    if (text.length > 0) this.#emitTranscoded(text);
  }

  #emitTranscoded(text: string): void {
    // Copy: the input is not UTF-8, so the UTF-8 space has to be made.
    const bytes = Buffer.from(text, 'utf8');
    this.#onBytes?.(bytes);
    this.#onSegment(text, bytes.length, false);
  }

  /** Transcoded input: emits the XML declaration as a dropped segment once it is complete. */
  #flushProlog(atEnd: boolean): void {
    const prolog = this.#prolog!;
    let declEnd = -1;
    // '<?xml' then whitespace starts a declaration ('<?xml-stylesheet' is a PI).
    if (prolog.length >= 6 && prolog.startsWith('<?xml') && /\s/.test(prolog[5]!)) {
      const close = prolog.indexOf('?>');
      if (close >= 0) declEnd = close + 2;
      else if (!atEnd && prolog.length < SNIFF_LIMIT) return; // wait for the rest of the declaration
    } else if (!atEnd && prolog.length < 6 && '<?xml'.startsWith(prolog.slice(0, 5))) {
      return; // could still become a declaration
    }
    this.#prolog = null;
    if (declEnd > 0) {
      this.#onSegment(prolog.slice(0, declEnd), 0, true);
      if (declEnd < prolog.length) this.#emitTranscoded(prolog.slice(declEnd));
    } else if (prolog.length > 0) {
      this.#emitTranscoded(prolog);
    }
  }

  /** Picks the encoding once enough bytes are held; false while undecided. */
  #decide(atEnd: boolean): boolean {
    // Scratch copy of at most SNIFF_LIMIT bytes: the held views may be split anywhere.
    const head = this.#held.length === 1 ? this.#held[0]! : Buffer.concat(this.#held, Math.min(this.#heldBytes, SNIFF_LIMIT));
    const b0 = head[0], b1 = head[1], b2 = head[2];
    let label: string | null = null;
    let bom = 0;
    if (head.length >= 3 && b0 === 0xef && b1 === 0xbb && b2 === 0xbf) {
      label = 'utf-8';
      bom = 3;
    } else if (head.length >= 2 && b0 === 0xff && b1 === 0xfe) {
      label = 'utf-16le';
    } else if (head.length >= 2 && b0 === 0xfe && b1 === 0xff) {
      label = 'utf-16be';
    } else if (!atEnd && head.length < 3 && (b0 === undefined || b0 === 0xef || b0 === 0xff || b0 === 0xfe)) {
      return false; // could still be a BOM
    }
    if (label === null && this.#charsetParameter !== null) {
      label = normaliseLabel(this.#charsetParameter);
      if (label === 'utf-16' || label === 'utf-16le' || label === 'utf-16be') {
        // No BOM: RFC 2781 §4.3 says big-endian, but look at where the '<' is first.
        if (head.length < 2 && !atEnd) return false;
        label = label !== 'utf-16' ? label : b0 === 0x3c && b1 === 0x00 ? 'utf-16le' : 'utf-16be';
      }
    }
    if (label === null) {
      if (head.length >= 2 && b0 === 0x3c && b1 === 0x00) label = 'utf-16le';
      else if (head.length >= 2 && b0 === 0x00 && b1 === 0x3c) label = 'utf-16be';
      else if (!atEnd && head.length < 2 && b0 === 0x00) {
        // Could still be UTF-16BE's '<' (00 3C): decided with the next byte, as for the whole input
        // (found by the fuzzer: corpus/regressions/xop-chunking-utf16be-no-bom-first-byte-alone).
        return false;
      } else {
        const sniffed = sniffDeclaredEncoding(head, atEnd || this.#heldBytes >= SNIFF_LIMIT);
        if (sniffed === undefined) return false;
        label = sniffed === null ? 'utf-8' : normaliseLabel(sniffed);
        if (label === 'utf-16') label = 'utf-8'; // a UTF-16 declaration in ASCII-compatible bytes is wrong: trust the bytes
      }
    }
    try {
      this.#decoder = new TextDecoder(label, { fatal: true });
    } catch (cause) {
      throw xopError(ErrorCodes.XML_BAD_ENCODING, `unsupported charset ${JSON.stringify(label)}`, { offset: 0, cause });
    }
    this.#encoding = this.#decoder.encoding;
    this.#utf8 = this.#encoding === 'utf-8';
    this.#bomBytes = this.#utf8 ? bom : 0;
    const le = this.#encoding === 'utf-16le' && b0 === 0xff && b1 === 0xfe;
    const be = this.#encoding === 'utf-16be' && b0 === 0xfe && b1 === 0xff;
    this.#utf16BomBytes = le || be ? 2 : 0;
    if (!this.#utf8) this.#prolog = '';
    return true;
  }
}

/** The last 4 bytes of `previous` followed by `view` (a 4-byte scratch copy: the views may be short). */
function lastBytes(previous: Uint8Array, view: Uint8Array): Uint8Array {
  if (view.length >= 4) return view.slice(view.length - 4);
  const joined = new Uint8Array(previous.length + view.length);
  joined.set(previous, 0);
  joined.set(view, previous.length);
  return joined.slice(Math.max(0, joined.length - 4));
}

/**
 * The `encoding` of an XML declaration at the start of ASCII-compatible
 * bytes: the label, null when there is none, undefined when more bytes are
 * needed to tell.
 */
function sniffDeclaredEncoding(head: Uint8Array, final: boolean): string | null | undefined {
  const decl = '<?xml';
  for (let i = 0; i < decl.length; i++) {
    if (i >= head.length) return final ? null : undefined;
    if (head[i] !== decl.charCodeAt(i)) return null;
  }
  // latin1 keeps every byte as one character: enough for an ASCII declaration.
  const text = Buffer.from(head.buffer, head.byteOffset, Math.min(head.length, SNIFF_LIMIT)).toString('latin1');
  const close = text.indexOf('?>');
  if (close < 0) return final ? null : undefined;
  const match = /\sencoding\s*=\s*(["'])([A-Za-z][A-Za-z0-9._-]*)\1/.exec(text.slice(0, close));
  return match === null ? null : match[2]!;
}
