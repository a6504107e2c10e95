/**
 * Maps saxes positions to byte offsets.
 *
 * saxes reports `position`: an index into the concatenation of every string
 * written to it (UTF-16 code units, counting a CR LF pair as two). We write
 * it exactly the decoded segments, so a position falls in the current
 * segment or in an earlier one. What the scanner needs are byte offsets (in
 * the UTF-8 space, see decoder.ts) of two kinds of places:
 *
 * - the position saxes is at when it reports a tag: just after its `>`, in
 *   the current segment;
 * - the `<` that began the tag just reported. No `<` can occur between it
 *   and the `>` (names cannot hold one, attribute values must not), so it is
 *   the last `<` before the position: in the current segment, or else the
 *   last `<` of an earlier segment, remembered when that segment retired;
 * - the `<` before that one (was anything — comment, PI, CDATA, element —
 *   between two tags?): the last two `<` of retired segments are remembered.
 *
 * A segment that is pure ASCII maps in O(1); otherwise a cursor walks it
 * forward, so the cost over a segment stays linear however many lookups.
 *
 * @module
 */

/** Position → byte-offset map over the decoded segments of one document. */
export class PositionMap {
  #text = '';
  /** saxes position of `#text[0]`. */
  #charStart = 0;
  /** Byte offset of `#text[0]`. */
  #byteStart = 0;
  #ascii = true;
  /** True for a dropped segment (a transcoded document's XML declaration): every position maps to #byteStart. */
  #dropped = false;
  #cursorChar = 0;
  #cursorByte = 0;
  /** The last `<` of retired segments: its position and byte offset (-1: none). */
  #lastLtChar = -1;
  #lastLtByte = -1;
  /** The `<` before that one, position only (-1: none). */
  #secondLtChar = -1;

  /** @param firstByte byte offset of the first decoded character (the BOM length). */
  constructor(firstByte = 0) {
    this.#byteStart = firstByte;
  }

  /** saxes position of the current segment's first character. */
  get segmentStart(): number {
    return this.#charStart;
  }

  /** Starts the next segment; call before writing `text` to saxes. */
  next(text: string, utf8Bytes: number, dropped: boolean): void {
    const old = this.#text;
    if (old.length > 0) {
      const lt = old.lastIndexOf('<');
      if (lt >= 0) {
        const before = lt > 0 ? old.lastIndexOf('<', lt - 1) : -1;
        this.#secondLtChar = before >= 0 ? this.#charStart + before : this.#lastLtChar;
        this.#lastLtChar = this.#charStart + lt;
        this.#lastLtByte = this.#byteStart + this.#byteOfIndex(lt);
      }
    }
    this.#charStart += old.length;
    this.#byteStart += this.#dropped ? 0 : this.#byteLength(old);
    this.#text = text;
    this.#ascii = !dropped && utf8Bytes === text.length;
    this.#dropped = dropped;
    this.#cursorChar = 0;
    this.#cursorByte = 0;
  }

  /** Byte offset of saxes position `position` (in the current segment or just past it). */
  byteAt(position: number): number {
    const index = position - this.#charStart;
    if (index <= 0) return this.#byteStart;
    return this.#byteStart + this.#byteOfIndex(Math.min(index, this.#text.length));
  }

  /**
   * Position of the last `<` before `position`, or -1 when there is none.
   * `position` is the parser's position or the position of one of the last
   * two `<` seen (-2 when that cannot be told: never for those).
   */
  ltCharBefore(position: number): number {
    const index = position - this.#charStart;
    if (index > 0) {
      const lt = this.#text.lastIndexOf('<', index - 1);
      if (lt >= 0) return this.#charStart + lt;
    }
    if (this.#lastLtChar < position) return this.#lastLtChar;
    if (this.#secondLtChar < position) return this.#secondLtChar;
    return -2;
  }

  /** Byte offset of the last `<` before `position`, or -1. */
  ltByteBefore(position: number): number {
    const index = position - this.#charStart;
    if (index > 0) {
      const lt = this.#text.lastIndexOf('<', index - 1);
      if (lt >= 0) return this.#byteStart + this.#byteOfIndex(lt);
    }
    return this.#lastLtByte;
  }

  /** The decoded text between two positions of the current segment ('' when outside it). */
  textBetween(from: number, to: number): string {
    return this.#text.slice(Math.max(0, from - this.#charStart), Math.max(0, to - this.#charStart));
  }

  #byteLength(text: string): number {
    return this.#ascii ? text.length : Buffer.byteLength(text, 'utf8');
  }

  /** UTF-8 length of `#text[0, index)`. */
  #byteOfIndex(index: number): number {
    if (this.#dropped) return 0;
    if (this.#ascii) return index;
    if (index < this.#cursorChar) {
      this.#cursorChar = 0;
      this.#cursorByte = 0;
    }
    if (index > this.#cursorChar) {
      // Native counting for long stretches, a loop for short ones (no substring).
      this.#cursorByte += index - this.#cursorChar > 64
        ? Buffer.byteLength(this.#text.slice(this.#cursorChar, index), 'utf8')
        : utf8Length(this.#text, this.#cursorChar, index);
      this.#cursorChar = index;
    }
    return this.#cursorByte;
  }
}

/** UTF-8 length of `text[from, to)`; a surrogate pair counts 4, split or not. */
export function utf8Length(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdfff ? 2 : 3;
  }
  return n;
}
