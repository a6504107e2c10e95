/**
 * How a {@link MemoryCache} holds one attachment's bytes: copied into 64 KiB
 * blocks taken from a per-cache free list, or (opt-in `retainViews`) kept as
 * the body views it was given.
 *
 * The free list exists because allocating fresh blocks for every message —
 * the allocation, the first touch of every page and the collection of the
 * previous message's blocks — costs more than the copy itself. Blocks come
 * back to it only when no reader can hold them: from a failed message, or
 * from an attachment deleted or expired without ever having been opened (a
 * reader of `open()` gets the blocks themselves and may keep them).
 *
 * The free list gives memory back by itself: blocks that no body took during
 * a whole idle period are dropped (left to the GC). A steady load keeps what
 * one period of it needs; an idle cache, empty or not, keeps nothing after
 * two periods. Not at the moment a cache becomes empty: a receiver that
 * stores one message at a time and deletes it (or lets it expire) is empty
 * between every two messages, and would never reuse a block.
 *
 * @module
 */

/** Bytes are copied into blocks of this size (a 1 GiB body is 16384 blocks, not one huge allocation). */
export const BLOCK_BYTES = 64 * 1024;

/** Most bytes of free blocks a cache keeps for reuse by default (also never more than its byte cap). */
export const MAX_POOLED_BYTES = 64 * 1024 * 1024;

/** How long, by default, a free block may go untaken before it is dropped (see {@link BlockPool}). */
export const POOL_IDLE_MS = 1000;

/** Views shorter than this are copied even with `retainViews` (a kept view costs an object of its own). */
export const MIN_RETAINED_BYTES = 4096;

/**
 * The retain rule of `retainViews`: a view is kept (not copied) when it is
 * at least {@link MIN_RETAINED_BYTES} long and at least a quarter of the
 * ArrayBuffer it is a view of. So a kept view pins at most 4 times its own
 * size, and the memory a cache pins is at most 4 times the bytes it counts;
 * a small view of a large chunk (a part's last few bytes at the start of a
 * socket read) is copied instead, and so are tiny views (coalesced into
 * blocks). Views of a SharedArrayBuffer (another thread may write it) are
 * always copied.
 */
export function retainable(view: Uint8Array): boolean {
  const buffer = view.buffer;
  return view.byteLength >= MIN_RETAINED_BYTES && buffer instanceof ArrayBuffer && view.byteLength * 4 >= buffer.byteLength;
}

/**
 * Free 64 KiB blocks, reused before new ones are allocated, and dropped when
 * unused: every `idleMs` a timer drops the blocks that stayed free through the
 * whole period (the fewest blocks the list held since the previous tick:
 * that many were never taken). take() reuses the most recently freed block,
 * so the dropped ones are the oldest. The timer runs only while blocks are
 * free and is unref()'d: it never keeps the process alive.
 */
export class BlockPool {
  /** Oldest first: take() pops the newest, a tick drops from the front. */
  readonly #free: Buffer[] = [];
  #maxBlocks: number;
  readonly #idleMs: number | null;
  /** The fewest free blocks since the last tick: that many went untaken for the whole period. */
  #lowWater = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;

  /**
   * @param maxBytes most bytes of free blocks kept; blocks given back beyond it are left to the GC
   * @param idleMs how long a free block may go untaken before it is dropped; `null`: kept until close()
   */
  constructor(maxBytes: number, idleMs: number | null = null) {
    this.#maxBlocks = Math.floor(maxBytes / BLOCK_BYTES);
    this.#idleMs = idleMs;
  }

  /** A block to copy into: a free one, else a new one. Its bytes are stale (never handed out beyond what is written). */
  take(): Buffer {
    const block = this.#free.pop();
    if (block === undefined) return Buffer.allocUnsafeSlow(BLOCK_BYTES);
    if (this.#free.length < this.#lowWater) this.#lowWater = this.#free.length;
    return block;
  }

  /** Takes back blocks nobody else can reach any more (never a block a reader was given). */
  give(blocks: readonly Buffer[]): void {
    for (const block of blocks) {
      if (this.#free.length >= this.#maxBlocks) break;
      this.#free.push(block);
    }
    this.#arm();
  }

  /** Free blocks held now. */
  get size(): number {
    return this.#free.length;
  }

  /** The most free blocks it keeps (0 once closed). */
  get maxBlocks(): number {
    return this.#maxBlocks;
  }

  /** Lets go of every free block and takes no more (the cache closed; a put still in flight may give some back). */
  close(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#free.length = 0;
    this.#lowWater = 0;
    this.#maxBlocks = 0;
  }

  #arm(): void {
    if (this.#timer !== null || this.#idleMs === null || this.#free.length === 0) return;
    this.#timer = setTimeout(() => this.#tick(), this.#idleMs);
    // A cache nobody closed must not hold the process open for its free blocks.
    this.#timer.unref();
  }

  #tick(): void {
    this.#timer = null;
    // Blocks given during the period count from the next one: lowWater never rises on give().
    this.#free.splice(0, this.#lowWater);
    this.#lowWater = this.#free.length;
    this.#arm();
  }
}

/** One stored body: what `open()` streams, and the pool blocks behind it. */
export interface StoredBody {
  /** The bytes in order: subarrays of `blocks`, of exact-size copies, or (retainViews) the caller's own views. */
  readonly chunks: Buffer[];
  /** Whole pool blocks that back some of `chunks` (given back when no reader can hold them). */
  readonly blocks: Buffer[];
}

/** Builds one {@link StoredBody} view by view. */
export class BodyBuilder {
  readonly #pool: BlockPool;
  readonly #retainViews: boolean;
  readonly #chunks: Buffer[] = [];
  readonly #blocks: Buffer[] = [];
  /** The block being filled, its fill, where its not yet emitted segment starts, and its first chunk's index. */
  #block: Buffer | null = null;
  #fill = 0;
  #segmentStart = 0;
  #blockFirstChunk = 0;

  constructor(pool: BlockPool, retainViews: boolean) {
    this.#pool = pool;
    this.#retainViews = retainViews;
  }

  /** Adds a view: kept as it is (retainViews, see {@link retainable}) or copied; not referenced afterwards when copied. */
  append(view: Uint8Array): void {
    if (this.#retainViews && retainable(view)) {
      this.#flushSegment();
      this.#chunks.push(Buffer.isBuffer(view) ? view : Buffer.from(view.buffer, view.byteOffset, view.byteLength));
      return;
    }
    const length = view.byteLength;
    for (let at = 0; at < length;) {
      if (this.#block === null || this.#fill === BLOCK_BYTES) this.#nextBlock();
      const n = Math.min(BLOCK_BYTES - this.#fill, length - at);
      // Copy: the bytes must outlive the caller's view (which may be reused, or pin a whole input chunk).
      this.#block!.set(at === 0 && n === length ? view : view.subarray(at, at + n), this.#fill);
      this.#fill += n;
      at += n;
    }
  }

  /** The stored body. A last block less than half full is replaced by an exact-size copy and goes back to the pool. */
  finish(): StoredBody {
    this.#flushSegment();
    const block = this.#block;
    if (block !== null && this.#fill < BLOCK_BYTES / 2) {
      // Copy: a small attachment (or tail) must not hold a whole 64 KiB block.
      const exact = Buffer.allocUnsafeSlow(this.#fill);
      block.copy(exact, 0, 0, this.#fill);
      for (let i = this.#blockFirstChunk; i < this.#chunks.length; i++) {
        const chunk = this.#chunks[i]!;
        if (chunk.buffer !== block.buffer) continue; // a retained view between copied bytes
        const from = chunk.byteOffset - block.byteOffset;
        this.#chunks[i] = exact.subarray(from, from + chunk.byteLength);
      }
      this.#blocks.pop();
      this.#pool.give([block]);
    } else if (block !== null && this.#fill < BLOCK_BYTES) {
      // A reused block holds an earlier message's bytes: none may be reachable through this one's `.buffer`.
      block.fill(0, this.#fill);
    }
    this.#block = null;
    return { chunks: this.#chunks, blocks: this.#blocks };
  }

  /** Gives every block back (the body failed; nothing of it was handed out). */
  discard(): void {
    this.#pool.give(this.#blocks);
    this.#blocks.length = 0;
    this.#chunks.length = 0;
    this.#block = null;
  }

  #nextBlock(): void {
    this.#flushSegment();
    const block = this.#block = this.#pool.take();
    this.#blocks.push(block);
    this.#fill = 0;
    this.#segmentStart = 0;
    this.#blockFirstChunk = this.#chunks.length;
  }

  /** Emits the bytes copied into the current block since the last emitted segment, as one chunk. */
  #flushSegment(): void {
    if (this.#block === null || this.#fill === this.#segmentStart) return;
    this.#chunks.push(this.#block.subarray(this.#segmentStart, this.#fill));
    this.#segmentStart = this.#fill;
  }
}
