/**
 * A Node.js Readable as an async iterator of the chunks exactly as they were
 * pushed: one chunk per `next()`, each the stream's own Buffer.
 *
 * Why not the stream's own `Symbol.asyncIterator`: it calls `read()` with no
 * size, which in paused mode returns *everything buffered* — and when more
 * than one chunk is buffered (the consumer fell behind the socket, e.g. a
 * cache applying backpressure) Node concatenates them into a new Buffer. That
 * copy breaks the zero-copy contract exactly when memory and CPU are short,
 * and costs a memcpy of up to the high-water mark per read. Here the stream
 * runs in flowing mode and is paused whenever a chunk waits for the consumer,
 * so each 'data' chunk is handed on as it is and backpressure is the stream's
 * own (paused, it buffers up to its high-water mark and stops reading the
 * socket). End, errors and premature close come from `stream.finished`, as in
 * Node's iterator.
 *
 * @module
 */

import { IncomingMessage } from 'node:http';
import { finished, type Readable } from 'node:stream';

/** Options of {@link readableChunks}. */
export interface ReadableChunksOptions {
  /**
   * What `return()` (the consumer stopped early) does to the stream: destroy
   * it (the default, as Node's own iterator does) or leave it paused with its
   * unread bytes, e.g. so that an HTTP server can still answer the request.
   */
  destroyOnReturn?: boolean;
}

/**
 * What {@link readableChunks} returns: an async iterator of the stream's
 * chunks that can also say, without a promise, whether one is waiting.
 */
export interface ReadableChunkIterator extends AsyncIterableIterator<Uint8Array> {
  /**
   * The next chunk (or the end) if the stream has emitted it already; null
   * when it has to be waited for with next(). Throws the stream's error.
   */
  readNow(): IteratorResult<Uint8Array> | null;
}

/** Is `value` a Node.js Readable (or a userland stream with the same API)? */
export function isNodeReadable(value: unknown): value is Readable {
  const s = value as Partial<Readable> | null;
  return typeof s === 'object' && s !== null && typeof s.on === 'function' && typeof s.pause === 'function'
    && typeof s.resume === 'function' && typeof s.read === 'function' && typeof s.pipe === 'function';
}

/** Reads `stream` chunk by chunk; see the module documentation. */
export function readableChunks(stream: Readable, options: ReadableChunksOptions = {}): ReadableChunkIterator {
  return new ReadableChunks(stream, options.destroyOnReturn !== false);
}

/** Iterator states. */
const R_OPEN = 0; //    chunks may still come
const R_ENDED = 1; //   the stream ended: done once the queued chunks are taken
const R_FAILED = 2; //  the stream failed: the next call rejects with #failure
const R_CLOSED = 3; //  done, failed or returned: listeners removed

/**
 * Destroys a stream the consumer gave up on, as Node's own iterator does: an
 * HTTP server request is detached from its socket first, so that the server
 * can still answer on it (destroying the request would reset the connection).
 */
function destroy(stream: Readable): void {
  if (stream instanceof IncomingMessage && typeof stream.method === 'string') {
    // A server request (a client response has no method): keep the socket for the answer.
    (stream as { socket: unknown }).socket = null;
  }
  stream.destroy();
}

/** A consumer's next() waiting for a chunk. */
interface Waiter {
  resolve(result: IteratorResult<Uint8Array>): void;
  reject(error: unknown): void;
}

class ReadableChunks implements ReadableChunkIterator {
  readonly #stream: Readable;
  readonly #destroyOnReturn: boolean;
  /** Chunks the stream emitted before anyone asked (at most a few: the stream is paused at the first). */
  readonly #queue: Uint8Array[] = [];
  /** next() calls waiting for a chunk, oldest first (a consumer may ask twice before the first answer). */
  readonly #waiters: Waiter[] = [];
  #state = R_OPEN;
  #failure: unknown = null;
  readonly #onData = (chunk: Uint8Array): void => this.#data(chunk);
  readonly #stopWatching: () => void;

  constructor(stream: Readable, destroyOnReturn: boolean) {
    this.#stream = stream;
    this.#destroyOnReturn = destroyOnReturn;
    // Paused until the first next(): a 'data' listener alone would start the flow.
    stream.pause();
    stream.on('data', this.#onData);
    this.#stopWatching = finished(stream, { writable: false }, (error) => this.#finished(error));
  }

  [Symbol.asyncIterator](): ReadableChunkIterator {
    return this;
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    let result: IteratorResult<Uint8Array> | null;
    try {
      result = this.readNow();
    } catch (error) {
      return Promise.reject(error);
    }
    if (result !== null) return Promise.resolve(result);
    return new Promise<IteratorResult<Uint8Array>>((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.#stream.resume();
    });
  }

  /**
   * The next chunk, the end, or the stream's error if one of them is there
   * already; null if it has to be waited for (then call next()). A stream
   * with more than one chunk buffered (its reader fell behind) emits a second
   * chunk in the same turn as the one a waiting next() took; a parser that
   * asks here first takes that one without a promise.
   */
  readNow(): IteratorResult<Uint8Array> | null {
    if (this.#state === R_FAILED) {
      this.#close();
      throw this.#failure;
    }
    const queue = this.#queue;
    if (queue.length > 0) {
      const value = queue.shift()!;
      if (queue.length === 0 && this.#state === R_OPEN) this.#stream.resume();
      return { value, done: false };
    }
    if (this.#state !== R_OPEN) {
      this.#close();
      return { value: undefined, done: true };
    }
    return null;
  }

  return(): Promise<IteratorResult<Uint8Array>> {
    const open = this.#state !== R_CLOSED;
    this.#close();
    this.#settleWaiters();
    if (open) {
      if (this.#destroyOnReturn) destroy(this.#stream);
      else this.#giveBack();
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  /**
   * Leaves the stream to its next reader: paused (without our 'data'
   * listener a flowing stream would drop its bytes), with the chunks it
   * emitted that nobody took put back in front of its buffer.
   */
  #giveBack(): void {
    const stream = this.#stream;
    stream.pause();
    const queue = this.#queue;
    // After 'end' (which a stream emits once its own buffer is empty, paused or not) it takes
    // nothing back: a consumer that stops right at the end leaves no bytes to a next reader.
    if (!stream.readableEnded) for (let i = queue.length - 1; i >= 0; i--) stream.unshift(queue[i]!);
    queue.length = 0;
  }

  #data(chunk: Uint8Array): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      waiter.resolve({ value: chunk, done: false });
      return;
    }
    // Nobody is waiting: keep the chunk (no copy: the stream has let go of it) and stop the flow until asked.
    this.#queue.push(chunk);
    this.#stream.pause();
  }

  #finished(error: Error | null | undefined): void {
    if (this.#state !== R_OPEN) return;
    if (error === null || error === undefined) {
      this.#state = R_ENDED;
    } else {
      // As Node's iterator does: a failed stream's unread chunks are not handed on.
      this.#state = R_FAILED;
      this.#failure = error;
      this.#queue.length = 0;
    }
    // Waiters exist only while the queue is empty: each gets the end or the error.
    if (this.#waiters.length > 0) {
      this.#close();
      this.#settleWaiters();
    }
  }

  /** Answers every waiting next() with the error, or with the end. */
  #settleWaiters(): void {
    const waiters = this.#waiters.splice(0);
    for (const waiter of waiters) {
      if (this.#failure !== null) waiter.reject(this.#failure);
      else waiter.resolve({ value: undefined, done: true });
    }
  }

  /** Stops listening (once). The stream itself is left as it is. */
  #close(): void {
    if (this.#state === R_CLOSED) return;
    this.#state = R_CLOSED;
    this.#stream.off('data', this.#onData);
    this.#stopWatching();
  }
}
