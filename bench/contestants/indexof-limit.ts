/**
 * The physical limit: the least work any parser of this message must do,
 * done with Buffer.prototype.indexOf on the same chunks. It finds each
 * CRLF "--" boundary and the CRLF CRLF that ends each header block, hands the
 * bytes between on as views, and handles a delimiter that straddles two
 * chunks, but parses no headers, checks nothing and supports no LF framing.
 *
 * Across a chunk border it copies only the carried tail plus a few bytes of
 * the next chunk (a window long enough to decide a delimiter that began in
 * the tail), never the whole next chunk, so that it stays a limit on input
 * full of delimiter prefixes too (the pathological case).
 */

import type { BodySink, Contestant, PartSink } from './types.js';

const DOUBLE_CRLF = Buffer.from('\r\n\r\n');

export class IndexOfSplitter {
  readonly #needle: Buffer;
  readonly #sink: PartSink;
  /** Bytes of the chunk before that may start a delimiter (or a header end). */
  #carry: Buffer | null = null;
  /** Bytes of the next chunk joined to the carry to decide it: the needle plus "--" or CRLF. */
  readonly #window: number;
  #inHeaders = false;
  #body: BodySink | null = null;
  #done = false;

  /** Before the first chunk: the message starts with "--boundary" and no CRLF. */
  #first = true;

  constructor(boundary: string, sink: PartSink) {
    this.#needle = Buffer.from(`\r\n--${boundary}`, 'latin1');
    this.#sink = sink;
    this.#window = this.#needle.length + 4;
  }

  write(chunk: Buffer): void {
    if (this.#done) return;
    let pos = 0;
    if (this.#first) {
      this.#first = false;
      if (chunk.compare(this.#needle, 2, this.#needle.length, 0, this.#needle.length - 2) === 0) {
        this.#inHeaders = true;
        pos = this.#needle.length; // "--boundary" CRLF
      }
    }
    const carry = this.#carry;
    if (carry !== null) {
      this.#carry = null;
      if (chunk.length < this.#window) {
        // Copy: a tiny last chunk, joined whole to the carry.
        this.#scan(Buffer.concat([carry, chunk]), 0);
        return;
      }
      // Copy: the carry plus the window of this chunk, to decide what began in the carry.
      pos = this.#straddle(Buffer.concat([carry, chunk.subarray(0, this.#window)]), carry.length);
      if (this.#done) return;
    }
    this.#scan(chunk, pos);
  }

  /** Decides a delimiter or header end that began in the carry; returns where to go on in the chunk. */
  #straddle(window: Buffer, carryLength: number): number {
    if (this.#inHeaders) {
      const end = window.indexOf(DOUBLE_CRLF);
      if (end === -1 || end >= carryLength) return 0;
      this.#inHeaders = false;
      this.#body = this.#sink.begin(null);
      return end + 4 - carryLength;
    }
    const index = window.indexOf(this.#needle);
    if (index === -1 || index >= carryLength) {
      if (this.#body !== null) this.#body.data(window.subarray(0, carryLength)); // the carry was data
      return 0;
    }
    if (this.#body !== null && index > 0) this.#body.data(window.subarray(0, index));
    return this.#delimiter(window, index) - carryLength;
  }

  /** A delimiter at `index` (its two following bytes available): ends the part; returns the position after its line. */
  #delimiter(buf: Buffer, index: number): number {
    if (this.#body !== null) this.#body.end();
    this.#body = null;
    const after = index + this.#needle.length;
    if (buf[after] === 0x2d && buf[after + 1] === 0x2d) {
      this.#done = true;
      return buf.length;
    }
    this.#inHeaders = true;
    return after + 2; // CRLF after the boundary
  }

  #scan(buf: Buffer, start: number): void {
    let pos = start;
    while (pos < buf.length && !this.#done) {
      if (this.#inHeaders) {
        const end = buf.indexOf(DOUBLE_CRLF, pos);
        if (end === -1) {
          this.#carry = buf.subarray(Math.max(pos, buf.length - 3));
          return;
        }
        pos = end + 4;
        this.#inHeaders = false;
        this.#body = this.#sink.begin(null);
        continue;
      }
      const index = buf.indexOf(this.#needle, pos);
      if (index === -1) {
        // Keep a tail that may be the start of the needle: it can only begin
        // at the last CR (the needle's only CR is its first byte).
        // Only the last needle-length - 1 bytes can hold it: look no further back.
        let keep = 0;
        const stop = Math.max(pos, buf.length - this.#needle.length + 1);
        let cr = buf.length - 1;
        while (cr >= stop && buf[cr] !== 0x0d) cr--;
        if (cr >= stop && buf.compare(this.#needle, 0, buf.length - cr, cr, buf.length) === 0) keep = buf.length - cr;
        if (this.#body !== null && buf.length - keep > pos) this.#body.data(buf.subarray(pos, buf.length - keep));
        if (keep > 0) this.#carry = Buffer.from(buf.subarray(buf.length - keep)); // Copy: outlives the chunk.
        return;
      }
      if (index + this.#needle.length + 2 > buf.length) {
        if (this.#body !== null && index > pos) this.#body.data(buf.subarray(pos, index));
        this.#carry = Buffer.from(buf.subarray(index)); // Copy: the delimiter line continues in the next chunk.
        return;
      }
      if (this.#body !== null && index > pos) this.#body.data(buf.subarray(pos, index));
      pos = this.#delimiter(buf, index);
    }
  }
}

export const indexOfLimit: Contestant = {
  name: 'Buffer.indexOf limit',
  description: 'indexOf for CRLF--boundary and CRLFCRLF only: no header parsing, no checks',
  kind: 'limit',
  parse(message, sink) {
    const splitter = new IndexOfSplitter(message.boundary, sink);
    for (const chunk of message.chunks) splitter.write(chunk);
  },
};
