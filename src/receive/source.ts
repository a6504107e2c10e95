/**
 * The byte source of one received message, guarded: every failure of the
 * source becomes a typed error, an abort signal interrupts even a stalled
 * read, and (for HTTP bodies) a client that sends too slowly is cut off.
 *
 * Slow-client rules (the slowloris defence, after Kestrel's
 * `MinRequestBodyDataRate`): only the time spent *waiting for the client*
 * counts. While the consumer is busy (a slow cache applying backpressure)
 * the clock stops, so a slow sink never makes a fast client look slow.
 * - `idleMs`: the longest single wait for the next chunk;
 * - `minBytesPerSecond` after `rateGraceMs` of waiting: the average rate over
 *   the waiting time must stay above it, so a client trickling one byte at a
 *   time (each wait short) is still cut off.
 *
 * @module
 */

import { ErrorCodes, isXopError, xopError, type XopError } from '../errors.js';
import { toAsyncIterator, type ByteSource, type ChunkSource } from '../mime/stream.js';

/** Options of {@link guardSource}. */
export interface GuardOptions {
  /** Aborts the read in progress; the signal's reason is rethrown when it is an XopError. */
  signal?: AbortSignal | undefined;
  /** Longest wait for one chunk, in ms (0: no limit). */
  idleMs?: number | undefined;
  /** Lowest average rate while waiting, in bytes per second (0: no limit). */
  minBytesPerSecond?: number | undefined;
  /** Waiting time, in ms, before the rate is enforced. */
  rateGraceMs?: number | undefined;
}

/** A guarded source: an async iterable of chunks that also counts what it delivered. */
export interface GuardedSource extends AsyncIterable<Uint8Array> {
  [Symbol.asyncIterator](): ChunkSource;
  /** Bytes delivered so far. */
  readonly bytes: number;
  /** Total ms spent waiting for the source (the slow-client clock; 0 when there is no signal and no time limit). */
  readonly waitedMs: number;
}

/** The error a signal's abort turns into. */
export function abortReason(signal: AbortSignal): XopError {
  const reason: unknown = signal.reason;
  if (isXopError(reason)) return reason;
  return xopError(ErrorCodes.ABORTED, 'the message was aborted', { cause: reason });
}

/** A failure of the source itself: the peer went away or the stream broke. */
function sourceFailed(error: unknown): XopError {
  if (isXopError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return xopError(ErrorCodes.ABORTED, `the message stream failed: ${message}`, { cause: error });
}

/**
 * Wraps a byte source. `return()` is passed on to the source (a Node
 * stream is destroyed, an HTTP server request detached from its socket
 * first; pass `readableChunks(stream, { destroyOnReturn: false })` to keep
 * it, e.g. to read the rest of a request after a failure).
 */
export function guardSource(source: ByteSource, options: GuardOptions = {}): GuardedSource {
  const iterator = toAsyncIterator(source);
  const { signal } = options;
  const idleMs = options.idleMs ?? 0;
  const minRate = options.minBytesPerSecond ?? 0;
  const graceMs = options.rateGraceMs ?? 0;
  let bytes = 0;
  let waitedMs = 0;
  let failure: XopError | null = null;
  let reading = false;

  /** Ms of further waiting allowed before a limit is broken, and which limit that is. */
  function budget(): { ms: number; code: 'idle' | 'rate' } | null {
    let best: { ms: number; code: 'idle' | 'rate' } | null = null;
    if (idleMs > 0) best = { ms: idleMs, code: 'idle' };
    if (minRate > 0) {
      // The rate is broken once waitedMs exceeds the time these bytes buy: max(grace, bytes / rate).
      const allowed = Math.max(graceMs, (bytes * 1000) / minRate) - waitedMs;
      if (best === null || allowed < best.ms) best = { ms: Math.max(0, allowed), code: 'rate' };
    }
    return best;
  }

  function timeoutError(code: 'idle' | 'rate'): XopError {
    const message = code === 'idle'
      ? `no data from the client for ${idleMs} ms`
      : `the client sends slower than ${minRate} bytes/s (${bytes} bytes in ${Math.round(waitedMs)} ms of waiting)`;
    return xopError(ErrorCodes.TIMEOUT, message, { offset: bytes, status: 408 });
  }

  /** The chunk as delivered: counted, and checked to be bytes. */
  function delivered(result: IteratorResult<Uint8Array>): IteratorResult<Uint8Array> {
    if (result.done !== true) {
      if (!(result.value instanceof Uint8Array)) {
        failure = xopError(ErrorCodes.BAD_ARGUMENT, `the source yielded a ${typeof result.value}, not a Uint8Array`);
        throw failure;
      }
      bytes += result.value.length;
    }
    return result;
  }

  /**
   * The hot path of receive() without a signal or time limits: nothing to
   * race and no clock to run, so one await per chunk.
   */
  async function nextUnguarded(): Promise<IteratorResult<Uint8Array>> {
    if (failure !== null) throw failure;
    let result: IteratorResult<Uint8Array>;
    try {
      reading = true;
      result = await iterator.next();
    } catch (error) {
      failure = sourceFailed(error);
      throw failure;
    } finally {
      reading = false;
    }
    return delivered(result);
  }

  async function next(): Promise<IteratorResult<Uint8Array>> {
    if (failure !== null) throw failure;
    if (signal?.aborted === true) throw abortReason(signal);
    const limit = budget();
    const started = performance.now();

    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      reading = true;
      const pending = Promise.resolve(iterator.next()).finally(() => { reading = false; }).catch((error: unknown) => {
        throw sourceFailed(error);
      });
      const racers: Array<Promise<IteratorResult<Uint8Array>>> = [pending];
      if (limit !== null) {
        racers.push(new Promise((_, reject) => {
          timer = setTimeout(() => reject(timeoutError(limit.code)), limit.ms);
        }));
      }
      if (signal !== undefined) {
        racers.push(new Promise((_, reject) => {
          onAbort = () => reject(abortReason(signal));
          signal.addEventListener('abort', onAbort, { once: true });
        }));
      }
      return delivered(racers.length === 1 ? await pending : await Promise.race(racers));
    } catch (error) {
      // A read that lost the race is abandoned (Promise.race already handles its settling).
      failure = sourceFailed(error);
      throw failure;
    } finally {
      waitedMs += performance.now() - started;
      if (timer !== undefined) clearTimeout(timer);
      if (onAbort !== undefined) signal!.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Without a signal or time limits, a chunk the source has at hand (an
   * array's, a Readable's waiting one) is passed on without a promise, so
   * that parseMultipart takes it at once (ChunkSource.readNow). There is no
   * clock to run: nothing was waited for.
   */
  function readNowUnguarded(): IteratorResult<Uint8Array> | null {
    if (failure !== null) throw failure;
    let result: IteratorResult<Uint8Array> | null;
    try {
      result = iterator.readNow!();
    } catch (error) {
      failure = sourceFailed(error);
      throw failure;
    }
    return result === null ? null : delivered(result);
  }

  const unguarded = signal === undefined && idleMs <= 0 && minRate <= 0;
  const guarded: GuardedSource = {
    get bytes() { return bytes; },
    get waitedMs() { return waitedMs; },
    [Symbol.asyncIterator]() {
      return {
        next: unguarded ? nextUnguarded : next,
        ...(unguarded && iterator.readNow !== undefined ? { readNow: readNowUnguarded } : {}),
        async return(): Promise<IteratorResult<Uint8Array>> {
          // An async generator (a Node stream's iterator) queues return() behind a read still pending
          // (one abandoned by a timeout or an abort): waiting for it could wait forever.
          const closing = Promise.resolve().then(() => iterator.return?.()).catch(() => undefined);
          if (!reading) await closing;
          return { done: true, value: undefined };
        },
      };
    },
  };
  return guarded;
}
