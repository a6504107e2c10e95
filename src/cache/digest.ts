/**
 * Size and xxh64 of an attachment, measured while its bytes stream into a
 * cache — the one streaming helper every cache uses.
 *
 * {@link streamMeasured} pulls the body one chunk at a time, hashes each view
 * and hands it to the sink, and pulls the next chunk only when the sink has
 * finished with the view (returned, or settled the promise it returned): a
 * slow sink slows the source, and no view is kept after that, so views of
 * reused memory cannot escape. Nothing is awaited that need not be: a sink
 * that returns nothing and a synchronous body cost no promise at all.
 *
 * @module
 */

import xxhash from 'xxhash-wasm';
import { ErrorCodes, isXopError, xopError } from '../errors.js';
import type { AttachmentBody } from './types.js';

type XXHashAPI = Awaited<ReturnType<typeof xxhash>>;
type Hasher64 = ReturnType<XXHashAPI['create64']>;

let loading: Promise<XXHashAPI> | undefined;
/** The instance once loaded (digests made after that need no await). */
let loaded: XXHashAPI | undefined;

/** Loads (once) and returns the xxhash-wasm instance. */
function loadXxhash(): Promise<XXHashAPI> {
  loading ??= xxhash().then((api) => (loaded = api));
  return loading;
}

/**
 * xxhash-wasm copies each update into its WebAssembly memory, which grows to
 * the largest update and never shrinks: feed it slices of at most this size.
 */
const MAX_UPDATE_BYTES = 1 << 20;

/** Incremental size + xxh64 (seed 0) of a byte stream. */
export class StreamingDigest {
  readonly #hasher: Hasher64;
  #size = 0;
  #hex: string | undefined;

  private constructor(hasher: Hasher64) {
    this.#hasher = hasher;
  }

  /** A fresh digest (loads xxhash-wasm on first use). */
  static async create(): Promise<StreamingDigest> {
    const api = loaded ?? await loadXxhash();
    return new StreamingDigest(api.create64());
  }

  /** Adds bytes. The view is read synchronously and not kept. */
  update(view: Uint8Array): void {
    if (this.#hex !== undefined) throw xopError(ErrorCodes.BAD_ARGUMENT, 'digest already finished');
    if (view.byteLength <= MAX_UPDATE_BYTES) this.#hasher.update(view); // the usual case: no subarray object
    else {
      for (let at = 0; at < view.byteLength; at += MAX_UPDATE_BYTES) {
        this.#hasher.update(view.subarray(at, at + MAX_UPDATE_BYTES));
      }
    }
    this.#size += view.byteLength;
  }

  /** Bytes seen so far. */
  get size(): number {
    return this.#size;
  }

  /** Finishes and returns the xxh64 as 16 lower-case hex digits (idempotent). */
  hex(): string {
    this.#hex ??= this.#hasher.digest().toString(16).padStart(16, '0');
    return this.#hex;
  }
}

/** xxh64 of a whole buffer, for tests and small payloads. */
export async function xxh64Hex(bytes: Uint8Array): Promise<string> {
  const digest = await StreamingDigest.create();
  digest.update(bytes);
  return digest.hex();
}

/** What streaming a body in measured. */
export interface Measured {
  /** Decoded size in bytes. */
  size: number;
  /** xxh64, 16 lower-case hex digits. */
  xxh64: string;
}

/**
 * Where measured bytes go. Return nothing when done with the view; return a
 * promise only to make the source wait (backpressure): the view is not
 * reused before it settles.
 */
export type MeasuredSink = (view: Uint8Array) => void | Promise<void>;


function iteratorOf(body: AttachmentBody): AsyncIterator<Uint8Array> | Iterator<Uint8Array> {
  const b = body as Partial<AsyncIterable<Uint8Array> & Iterable<Uint8Array>> | null;
  if (b !== null && typeof b === 'object') {
    if (typeof b[Symbol.asyncIterator] === 'function') return b[Symbol.asyncIterator]!();
    if (typeof b[Symbol.iterator] === 'function') return b[Symbol.iterator]!();
  }
  throw xopError(ErrorCodes.BAD_ARGUMENT, 'an attachment body must be an (async) iterable of Uint8Array');
}

function abortedError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return isXopError(reason) ? reason : xopError(ErrorCodes.ABORTED, 'the cache write was aborted', { cause: reason });
}

/** True for a promise (or any thenable): what must be awaited. */
function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * Streams `body` into `sink`, computing size and xxh64 on the way.
 *
 * Errors are typed: an {@link XopError} from the body (a malformed message, a
 * limit) or the sink passes through unchanged; any other failure of the body
 * becomes `ERR_ABORTED` (the source went away), of the sink
 * `ERR_CACHE_SINK_FAILED` (status 500); an abort via `signal` becomes
 * `ERR_ABORTED`, at once even while the body is stalled. The body's iterator
 * is closed on every early exit.
 */
export async function streamMeasured(body: AttachmentBody, sink: MeasuredSink, signal?: AbortSignal): Promise<Measured> {
  const digest = await StreamingDigest.create();
  const it = iteratorOf(body);
  let finished = false;
  // One abort listener for the whole body, not one per chunk: it rejects the read in progress.
  let rejectRead: ((error: Error) => void) | null = null;
  const onAbort = (): void => rejectRead?.(abortedError(signal!));
  let reading: PromiseLike<IteratorResult<Uint8Array>> | null = null;
  // One executor for every read (no closure per chunk): settles with the read, or rejects on abort.
  const abortable = (resolve: (r: IteratorResult<Uint8Array>) => void, reject: (error: Error) => void): void => {
    rejectRead = reject;
    reading!.then(resolve, reject);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      if (signal?.aborted === true) throw abortedError(signal);
      let result: IteratorResult<Uint8Array>;
      try {
        const next = it.next();
        if (!isThenable(next)) result = next;
        else if (signal === undefined) result = await next;
        else {
          reading = next;
          result = await new Promise(abortable);
          reading = rejectRead = null;
        }
      } catch (error) {
        if (isXopError(error)) throw error;
        throw xopError(ErrorCodes.ABORTED, 'the attachment body failed: ' + messageOf(error), { cause: error });
      }
      if (result.done === true) {
        finished = true;
        break;
      }
      const view = result.value;
      if (!(view instanceof Uint8Array)) {
        throw xopError(ErrorCodes.BAD_ARGUMENT, 'an attachment body must yield Uint8Array chunks, got ' + typeof view);
      }
      if (view.byteLength === 0) continue;
      digest.update(view);
      try {
        const written = sink(view);
        if (written !== undefined) await written;
      } catch (error) {
        if (isXopError(error)) throw error;
        throw xopError(ErrorCodes.CACHE_SINK_FAILED, 'the cache sink failed: ' + messageOf(error), { cause: error, status: 500 });
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!finished && typeof it.return === 'function') {
      // Not awaited: an async generator queues return() behind a pending next().
      Promise.resolve(it.return()).catch(() => undefined);
    }
  }
  return { size: digest.size, xxh64: digest.hex() };
}

/** The message of an unknown thrown value. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Wraps a non-xopstream failure of a cache backend as `ERR_CACHE_SINK_FAILED` (status 500). */
export function sinkFailed(error: unknown, what: string): Error {
  if (isXopError(error)) return error;
  return xopError(ErrorCodes.CACHE_SINK_FAILED, `${what}: ${messageOf(error)}`, { cause: error, status: 500 });
}
