/**
 * Structure-aware mutations of multipart messages.
 *
 * Each mutator knows something about the format — where delimiters, header
 * blocks and bodies are, what base64 and quoted-printable look like, what a
 * SOAP root part holds — and breaks it in one way a peer or an attacker
 * could. Generic byte mutations (AFL's havoc) fill the gaps between them.
 * All randomness comes from the {@link Prng} handed in.
 */

import { parseContentType } from '../../src/index.js';
import type { FuzzInput } from './input.js';
import type { Prng } from './prng.js';

/** Inputs the fuzzer never grows beyond (bytes). */
export const MAX_INPUT_BYTES = 256 * 1024;

/** What a mutator may look at besides its input. */
export interface MutationContext {
  /** Other inputs of the corpus, for crossover and nesting. */
  pool: readonly FuzzInput[];
  /** Whether XML mutations of the root part apply (xop and receive targets). */
  xml: boolean;
}

type Mutator = (rng: Prng, input: FuzzInput, ctx: MutationContext) => FuzzInput | null;

const CRLF = Buffer.from('\r\n');

/** The boundary of an input's Content-Type, or null. */
export function boundaryOfInput(input: FuzzInput): string | null {
  try {
    const b = parseContentType(input.contentType).parameters['boundary'];
    return b === undefined || b === '' ? null : b;
  } catch {
    return null;
  }
}

/** Offsets of every "--boundary" in the bytes. */
export function delimiterOffsets(bytes: Buffer, boundary: string): number[] {
  const needle = Buffer.from('--' + boundary, 'latin1');
  const out: number[] = [];
  let i = bytes.indexOf(needle);
  while (i !== -1 && out.length < 10_000) {
    out.push(i);
    i = bytes.indexOf(needle, i + needle.length);
  }
  return out;
}

/** A part as laid out in the bytes: [headersStart, bodyStart, bodyEnd). */
interface Layout {
  headersStart: number;
  bodyStart: number;
  bodyEnd: number;
}

/** Rough layout of the parts (good enough to aim mutations; the parser decides what they really are). */
export function layoutOf(bytes: Buffer, boundary: string): Layout[] {
  const offsets = delimiterOffsets(bytes, boundary);
  const out: Layout[] = [];
  for (let k = 0; k + 1 < offsets.length; k++) {
    const lineEnd = bytes.indexOf(0x0a, offsets[k]!);
    if (lineEnd === -1 || lineEnd >= offsets[k + 1]!) continue;
    const headersStart = lineEnd + 1;
    let next = offsets[k + 1]!;
    if (bytes[next - 1] === 0x0a) next--;
    if (bytes[next - 1] === 0x0d) next--;
    const crlfcrlf = bytes.indexOf('\r\n\r\n', headersStart);
    const lflf = bytes.indexOf('\n\n', headersStart);
    let bodyStart = -1;
    if (crlfcrlf !== -1 && (lflf === -1 || crlfcrlf < lflf)) bodyStart = crlfcrlf + 4;
    else if (lflf !== -1) bodyStart = lflf + 2;
    if (bodyStart === -1 || bodyStart > next) bodyStart = headersStart;
    out.push({ headersStart, bodyStart, bodyEnd: Math.max(bodyStart, next) });
  }
  return out;
}

function splice(bytes: Buffer, from: number, to: number, insert: Uint8Array | string): Buffer {
  const ins = typeof insert === 'string' ? Buffer.from(insert, 'latin1') : insert;
  return Buffer.concat([bytes.subarray(0, from), ins, bytes.subarray(to)]);
}

function withBytes(input: FuzzInput, bytes: Buffer): FuzzInput {
  return { contentType: input.contentType, options: input.options, bytes: bytes.length > MAX_INPUT_BYTES ? bytes.subarray(0, MAX_INPUT_BYTES) : bytes };
}

function randomBytes(rng: Prng, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = rng.int(256);
  return b;
}

function partsOf(rng: Prng, input: FuzzInput): { boundary: string; layout: Layout[]; part: Layout } | null {
  const boundary = boundaryOfInput(input);
  if (boundary === null) return null;
  const layout = layoutOf(input.bytes, boundary);
  if (layout.length === 0) return null;
  return { boundary, layout, part: rng.pick(layout) };
}

/** Tokens worth inserting: framing, header, encoding and XML fragments. */
function tokens(boundary: string | null): string[] {
  const b = boundary ?? 'boundary';
  return [
    '\r\n', '\n', '\r', '--', '\r\n\r\n', '\n\n', ':', ';', '=', '"', '\\', '\t', ' ', '\x00', '\xff', '\x7f',
    `--${b}`, `\r\n--${b}`, `\n--${b}`, `\r\n--${b}--`, `--${b}--`, `\r\n--${b}\r\n`, `\r\n--${b}--\r\n`,
    `\r\n--${b.slice(0, Math.max(0, b.length - 1))}`, `\r\n--${b} \t \r\n`, `\r\n--${b}-`, `\r\n--${b}x`,
    'Content-ID: <a@b>\r\n', 'Content-Type: text/plain\r\n', 'Content-Transfer-Encoding: base64\r\n',
    'Content-Transfer-Encoding: quoted-printable\r\n', 'Content-Location: ../../etc/passwd\r\n',
    '=\r\n', '=3D', '=0', '=ZZ', '==', '=\n', '= \r\n', 'AAAA', 'QUJD', '\xe2\x82', '\xe2\x82\xac', '\xf0\x9f\x98',
    '<', '>', '</', '/>', '&', '&amp;', '&#0;', ']]>', '<![CDATA[', '<!--', '-->', '<?xml', '?>',
    '__proto__: x\r\n', 'constructor: y\r\n',
  ];
}

// --- generic byte mutations ------------------------------------------------------------

const flipBit: Mutator = (rng, input) => {
  if (input.bytes.length === 0) return null;
  const out = Buffer.from(input.bytes); // Copy: the corpus entry must stay unchanged.
  const i = rng.int(out.length);
  out[i] = out[i]! ^ (1 << rng.int(8));
  return withBytes(input, out);
};

const setByte: Mutator = (rng, input) => {
  if (input.bytes.length === 0) return null;
  const out = Buffer.from(input.bytes); // Copy: the corpus entry must stay unchanged.
  out[rng.int(out.length)] = rng.pick([0, 0x0a, 0x0d, 0x2d, 0x20, 0x09, 0x3a, 0x3d, 0x3c, 0x3e, 0x7f, 0x80, 0xff, rng.int(256)]);
  return withBytes(input, out);
};

const insertRandom: Mutator = (rng, input) => {
  const at = rng.int(input.bytes.length + 1);
  return withBytes(input, splice(input.bytes, at, at, randomBytes(rng, rng.smallSize(64))));
};

const deleteRange: Mutator = (rng, input) => {
  if (input.bytes.length < 2) return null;
  const from = rng.int(input.bytes.length);
  const to = Math.min(input.bytes.length, from + rng.smallSize(256));
  return withBytes(input, splice(input.bytes, from, to, ''));
};

const duplicateRange: Mutator = (rng, input) => {
  if (input.bytes.length < 2) return null;
  const from = rng.int(input.bytes.length);
  const to = Math.min(input.bytes.length, from + rng.smallSize(512));
  const copies = rng.chance(0.2) ? rng.smallSize(64) : 1;
  const slice = input.bytes.subarray(from, to);
  const at = rng.int(input.bytes.length + 1);
  return withBytes(input, splice(input.bytes, at, at, Buffer.concat(new Array<Buffer>(copies).fill(slice))));
};

const insertToken: Mutator = (rng, input) => {
  const token = rng.pick(tokens(boundaryOfInput(input)));
  const at = rng.int(input.bytes.length + 1);
  const replace = rng.chance(0.3) ? Math.min(input.bytes.length, at + token.length) : at;
  return withBytes(input, splice(input.bytes, at, replace, token));
};

const truncate: Mutator = (rng, input) => {
  if (input.bytes.length === 0) return null;
  return withBytes(input, input.bytes.subarray(0, rng.int(input.bytes.length)));
};

// --- delimiters --------------------------------------------------------------------------

const duplicateDelimiter: Mutator = (rng, input) => {
  const boundary = boundaryOfInput(input);
  if (boundary === null) return null;
  const offsets = delimiterOffsets(input.bytes, boundary);
  if (offsets.length === 0) return null;
  const from = rng.pick(offsets);
  const lineEnd = input.bytes.indexOf(0x0a, from);
  const line = input.bytes.subarray(from, lineEnd === -1 ? input.bytes.length : lineEnd + 1);
  const at = rng.chance(0.5) ? from : rng.int(input.bytes.length + 1);
  return withBytes(input, splice(input.bytes, at, at, Buffer.concat([CRLF, line])));
};

const removeDelimiter: Mutator = (rng, input) => {
  const boundary = boundaryOfInput(input);
  if (boundary === null) return null;
  const offsets = delimiterOffsets(input.bytes, boundary);
  if (offsets.length === 0) return null;
  const from = rng.pick(offsets);
  const cut = rng.chance(0.5) ? from + 2 + boundary.length : Math.min(input.bytes.length, from + 2 + rng.int(boundary.length + 4));
  return withBytes(input, splice(input.bytes, from, cut, ''));
};

const spliceBoundary: Mutator = (rng, input) => {
  const boundary = boundaryOfInput(input) ?? 'b';
  const prefix = rng.pick(['\r\n', '\n', '\r', '', '\r\r\n', '\n\r\n']);
  const cut = rng.chance(0.4) ? rng.int(boundary.length + 1) : boundary.length;
  const suffix = rng.pick(['', '-', '--', '---', ' ', ' \t ', 'x', '\r', '\n', '\r\n', '--\r\n', ' \r\n', '\t\n', '\r\r\n']);
  const token = prefix + '--' + boundary.slice(0, cut) + suffix;
  const copies = rng.chance(0.1) ? rng.smallSize(2000) : 1;
  const at = rng.int(input.bytes.length + 1);
  return withBytes(input, splice(input.bytes, at, at, token.repeat(copies)));
};

const boundaryPrefixFlood: Mutator = (rng, input) => {
  const boundary = boundaryOfInput(input) ?? 'b';
  const unit = rng.pick(['\r\n--' + boundary.slice(0, rng.int(boundary.length)), '\r', '\n', '-', '\r\n', '\r\n-', '\n--', '=']);
  const count = Math.min(rng.smallSize(60_000), Math.floor(MAX_INPUT_BYTES / 2 / Math.max(1, unit.length)));
  const layout = boundaryOfInput(input) === null ? [] : layoutOf(input.bytes, boundary);
  const at = layout.length > 0 && rng.chance(0.7) ? rng.pick(layout).bodyStart : rng.int(input.bytes.length + 1);
  return withBytes(input, splice(input.bytes, at, at, unit.repeat(count)));
};

const truncateNearDelimiter: Mutator = (rng, input) => {
  const boundary = boundaryOfInput(input);
  if (boundary === null) return null;
  const offsets = delimiterOffsets(input.bytes, boundary);
  if (offsets.length === 0) return null;
  const at = rng.pick(offsets) + rng.range(-3, boundary.length + 6);
  if (at < 0 || at >= input.bytes.length) return null;
  return withBytes(input, input.bytes.subarray(0, at));
};

const transportPadding: Mutator = (rng, input) => {
  const boundary = boundaryOfInput(input);
  if (boundary === null) return null;
  const offsets = delimiterOffsets(input.bytes, boundary);
  if (offsets.length === 0) return null;
  const at = rng.pick(offsets) + 2 + boundary.length;
  const n = rng.chance(0.1) ? rng.range(1020, 1030) : rng.smallSize(8);
  let pad = '';
  for (let i = 0; i < n; i++) pad += rng.chance(0.5) ? ' ' : '\t';
  return withBytes(input, splice(input.bytes, at, at, pad));
};

// --- line endings ---------------------------------------------------------------------------

const flipLineEndings: Mutator = (rng, input) => {
  const bytes = input.bytes;
  switch (rng.int(5)) {
    case 0: { // every CRLF → LF
      return withBytes(input, Buffer.from(bytes.toString('latin1').replace(/\r\n/g, '\n'), 'latin1'));
    }
    case 1: { // every bare LF → CRLF
      return withBytes(input, Buffer.from(bytes.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1'));
    }
    case 2: { // one CRLF → LF
      const i = nthIndex(rng, bytes, '\r\n');
      return i === -1 ? null : withBytes(input, splice(bytes, i, i + 2, '\n'));
    }
    case 3: { // one LF → CR (a bare CR)
      const i = nthIndex(rng, bytes, '\n');
      return i === -1 ? null : withBytes(input, splice(bytes, i, i + 1, '\r'));
    }
    default: { // one LF → CRLF, or a CR inserted
      const i = nthIndex(rng, bytes, '\n');
      return i === -1 ? null : withBytes(input, splice(bytes, i, i, '\r'));
    }
  }
};

function nthIndex(rng: Prng, bytes: Buffer, needle: string): number {
  const all: number[] = [];
  let i = bytes.indexOf(needle);
  while (i !== -1 && all.length < 4096) {
    all.push(i);
    i = bytes.indexOf(needle, i + 1);
  }
  return all.length === 0 ? -1 : rng.pick(all);
}

// --- parts ----------------------------------------------------------------------------------

const duplicatePart: Mutator = (rng, input) => {
  const p = partsOf(rng, input);
  if (p === null) return null;
  const delimiterStart = input.bytes.lastIndexOf('--' + p.boundary, p.part.headersStart);
  if (delimiterStart === -1) return null;
  const whole = input.bytes.subarray(delimiterStart, p.part.bodyEnd);
  const copies = rng.chance(0.1) ? rng.smallSize(3000) : 1;
  const unit = Buffer.concat([whole, CRLF]);
  return withBytes(input, splice(input.bytes, delimiterStart, delimiterStart, Buffer.concat(new Array<Buffer>(copies).fill(unit))));
};

const removePart: Mutator = (rng, input) => {
  const p = partsOf(rng, input);
  if (p === null) return null;
  const delimiterStart = input.bytes.lastIndexOf('--' + p.boundary, p.part.headersStart);
  if (delimiterStart === -1) return null;
  return withBytes(input, splice(input.bytes, delimiterStart, p.part.bodyEnd + 2, ''));
};

const emptyOrShrinkBody: Mutator = (rng, input) => {
  const p = partsOf(rng, input);
  if (p === null) return null;
  const keep = rng.chance(0.5) ? 0 : rng.int(p.part.bodyEnd - p.part.bodyStart + 1);
  return withBytes(input, splice(input.bytes, p.part.bodyStart + keep, p.part.bodyEnd, ''));
};

const nestMultipart: Mutator = (rng, input, ctx) => {
  const p = partsOf(rng, input);
  if (p === null || ctx.pool.length === 0) return null;
  const inner = rng.pick(ctx.pool);
  const innerBoundary = rng.chance(0.2) ? p.boundary : boundaryOfInput(inner);
  if (innerBoundary === null) return null;
  let innerBytes = inner.bytes;
  const oldInner = boundaryOfInput(inner);
  if (oldInner !== null && oldInner !== innerBoundary) {
    innerBytes = Buffer.from(innerBytes.toString('latin1').split(oldInner).join(innerBoundary), 'latin1');
  }
  if (innerBytes.length > 32 * 1024) innerBytes = innerBytes.subarray(0, 32 * 1024);
  const headers = `Content-Type: multipart/related; boundary="${innerBoundary}"\r\nContent-ID: <nested${rng.int(10)}@x>\r\n\r\n`;
  const delimiterStart = input.bytes.lastIndexOf('--' + p.boundary, p.part.headersStart);
  const lineEnd = input.bytes.indexOf(0x0a, delimiterStart) + 1;
  return withBytes(input, Buffer.concat([input.bytes.subarray(0, lineEnd), Buffer.from(headers, 'latin1'), innerBytes, input.bytes.subarray(p.part.bodyEnd)]));
};

const crossover: Mutator = (rng, input, ctx) => {
  if (ctx.pool.length === 0) return null;
  const other = rng.pick(ctx.pool);
  const b1 = boundaryOfInput(input);
  const b2 = boundaryOfInput(other);
  let tail = other.bytes.subarray(rng.int(other.bytes.length + 1));
  if (b1 !== null && b2 !== null && b1 !== b2) tail = Buffer.from(tail.toString('latin1').split(b2).join(b1), 'latin1');
  return withBytes(input, Buffer.concat([input.bytes.subarray(0, rng.int(input.bytes.length + 1)), tail]));
};

const preambleEpilogue: Mutator = (rng, input) => {
  const boundary = boundaryOfInput(input) ?? 'b';
  switch (rng.int(4)) {
    case 0: return withBytes(input, Buffer.concat([Buffer.from(rng.pick(['preamble\r\n', '\r\n', '\n', `--${boundary}x\r\n`, ' ', 'This is a multi-part message in MIME format.\r\n\r\n'])), input.bytes]));
    case 1: return withBytes(input, Buffer.concat([Buffer.alloc(rng.pick([65_535, 65_536, 65_537, 70_000, rng.smallSize(70_000)]), 0x61), Buffer.from('\r\n'), input.bytes]));
    case 2: return withBytes(input, Buffer.concat([input.bytes, Buffer.from(rng.pick(['epilogue', '\r\n--' + boundary + '\r\nContent-ID: <late>\r\n\r\nx', '\r\n', randomBytes(rng, 16).toString('latin1')]), 'latin1')]));
    default: return withBytes(input, Buffer.concat([randomBytes(rng, rng.smallSize(128)), input.bytes]));
  }
};

// --- headers ----------------------------------------------------------------------------------

function headerLines(input: FuzzInput, part: Layout): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let pos = part.headersStart;
  while (pos < part.bodyStart) {
    const lf = input.bytes.indexOf(0x0a, pos);
    if (lf === -1 || lf >= part.bodyStart) break;
    if (lf - pos > 1) out.push([pos, lf + 1]);
    pos = lf + 1;
  }
  return out;
}

const growHeaders: Mutator = (rng, input) => {
  const p = partsOf(rng, input);
  if (p === null) return null;
  const lines = headerLines(input, p.part);
  switch (rng.int(8)) {
    case 0: { // duplicate a header line many times
      if (lines.length === 0) return null;
      const [s, e] = rng.pick(lines);
      const count = rng.pick([2, 63, 64, 65, 100, rng.smallSize(3000)]);
      return withBytes(input, splice(input.bytes, s, s, Buffer.concat(new Array<Buffer>(count).fill(input.bytes.subarray(s, e)))));
    }
    case 1: { // a huge header value
      const size = rng.pick([16 * 1024 - 40, 16 * 1024, 16 * 1024 + 1, 20_000, rng.smallSize(40_000)]);
      return withBytes(input, splice(input.bytes, p.part.headersStart, p.part.headersStart, `X-Big: ${'v'.repeat(size)}\r\n`));
    }
    case 2: { // fold a header line at a space
      if (lines.length === 0) return null;
      const [s, e] = rng.pick(lines);
      const sp = input.bytes.indexOf(0x20, s);
      if (sp === -1 || sp >= e) return null;
      return withBytes(input, splice(input.bytes, sp, sp + 1, rng.pick(['\r\n ', '\r\n\t', '\n ', '\r\n   \t', '\r\n \r\n ', '\r '])));
    }
    case 3: { // a continuation line at the start of the block
      return withBytes(input, splice(input.bytes, p.part.headersStart, p.part.headersStart, rng.pick([' folded\r\n', '\tx\r\n'])));
    }
    case 4: { // odd header lines
      const line = rng.pick([
        'NoColonHere\r\n', ': empty-name\r\n', 'Bad Name: v\r\n', 'Content-ID : <spaced>\r\n', 'content-id: <dup>\r\n',
        'Content-ID: <../../etc/passwd>\r\n', 'Content-ID: <a\x00b>\r\n', 'Content-Location: ../x\x00y\r\n',
        'X-Ctl: a\x01b\r\n', 'X-CR: a\rb\r\n', 'X-UTF8: caf\xc3\xa9\r\n', 'X-BadUTF8: \xc3\x28\r\n', '__proto__: p\r\n',
        'hasOwnProperty: h\r\n', 'X-Empty:\r\n', 'X-Tab:\tv\r\n', 'Content-Type: multipart/related\r\n', 'Content-Type:\r\n',
      ]);
      const at = lines.length > 0 && rng.chance(0.5) ? rng.pick(lines)[1] : p.part.headersStart;
      return withBytes(input, splice(input.bytes, at, at, line));
    }
    case 5: { // remove the header/body separator
      const sepStart = p.part.bodyStart - (input.bytes[p.part.bodyStart - 2] === 0x0d ? 2 : 1);
      if (sepStart <= p.part.headersStart) return null;
      return withBytes(input, splice(input.bytes, sepStart, p.part.bodyStart, ''));
    }
    case 6: { // a control byte inside a header line
      if (lines.length === 0) return null;
      const [s, e] = rng.pick(lines);
      const at = rng.range(s, Math.max(s, e - 2));
      return withBytes(input, splice(input.bytes, at, at, String.fromCharCode(rng.pick([0, 1, 8, 0x0b, 0x0c, 0x0d, 0x1b, 0x7f]))));
    }
    default: { // many small headers
      const count = rng.pick([63, 64, 65, 200]);
      let block = '';
      for (let i = 0; i < count; i++) block += `X-H${i}: ${i}\r\n`;
      return withBytes(input, splice(input.bytes, p.part.headersStart, p.part.headersStart, block));
    }
  }
};

// --- transfer encodings ------------------------------------------------------------------------

function setHeader(input: FuzzInput, part: Layout, name: string, value: string): Buffer {
  const lines = headerLines(input, part);
  for (const [s, e] of lines) {
    const text = input.bytes.subarray(s, e).toString('latin1');
    if (text.toLowerCase().startsWith(name.toLowerCase() + ':')) {
      return splice(input.bytes, s, e, `${name}: ${value}${text.endsWith('\r\n') ? '\r\n' : '\n'}`);
    }
  }
  return splice(input.bytes, part.headersStart, part.headersStart, `${name}: ${value}\r\n`);
}

function encodeQuotedPrintable(data: Buffer, rng: Prng): string {
  let out = '';
  let line = 0;
  for (const b of data) {
    let piece: string;
    if ((b >= 33 && b <= 126 && b !== 61) || (b === 0x20 && rng.chance(0.8))) piece = String.fromCharCode(b);
    else piece = '=' + b.toString(16).toUpperCase().padStart(2, '0');
    if (line + piece.length > 75) {
      out += '=\r\n';
      line = 0;
    }
    out += piece;
    line += piece.length;
  }
  return out;
}

const reencodeBody: Mutator = (rng, input) => {
  const p = partsOf(rng, input);
  if (p === null) return null;
  const body = input.bytes.subarray(p.part.bodyStart, p.part.bodyEnd);
  const kind = rng.int(4);
  if (kind === 3) {
    // Only relabel: the body stays, the declared encoding changes.
    const name = rng.pick(['base64', 'quoted-printable', 'binary', '8bit', '7bit', 'x-gzip', ' BASE64 ', 'Quoted-Printable', '', 'uuencode']);
    return withBytes({ ...input }, setHeader(input, p.part, 'Content-Transfer-Encoding', name));
  }
  let encoded: string;
  if (kind === 0) encoded = body.toString('base64').replace(/.{1,76}/g, (m) => m + (rng.chance(0.9) ? '\r\n' : '\n')).trimEnd();
  else if (kind === 1) encoded = body.toString('base64').replace(/=+$/, ''); // unpadded
  else encoded = encodeQuotedPrintable(body, rng);
  const relabelled = { ...input, bytes: setHeader(input, p.part, 'Content-Transfer-Encoding', kind === 2 ? 'quoted-printable' : 'base64') };
  const again = layoutOf(relabelled.bytes, p.boundary);
  const target = again[p.layout.indexOf(p.part)] ?? again[0];
  if (target === undefined) return null;
  return withBytes(input, splice(relabelled.bytes, target.bodyStart, target.bodyEnd, encoded));
};

const corruptEncoding: Mutator = (rng, input) => {
  const p = partsOf(rng, input);
  if (p === null) return null;
  const { bodyStart, bodyEnd } = p.part;
  const at = rng.range(bodyStart, bodyEnd);
  const token = rng.pick(['=', '==', '===', '=A', 'A', 'AB', 'ABC', '*', '-', '_', '\x00', '\xff', ' ', '\t', '\r\n', '\n',
    '=4', '=ZZ', '=\r', '= \t\r\n', '=\n', '      ', ' '.repeat(1000), '=3', '=3D', '=\r\n', '\r', 'Zg==Zg==']);
  if (rng.chance(0.3) && bodyEnd > bodyStart) {
    // delete 1-3 characters: a broken base64 quantum
    return withBytes(input, splice(input.bytes, at, Math.min(bodyEnd, at + rng.range(1, 3)), ''));
  }
  return withBytes(input, splice(input.bytes, at, at, token));
};

// --- Content-Type and options -------------------------------------------------------------------

function contentIds(input: FuzzInput): string[] {
  const out: string[] = [];
  const re = /content-id:[ \t]*<?([^>\r\n]*)>?/gi;
  const text = input.bytes.subarray(0, Math.min(input.bytes.length, 64 * 1024)).toString('latin1');
  for (let m = re.exec(text); m !== null && out.length < 64; m = re.exec(text)) out.push(m[1]!);
  return out;
}

const mutateContentType: Mutator = (rng, input) => {
  const boundary = boundaryOfInput(input);
  const ct = input.contentType;
  switch (rng.int(9)) {
    case 0: { // quoted ↔ unquoted boundary
      if (boundary === null) return null;
      const q = ct.includes(`"${boundary}"`);
      return { ...input, contentType: q ? ct.replace(`"${boundary}"`, boundary) : ct.replace(`boundary=${boundary}`, `boundary="${boundary}"`) };
    }
    case 1: { // start names an existing part, a missing one, with or without brackets
      const ids = contentIds(input);
      const id = ids.length > 0 && rng.chance(0.7) ? rng.pick(ids) : 'missing@nowhere';
      const value = rng.pick([`"<${id}>"`, `"${id}"`, `<${id}>`, id, '""']);
      return { ...input, contentType: ct.replace(/;\s*start=("[^"]*"|[^;]*)/i, '') + `; start=${value}` };
    }
    case 2: { // media type swap
      const type = rng.pick(['multipart/related', 'multipart/mixed', 'Multipart/Related', 'text/xml', 'application/soap+xml', 'application/xop+xml', 'application/octet-stream', 'multipart/', 'text']);
      return { ...input, contentType: ct.replace(/^[^;]*/, type) };
    }
    case 3: { // re-frame with a boundary of a chosen length or alphabet
      if (boundary === null) return null;
      const fresh = rng.pick([
        'x'.repeat(70), 'y'.repeat(71), '-', '--', ' a', "'()+_,-./:=?", 'b'.repeat(rng.range(1, 80)), '=_Part_0', 'a b', 'bo\tund',
        boundary.toUpperCase(), boundary + ' ',
      ]);
      const reframed = Buffer.from(input.bytes.toString('latin1').split('--' + boundary).join('--' + fresh), 'latin1');
      return { ...input, bytes: reframed, contentType: ct.replace(/boundary=("[^"]*"|[^;]*)/i, `boundary="${fresh.replace(/"/g, '\\"')}"`) };
    }
    case 4: { // stray, duplicate and odd parameters
      const extra = rng.pick([';', '; ;', '; boundary=other', '; type="application/xop+xml"', '; start-info="text/xml"', '; charset=utf-8', ';\tfoo', '; x="unterminated', '; BOUNDARY=upper']);
      return { ...input, contentType: ct + extra };
    }
    case 5: // boundary changed without re-framing: nothing matches
      return boundary === null ? null : { ...input, contentType: ct.replace(boundary, boundary + 'Z') };
    case 6: { // mangle one character
      if (ct.length === 0) return null;
      const i = rng.int(ct.length);
      return { ...input, contentType: ct.slice(0, i) + rng.pick(['"', ';', '=', ' ', '\\', '\t', '', 'x']) + ct.slice(i + 1) };
    }
    case 7: // type parameter variants (SOAP media types)
      return { ...input, contentType: ct.replace(/;\s*type=("[^"]*"|[^;]*)/i, '') + rng.pick(['; type="text/xml"', '; type="application/xop+xml"', '; type=application/soap+xml']) };
    default: // start-info and charset
      return { ...input, contentType: ct + rng.pick(['; start-info="application/soap+xml"', '; start-info="text/xml; charset=utf-8"']) };
  }
};

const LIMIT_NAMES = [
  'headerBytes', 'headerCount', 'parts', 'partBytes', 'totalBytes', 'preambleBytes', 'boundaryLength', // MIME
  'rootBytes', 'depth', 'attributes', // XML (xop and receive targets; the MIME layer ignores them)
] as const;

const mutateOptions: Mutator = (rng, input) => {
  const options = { ...input.options };
  switch (rng.int(7)) {
    case 0: options.allowMissingCloseDelimiter = !options.allowMissingCloseDelimiter; break;
    case 5: options.allowBareLfDelimiters = !options.allowBareLfDelimiters; break;
    case 4: options.immutableChunks = !options.immutableChunks; break;
    case 1: options.decode = options.decode === false; break;
    case 2: options.requireStart = !options.requireStart; break;
    case 3: {
      const name = rng.pick(LIMIT_NAMES);
      const value = name === 'boundaryLength' ? rng.pick([1, 10, 70, 71, 200]) : rng.pick([0, 1, 2, 3, 5, 10, 64, 100, 1000, rng.smallSize(100_000)]);
      options.limits = { ...(options.limits ?? {}), [name]: value };
      break;
    }
    default: delete options.limits;
  }
  return { ...input, options };
};

// --- XML in the root part (xop and receive targets) ---------------------------------------------

/** The bytes of the first part body that looks like XML, as [start, end), or the whole input. */
function xmlRegion(rng: Prng, input: FuzzInput): [number, number] {
  const boundary = boundaryOfInput(input);
  if (boundary !== null) {
    const layout = layoutOf(input.bytes, boundary).filter((l) => input.bytes.indexOf('<', l.bodyStart) !== -1 && input.bytes.indexOf('<', l.bodyStart) < l.bodyEnd);
    if (layout.length > 0) {
      const l = rng.chance(0.8) ? layout[0]! : rng.pick(layout);
      return [l.bodyStart, l.bodyEnd];
    }
  }
  return [0, input.bytes.length];
}

/** Offsets of '<' that start an element (not '</', '<?', '<!'). */
function elementStarts(bytes: Buffer, from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = bytes.indexOf(0x3c, from); i !== -1 && i < to && out.length < 4096; i = bytes.indexOf(0x3c, i + 1)) {
    const c = bytes[i + 1];
    if (c !== undefined && c !== 0x2f && c !== 0x3f && c !== 0x21) out.push(i);
  }
  return out;
}

const XOP_NS = 'http://www.w3.org/2004/08/xop/include';

const mutateXml: Mutator = (rng, input) => {
  const [from, to] = xmlRegion(rng, input);
  const bytes = input.bytes;
  const starts = elementStarts(bytes, from, to);
  const anyElement = (): number => (starts.length > 0 ? rng.pick(starts) : from);
  switch (rng.int(12)) {
    case 0: { // a DOCTYPE, with entities (billion laughs, external)
      const doctype = rng.pick([
        '<!DOCTYPE x>',
        '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>',
        '<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE foo SYSTEM "http://127.0.0.1:1/evil.dtd">',
      ]);
      const decl = bytes.indexOf('?>', from);
      const at = decl !== -1 && decl < to ? decl + 2 : from;
      const withRef = rng.chance(0.5) && starts.length > 1 ? splice(bytes, starts[1]!, starts[1]!, rng.pick(['&lol3;', '&xxe;', '&undefined;'])) : bytes;
      return withBytes(input, splice(withRef, at, at, doctype));
    }
    case 1: { // deep nesting
      const depth = rng.pick([100, 256, 257, 1000, rng.smallSize(20_000)]);
      const at = anyElement();
      const open = '<d>'.repeat(depth);
      const close = rng.chance(0.8) ? '</d>'.repeat(depth) : '';
      const end = bytes.indexOf('>', at);
      const insertAt = end === -1 || end >= to ? at : end + 1;
      return withBytes(input, splice(bytes, insertAt, insertAt, open + close));
    }
    case 2: { // encoding declarations and charset parameters
      const decl = rng.pick(['<?xml version="1.0" encoding="UTF-16"?>', '<?xml version="1.0" encoding="ISO-8859-1"?>', '<?xml version="1.0" encoding="bogus"?>', '<?xml version="1.1"?>', '<?xml version="1.0" encoding="UTF-8"?>', '\xef\xbb\xbf', '\xff\xfe', '  <?xml version="1.0"?>']);
      const old = bytes.indexOf('<?xml', from);
      if (old !== -1 && old < to && rng.chance(0.7)) {
        const end = bytes.indexOf('?>', old);
        return withBytes(input, splice(bytes, old, end === -1 ? old : end + 2, decl));
      }
      return withBytes(input, splice(bytes, from, from, decl));
    }
    case 3: { // invalid or split UTF-8
      const at = rng.range(from, to);
      return withBytes(input, splice(bytes, at, at, rng.pick(['\xc3', '\xe2\x82', '\xf0\x9f\x98', '\xff', '\xc0\xaf', '\xed\xa0\x80', '\xe2\x82\xac', '\xf4\x90\x80\x80'])));
    }
    case 4: { // xop:Include variants
      const href = rng.pick(['http://127.0.0.1:1/secret', 'file:///etc/passwd', 'cid:missing@x', 'cid:', '', 'cid:%3Ca%40b%3E', 'cid:a%zz', 'CID:upper@x', 'https://example.com/x', 'cid:../../etc/passwd', 'cid:a\x00b',
        ...contentIds(input).map((id) => `cid:${id}`)]);
      const form = rng.pick([
        `<xop:Include xmlns:xop="${XOP_NS}" href="${href}"/>`,
        `<xop:Include xmlns:xop="${XOP_NS}" href="${href}"><child/></xop:Include>`,
        `<xop:Include xmlns:xop="${XOP_NS}"/>`,
        `<xop:Include xmlns:xop="${XOP_NS}" href="${href}" href="${href}"/>`,
        `<Include xmlns="${XOP_NS}" href="${href}"/>`,
        `<xop:Include xmlns:xop="${XOP_NS}" href="${href}"/><xop:Include xmlns:xop="${XOP_NS}" href="${href}"/>`,
        `text<xop:Include xmlns:xop="${XOP_NS}" href="${href}"/>`,
        `<xop:Include xmlns:xop="http://wrong/ns" href="${href}"/>`,
        `<e>${href}</e>`, // swaRef-style text
      ]);
      // Replace an existing include's href, or insert one after an element start tag.
      const existing = bytes.indexOf('href="', from);
      if (existing !== -1 && existing < to && rng.chance(0.5)) {
        const end = bytes.indexOf('"', existing + 6);
        return withBytes(input, splice(bytes, existing + 6, end === -1 ? existing + 6 : end, href));
      }
      const at = anyElement();
      const end = bytes.indexOf('>', at);
      const insertAt = end === -1 || end >= to ? at : end + 1;
      return withBytes(input, splice(bytes, insertAt, insertAt, form));
    }
    case 5: { // remove a closing tag or a '>'
      const close = bytes.indexOf('</', rng.range(from, to));
      if (close === -1 || close >= to) return null;
      const end = bytes.indexOf('>', close);
      return withBytes(input, splice(bytes, close, end === -1 ? close + 2 : end + 1, ''));
    }
    case 6: { // swap the SOAP namespace
      const text = bytes.toString('latin1');
      const swapped = rng.chance(0.5)
        ? text.replace('http://schemas.xmlsoap.org/soap/envelope/', rng.pick(['http://www.w3.org/2003/05/soap-envelope', 'urn:wrong', '']))
        : text.replace('http://www.w3.org/2003/05/soap-envelope', rng.pick(['http://schemas.xmlsoap.org/soap/envelope/', 'urn:wrong']));
      return withBytes(input, Buffer.from(swapped, 'latin1'));
    }
    case 7: { // many attributes
      const at = anyElement();
      const nameEnd = bytes.indexOf(' ', at) !== -1 && bytes.indexOf(' ', at) < bytes.indexOf('>', at) ? bytes.indexOf(' ', at) : bytes.indexOf('>', at);
      if (nameEnd === -1) return null;
      const count = rng.pick([10, 100, 257, 1000]);
      let attrs = '';
      for (let i = 0; i < count; i++) attrs += ` a${i}="${i}"`;
      return withBytes(input, splice(bytes, nameEnd, nameEnd, attrs));
    }
    case 8: { // CDATA, comments, processing instructions, entity references
      const at = rng.range(from, to);
      return withBytes(input, splice(bytes, at, at, rng.pick(['<![CDATA[x]]>', '<!-- c -->', '<?pi data?>', '&amp;', '&#x41;', '&#0;', '&#xD800;', '&bogus;', '<!-- -- -->', ']]>'])));
    }
    case 9: { // duplicate an element subtree fragment
      const at = anyElement();
      const end = bytes.indexOf('>', at);
      if (end === -1) return null;
      const tag = bytes.subarray(at, end + 1);
      return withBytes(input, splice(bytes, at, at, Buffer.concat(new Array<Buffer>(rng.smallSize(200)).fill(tag))));
    }
    case 10: { // drop the Body or the Envelope
      const text = bytes.toString('latin1');
      const tag = rng.pick(['Body', 'Envelope', 'Header']);
      return withBytes(input, Buffer.from(text.replace(new RegExp(`(<\\/?[A-Za-z0-9_-]*:?)${tag}\\b`, 'g'), `$1X${tag}`), 'latin1'));
    }
    default: { // charset on the root part's Content-Type
      const p = partsOf(rng, input);
      if (p === null) return null;
      const value = rng.pick(['application/xop+xml; charset=UTF-16; type="text/xml"', 'text/xml; charset=iso-8859-1', 'text/xml; charset=bogus', 'application/soap+xml; charset=utf-8; action="x"', 'text/plain', 'application/xop+xml; type="application/soap+xml"']);
      return withBytes(input, setHeader(input, p.layout[0]!, 'Content-Type', value));
    }
  }
};

// --- the mutation schedule ----------------------------------------------------------------

const BYTE_MUTATORS: Mutator[] = [flipBit, setByte, insertRandom, deleteRange, duplicateRange, insertToken, truncate];
const STRUCTURE_MUTATORS: Mutator[] = [
  duplicateDelimiter, removeDelimiter, spliceBoundary, boundaryPrefixFlood, truncateNearDelimiter, transportPadding,
  flipLineEndings, duplicatePart, removePart, emptyOrShrinkBody, nestMultipart, crossover, preambleEpilogue,
  growHeaders, growHeaders, reencodeBody, corruptEncoding, corruptEncoding, mutateContentType, mutateContentType, mutateOptions,
];

/** Applies a stack of 1–4 mutations (mostly structure-aware) to a copy of `input`. */
export function mutate(rng: Prng, input: FuzzInput, ctx: MutationContext): FuzzInput {
  let current = input;
  const rounds = 1 + rng.int(rng.chance(0.7) ? 2 : 4);
  for (let r = 0; r < rounds; r++) {
    let mutator: Mutator;
    const roll = rng.int(100);
    if (ctx.xml && roll < 30) mutator = mutateXml;
    else if (roll < 70) mutator = rng.pick(STRUCTURE_MUTATORS);
    else mutator = rng.pick(BYTE_MUTATORS);
    const next = mutator(rng, current, ctx);
    if (next !== null) current = next;
  }
  return current;
}

/**
 * Shrinks a large seed so that mutations stay cheap: each part body is cut to
 * at most `maxBody` bytes, at a line break where there is one (keeps base64
 * line structure valid).
 */
export function shrinkSeed(input: FuzzInput, maxBody = 4096): FuzzInput {
  const boundary = boundaryOfInput(input);
  if (boundary === null || input.bytes.length <= MAX_INPUT_BYTES / 4) return input;
  const layout = layoutOf(input.bytes, boundary);
  if (layout.length === 0) return { ...input, bytes: input.bytes.subarray(0, MAX_INPUT_BYTES / 4) };
  const pieces: Buffer[] = [];
  let pos = 0;
  for (const l of layout) {
    if (l.bodyEnd - l.bodyStart <= maxBody) continue;
    let cut = input.bytes.lastIndexOf(0x0a, l.bodyStart + maxBody);
    if (cut < l.bodyStart) cut = l.bodyStart + maxBody;
    else cut += 1;
    pieces.push(input.bytes.subarray(pos, cut));
    pos = l.bodyEnd;
    // keep the line break before the delimiter
    if (input.bytes[cut - 1] === 0x0a) pos = l.bodyEnd;
  }
  pieces.push(input.bytes.subarray(pos));
  const bytes = Buffer.concat(pieces);
  return { ...input, bytes: bytes.length > MAX_INPUT_BYTES ? bytes.subarray(0, MAX_INPUT_BYTES) : bytes };
}
