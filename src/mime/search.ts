/**
 * The delimiter search: `buf.indexOf(needle, from)`, faster on the bodies a
 * SOAP message carries (compressed PDF streams, JPEG, any high-entropy data).
 *
 * Why not `Buffer.indexOf` alone: Node's search runs Boyer-Moore-Horspool
 * with one cursor, a chain of dependent steps (read the byte under the
 * needle's end, look up how far that byte lets the needle jump, jump) that
 * keeps one memory read in flight at a time. Here four cursors run Horspool
 * over the four quarters of a block at once; their chains are independent,
 * so the CPU overlaps their reads. Over the big benchmark message (64 KiB
 * chunks) this search took 0.6–0.85x the time of `Buffer.indexOf`.
 *
 * Horspool's weak spot is input made of the needle's own bytes (CR, LF, '-'
 * and boundary characters, near-misses of the delimiter): short jumps and
 * many verifications, where Node's Boyer-Moore, with its good-suffix rule, is
 * the better search and linear in the worst case. After every window of up to
 * {@link WINDOW} steps the cursors' progress is checked; a window that
 * verified more than {@link WINDOW_VERIFIES} candidates, or whose cursors
 * jumped less than a quarter of the needle's length per step on average
 * (random bytes jump nearly a whole needle length), hands the rest of the call to
 * `Buffer.indexOf`, and the following calls too for a stretch of bytes that
 * doubles with every consecutive hand-over (64 KiB up to 4 MiB) and starts
 * over once a block is searched here without one. A cursor finishing a
 * segment alone hands over after {@link SINGLE_VERIFIES} failed
 * verifications. So every byte costs a bounded amount of work whatever the
 * input, and needle-rich input runs at `Buffer.indexOf`'s speed.
 *
 * The result is exactly `buf.indexOf(needle, from)`'s for `from >= 0`: the
 * least position at or after `from` where the whole needle occurs, or -1 (a
 * seeded property test compares the two over random, needle-rich and planted
 * inputs).
 *
 * @module
 */

/**
 * Bytes per cursor per block: a block is four segments (64 KiB, a socket
 * read). Shorter blocks cost more in segment ends finished by one cursor; a
 * delimiter close ahead (small parts) is found in any case, by cursor 0, or
 * by Buffer.indexOf once a later cursor has met a delimiter further on.
 */
const SEGMENT = 16384;
/** Below this many alignments `Buffer.indexOf` is called directly: four cursors would not pay for their setup. */
const MIN_SPAN = 2048;
/** Steps of all four cursors between two progress checks. */
const WINDOW = 16;
/** More candidates verified than this in one window hands the search over. */
const WINDOW_VERIFIES = 6;
/** Failed verifications one cursor finishing a segment may make before it hands the search over. */
const SINGLE_VERIFIES = 32;
/** Bytes searched by `Buffer.indexOf` after a hand-over, doubled per consecutive one up to {@link MAX_NATIVE}. */
const MIN_NATIVE = 64 * 1024;
const MAX_NATIVE = 4 * 1024 * 1024;
/**
 * A call whose predecessor found the needle closer than this to where it
 * began goes straight to `Buffer.indexOf`: with delimiters that dense (parts
 * of a few KiB) the four cursors' setup and their run past the match cost
 * more than they save. A call that finds nothing makes the next one use the
 * cursors again.
 */
const DENSE_GAP = 8192;
/** #lastGap after a call that found nothing: the needle is rare here. */
const SPARSE = Number.MAX_SAFE_INTEGER;
/** What the block search returns when nothing matched. */
const NOT_FOUND = -1;

/**
 * `buf.indexOf(needle, from)` for one needle, searched with four interleaved
 * Horspool cursors; see the module documentation. One instance per needle;
 * it keeps the hand-over state between calls, so use it for one stream.
 */
export class DelimiterSearch {
  /** The needle searched for. */
  readonly needle: Buffer;
  /** Horspool's jumps by the byte under the needle's end, 0 for the needle's last byte (a candidate), capped at 255. */
  readonly #jump = new Uint8Array(256);
  /** The jump after a failed candidate: from the last byte's previous occurrence in the needle. */
  readonly #lastJump: number;
  /** Bytes still to be searched by `Buffer.indexOf` after a hand-over. */
  #nativeBytes = 0;
  /** How many bytes the next hand-over gives to `Buffer.indexOf`. */
  #nativeStretch = MIN_NATIVE;
  /** How far after its `from` the last call found the needle ({@link SPARSE}: not at all). */
  #lastGap = SPARSE;

  constructor(needle: Buffer) {
    if (needle.length === 0) throw new RangeError('DelimiterSearch needs a needle of at least one byte');
    this.needle = needle;
    const m = needle.length;
    // A jump is how far the needle may move when this byte is under its end; capping at 255 only shortens jumps (always safe).
    this.#jump.fill(Math.min(m, 255));
    for (let i = 0; i < m - 1; i++) this.#jump[needle[i]!] = Math.min(m - 1 - i, 255);
    this.#lastJump = this.#jump[needle[m - 1]!]!;
    this.#jump[needle[m - 1]!] = 0;
  }

  /** The first position at or after `from` (>= 0) where the needle occurs in `buf`, or -1: `buf.indexOf(needle, from)`. */
  indexOf(buf: Buffer, from: number): number {
    const needle = this.needle;
    const lastAlignment = buf.length - needle.length;
    const span = lastAlignment - from + 1;
    if (span < MIN_SPAN) return span <= 0 ? -1 : buf.indexOf(needle, from);
    if (this.#nativeBytes > 0) {
      const found = buf.indexOf(needle, from);
      this.#nativeBytes -= found === -1 ? span : found - from + 1;
      return found;
    }
    if (this.#lastGap < DENSE_GAP) {
      // The last delimiter came soon after where its search began (small parts): this one
      // likely does too, and four cursors would mostly run past it.
      const found = buf.indexOf(needle, from);
      this.#lastGap = found === -1 ? SPARSE : found - from;
      return found;
    }
    const found = this.#searchBlocks(buf, from, lastAlignment);
    this.#lastGap = found === -1 ? SPARSE : found - from;
    return found;
  }

  /** The four-cursor search from `from`, block by block. */
  #searchBlocks(buf: Buffer, from: number, lastAlignment: number): number {
    const needle = this.needle;
    const jump = this.#jump;
    const lastJump = this.#lastJump;
    const outcome = this.#outcome;
    for (let start = from; start <= lastAlignment; start += 4 * SEGMENT) {
      const end = Math.min(lastAlignment, start + 4 * SEGMENT - 1);
      outcome.handedOver = false;
      const found = searchBlock(buf, start, end, needle, jump, lastJump, outcome);
      if (found >= NOT_FOUND) {
        if (found !== NOT_FOUND) return found;
        this.#nativeStretch = MIN_NATIVE;
        continue;
      }
      // Every alignment before -2 - found has been searched; Buffer.indexOf goes on from there.
      if (outcome.handedOver) {
        this.#nativeBytes = this.#nativeStretch;
        this.#nativeStretch = Math.min(MAX_NATIVE, this.#nativeStretch * 2);
      }
      return buf.indexOf(needle, -2 - found);
    }
    return -1;
  }

  /** What the last block search decided beyond its result (reused: no allocation per call). */
  readonly #outcome: BlockOutcome = { handedOver: false };
}

/** Set by {@link searchBlock}: the input was needle-rich (as opposed to a match found by a later cursor). */
interface BlockOutcome {
  handedOver: boolean;
}

/**
 * Searches alignments [start, end] with four cursors, one per quarter: the
 * first match, NOT_FOUND, or -2 - p when `Buffer.indexOf` should go on from
 * p: the input is needle-rich (`outcome.handedOver` is set), or a later
 * cursor matched and the first match lies between p and that one.
 */
function searchBlock(buf: Buffer, start: number, end: number, needle: Buffer, jump: Uint8Array, lastJump: number,
  outcome: BlockOutcome): number {
  const span = end - start + 1;
  if (span < MIN_SPAN) return handedOver(searchSegment(buf, start, end, needle, jump, lastJump), outcome);
  const m = needle.length;
  const lastIndex = m - 1;
  const quarter = Math.floor(span / 4);
  let p0 = start;
  let p1 = start + quarter;
  let p2 = start + 2 * quarter;
  let p3 = start + 3 * quarter;
  const e0 = p1 - 1;
  const e1 = p2 - 1;
  const e2 = p3 - 1;
  const e3 = end;
  let verifies = 0;
  let previousSteps = 0;
  let mark = p0 + p1 + p2 + p3;
  for (;;) {
    // As many steps as no cursor can overrun its segment in (a jump is at most m).
    const room = Math.min(e0 - p0, e1 - p1, e2 - p2, e3 - p3);
    let steps = Math.min(WINDOW, Math.floor(room / m));
    if (steps <= 0) break;
    const now = p0 + p1 + p2 + p3;
    // The last window's four cursors jumped less than a quarter needle each per step, or verified too often.
    if (previousSteps > 0 && (verifies > WINDOW_VERIFIES || now - mark < previousSteps * m)) {
      outcome.handedOver = true;
      return -2 - p0;
    }
    mark = now;
    verifies = 0;
    previousSteps = steps;
    for (; steps > 0; steps--) {
      const j0 = jump[buf[p0 + lastIndex]!]!;
      const j1 = jump[buf[p1 + lastIndex]!]!;
      const j2 = jump[buf[p2 + lastIndex]!]!;
      const j3 = jump[buf[p3 + lastIndex]!]!;
      // One test for "some jump is 0": a candidate under some cursor.
      if (((j0 - 1) | (j1 - 1) | (j2 - 1) | (j3 - 1)) < 0) {
        verifies++;
        if (j0 === 0 && matchesAt(buf, p0, needle)) return p0;
        // A match further on: the first one is at most there, and Buffer.indexOf finds it from
        // cursor 0's place (dense delimiters: small parts).
        if ((j1 === 0 && matchesAt(buf, p1, needle)) || (j2 === 0 && matchesAt(buf, p2, needle))
          || (j3 === 0 && matchesAt(buf, p3, needle))) return -2 - p0;
        p0 += j0 === 0 ? lastJump : j0;
        p1 += j1 === 0 ? lastJump : j1;
        p2 += j2 === 0 ? lastJump : j2;
        p3 += j3 === 0 ? lastJump : j3;
        continue;
      }
      p0 += j0;
      p1 += j1;
      p2 += j2;
      p3 += j3;
    }
  }
  // A cursor is within a jump of its segment's end: finish the segments in order, one cursor each.
  let found = searchSegment(buf, p0, e0, needle, jump, lastJump);
  if (found === NOT_FOUND) found = searchSegment(buf, p1, e1, needle, jump, lastJump);
  if (found === NOT_FOUND) found = searchSegment(buf, p2, e2, needle, jump, lastJump);
  if (found === NOT_FOUND) found = searchSegment(buf, p3, e3, needle, jump, lastJump);
  return handedOver(found, outcome);
}

/** Marks a hand-over code from {@link searchSegment} as needle-rich input. */
function handedOver(found: number, outcome: BlockOutcome): number {
  if (found < NOT_FOUND) outcome.handedOver = true;
  return found;
}

/**
 * Horspool with one cursor over alignments [p, end]: a match, NOT_FOUND,
 * or -2 - p after {@link SINGLE_VERIFIES} failed verifications (input that
 * makes every step a long verification: Horspool's O(n·m) case).
 */
function searchSegment(buf: Buffer, p: number, end: number, needle: Buffer, jump: Uint8Array, lastJump: number): number {
  const lastIndex = needle.length - 1;
  let verifies = SINGLE_VERIFIES;
  while (p <= end) {
    const j = jump[buf[p + lastIndex]!]!;
    if (j !== 0) {
      p += j;
      continue;
    }
    if (matchesAt(buf, p, needle)) return p;
    if (--verifies === 0) return -2 - p;
    p += lastJump;
  }
  return NOT_FOUND;
}

/** Whether the needle occurs at `p` (its last byte is known to match there). */
function matchesAt(buf: Buffer, p: number, needle: Buffer): boolean {
  for (let j = needle.length - 2; j >= 0; j--) if (buf[p + j] !== needle[j]) return false;
  return true;
}
