/**
 * The contract every benchmark contestant implements: parse the message's
 * chunks and report each part's body views to a sink. The runner verifies the
 * output with a hashing sink, then times it with a counting one.
 *
 * @module
 */

import type { BenchMessage } from '../messages.js';

/** Receives what a contestant parsed: one body sink per part, in part order. */
export interface PartSink {
  /**
   * A part begins. `contentId` is its Content-ID header as the contestant
   * reports it (angle brackets or not), so that every parser does the header
   * work a SOAP receiver needs; null from limits, which parse no headers.
   */
  begin(contentId: string | null): BodySink;
}

/** Receives one part's body. (Per part: dicer's part streams may still flow when the next part begins.) */
export interface BodySink {
  /** A body view; read synchronously, not kept. */
  data(view: Uint8Array): void;
  end(): void;
}

/** xopstream itself, another Node parser, or a physical limit (the least work any parser must do). */
export type ContestantKind = 'xopstream' | 'peer' | 'limit';

/** One parser under test. */
export interface Contestant {
  name: string;
  /** One line for the results table. */
  description: string;
  kind: ContestantKind;
  parse(message: BenchMessage, sink: PartSink): Promise<void> | void;
}

/**
 * A limit that hands on no parts (a copy of the chunks, a hash over them):
 * checked by its own result instead of by parts.
 */
export interface ByteLimit {
  name: string;
  description: string;
  kind: 'limit';
  /** Sets up (allocations, WebAssembly) outside the timing. */
  prepare(message: BenchMessage): Promise<PreparedLimit>;
}

export interface PreparedLimit {
  run(): void;
  /** Runs once more and says what is wrong with the result, or null when it is right. */
  check(): string | null;
}
