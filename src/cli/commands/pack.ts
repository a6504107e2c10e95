/**
 * `xopstream pack --root FILE.xml [--mtom | --swa] [--soap 1.1|1.2] [--action URI]
 *  [--threshold N | --no-optimize] [--content-type-out FILE] [--out FILE|-] ATTACHMENT...`
 *
 * Writes one SwA (default) or MTOM message. The root may be a payload
 * (wrapped in an Envelope of the chosen version, 1.1 by default) or a full
 * Envelope (its version is used). Each attachment file becomes a part whose
 * Content-ID is its file name, so the XML references it as `cid:NAME` (an
 * `xop:Include` href or a swaRef; RFC 2392 %-encoding applies, e.g. a space
 * is `%20`). With `--mtom`, base64Binary content of at least `--threshold`
 * decoded bytes (default 1024) in the Body also moves out into parts.
 *
 * The message goes to `--out` (standard output by default); its Content-Type
 * header value goes to `--content-type-out`, or else to standard error.
 * Attachments stream from their files; the message is never held in memory.
 *
 * @module
 */

import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ErrorCodes, xopError } from '../../errors.js';
import { compose, type ComposedMessage, type SendMode } from '../../send/compose.js';
import type { AttachmentInput } from '../../send/attachments.js';
import { checkContentId } from '../../send/cid.js';
import type { SoapVersion } from '../../xop/names.js';

/** Content-Types by file extension; anything else is application/octet-stream. */
const TYPES_BY_EXTENSION: Record<string, string> = {
  '.pdf': 'application/pdf', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.gif': 'image/gif',
  '.tif': 'image/tiff', '.tiff': 'image/tiff', '.xml': 'application/xml', '.txt': 'text/plain', '.csv': 'text/csv',
  '.json': 'application/json', '.zip': 'application/zip', '.gz': 'application/gzip', '.html': 'text/html',
  '.doc': 'application/msword', '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** The Content-Type a file gets, from its extension. */
export function contentTypeOfFile(file: string): string {
  return TYPES_BY_EXTENSION[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** What `pack` and `send` share: how to build the message. */
export interface MessageArgs {
  root: string;
  mode: SendMode;
  soapVersion: SoapVersion | undefined;
  action: string | undefined;
  /** Optimize threshold for MTOM, or null for no optimize. */
  threshold: number | null;
  attachments: string[];
}

/**
 * Reads the options that describe a message; returns the remaining arguments
 * for the caller (or an error text).
 */
export function parseMessageArgs(args: string[], extra: (arg: string, next: () => string | undefined) => boolean | string):
  MessageArgs | string {
  const out: MessageArgs = { root: '', mode: 'swa', soapVersion: undefined, action: undefined, threshold: 1024, attachments: [] };
  let modeGiven: string | null = null;
  for (let i = 0; i < args.length; i++) {
    let arg = args[i]!;
    let inline: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      inline = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const next = (): string | undefined => inline ?? args[++i];
    if (arg === '--root') {
      const value = next();
      if (value === undefined) return '--root needs a file';
      out.root = value;
    } else if (arg === '--mtom' || arg === '--swa') {
      if (modeGiven !== null && modeGiven !== arg) return 'give --mtom or --swa, not both';
      modeGiven = arg;
      out.mode = arg === '--mtom' ? 'mtom' : 'swa';
    } else if (arg === '--soap') {
      const value = next();
      if (value !== '1.1' && value !== '1.2') return '--soap takes 1.1 or 1.2';
      out.soapVersion = value;
    } else if (arg === '--action') {
      const value = next();
      if (value === undefined) return '--action needs a URI';
      out.action = value;
    } else if (arg === '--threshold') {
      const value = Number(next());
      if (!Number.isSafeInteger(value) || value < 1) return '--threshold takes a positive number of bytes';
      out.threshold = value;
    } else if (arg === '--no-optimize') {
      out.threshold = null;
    } else if (arg.startsWith('-') && arg !== '-') {
      const handled = extra(arg, next);
      if (typeof handled === 'string') return handled;
      if (!handled) return `unknown option ${arg}`;
    } else {
      out.attachments.push(args[i]!);
    }
  }
  if (out.root === '') return '--root FILE.xml is required';
  return out;
}

/**
 * Composes the message the arguments describe: the root file read whole (it
 * is the XML document), each attachment streamed from its file with its size.
 *
 * @throws XopError `ERR_BAD_ARGUMENT` for an unreadable file, a file name that
 *   cannot be a Content-ID, or two attachments with the same file name.
 */
export async function composeFromFiles(args: MessageArgs): Promise<ComposedMessage> {
  let xml: Buffer;
  try {
    xml = await fs.promises.readFile(args.root);
  } catch (cause) {
    throw xopError(ErrorCodes.BAD_ARGUMENT, `cannot read the root file ${args.root}`, { cause });
  }
  const names = new Set<string>();
  const attachments: AttachmentInput[] = [];
  for (const file of args.attachments) {
    const name = path.basename(file);
    try {
      checkContentId(name);
    } catch (cause) {
      throw xopError(ErrorCodes.BAD_ARGUMENT,
        `the file name ${JSON.stringify(name)} cannot be a Content-ID (printable US-ASCII, no < or >): rename the file`, { cause });
    }
    if (names.has(name)) throw xopError(ErrorCodes.BAD_ARGUMENT, `two attachments are named ${name}: Content-IDs must differ`);
    names.add(name);
    let size: number;
    try {
      const stat = await fs.promises.stat(file);
      if (!stat.isFile()) throw new Error('not a regular file');
      size = stat.size;
    } catch (cause) {
      throw xopError(ErrorCodes.BAD_ARGUMENT, `cannot read the attachment ${file}`, { cause });
    }
    // Opened only when the message reaches it (one file open at a time), and again on a retry.
    attachments.push({ contentId: name, contentType: contentTypeOfFile(file), size,
      body: () => fs.createReadStream(file, { highWaterMark: 64 * 1024 }) });
  }
  return compose({
    xml, mode: args.mode, attachments,
    ...(args.soapVersion === undefined ? {} : { soapVersion: args.soapVersion }),
    ...(args.action === undefined ? {} : { soapAction: args.action }),
    ...(args.mode === 'mtom' && args.threshold !== null ? { optimize: { threshold: args.threshold } } : {}),
  });
}

const USAGE = 'usage: xopstream pack --root FILE.xml [--mtom | --swa] [--soap 1.1|1.2] [--action URI]\n' +
  '                      [--threshold N | --no-optimize] [--content-type-out FILE] [--out FILE|-] ATTACHMENT...\n';

/** Runs `xopstream pack`. */
export async function run(args: string[]): Promise<number> {
  let contentTypeOut: string | null = null;
  let out = '-';
  let help = false;
  const parsed = parseMessageArgs(args, (arg, next) => {
    if (arg === '--content-type-out') {
      const value = next();
      if (value === undefined) return '--content-type-out needs a file';
      contentTypeOut = value;
      return true;
    }
    if (arg === '--out' || arg === '-o') {
      const value = next();
      if (value === undefined) return '--out needs a file (or -)';
      out = value;
      return true;
    }
    if (arg === '--help' || arg === '-h') {
      help = true;
      return true;
    }
    return false;
  });
  if (help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (typeof parsed === 'string') {
    process.stderr.write(`xopstream pack: ${parsed}\n${USAGE}`);
    return 2;
  }
  const message = await composeFromFiles(parsed);
  if (out === '-') {
    await pipeline(message.body, process.stdout, { end: false });
  } else {
    try {
      await pipeline(message.body, fs.createWriteStream(out));
    } catch (error) {
      // A message cut short is worse than none: do not leave it behind.
      await fs.promises.rm(out, { force: true });
      throw error;
    }
  }
  if (contentTypeOut !== null) await fs.promises.writeFile(contentTypeOut, message.contentType);
  else process.stderr.write(message.contentType + '\n');
  return 0;
}
