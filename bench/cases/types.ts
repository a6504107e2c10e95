/**
 * The contract of a benchmark case: it builds its input, runs one or more
 * tables (tables.ts) and states the issue-7 targets it measures.
 *
 * @module
 */

import type { BenchSettings } from '../harness.js';
import type { BenchMessage } from '../messages.js';
import type { Table } from '../tables.js';

/** An issue-7 target and whether this run met it. */
export interface Target {
  /** The target as the issue states it. */
  text: string;
  /** What was measured, in words and numbers. */
  measured: string;
  /** Null when it could not be measured in this run (say why in `measured`), or for a figure kept for the record. */
  met: boolean | null;
  /** Not an issue-7 target: a figure kept next to one for the record. */
  informational?: boolean;
}

export interface CaseResult {
  name: string;
  title: string;
  /** Markdown lines describing the input and the method. */
  notes: string[];
  tables: Table[];
  targets: Target[];
  /** Anything else worth keeping in results.json. */
  extra?: Record<string, unknown>;
}

/** What every case gets from the runner. */
export interface CaseContext {
  settings: BenchSettings;
  log(line: string): void;
  /** A scratch directory, removed after the run. */
  tmpDir: string;
  /** Size of the memory case's message (1 GiB unless --memory-mib). */
  memoryBytes: number;
  /** The big message (SOAP root + ~64 MB of real PDFs/JPEGs; ~2 MB with --quick), 64 KiB chunks; built once. */
  bigMessage(): BenchMessage;
}

export interface BenchCase {
  name: string;
  title: string;
  /** Runs only in the full run (never with --quick). */
  fullOnly?: boolean;
  run(context: CaseContext): Promise<CaseResult>;
}

/** "0.97x (0.91–1.02)" */
export function formatRatio(r: { median: number; min: number; max: number }): string {
  return `${r.median.toFixed(2)}x (rounds ${r.min.toFixed(2)}–${r.max.toFixed(2)})`;
}

/** "96.1% (rounds 93.0–98.2%)" */
export function formatShare(r: { median: number; min: number; max: number }): string {
  return `${(r.median * 100).toFixed(1)}% (rounds ${(r.min * 100).toFixed(1)}–${(r.max * 100).toFixed(1)}%)`;
}

/**
 * The streaming API against the Buffer.indexOf limit fed by the same async
 * source (for the record, next to the target against the synchronous
 * limit): what is left once the async iteration protocol, which every
 * for-await parser pays per chunk, is counted on both sides.
 */
export function sameSourceLine(label: string, ratio: { median: number; min: number; max: number } | null): Target {
  return {
    text: `${label}: xopstream parseMultipart fed by an async generator, against the Buffer.indexOf limit fed by the same source (for await per chunk on both sides)`,
    measured: ratio === null ? 'not measured' : formatShare(ratio),
    met: null,
    informational: true,
  };
}
