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
 * The root part is scanned while it streams; the other parts stream into
 * files of a private temporary directory (removed when the command ends,
 * whatever happens), since the envelope can only be written once every part
 * it names has arrived. The envelope is then written with each include's
 * part streamed back from its file, as the library's `inflate` does from a
 * cache: memory stays bounded by the root part, whatever the attachments
 * weigh (it used to hold every attachment in memory until the end).
 *
 * Exit codes: 0 written, 1 the message is malformed or names a missing part
 * (`ERR_…` on stderr), 2 usage.
 *
 * @module
 */

import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
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

/** What {@link readXopMessage} returns: the scanned root and where the other parts' bytes were spooled. */
export interface ReadXopMessage {
  scan: SoapScanResult;
  /** Part index of each include, in the order of `scan.includes`. */
  partOfInclude: number[];
  /** File holding the bytes of every non-root part, by index (under `spoolDir`). */
  parts: Map<number, string>;
}

/**
 * Parses a message, scans its root part and streams the other parts into
 * files under `spoolDir` (one per part; the caller removes the directory).
 *
 * @throws XopError from parsing, scanning or resolving (`ERR_XOP_MISSING_PART`).
 */
export async function readXopMessage(source: ByteSource, contentType: string, strict: boolean, spoolDir: string): Promise<ReadXopMessage> {
  const parsed = parseMultipart(source, contentType);
  const p = parsed.info.contentType.parameters;
  const parts = new Map<number, string>();
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
    if (part.isRoot) {
      for await (const view of part.body) scanner!.write(view);
    } else {
      // The name is derived from the index only: nothing a peer sends reaches a path.
      const file = path.join(spoolDir, `${part.index}.part`);
      const handle = await open(file, 'wx', 0o600);
      try {
        for await (const view of part.body) {
          scanner?.write(view);
          // Awaited per view: the next bytes are read from the input only once these are written (backpressure).
          await handle.write(view);
        }
      } finally {
        await handle.close();
      }
      parts.set(part.index, file);
    }
    if (scanner !== null) scanners.set(part.index, scanner);
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
  let spoolDir: string | null = null;
  try {
    const input = await openMessageInput('inflate', parsed.file, parsed.contentType);
    if (typeof input === 'number') return input;
    spoolDir = await mkdtemp(path.join(os.tmpdir(), 'xopstream-inflate-'));
    const message = await readXopMessage(input.source, input.contentType, parsed.strict, spoolDir);
    const partOf = new Map(message.scan.includes.map((include, i) => [include, message.partOfInclude[i]!]));
    for (const warning of message.scan.warnings) process.stderr.write(`warning: ${warning}\n`);
    const output = inflate(message.scan, {
      target: parsed.rootDocument ? 'rootDocument' : 'envelope',
      attachment: (_cid, include) => {
        const file = message.parts.get(partOf.get(include)!);
        return file === undefined ? [] : createReadStream(file);
      },
    });
    for await (const piece of output) {
      if (!process.stdout.write(piece)) await once(process.stdout, 'drain');
    }
    return 0;
  } catch (error) {
    if (!isXopError(error)) throw error;
    process.stderr.write(`${error.code}: ${error.message}\n`);
    return 1;
  } finally {
    if (spoolDir !== null) await rm(spoolDir, { recursive: true, force: true });
  }
}
