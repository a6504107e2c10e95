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
  begin(): BodySink;
}

/** Receives one part's body. (Per part: dicer's part streams may still flow when the next part begins.) */
export interface BodySink {
  /** A body view; read synchronously, not kept. */
  data(view: Uint8Array): void;
  end(): void;
}

/** One parser under test. */
export interface Contestant {
  name: string;
  /** One line for the results table. */
  description: string;
  parse(message: BenchMessage, sink: PartSink): Promise<void> | void;
}
