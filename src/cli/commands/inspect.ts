/**
 * `xopstream inspect [--content-type CT] [--json] [--allow-missing-close-delimiter]
 * [--allow-bare-lf-delimiters] FILE|-`: parses a message (with those framing
 * leniencies of parseMultipart when asked) and
 * lists its parts (index, Content-ID, Content-Type, transfer encoding,
 * Content-Location, decoded size, xxh64, sha256).
 *
 * The Content-Type comes from `--content-type`, or else from a header block at
 * the start of the file (a saved HTTP request or response, or MIME headers
 * written before the body): its `Content-Type:` line is used and the body
 * starts after the block's empty line.
 *
 * The report is built by {@link inspectMessage} and turned into the JSON
 * contract by {@link inspectJson}, so that higher layers can add fields (the
 * SOAP envelope, XOP includes) without touching the parsing.
 *
 * @module
 */

import crypto from 'node:crypto';
import { StreamingDigest } from '../../cache/digest.js';
import { isXopError } from '../../errors.js';
import { parseMultipart, type ByteSource, type ParseMultipartOptions } from '../../mime/stream.js';
import { openMessageInput, parseFileArgs, usageExit } from '../input.js';
import { MessageSoapSummary, type SoapSummary, type XopIncludeSummary } from '../../xop/summary.js';

/** One part in an inspect report. */
export interface InspectedPart {
  index: number;
  /** Content-ID without angle brackets, or null. */
  contentId: string | null;
  contentType: string | null;
  contentTransferEncoding: string | null;
  contentLocation: string | null;
  /** Decoded body size in bytes. */
  size: number;
  /** xxh64 (seed 0) of the decoded body: 16 lower-case hex digits. */
  xxh64: string;
  /** sha256 of the decoded body, lower-case hex. */
  sha256: string;
}

/** What {@link inspectMessage} found. */
export interface InspectReport {
  /** The Content-Type the message was parsed with. */
  contentType: string;
  /** Index of the root part (RFC 2387 start, else the first part). */
  root: number | null;
  parts: InspectedPart[];
  /** Leniencies applied (e.g. the start-not-found fallback). */
  warnings: string[];
  /** SOAP facts of the root part (version null when it is not an envelope), or null when there is no root. */
  soap: SoapSummary | null;
  /** Every xop:Include of the root part and the part it names. */
  xopIncludes: XopIncludeSummary[];
}

/**
 * Parses a message and measures every part body (decoded) as it streams by:
 * nothing is buffered, each view is hashed and dropped.
 *
 * @throws XopError whatever {@link parseMultipart} rejects with.
 */
export async function inspectMessage(
  source: ByteSource,
  contentType: string,
  options: ParseMultipartOptions = {},
): Promise<InspectReport> {
  const parsed = parseMultipart(source, contentType, options);
  const parts: InspectedPart[] = [];
  const p = parsed.info.contentType.parameters;
  const soap = new MessageSoapSummary({ multipartType: p['type'] ?? null, startInfo: p['start-info'] ?? null, hasStart: parsed.info.start !== null });
  for await (const part of parsed) {
    const xxh = await StreamingDigest.create();
    const sha = crypto.createHash('sha256');
    soap.partBegin(part);
    for await (const view of part.body) {
      xxh.update(view);
      sha.update(view);
      soap.partData(part.index, view);
    }
    soap.partEnd(part.index);
    parts.push({
      index: part.index,
      contentId: part.contentId,
      contentType: part.contentType,
      contentTransferEncoding: part.contentTransferEncoding,
      contentLocation: part.contentLocation,
      size: xxh.size,
      xxh64: xxh.hex(),
      sha256: sha.digest('hex'),
    });
  }
  const { soap: soapSummary, xopIncludes } = soap.finish(parsed.rootIndex);
  return { contentType, root: parsed.rootIndex, parts, warnings: [...parsed.warnings], soap: soapSummary, xopIncludes };
}

/** The `--json` object of `xopstream inspect` (a contract: keep the field names). */
export function inspectJson(report: InspectReport): Record<string, unknown> {
  return {
    contentType: report.contentType,
    root: report.root,
    parts: report.parts.map((p) => ({
      index: p.index,
      contentId: p.contentId,
      contentType: p.contentType,
      contentTransferEncoding: p.contentTransferEncoding,
      contentLocation: p.contentLocation,
      size: p.size,
      xxh64: p.xxh64,
      sha256: p.sha256,
    })),
    soap: report.soap,
    xopIncludes: report.xopIncludes,
    // The MIME-level leniencies (e.g. start naming no part, so the first part is the root): the text
    // listing always printed them, and a script reading --json must see them too.
    warnings: report.warnings,
  };
}

/** A human-readable listing. */
export function inspectText(report: InspectReport): string {
  const lines = [`Content-Type: ${report.contentType}`, `${report.parts.length} part(s), root ${report.root ?? '-'}`];
  for (const p of report.parts) {
    lines.push(`#${p.index}${p.index === report.root ? ' (root)' : ''}`);
    lines.push(`  Content-ID: ${p.contentId ?? '-'}`);
    lines.push(`  Content-Type: ${p.contentType ?? '-'}`);
    if (p.contentTransferEncoding !== null) lines.push(`  Content-Transfer-Encoding: ${p.contentTransferEncoding}`);
    if (p.contentLocation !== null) lines.push(`  Content-Location: ${p.contentLocation}`);
    lines.push(`  size ${p.size}  xxh64 ${p.xxh64}  sha256 ${p.sha256}`);
  }
  if (report.soap !== null) {
    const s = report.soap;
    lines.push(s.version === null ? `root: not a SOAP envelope${s.error === undefined ? '' : ` (${s.error.code})`}` : `SOAP ${s.version}`);
    if (s.bodyElement !== null) lines.push(`  Body: ${s.bodyElement}`);
    for (const h of s.headerBlocks) lines.push(`  Header: ${h}`);
    for (const w of s.warnings ?? []) lines.push(`  warning: ${w}`);
  }
  for (const x of report.xopIncludes) lines.push(`  xop:Include cid:${x.cid} in ${x.element} → part ${x.part ?? 'MISSING'}`);
  for (const w of report.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n') + '\n';
}

const USAGE = 'usage: xopstream inspect [--content-type CT] [--json] [--allow-missing-close-delimiter] [--allow-bare-lf-delimiters] FILE|-\n';

/** Parsed command line of `inspect`. */
interface InspectArgs {
  file: string;
  contentType: string | null;
  json: boolean;
  /** The parseMultipart framing options of the same names. */
  options: ParseMultipartOptions;
}

function parseArgs(args: string[]): InspectArgs | string {
  const parsed = parseFileArgs(args, ['--json', '--allow-missing-close-delimiter', '--allow-bare-lf-delimiters']);
  if (typeof parsed === 'string') return parsed;
  return {
    file: parsed.file, contentType: parsed.contentType, json: parsed.flags.has('--json'),
    options: {
      allowMissingCloseDelimiter: parsed.flags.has('--allow-missing-close-delimiter'),
      allowBareLfDelimiters: parsed.flags.has('--allow-bare-lf-delimiters'),
    },
  };
}

/** Runs `xopstream inspect`; returns the exit code (0 ok, 1 parse error, 2 usage). */
export async function run(args: string[]): Promise<number> {
  const parsed = parseArgs(args);
  const usage = usageExit('inspect', parsed, USAGE);
  if (usage !== null || typeof parsed === 'string') return usage ?? 2;
  try {
    const input = await openMessageInput('inspect', parsed.file, parsed.contentType);
    if (typeof input === 'number') return input;
    const report = await inspectMessage(input.source, input.contentType, parsed.options);
    process.stdout.write(parsed.json ? JSON.stringify(inspectJson(report)) + '\n' : inspectText(report));
    return 0;
  } catch (error) {
    if (!isXopError(error)) throw error;
    process.stderr.write(`${error.code}: ${error.message}\n`);
    return 1;
  }
}
