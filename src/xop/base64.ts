/**
 * Streaming base64 (RFC 4648 §4, no line breaks: the canonical lexical form
 * of xs:base64Binary that XOP 1.0 §3.1 requires) in bounded pieces.
 *
 * @module
 */

/** Default bytes of input encoded per output piece (a multiple of 3). */
export const DEFAULT_BASE64_PIECE = 48 * 1024;

/**
 * Encodes a byte stream as base64, 3-byte aligned so the pieces can be
 * concatenated: at most 2 bytes are carried between chunks.
 */
export class Base64Encoder {
  readonly #piece: number;
  /** Carried bytes (0–2) and how many. */
  readonly #carry = Buffer.alloc(3);
  #carried = 0;

  /** @param piece input bytes per output piece; rounded down to a multiple of 3. */
  constructor(piece: number = DEFAULT_BASE64_PIECE) {
    this.#piece = Math.max(3, piece - (piece % 3));
  }

  /** Encodes a chunk; returns the base64 pieces it completes (maybe none). */
  push(view: Uint8Array): Buffer[] {
    const out: Buffer[] = [];
    let offset = 0;
    if (this.#carried > 0) {
      while (this.#carried < 3 && offset < view.length) this.#carry[this.#carried++] = view[offset++]!;
      if (this.#carried < 3) return out;
      out.push(Buffer.from(this.#carry.toString('base64'), 'latin1'));
      this.#carried = 0;
    }
    const aligned = offset + Math.floor((view.length - offset) / 3) * 3;
    const source = Buffer.isBuffer(view) ? view : Buffer.from(view.buffer, view.byteOffset, view.length);
    for (let start = offset; start < aligned; start += this.#piece) {
      const end = Math.min(aligned, start + this.#piece);
      // The encoded text is new bytes by nature: base64 cannot be a view of its input.
      out.push(Buffer.from(source.toString('base64', start, end), 'latin1'));
    }
    for (let i = aligned; i < view.length; i++) this.#carry[this.#carried++] = view[i]!;
    return out;
  }

  /** Encodes the carried bytes with padding; returns '' as an empty buffer when there are none. */
  end(): Buffer {
    if (this.#carried === 0) return Buffer.alloc(0);
    const tail = Buffer.from(this.#carry.subarray(0, this.#carried).toString('base64'), 'latin1');
    this.#carried = 0;
    return tail;
  }
}

const BASE64_VALUE = new Int8Array(256).fill(-1);
for (let i = 0; i < 64; i++) {
  BASE64_VALUE['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.charCodeAt(i)] = i;
}

/**
 * Length of the bytes that `bytes[start, end)` decodes to when it is the
 * canonical lexical form of xs:base64Binary (no whitespace, `=` padding only
 * at the end, zero bits in the unused part of the last symbol); -1 otherwise.
 */
export function canonicalBase64Length(bytes: Uint8Array, start: number, end: number): number {
  const length = end - start;
  if (length % 4 !== 0) return -1;
  if (length === 0) return 0;
  let padding = 0;
  if (bytes[end - 1] === 0x3d) padding = bytes[end - 2] === 0x3d ? 2 : 1;
  const last = end - padding;
  for (let i = start; i < last; i++) {
    if (BASE64_VALUE[bytes[i]!]! < 0) return -1;
  }
  if (padding > 0) {
    const value = BASE64_VALUE[bytes[last - 1]!]!;
    if ((value & (padding === 1 ? 0x03 : 0x0f)) !== 0) return -1;
  }
  return (length / 4) * 3 - padding;
}

/**
 * Decodes canonical base64 held in `bytes[start, end)` in pieces of about
 * `piece` output bytes (4-character aligned).
 */
export function* decodeBase64Pieces(bytes: Uint8Array, start: number, end: number,
  piece: number = DEFAULT_BASE64_PIECE): Generator<Buffer, void, undefined> {
  const step = Math.max(4, Math.floor(piece / 3) * 4);
  const source = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  for (let at = start; at < end; at += step) {
    // Decoding makes new bytes by nature.
    yield Buffer.from(source.toString('latin1', at, Math.min(end, at + step)), 'base64');
  }
}
