/**
 * The fuzz targets: what runs an input, which oracles apply beyond the common
 * ones, and which mutations make sense.
 */

import { createHash } from 'node:crypto';
import type { FuzzInput, Outcome } from '../input.js';
import { outcomeKey } from '../input.js';
import { boundaryOfInput } from '../mutate.js';
import { dicerSummary, runDicer, runMime, type SourceKind } from './mime.js';
import { runReceive } from './receive.js';
import { runXop } from './xop.js';

/** A fuzz target. */
export interface FuzzTarget {
  readonly name: string;
  /** Whether XML mutations of the root part apply. */
  readonly xml: boolean;
  /** Runs the input split into `chunks`; never throws (errors become outcomes). */
  run(input: FuzzInput, chunks: readonly Uint8Array[], kind: SourceKind): Promise<Outcome>;
  /** A differential check against a reference implementation; returns a mismatch description or null. */
  differential?(input: FuzzInput, outcome: Outcome): Promise<string | null>;
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/**
 * Is this input one dicer parses as RFC 2046 means it (so its answer is a
 * fair reference)? CRLF framing only: every "--boundary" starts the input or
 * follows CRLF, is followed by CRLF or by "--" (no transport padding, which
 * dicer does not implement), and the message has a close delimiter.
 */
export function dicerComparable(input: FuzzInput, outcome: Outcome): string | null {
  if (!outcome.ok || outcome.parts.length === 0) return null;
  // dicer frames with CRLF only and has no lenient end: nothing to compare under either leniency.
  if (input.options.decode !== false || input.options.allowMissingCloseDelimiter === true ||
    input.options.allowBareLfDelimiters === true) return null;
  const boundary = boundaryOfInput(input);
  if (boundary === null || !/^\s*multipart\//i.test(input.contentType)) return null; // single-part XML ignores the boundary
  const bytes = input.bytes;
  const needle = Buffer.from('--' + boundary, 'latin1');
  let closed = false;
  let seenDelimiter = false;
  for (let i = bytes.indexOf(needle); i !== -1; i = bytes.indexOf(needle, i + 1)) {
    const atStart = i === 0;
    const afterCrlf = i >= 2 && bytes[i - 2] === 0x0d && bytes[i - 1] === 0x0a;
    const afterLf = i >= 1 && bytes[i - 1] === 0x0a;
    // A bare-LF look-alike after the first delimiter: data to both, since a message that gets that far is
    // CRLF-framed for ours too (its first delimiter line and header lines end in CRLF, checked below; a bare LF
    // there returns null). Before it, ours may take it as the first delimiter (the framing is not known yet).
    if (afterLf && !afterCrlf) {
      if (!seenDelimiter) return null;
      continue;
    }
    if (!atStart && !afterCrlf) continue; // mid-line: data to both
    const next = i + needle.length;
    const a = bytes[next];
    const b = bytes[next + 1];
    if (a === 0x2d && b === 0x2d) { closed = true; break; }
    if (!(a === 0x0d && b === 0x0a)) return null; // padding or a near-miss: dicer would split here
    // The header block must end with CRLF CRLF before the next delimiter and hold no bare CR or LF:
    // a missing separator or bare-LF header lines are leniencies of ours that dicer does not share.
    const blockEnd = bytes.indexOf('\r\n\r\n', next);
    const nextDelimiter = bytes.indexOf(Buffer.concat([Buffer.from('\r\n'), needle]), next);
    if (blockEnd === -1 || (nextDelimiter !== -1 && blockEnd + 4 > nextDelimiter)) return null;
    for (let k = next; k < blockEnd; k++) {
      if (bytes[k] === 0x0a && bytes[k - 1] !== 0x0d) return null;
      if (bytes[k] === 0x0d && bytes[k + 1] !== 0x0a) return null;
    }
    // Every line a header field (token name, colon) or a continuation of one: a line that is
    // not makes ours start the body there (missing separator), which dicer does not do.
    const lines = bytes.subarray(next + 2, blockEnd).toString('latin1').split('\r\n').filter((l) => l !== '');
    for (let k = 0; k < lines.length; k++) {
      const continuation = k > 0 && /^[ \t]/.test(lines[k]!);
      if (!continuation && !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+:/.test(lines[k]!)) return null;
    }
    seenDelimiter = true;
  }
  // dicer pushes a CRLF before the first byte; a message starting with CRLF "--boundary" is ambiguous to it.
  if (!closed || bytes.subarray(0, 2).toString('latin1') === '\r\n') return null;
  // Header blocks with bare LF or a missing separator are outside what dicer defines.
  for (const part of outcome.parts) {
    for (const [, value] of part.headers) if (/[^\x20-\x7e\t]/.test(value)) return null;
  }
  return boundary;
}

export const mimeTarget: FuzzTarget = {
  name: 'mime',
  xml: false,
  run: runMime,
  async differential(input, outcome) {
    const boundary = dicerComparable(input, outcome);
    if (boundary === null || !outcome.ok) return null;
    const theirs = await runDicer(input.bytes, boundary);
    if (theirs === null) return null; // dicer refused; ours is allowed to be more lenient
    const ours = outcome.parts.map((p) => ({ headers: [...p.headers].sort(), size: p.size, sha256: p.sha256 }));
    const reference = dicerSummary(theirs);
    if (ours.length !== reference.length) return `part count: ours ${ours.length}, dicer ${reference.length}`;
    for (let i = 0; i < ours.length; i++) {
      if (ours[i]!.sha256 !== reference[i]!.sha256) return `part ${i} body: ours ${ours[i]!.size} bytes, dicer ${reference[i]!.size} bytes`;
      if (JSON.stringify(ours[i]!.headers) !== JSON.stringify(reference[i]!.headers)) return `part ${i} headers differ`;
    }
    return null;
  },
};

export const xopTarget: FuzzTarget = {
  name: 'xop',
  xml: true,
  run: runXop,
};

export const receiveTarget: FuzzTarget = {
  name: 'receive',
  xml: true,
  run: runReceive,
};

/** Loads a target by name. */
export async function loadTarget(name: string): Promise<FuzzTarget> {
  if (name === 'mime') return mimeTarget;
  if (name === 'xop') return xopTarget;
  if (name === 'receive') return receiveTarget;
  throw new Error(`unknown fuzz target ${JSON.stringify(name)} (available: mime, xop, receive)`);
}

/** Stable key of an outcome for the regression files. */
export function expectedOf(outcome: Outcome): Record<string, unknown> {
  if (!outcome.ok) return outcome.xop ? { error: outcome.code } : { crash: `${outcome.name}: ${outcome.message}` };
  return {
    rootIndex: outcome.rootIndex,
    parts: outcome.parts.map((p) => ({ index: p.index, contentId: p.contentId, contentType: p.contentType, size: p.size, sha256: p.sha256 })),
    ...(outcome.extra === undefined ? {} : { extraSha256: sha(Buffer.from(JSON.stringify(outcome.extra))) }),
  };
}

export { outcomeKey };
