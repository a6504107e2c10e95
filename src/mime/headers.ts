/**
 * Part header blocks (RFC 2045 §3, RFC 5322 §2.2): parsing, unfolding and the
 * read-only map handed to callers.
 *
 * Line endings: a line ends at LF, with or without a preceding CR, because
 * real peers (SoapUI, PHP stacks, old Axis) send bare-LF headers and even mix
 * the two in one block. A CR anywhere else is a bare CR and is rejected, as is
 * every other control byte except HTAB: those are the bytes that smuggle
 * header injection and crashed dicer (CVE-2022-24434).
 *
 * @module
 */

import { ErrorCodes, xopError } from '../errors.js';

const LF = 0x0a;
const CR = 0x0d;
const HTAB = 0x09;
const SPACE = 0x20;
const COLON = 0x3a;

/** Up to this many header lines, a lookup scans them rather than building a dictionary. */
const SCAN_LIMIT = 16;

/**
 * The headers of one MIME part: a read-only map keyed by lower-case header
 * name. Values are as received, unfolded and trimmed. A name that occurs
 * more than once keeps every value ({@link PartHeaders.getAll}); `get`
 * returns the first.
 */
export class PartHeaders implements Iterable<[string, string]> {
  /** `[lower-case name, value]` in order of appearance; null until needed when made from a block (see fromBlock). */
  #order: Array<[string, string]> | null;
  /** A header block as latin1 text and its field bounds (fromBlock): get() reads it without building #order. */
  #text = '';
  #bounds: Int32Array | null = null;
  /**
   * Name → values, built on first need: a part has a handful of headers, so
   * a lookup scans #order (building a dictionary per part cost more than the
   * lookups it saves, measured in the small-parts benchmark).
   */
  #values: Record<string, string[]> | null = null;

  /** @internal Use {@link parseHeaderBlock} or {@link PartHeaders.from}. */
  constructor(entries: ReadonlyArray<readonly [string, string]>) {
    this.#order = [];
    for (const [rawName, value] of entries) this.#order.push([rawName.toLowerCase(), value]);
  }

  /**
   * @internal The parser's fast path: an ASCII header block as latin1 text and,
   * per field, its name start, name end, value start and value end in it (the
   * array is handed over). Nothing is sliced until a header is asked for.
   */
  static fromBlock(text: string, bounds: Int32Array): PartHeaders {
    const headers = new PartHeaders([]);
    headers.#order = null;
    headers.#text = text;
    headers.#bounds = bounds;
    return headers;
  }

  /** The entries, made from the block on first need. */
  #entries(): Array<[string, string]> {
    if (this.#order === null) {
      const text = this.#text;
      const bounds = this.#bounds!;
      const order: Array<[string, string]> = [];
      for (let j = 0; j < bounds.length; j += 4) {
        order.push([text.slice(bounds[j]!, bounds[j + 1]!).toLowerCase(), text.slice(bounds[j + 2]!, bounds[j + 3]!).trim()]);
      }
      this.#order = order;
    }
    return this.#order;
  }

  /** The dictionary, for many headers and for keys()/toJSON(). */
  #dictionary(): Record<string, string[]> {
    if (this.#values === null) {
      // Object.create(null): a header named __proto__ or constructor must not
      // reach Object.prototype.
      const values: Record<string, string[]> = Object.create(null);
      for (const [name, value] of this.#entries()) (values[name] ??= []).push(value);
      this.#values = values;
    }
    return this.#values;
  }

  /** Builds headers from name/value pairs (names are lower-cased). */
  static from(entries: ReadonlyArray<readonly [string, string]> | Record<string, string>): PartHeaders {
    return new PartHeaders(Array.isArray(entries) ? entries : Object.entries(entries));
  }

  /** The first value of a header (name is case-insensitive), or `null`. */
  get(name: string): string | null {
    const key = name.toLowerCase();
    const bounds = this.#bounds;
    if (this.#order === null && bounds !== null) {
      // Straight from the block: compare the names in place, slice only the value asked for.
      const text = this.#text;
      for (let j = 0; j < bounds.length; j += 4) {
        const start = bounds[j]!;
        if (bounds[j + 1]! - start === key.length && sameName(text, start, key)) {
          return text.slice(bounds[j + 2]!, bounds[j + 3]!).trim();
        }
      }
      return null;
    }
    const order = this.#entries();
    if (order.length > SCAN_LIMIT) return this.#dictionary()[key]?.[0] ?? null;
    for (let i = 0; i < order.length; i++) if (order[i]![0] === key) return order[i]![1];
    return null;
  }

  /** Every value of a header, in order of appearance. */
  getAll(name: string): readonly string[] {
    return this.#dictionary()[name.toLowerCase()] ?? [];
  }

  has(name: string): boolean {
    return this.get(name) !== null;
  }

  /** Number of header lines. */
  get size(): number {
    return this.#order === null ? this.#bounds!.length / 4 : this.#order.length;
  }

  /** Distinct lower-case names. */
  keys(): IterableIterator<string> {
    return Object.keys(this.#dictionary())[Symbol.iterator]();
  }

  /** `[name, value]` pairs in order of appearance. */
  entries(): IterableIterator<[string, string]> {
    return this.#entries().map(([n, v]) => [n, v] as [string, string])[Symbol.iterator]();
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  /** A plain object of first values, for logging and JSON. */
  toJSON(): Record<string, string> {
    const values = this.#dictionary();
    const out: Record<string, string> = {};
    for (const name of Object.keys(values)) out[name] = values[name]![0]!;
    return out;
  }
}

/** Does the header name at `start` in `text` equal the lower-case `key`, ignoring ASCII case? */
function sameName(text: string, start: number, key: string): boolean {
  for (let i = 0; i < key.length; i++) {
    let c = text.charCodeAt(start + i);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c !== key.charCodeAt(i)) return false;
  }
  return true;
}

/** RFC 7230 tchar: the bytes allowed in a header field name. */
function isTokenByte(b: number): boolean {
  if (b >= 0x30 && b <= 0x39) return true; // DIGIT
  if ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a) return true; // ALPHA
  return b === 0x21 || (b >= 0x23 && b <= 0x27) || b === 0x2a || b === 0x2b || b === 0x2d || b === 0x2e ||
    b === 0x5e || b === 0x5f || b === 0x60 || b === 0x7c || b === 0x7e;
}

/**
 * Parses one part's header block: the bytes after the delimiter line up to,
 * not including, the empty line that ends it.
 *
 * @param block  the raw header bytes (lines end in LF or CRLF)
 * @param offset byte offset of `block[0]` in the message, for error reports
 * @param maxCount the header count limit
 * @throws XopError `ERR_MIME_BAD_HEADER`, `ERR_MIME_TOO_MANY_HEADERS`
 */
export function parseHeaderBlock(input: Uint8Array, offset: number, maxCount: number): PartHeaders {
  // One Buffer view of the block. Headers are parsed per part, so the per-call
  // costs count: each line is scanned once in JS (line end, colon and control
  // bytes together), and an ASCII block is decoded to a string once and sliced.
  const block = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const entries: Array<[string, string]> = [];
  let text: string | null = null; // the whole block as latin1, decoded on first use
  const decode = (from: number, to: number, ascii: boolean): string => {
    if (!ascii) return block.toString('utf8', from, to); // Values are UTF-8 (RFC 6532).
    text ??= block.toString('latin1');
    return text.slice(from, to); // ASCII: latin1 is exact.
  };
  let name = '';
  let value = '';
  let haveField = false;
  let pos = 0;
  const end = block.length;
  while (pos < end) {
    // RFC 5322 §2.2: no CR or LF inside a line, and no other control bytes.
    let ascii = true;
    let colon = -1;
    let lineEnd = pos;
    let bad = -1;
    for (; lineEnd < end; lineEnd++) {
      const b = block[lineEnd]!;
      if (b === LF) break;
      if (b >= 0x80) ascii = false;
      else if (b === COLON) {
        if (colon === -1) colon = lineEnd;
      } else if (((b < SPACE && b !== HTAB) || b === 0x7f) && bad === -1) bad = lineEnd;
    }
    let contentEnd = lineEnd;
    if (contentEnd > pos && block[contentEnd - 1] === CR) {
      contentEnd--;
      if (bad === contentEnd) bad = -1; // the CR of the line break
    }
    if (bad !== -1) {
      const b = block[bad]!;
      throw xopError(ErrorCodes.MIME_BAD_HEADER,
        b === CR ? 'bare CR inside a header line' : `control byte 0x${b.toString(16).padStart(2, '0')} in a header line`,
        { offset: offset + bad });
    }
    const first = block[pos];
    if (first === SPACE || first === HTAB) {
      // RFC 5322 §2.2.3 unfolding: a continuation line; drop the line break, keep the whitespace.
      if (!haveField) {
        throw xopError(ErrorCodes.MIME_BAD_HEADER, 'header block starts with a continuation line', { offset: offset + pos });
      }
      value += decode(pos, contentEnd, ascii);
    } else if (contentEnd > pos) {
      if (haveField) entries.push([name, value.trim()]);
      if (colon === -1 || colon >= contentEnd) {
        throw xopError(ErrorCodes.MIME_BAD_HEADER, 'header line without a colon', { offset: offset + pos });
      }
      let nameEnd = colon;
      // Obsolete syntax (RFC 5322 §4.5) allows whitespace before the colon.
      while (nameEnd > pos && (block[nameEnd - 1] === SPACE || block[nameEnd - 1] === HTAB)) nameEnd--;
      if (nameEnd === pos) {
        throw xopError(ErrorCodes.MIME_BAD_HEADER, 'header line with an empty name', { offset: offset + pos });
      }
      for (let i = pos; i < nameEnd; i++) {
        if (!isTokenByte(block[i]!)) {
          throw xopError(ErrorCodes.MIME_BAD_HEADER, 'invalid character in a header name', { offset: offset + i });
        }
      }
      if (entries.length + 1 > maxCount) {
        throw xopError(ErrorCodes.MIME_TOO_MANY_HEADERS, `part has more than ${maxCount} header lines`,
          { offset: offset + pos, limit: maxCount });
      }
      // Header names are ASCII tokens (checked above), so latin1 is exact.
      name = decode(pos, nameEnd, true).toLowerCase();
      value = decode(colon + 1, contentEnd, ascii);
      haveField = true;
    }
    pos = lineEnd + 1;
  }
  if (haveField) entries.push([name, value.trim()]);
  return new PartHeaders(entries);
}
