/**
 * The limit for a parser that also accepts bare-LF framing (as xopstream
 * does: real peers send it): Buffer.prototype.indexOf for LF "--" boundary,
 * each match confirmed by the two bytes after it ("--", CRLF or LF; a CR
 * before the LF belongs to the delimiter). A match followed by anything else
 * is body data, and the search goes on from the next byte. Body bytes go out
 * as one view per stretch between delimiters (per chunk), however many
 * candidates were rejected inside it. No header parsing, no transport
 * padding, no checks.
 *
 * On ordinary messages it costs what the CRLF-only limit costs; on input
 * dense in LF "--" boundary candidates (the pathological case) it shows what
 * merely finding and rejecting them costs with indexOf.
 */

import type { BodySink, Contestant, PartSink } from './types.js';

const CR = 0x0d;
const LF = 0x0a;
const DASH = 0x2d;
const DOUBLE_CRLF = Buffer.from('\r\n\r\n');

class LfIndexOfSplitter {
  readonly #needle: Buffer;
  readonly #sink: PartSink;
  #carry: Buffer | null = null;
  readonly #window: number;
  #inHeaders = false;
  #body: BodySink | null = null;
  #done = false;
  #first = true;

  constructor(boundary: string, sink: PartSink) {
    this.#needle = Buffer.from(`\n--${boundary}`, 'latin1');
    this.#sink = sink;
    this.#window = this.#needle.length + 4;
  }

  write(chunk: Buffer): void {
    if (this.#done) return;
    let pos = 0;
    if (this.#first) {
      this.#first = false;
      if (chunk.compare(this.#needle, 1, this.#needle.length, 0, this.#needle.length - 1) === 0) {
        this.#inHeaders = true;
        pos = this.#needle.length + 1; // "--boundary" CRLF
      }
    }
    const carry = this.#carry;
    if (carry !== null) {
      this.#carry = null;
      if (chunk.length < this.#window) {
        this.#scan(Buffer.concat([carry, chunk]), 0); // Copy: a tiny last chunk, joined whole to the carry.
        return;
      }
      // Copy: the carry plus the window of this chunk, to decide what began in the carry.
      pos = this.#straddle(Buffer.concat([carry, chunk.subarray(0, this.#window)]), carry.length);
      if (this.#done) return;
    }
    this.#scan(chunk, pos);
  }

  #straddle(window: Buffer, carryLength: number): number {
    if (this.#inHeaders) {
      const end = window.indexOf(DOUBLE_CRLF);
      if (end === -1 || end >= carryLength) return 0;
      this.#inHeaders = false;
      this.#body = this.#sink.begin(null);
      return end + 4 - carryLength;
    }
    for (let from = 0; ;) {
      const index = window.indexOf(this.#needle, from);
      // A match that begins in the carry, or right after a carried CR.
      if (index === -1 || index > carryLength || (index === carryLength && window[index - 1] !== CR)) break;
      const next = this.#confirm(window, index, 0);
      if (next >= 0) return next - carryLength;
      from = index + 1;
    }
    if (this.#body !== null) this.#body.data(window.subarray(0, carryLength)); // the carry was data
    return 0;
  }

  /**
   * Is the match at `index` a delimiter? If so, hands on the data since
   * `dataStart`, ends the part and returns the position after the delimiter
   * line; else -1.
   */
  #confirm(buf: Buffer, index: number, dataStart: number): number {
    const after = index + this.#needle.length;
    const b0 = buf[after];
    const b1 = buf[after + 1];
    const close = b0 === DASH && b1 === DASH;
    const lineEnd = b0 === LF ? after + 1 : b0 === CR && b1 === LF ? after + 2 : -1;
    if (!close && lineEnd === -1) return -1;
    const dataEnd = index > dataStart && buf[index - 1] === CR ? index - 1 : index;
    if (this.#body !== null) {
      if (dataEnd > dataStart) this.#body.data(buf.subarray(dataStart, dataEnd));
      this.#body.end();
      this.#body = null;
    }
    if (close) {
      this.#done = true;
      return buf.length;
    }
    this.#inHeaders = true;
    return lineEnd;
  }

  #scan(buf: Buffer, start: number): void {
    let pos = start;
    const needleLength = this.#needle.length;
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
      let from = pos;
      let next = -1;
      for (;;) {
        const index = buf.indexOf(this.#needle, from);
        if (index === -1) break;
        if (index + needleLength + 2 > buf.length) {
          // Undecidable here: data up to the candidate ([CR] LF) goes out, the rest waits for the next chunk.
          const keepFrom = index > pos && buf[index - 1] === CR ? index - 1 : index;
          if (this.#body !== null && keepFrom > pos) this.#body.data(buf.subarray(pos, keepFrom));
          this.#carry = Buffer.from(buf.subarray(keepFrom)); // Copy: the candidate continues in the next chunk.
          return;
        }
        next = this.#confirm(buf, index, pos);
        if (next >= 0) break;
        from = index + 1;
      }
      if (next >= 0) {
        pos = next;
        continue;
      }
      // No delimiter in the rest of the chunk: keep a tail that may start one
      // (from the last LF in the last needle-length bytes, with a CR before it; or a final CR).
      let keepFrom = buf.length;
      const stop = Math.max(pos, buf.length - needleLength + 1);
      let lf = buf.length - 1;
      while (lf >= stop && buf[lf] !== LF) lf--;
      if (lf >= stop && buf.compare(this.#needle, 0, buf.length - lf, lf, buf.length) === 0) {
        keepFrom = lf > pos && buf[lf - 1] === CR ? lf - 1 : lf;
      } else if (buf[buf.length - 1] === CR && buf.length - 1 >= pos) {
        keepFrom = buf.length - 1;
      }
      if (this.#body !== null && keepFrom > pos) this.#body.data(buf.subarray(pos, keepFrom));
      if (keepFrom < buf.length) this.#carry = Buffer.from(buf.subarray(keepFrom)); // Copy: outlives the chunk.
      return;
    }
  }
}

export const indexOfLfLimit: Contestant = {
  name: 'Buffer.indexOf limit (LF framing)',
  description: 'indexOf for LF--boundary, each match confirmed by the bytes after it (bare-LF framing, as xopstream accepts); one view per stretch of body',
  kind: 'limit',
  parse(message, sink) {
    const splitter = new LfIndexOfSplitter(message.boundary, sink);
    for (const chunk of message.chunks) splitter.write(chunk);
  },
};
