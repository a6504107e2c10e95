/**
 * The kept bytes of a document: the views it arrived in, addressed by byte
 * offset without joining them.
 *
 * @module
 */

/** An append-only list of byte views with offset-based slicing. */
export class ChunkList {
  readonly #views: Uint8Array[] = [];
  /** Offset of each view's first byte. */
  readonly #starts: number[] = [];
  #length = 0;

  /** Total bytes. */
  get length(): number {
    return this.#length;
  }

  /** Appends a view (kept, not copied). */
  push(view: Uint8Array): void {
    if (view.length === 0) return;
    this.#views.push(view);
    this.#starts.push(this.#length);
    this.#length += view.length;
  }

  /** Views covering bytes `[start, end)`: subarrays of the kept views, nothing copied. */
  slice(start: number, end: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (end <= start) return out;
    let i = this.#indexOf(start);
    while (i < this.#views.length && this.#starts[i]! < end) {
      const view = this.#views[i]!;
      const viewStart = this.#starts[i]!;
      const from = Math.max(0, start - viewStart);
      const to = Math.min(view.length, end - viewStart);
      if (to > from) out.push(from === 0 && to === view.length ? view : view.subarray(from, to));
      i++;
    }
    return out;
  }

  /** All bytes as one Buffer (the single view itself when there is only one). */
  join(): Buffer {
    const views = this.#views;
    if (views.length === 1) {
      const view = views[0]!;
      return Buffer.isBuffer(view) ? view : Buffer.from(view.buffer, view.byteOffset, view.length);
    }
    // Copy: a contiguous Buffer was asked for; slice() is the zero-copy form.
    return Buffer.concat(views, this.#length);
  }

  /** Index of the view holding byte `offset` (binary search). */
  #indexOf(offset: number): number {
    const starts = this.#starts;
    let lo = 0;
    let hi = starts.length - 1;
    if (hi < 0) return 0;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
