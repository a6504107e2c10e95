/**
 * What the file-reading subcommands (`inspect`, `inflate`) share: turning a
 * parsed command line into usage output, opening FILE or standard input, and
 * taking the Content-Type from a leading header block when none was given.
 *
 * @module
 */

import fs from 'node:fs';
import { ErrorCodes, xopError } from '../errors.js';
import { parseHeaderBlock } from '../mime/headers.js';
import { toAsyncIterator, type ByteSource } from '../mime/stream.js';
import { contentCodingOf, decodedBody } from '../receive/content-coding.js';

/**
 * Handles a command line that did not parse: `''` means `--help` (usage to
 * stdout, exit 0), any other string is a usage error (stderr, exit 2).
 * Returns null when `parsed` is a real argument object.
 */
export function usageExit(command: string, parsed: unknown, usage: string): number | null {
  if (typeof parsed !== 'string') return null;
  if (parsed === '') {
    process.stdout.write(usage);
    return 0;
  }
  process.stderr.write(`xopstream ${command}: ${parsed}\n${usage}`);
  return 2;
}

/** A FILE|- command line with an optional --content-type and boolean flags. */
export interface FileArgs {
  file: string;
  contentType: string | null;
  /** The boolean flags that were given (e.g. `--json`). */
  flags: Set<string>;
}

/**
 * Parses `[--content-type CT] [FLAG...] FILE|-`; returns a usage message
 * (`''` for --help) when the line does not parse.
 */
export function parseFileArgs(args: string[], knownFlags: readonly string[]): FileArgs | string {
  let file: string | null = null;
  let contentType: string | null = null;
  const flags = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (knownFlags.includes(arg)) flags.add(arg);
    else if (arg === '--content-type' || arg === '-t') {
      const value = args[++i];
      if (value === undefined) return '--content-type needs a value';
      contentType = value;
    } else if (arg.startsWith('--content-type=')) contentType = arg.slice('--content-type='.length);
    else if (arg === '--help' || arg === '-h') return '';
    else if (arg.startsWith('-') && arg !== '-') return `unknown option ${arg}`;
    else if (file !== null) return 'give exactly one FILE (or - for standard input)';
    else file = arg;
  }
  if (file === null) return 'give a FILE (or - for standard input)';
  return { file, contentType, flags };
}

/**
 * Opens FILE (or standard input for `-`) and, without --content-type, reads
 * the Content-Type from the input's leading header block. An unreadable file
 * is reported as a usage problem (exit 2) before any parsing.
 */
export async function openMessageInput(
  command: string,
  file: string,
  contentType: string | null,
): Promise<{ source: ByteSource; contentType: string } | number> {
  if (file !== '-') {
    try {
      fs.accessSync(file, fs.constants.R_OK);
    } catch (error) {
      process.stderr.write(`xopstream ${command}: cannot read ${file}: ${(error as Error).message}\n`);
      return 2;
    }
  }
  const input: ByteSource = file === '-' ? process.stdin : fs.createReadStream(file, { highWaterMark: 64 * 1024 });
  if (contentType !== null) return { source: input, contentType };
  const split = await splitLeadingHeaders(input);
  // A saved request or response sent compressed (Content-Encoding: gzip/deflate): inspect what it carried.
  return { source: decodedBody(split.body, contentCodingOf(split.contentEncoding)), contentType: split.contentType };
}

/** Longest leading header block looked for when no --content-type is given. */
const MAX_LEADING_HEADERS = 64 * 1024;

/**
 * Reads a leading header block (optionally after an HTTP request or status
 * line) and returns its Content-Type, its Content-Encoding (null when it has
 * none) and a source that yields the body after it. The bytes read ahead are handed on first, then the rest of the input.
 *
 * @throws XopError `ERR_BAD_ARGUMENT` when there is no such block or it has no Content-Type.
 */
export async function splitLeadingHeaders(source: ByteSource): Promise<{ contentType: string; contentEncoding: string | null; body: AsyncIterable<Uint8Array> }> {
  const input = toAsyncIterator(source);
  const head: Buffer[] = [];
  let headLength = 0;
  let blockEnd = -1;
  let bodyStart = -1;
  let joined = Buffer.alloc(0);
  let done = false;
  while (blockEnd < 0 && headLength < MAX_LEADING_HEADERS) {
    const next = await input.next();
    if (next.done === true) { done = true; break; }
    head.push(Buffer.from(next.value)); // Copy: read-ahead bytes kept until the body is handed on.
    headLength += next.value.length;
    joined = Buffer.concat(head);
    const crlf = joined.indexOf('\r\n\r\n');
    const lf = joined.indexOf('\n\n');
    if (crlf >= 0 && (lf < 0 || crlf < lf)) { blockEnd = crlf + 2; bodyStart = crlf + 4; }
    else if (lf >= 0) { blockEnd = lf + 1; bodyStart = lf + 2; }
  }
  if (blockEnd < 0) {
    if (done && /^content-type\s*:/i.test(joined.toString('latin1', 0, 64))) {
      // Headers only, no body.
      blockEnd = joined.length;
      bodyStart = joined.length;
    } else {
      await input.return?.();
      throw xopError(ErrorCodes.BAD_ARGUMENT,
        'no --content-type given and the input does not start with a header block holding a Content-Type');
    }
  }
  let block = joined.subarray(0, blockEnd);
  // A saved HTTP message: skip its request or status line.
  const firstLineEnd = block.indexOf(0x0a);
  if (/^(HTTP\/\d(\.\d)? \d{3}( [^\r\n]*)?|[A-Z]+ \S+ HTTP\/\d(\.\d)?)\r?$/.test(block.toString('latin1', 0, firstLineEnd < 0 ? block.length : firstLineEnd))) {
    block = block.subarray(firstLineEnd + 1);
  }
  let contentType: string | null;
  let contentEncoding: string | null;
  try {
    const headers = parseHeaderBlock(block, 0, 1000);
    contentType = headers.get('content-type');
    contentEncoding = headers.get('content-encoding');
  } catch (error) {
    await input.return?.();
    throw xopError(ErrorCodes.BAD_ARGUMENT, 'the input does not start with a readable header block; give --content-type',
      { cause: error });
  }
  if (contentType === null) {
    await input.return?.();
    throw xopError(ErrorCodes.BAD_ARGUMENT, 'the leading header block has no Content-Type; give --content-type');
  }
  const rest = joined.subarray(bodyStart);
  const body: AsyncIterable<Uint8Array> = {
    async *[Symbol.asyncIterator]() {
      try {
        if (rest.length > 0) yield rest;
        if (done) return;
        for (;;) {
          const next = await input.next();
          if (next.done === true) return;
          yield next.value;
        }
      } finally {
        await input.return?.();
      }
    },
  };
  return { contentType, contentEncoding, body };
}

