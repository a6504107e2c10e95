/**
 * The physical limit: the least work any parser of this message must do,
 * done with Buffer.prototype.indexOf on the same chunks. It finds each
 * CRLF "--" boundary and the CRLF CRLF that ends each header block, hands the
 * bytes between on as views, and handles a delimiter that straddles two
 * chunks, but parses no headers, checks nothing and supports no LF framing.
 */

import type { BodySink, Contestant, PartSink } from './types.js';

const DOUBLE_CRLF = Buffer.from('\r\n\r\n');

class IndexOfSplitter {
  readonly #needle: Buffer;
  readonly #sink: PartSink;
  /** Tail of the previous chunk that may start a delimiter (or a header end). */
  #carry: Buffer = Buffer.alloc(0);
  #inHeaders = false;
  #body: BodySink | null = null;
  #done = false;

  /** Before the first chunk: the message starts with "--boundary" and no CRLF. */
  #first = true;

  constructor(boundary: string, sink: PartSink) {
    this.#needle = Buffer.from(`\r\n--${boundary}`, 'latin1');
    this.#sink = sink;
  }

  write(chunk: Buffer): void {
    let buf = chunk;
    if (this.#first) {
      this.#first = false;
      if (buf.compare(this.#needle, 2, this.#needle.length, 0, this.#needle.length - 2) === 0) {
        this.#inHeaders = true;
        buf = buf.subarray(this.#needle.length); // "--boundary" CRLF
      }
    }
    if (this.#carry.length > 0) {
      // Copy: only the few carried bytes plus enough of this chunk to decide.
      buf = Buffer.concat([this.#carry, chunk]);
      this.#carry = Buffer.alloc(0);
    }
    let pos = 0;
    while (pos < buf.length && !this.#done) {
      if (this.#inHeaders) {
        const end = buf.indexOf(DOUBLE_CRLF, pos);
        if (end === -1) {
          this.#carry = buf.subarray(Math.max(pos, buf.length - 3));
          return;
        }
        pos = end + 4;
        this.#inHeaders = false;
        this.#body = this.#sink.begin();
        continue;
      }
      const index = buf.indexOf(this.#needle, pos);
      if (index === -1) {
        // Keep a tail that may be the start of the needle: it can only begin
        // at the last CR (the needle's only CR is its first byte).
        let keep = 0;
        const cr = buf.lastIndexOf(0x0d);
        if (cr >= pos && cr > buf.length - this.#needle.length &&
            buf.compare(this.#needle, 0, buf.length - cr, cr, buf.length) === 0) keep = buf.length - cr;
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
      if (this.#body !== null) this.#body.end();
      this.#body = null;
      const after = index + this.#needle.length;
      if (buf[after] === 0x2d && buf[after + 1] === 0x2d) {
        this.#done = true;
        return;
      }
      pos = after + 2; // CRLF after the boundary
      this.#inHeaders = true;
    }
  }
}

export const indexOfLimit: Contestant = {
  name: 'Buffer.indexOf limit',
  description: 'indexOf for CRLF--boundary and CRLFCRLF only: no header parsing, no checks',
  parse(message, sink) {
    const splitter = new IndexOfSplitter(message.boundary, sink);
    for (const chunk of message.chunks) splitter.write(chunk);
  },
};
