/**
 * `xopstream inflate [--content-type CT] [--root-document] [--strict] FILE|-`:
 * writes the SOAP envelope (or only its root document) with every
 * `xop:Include` replaced by the base64 of the part it names (XOP 1.0 §3.2).
 *
 * The Content-Type comes from `--content-type`, or else from a header block at
 * the start of the input (a saved HTTP message), as for `inspect`. A plain
 * SOAP/XML document (no multipart) is written back as scanned. Non-SOAP XOP
 * packages (e.g. the W3C XOP example) are accepted: their document element is
 * the root document.
 *
 * The root part is scanned while it streams; the other parts are kept in
 * memory until the end of the message, since the envelope can only be
 * written once every part it names has arrived (the library's `inflate`
 * reads attachments from wherever a receiver stored them; this command has
 * nowhere but memory).
 *
 * Exit codes: 0 written, 1 the message is malformed or names a missing part
 * (`ERR_…` on stderr), 2 usage.
 *
 * @module
 */

import { once } from 'node:events';
import { isXopError } from '../../errors.js';
import { parseMultipart, type ByteSource } from '../../mime/stream.js';
import { inflate } from '../../xop/inflate.js';
import { XopResolver } from '../../xop/resolve.js';
import { SoapScanner, type SoapScanResult } from '../../xop/scanner.js';
import { openMessageInput, parseFileArgs, usageExit } from '../input.js';

const USAGE = 'usage: xopstream inflate [--content-type CT] [--root-document] [--strict] FILE|-\n';

interface InflateArgs {
  file: string;
  contentType: string | null;
  rootDocument: boolean;
  strict: boolean;
}

function parseArgs(args: string[]): InflateArgs | string {
  const parsed = parseFileArgs(args, ['--root-document', '--strict']);
  if (typeof parsed === 'string') return parsed;
  return { file: parsed.file, contentType: parsed.contentType, rootDocument: parsed.flags.has('--root-document'), strict: parsed.flags.has('--strict') };
}

/** What {@link readXopMessage} returns: the scanned root and the other parts' bytes. */
export interface ReadXopMessage {
  scan: SoapScanResult;
  /** Part index of each include, in the order of `scan.includes`. */
  partOfInclude: number[];
  /** Bytes of every non-root part, by index. */
  parts: Map<number, Uint8Array[]>;
}

/**
 * Parses a message, scans its root part and keeps the other parts in memory.
 *
 * @throws XopError from parsing, scanning or resolving (`ERR_XOP_MISSING_PART`).
 */
export async function readXopMessage(source: ByteSource, contentType: string, strict: boolean): Promise<ReadXopMessage> {
  const parsed = parseMultipart(source, contentType);
  const p = parsed.info.contentType.parameters;
  const parts = new Map<number, Uint8Array[]>();
  const scanners = new Map<number, SoapScanner>();
  const identities: Array<{ index: number; contentId: string | null }> = [];
  for await (const part of parsed) {
    identities.push({ index: part.index, contentId: part.contentId });
    // The first part may turn out to be the root when `start` names no part (RFC 2387 fallback).
    const scanner = part.isRoot || part.index === 0
      ? new SoapScanner({
        contentType: part.contentType, multipartType: p['type'] ?? null, startInfo: p['start-info'] ?? null,
        strict, requireEnvelope: false, part: part.index,
      })
      : null;
    const chunks: Uint8Array[] = [];
    for await (const view of part.body) {
      scanner?.write(view);
      // Copy: the part's views are only valid until the next part is read, and the envelope needs all parts.
      if (!part.isRoot) chunks.push(Buffer.from(view));
    }
    if (scanner !== null) scanners.set(part.index, scanner);
    if (!part.isRoot) parts.set(part.index, chunks);
  }
  const rootIndex = parsed.rootIndex ?? 0;
  const rootScanner = scanners.get(rootIndex);
  if (rootScanner === undefined) throw new Error('internal: the root part was not scanned');
  const scan = rootScanner.end();
  const resolver = new XopResolver(scan, { rootIndex });
  for (const identity of identities) resolver.addPart(identity);
  const resolution = resolver.finish();
  return { scan, partOfInclude: resolution.includes.map((r) => r.part), parts };
}

/** Runs `xopstream inflate`; returns the exit code. */
export async function run(args: string[]): Promise<number> {
  const parsed = parseArgs(args);
  const usage = usageExit('inflate', parsed, USAGE);
  if (usage !== null || typeof parsed === 'string') return usage ?? 2;
  try {
    const input = await openMessageInput('inflate', parsed.file, parsed.contentType);
    if (typeof input === 'number') return input;
    const message = await readXopMessage(input.source, input.contentType, parsed.strict);
    const partOf = new Map(message.scan.includes.map((include, i) => [include, message.partOfInclude[i]!]));
    for (const warning of message.scan.warnings) process.stderr.write(`warning: ${warning}\n`);
    const output = inflate(message.scan, {
      target: parsed.rootDocument ? 'rootDocument' : 'envelope',
      attachment: (_cid, include) => message.parts.get(partOf.get(include)!) ?? [],
    });
    for await (const piece of output) {
      if (!process.stdout.write(piece)) await once(process.stdout, 'drain');
    }
    return 0;
  } catch (error) {
    if (!isXopError(error)) throw error;
    process.stderr.write(`${error.code}: ${error.message}\n`);
    return 1;
  }
}
