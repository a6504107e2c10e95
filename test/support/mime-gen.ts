/**
 * fast-check arbitraries for multipart messages: legal random boundaries,
 * binary bodies with planted CR, LF, "--", boundary prefixes and near-miss
 * delimiters, optional preamble / epilogue / transport padding, LF or CRLF
 * framing. Each message comes with the parts it was built from, so a parse
 * can be checked against the truth. Side-effect free.
 */

import fc from 'fast-check';

/** RFC 2046 §5.1.1 bchars (space allowed, but not as the last character). */
const BCHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? ";

/** One generated part. */
export interface GenPart {
  headers: Array<[string, string]>;
  body: Buffer;
}

/** One generated message and what it must parse to. */
export interface GenMessage {
  boundary: string;
  eol: '\r\n' | '\n';
  padding: string;
  preamble: Buffer | null;
  epilogue: Buffer | null;
  parts: GenPart[];
}

/** A legal boundary of 1–70 characters. */
export const boundaryArb: fc.Arbitrary<string> = fc
  .array(fc.constantFrom(...BCHARS.split('')), { minLength: 1, maxLength: 70 })
  .map((chars) => {
    if (chars[chars.length - 1] === ' ') chars[chars.length - 1] = 'z';
    return chars.join('');
  });

/** Pieces a body is assembled from; `B` stands for the boundary. */
type Piece = { bytes: Uint8Array } | { planted: 'crlf' | 'lf' | 'cr' | 'dashes' | 'prefix' | 'near' | 'full-near' | 'crlf-dashes'; n: number };

const pieceArb: fc.Arbitrary<Piece> = fc.oneof(
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 40 }).map((bytes) => ({ bytes })) },
  { weight: 5, arbitrary: fc.record({
    planted: fc.constantFrom('crlf', 'lf', 'cr', 'dashes', 'prefix', 'near', 'full-near', 'crlf-dashes') as fc.Arbitrary<'crlf'>,
    n: fc.nat(),
  }) },
);

function renderPieces(pieces: Piece[], boundary: string): Buffer {
  const out: Buffer[] = [];
  for (const p of pieces) {
    if ('bytes' in p) {
      out.push(Buffer.from(p.bytes));
      continue;
    }
    const prefix = boundary.slice(0, p.n % (boundary.length + 1));
    switch (p.planted) {
      case 'crlf': out.push(Buffer.from('\r\n')); break;
      case 'lf': out.push(Buffer.from('\n')); break;
      case 'cr': out.push(Buffer.from('\r')); break;
      case 'dashes': out.push(Buffer.from('--')); break;
      case 'crlf-dashes': out.push(Buffer.from('\r\n--')); break;
      case 'prefix': out.push(Buffer.from(`\r\n--${prefix}`, 'latin1')); break;
      // The whole boundary followed by a byte that keeps it from being a delimiter line.
      case 'near': out.push(Buffer.from(`--${boundary}${'xQ-\t '[p.n % 5]}`, 'latin1')); break;
      default: out.push(Buffer.from(`\n--${boundary}${'xQ7'[p.n % 3]}`, 'latin1')); break;
    }
  }
  return Buffer.concat(out);
}

/**
 * Makes sure `text` (a body or a preamble, followed by `eol` and a delimiter)
 * holds no delimiter: each LF "--" boundary that would be one (our rules: a
 * line break before it, the message start and a header block's end count,
 * then "--", or transport padding and a line break) gets its boundary's last
 * byte changed. `strict` changes every LF "--" boundary (dicer ends a part at
 * any CRLF "--" boundary, near miss or not).
 */
export function sanitize(text: Buffer, boundary: string, eol: string, strict: boolean): Buffer {
  const out = Buffer.from(text);
  const needle = Buffer.from(`\n--${boundary}`, 'latin1');
  const last = boundary.charCodeAt(boundary.length - 1);
  const replacement = last === 0x58 /* X */ ? 0x59 : 0x58;
  for (let guard = 0; guard < 10_000; guard++) {
    const s = Buffer.concat([Buffer.from('\n'), out, Buffer.from(eol, 'latin1')]);
    let found = -1;
    for (let i = s.indexOf(needle); i !== -1 && i <= out.length; i = s.indexOf(needle, i + 1)) {
      if (strict || isDelimiterAt(s, i + needle.length)) { found = i; break; }
    }
    if (found === -1) break;
    out[found + needle.length - 2] = replacement; // s index i+len-1 is out index i+len-2
  }
  // With LF framing, a CR that ends a body would be taken as part of the delimiter's line break.
  if (eol === '\n' && out.length > 0 && out[out.length - 1] === 0x0d) return Buffer.concat([out, Buffer.from('Z')]);
  return out;
}

function isDelimiterAt(s: Buffer, at: number): boolean {
  if (s[at] === 0x2d && s[at + 1] === 0x2d) return true;
  let i = at;
  while (s[i] === 0x20 || s[i] === 0x09) i++;
  return s[i] === 0x0a || (s[i] === 0x0d && s[i + 1] === 0x0a);
}

const headerNameArb = fc.constantFrom('Content-ID', 'Content-Type', 'content-location', 'X-Custom', 'x-CUSTOM', 'Content-Disposition');
const headerValueArb = fc
  .array(fc.constantFrom(...'abcXYZ019<>@.=;/"-_ '.split('')), { maxLength: 30 })
  .map((chars) => chars.join('').trim());
const headersArb = fc.array(fc.tuple(headerNameArb, headerValueArb), { maxLength: 4 });

export interface GenOptions {
  /** Framing line breaks; default both. */
  eols?: Array<'\r\n' | '\n'>;
  /** Transport padding after delimiters; default some. */
  padding?: boolean;
  /** dicer-compatible bodies (see {@link sanitize}). */
  strict?: boolean;
  maxParts?: number;
}

/** A random well-formed message and its parts. */
export function messageArb(options: GenOptions = {}): fc.Arbitrary<GenMessage> {
  const eols = options.eols ?? ['\r\n', '\n'];
  return fc.record({
    boundary: boundaryArb,
    eol: fc.constantFrom(...eols),
    padding: options.padding === false ? fc.constant('') : fc.constantFrom('', '', ' ', '\t ', '   '),
    preamble: fc.option(fc.array(pieceArb, { maxLength: 6 }), { nil: null }),
    epilogue: fc.option(fc.uint8Array({ maxLength: 40 }), { nil: null }),
    parts: fc.array(fc.record({ headers: headersArb, pieces: fc.array(pieceArb, { maxLength: 12 }) }),
      { minLength: 1, maxLength: options.maxParts ?? 5 }),
  }).map((r) => ({
    boundary: r.boundary,
    eol: r.eol,
    padding: r.padding,
    preamble: r.preamble === null ? null : sanitize(renderPieces(r.preamble, r.boundary), r.boundary, r.eol, options.strict === true),
    epilogue: r.epilogue === null ? null : Buffer.from(r.epilogue),
    parts: r.parts.map((p) => ({
      headers: p.headers,
      body: sanitize(renderPieces(p.pieces, r.boundary), r.boundary, r.eol, options.strict === true),
    })),
  }));
}

/** The message's bytes (RFC 2046 §5.1.1 framing with the chosen line break). */
export function serialize(m: GenMessage): Buffer {
  const out: Buffer[] = [];
  const text = (s: string): void => { out.push(Buffer.from(s, 'latin1')); };
  if (m.preamble !== null) {
    out.push(m.preamble);
    text(m.eol);
  }
  m.parts.forEach((p, i) => {
    if (i > 0) text(m.eol);
    text(`--${m.boundary}${m.padding}${m.eol}`);
    for (const [name, value] of p.headers) text(`${name}: ${value}${m.eol}`);
    text(m.eol);
    out.push(p.body);
  });
  text(`${m.eol}--${m.boundary}--`);
  if (m.epilogue !== null) {
    text(m.eol);
    out.push(m.epilogue);
  }
  return Buffer.concat(out);
}

/** The Content-Type for a generated message. */
export function contentTypeOf(m: GenMessage): string {
  return `multipart/related; boundary="${m.boundary}"`;
}

/** Cuts `bytes` at sizes taken from `sizes` in turn (each chunk at least one byte). */
export function chunkBySizes(bytes: Uint8Array, sizes: number[]): Uint8Array[] {
  if (sizes.length === 0) return [bytes];
  const out: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const size = Math.max(1, sizes[i % sizes.length]!);
    out.push(bytes.subarray(at, at + size));
    at += size;
  }
  if (out.length === 0) out.push(bytes);
  return out;
}

/** Chunk sizes for random chunking: mostly tiny (to straddle delimiters), sometimes large. */
export const chunkSizesArb: fc.Arbitrary<number[]> = fc.array(
  fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 8 }) }, { weight: 1, arbitrary: fc.integer({ min: 9, max: 4096 }) }),
  { maxLength: 12 },
);
