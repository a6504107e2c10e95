/**
 * Streaming Content-Transfer-Encoding decoders (RFC 2045 §6).
 *
 * `binary`, `8bit` and `7bit` are identity: the body views pass through
 * untouched (zero copy). `base64` (§6.8) and `quoted-printable` (§6.7) are
 * decoded chunk by chunk, carrying at most a few bytes between chunks, so a
 * part is never buffered whole.
 *
 * @module
 */

import { ErrorCodes, xopError, type XopError } from '../errors.js';

/** A streaming decoder: push encoded views, get decoded views back. */
export interface TransferDecoder {
  /** Decodes one view. May return an empty array when it only carried bytes over. */
  push(view: Uint8Array): Uint8Array;
  /** Flushes carried bytes at the end of the part. */
  end(): Uint8Array;
  /** True when `push` returns its input unchanged (no copy). */
  readonly identity: boolean;
  /**
   * Throws an error found after the bytes the last `push` returned (those
   * bytes came out first). Call it once they are handed on, before reading
   * further input, so that the error surfaces at its place in the stream.
   */
  throwIfFailed?(): void;
}

const EMPTY = new Uint8Array(0);

const identityDecoder: TransferDecoder = {
  push: (view) => view,
  end: () => EMPTY,
  identity: true,
};

/** base64 alphabet → 6-bit value; 64 = whitespace (skipped), 65 = '=', 255 = invalid. */
const BASE64_TABLE = (() => {
  const table = new Uint8Array(256).fill(255);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  // RFC 2045 §6.8: line breaks and other characters outside the alphabet are
  // ignored by decoders; we ignore whitespace only and reject the rest, so
  // that corrupt content is reported instead of silently dropped.
  for (const c of [0x20, 0x09, 0x0d, 0x0a]) table[c] = 64;
  table[0x3d] = 65;
  return table;
})();

class Base64Decoder implements TransferDecoder {
  readonly identity = false;
  /** Up to three 6-bit values carried to the next chunk. */
  #carry = 0;
  #carryCount = 0;
  #padding = 0;
  /** Message offset of the next input byte, for error reports. */
  #consumed: number;
  /**
   * An error found after some bytes of a view decoded: those bytes are
   * returned first and the error is thrown by the next push() or end(), so
   * the consumer sees the same bytes before the error whatever the chunking
   * (found by the fuzzer: corpus/regressions/receive-chunking-*).
   */
  #failure: XopError | null = null;

  constructor(baseOffset: number) {
    this.#consumed = baseOffset;
  }

  push(view: Uint8Array): Uint8Array {
    if (this.#failure !== null) throw this.#failure;
    // Output is at most 3/4 of the input plus the carried bits.
    const out = new Uint8Array(Math.floor(((view.length + this.#carryCount) * 3) / 4) + 3);
    let o = 0;
    let carry = this.#carry;
    let count = this.#carryCount;
    for (let i = 0; i < view.length; i++) {
      const v = BASE64_TABLE[view[i]!]!;
      if (v < 64) {
        if (this.#padding > 0) {
          return this.#fail(out, o, xopError(ErrorCodes.MIME_BAD_ENCODING, 'base64 data after "=" padding', { offset: this.#consumed + i }));
        }
        carry = (carry << 6) | v;
        if (++count === 4) {
          out[o++] = (carry >> 16) & 0xff;
          out[o++] = (carry >> 8) & 0xff;
          out[o++] = carry & 0xff;
          carry = 0;
          count = 0;
        }
      } else if (v === 64) {
        continue;
      } else if (v === 65) {
        if (count < 2 || ++this.#padding > 2) {
          return this.#fail(out, o, xopError(ErrorCodes.MIME_BAD_ENCODING, 'misplaced "=" in base64 data', { offset: this.#consumed + i }));
        }
        if (count + this.#padding === 4) {
          // Close the quantum: 2 chars → 1 byte, 3 chars → 2 bytes.
          o = this.#flushPartial(out, o, carry, count);
          carry = 0;
          count = 0;
        }
      } else {
        return this.#fail(out, o, xopError(ErrorCodes.MIME_BAD_ENCODING,
          `invalid byte 0x${view[i]!.toString(16).padStart(2, '0')} in base64 data`, { offset: this.#consumed + i }));
      }
    }
    this.#carry = carry;
    this.#carryCount = count;
    this.#consumed += view.length;
    return out.subarray(0, o);
  }

  throwIfFailed(): void {
    if (this.#failure !== null) throw this.#failure;
  }

  /** Returns the bytes decoded before `error` and defers it; throws it now when there are none. */
  #fail(out: Uint8Array, o: number, error: XopError): Uint8Array {
    this.#failure = error;
    if (o === 0) throw error;
    return out.subarray(0, o);
  }

  #flushPartial(out: Uint8Array, o: number, carry: number, count: number): number {
    if (count === 2) {
      out[o++] = (carry >> 4) & 0xff;
    } else if (count === 3) {
      out[o++] = (carry >> 10) & 0xff;
      out[o++] = (carry >> 2) & 0xff;
    }
    return o;
  }

  end(): Uint8Array {
    if (this.#failure !== null) throw this.#failure;
    const count = this.#carryCount;
    if (count === 0) return EMPTY;
    if (count === 1 || this.#padding > 0) {
      throw xopError(ErrorCodes.MIME_BAD_ENCODING, 'base64 data ends inside a quantum', { offset: this.#consumed });
    }
    // Unpadded final quantum (tolerated: some encoders omit '=').
    const out = new Uint8Array(2);
    const o = this.#flushPartial(out, 0, this.#carry, count);
    this.#carryCount = 0;
    return out.subarray(0, o);
  }
}

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  const lower = b | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/** The longest line RFC 5322 §2.1.1 allows, without its CRLF. */
const MAX_LINE = 998;

/**
 * RFC 2045 §6.7 quoted-printable. Soft line breaks ("=" CRLF, or "=" LF from
 * bare-LF peers) are removed; "=XX" becomes the byte; trailing whitespace on a
 * line is dropped (rule 3). A malformed "=" sequence is kept literally, the
 * robust choice the RFC recommends (§6.7 note 1).
 */
class QuotedPrintableDecoder implements TransferDecoder {
  readonly identity = false;
  /** Bytes carried over: an incomplete "=" escape, or whitespace that may be trailing (at most a line's worth). */
  #carry = new Uint8Array(0);
  /** The input ended inside a whitespace run longer than a line: it is kept, and so is the rest of it. */
  #literalRun = false;

  push(view: Uint8Array): Uint8Array {
    let input = view;
    if (this.#carry.length > 0) {
      // Copy: the carried bytes (< a line) must be joined to this view to decode the escape.
      const joined = new Uint8Array(this.#carry.length + view.length);
      joined.set(this.#carry, 0);
      joined.set(view, this.#carry.length);
      input = joined;
      this.#carry = new Uint8Array(0);
    }
    const out = new Uint8Array(input.length);
    let o = 0;
    const n = input.length;
    let i = 0;
    if (this.#literalRun) {
      while (i < n && (input[i] === 0x20 || input[i] === 0x09)) out[o++] = input[i++];
      if (i < n) this.#literalRun = false;
    }
    while (i < n) {
      const b = input[i]!;
      if (b === 0x3d /* = */) {
        if (i + 1 >= n) break; // need more input
        const b1 = input[i + 1]!;
        if (b1 === 0x0a) { i += 2; continue; } // soft break, bare LF
        if (b1 === 0x0d) {
          if (i + 2 >= n) break;
          if (input[i + 2] === 0x0a) { i += 3; continue; } // soft break
          out[o++] = b; i++; continue;
        }
        if (b1 === 0x20 || b1 === 0x09) {
          // "=" followed by trailing whitespace then a line break is a soft break too.
          let j = i + 1;
          while (j < n && (input[j] === 0x20 || input[j] === 0x09)) j++;
          // More whitespace than a line holds is no soft break: the '=' is literal (whatever the chunking).
          if (j - i - 1 > MAX_LINE) { out[o++] = b; i++; continue; }
          if (j >= n) break;
          if (input[j] === 0x0a) { i = j + 1; continue; }
          if (input[j] === 0x0d) {
            if (j + 1 >= n) break;
            if (input[j + 1] === 0x0a) { i = j + 2; continue; }
          }
          out[o++] = b; i++; continue;
        }
        if (i + 2 >= n) break;
        const hi = hexValue(b1);
        const lo = hexValue(input[i + 2]!);
        if (hi >= 0 && lo >= 0) {
          out[o++] = (hi << 4) | lo;
          i += 3;
        } else {
          out[o++] = b; // literal '=' (lenient, §6.7 note 1)
          i++;
        }
        continue;
      }
      if (b === 0x20 || b === 0x09) {
        // Whitespace is kept unless a line break follows it (rule 3).
        let j = i;
        while (j < n && (input[j] === 0x20 || input[j] === 0x09)) j++;
        if (j - i > MAX_LINE) {
          // Longer than a line can be (RFC 5322 §2.1.1): not trailing whitespace but data, kept
          // whatever the chunking; carrying it would let a peer make us buffer without bound.
          out.set(input.subarray(i, j), o);
          o += j - i;
          i = j;
          if (j >= n) this.#literalRun = true;
          continue;
        }
        if (j >= n) break; // might be trailing: decide with the next chunk
        const next = input[j]!;
        if (next === 0x0a || (next === 0x0d && j + 1 < n && input[j + 1] === 0x0a)) { i = j; continue; }
        if (next === 0x0d && j + 1 >= n) break;
        out.set(input.subarray(i, j), o);
        o += j - i;
        i = j;
        continue;
      }
      out[o++] = b;
      i++;
    }
    if (i < n) this.#carry = input.slice(i); // Copy: a few carried bytes outlive this call.
    return out.subarray(0, o);
  }

  end(): Uint8Array {
    const carry = this.#carry;
    this.#carry = new Uint8Array(0);
    if (carry.length === 0) return EMPTY;
    // At the end, trailing whitespace is dropped and a lone '=' is a soft break.
    let end = carry.length;
    while (end > 0 && (carry[end - 1] === 0x20 || carry[end - 1] === 0x09 || carry[end - 1] === 0x0d)) end--;
    if (end > 0 && carry[0] === 0x3d && end === 1) return EMPTY;
    return carry.subarray(0, end);
  }
}

/**
 * Returns a decoder for a Content-Transfer-Encoding header value (null or
 * absent means 7bit, RFC 2045 §6.1). Names are case-insensitive.
 * `baseOffset` is the message offset of the body's first byte: decoding
 * errors report their offset relative to it.
 *
 * @throws XopError `ERR_MIME_UNSUPPORTED_ENCODING` for any other encoding
 *   (x-token encodings, or RFC 2045 encodings applied to multiparts).
 */
export function createTransferDecoder(encoding: string | null | undefined, baseOffset = 0): TransferDecoder {
  const name = (encoding ?? '7bit').trim().toLowerCase();
  switch (name) {
    case '':
    case '7bit':
    case '8bit':
    case 'binary':
      return identityDecoder;
    case 'base64':
      return new Base64Decoder(baseOffset);
    case 'quoted-printable':
      return new QuotedPrintableDecoder();
    default:
      throw xopError(ErrorCodes.MIME_UNSUPPORTED_ENCODING, `unsupported Content-Transfer-Encoding ${JSON.stringify(encoding)}`);
  }
}
