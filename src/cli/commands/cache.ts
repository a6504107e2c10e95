/**
 * `xopstream cache`: what arrived, as an operator's script sees it.
 *
 * ```
 * xopstream cache list ROOT_ID [--cache SPEC] [--json]   the attachment documents under a root id
 * xopstream cache get ROOT_ID CONTENT_ID [--cache SPEC]  one attachment's bytes to stdout
 * xopstream cache delete ROOT_ID [--cache SPEC]          removes a root id and its documents
 * xopstream cache sweep [--cache SPEC]                   removes expired roots and stale staging
 * ```
 *
 * SPEC is `file:DIR`, `memory[:retain-views]`, `redis://HOST:PORT` or `redis-cluster:URL[,URL...]`; the default is the
 * `XOPSTREAM_CACHE` environment variable, else `file:./.xopstream-cache` (the
 * receiver's default). CONTENT_ID is a Content-ID (with or without `<>`) or,
 * for parts without one, the part index.
 *
 * Exit codes: 0 done, 1 an xopstream error (code on stderr; `delete` of an
 * unknown root id), 2 usage.
 *
 * @module
 */

import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { openCache, parseCacheSpec, type CacheSpec } from '../../cache/spec.js';
import type { AttachmentDocument, DocumentCache } from '../../cache/types.js';
import { ErrorCodes, isXopError } from '../../errors.js';

const USAGE = `usage: xopstream cache list ROOT_ID [--cache SPEC] [--json]
       xopstream cache get ROOT_ID CONTENT_ID [--cache SPEC]
       xopstream cache delete ROOT_ID [--cache SPEC]
       xopstream cache sweep [--cache SPEC]
SPEC: file:DIR | memory[:retain-views] | redis://HOST:PORT | redis-cluster:URL[,URL...] (default: $XOPSTREAM_CACHE, else file:./.xopstream-cache)
`;

const ARITY: Record<string, number> = { list: 1, get: 2, delete: 1, sweep: 0 };

interface CacheArgs {
  action: string;
  operands: string[];
  spec: CacheSpec;
  json: boolean;
}

function parseArgs(args: string[]): CacheArgs | string {
  const [action, ...rest] = args;
  if (action === undefined) return 'give an action: list, get, delete or sweep';
  if (action === '--help' || action === '-h' || action === 'help') return '';
  const arity = ARITY[action];
  if (arity === undefined) return `unknown action ${JSON.stringify(action)}`;
  const operands: string[] = [];
  let specText = process.env['XOPSTREAM_CACHE'];
  let json = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--') {
      operands.push(...rest.slice(i + 1)); // everything after -- is an operand (a Content-ID may start with --)
      break;
    }
    if (arg === '--json') json = true;
    else if (arg === '--cache') {
      specText = rest[++i];
      if (specText === undefined) return '--cache needs a value';
    } else if (arg.startsWith('--cache=')) specText = arg.slice('--cache='.length);
    else if (arg === '--help' || arg === '-h') return '';
    else if (arg.startsWith('--')) return `unknown option ${arg}`;
    else operands.push(arg);
  }
  if (json && action !== 'list') return '--json applies to list only';
  if (operands.length !== arity) {
    return `${action} takes ${arity === 0 ? 'no operands' : arity === 1 ? 'ROOT_ID' : 'ROOT_ID CONTENT_ID'}`;
  }
  let spec: CacheSpec;
  try {
    spec = parseCacheSpec(specText);
  } catch (error) {
    return (error as Error).message;
  }
  return { action, operands, spec, json };
}

function contentIdText(doc: AttachmentDocument): string {
  const id = doc.properties.wss_attachment_content_id;
  return typeof id === 'number' ? `#${id}` : `<${id}>`;
}

/** The human-readable listing (JSON is the contract; this is for eyes). */
function listText(rootId: string, docs: AttachmentDocument[]): string {
  if (docs.length === 0) return `no attachment documents under ${rootId}\n`;
  const rows = docs.map((d) => [String(d.index), contentIdText(d), d.properties.wss_attachment_content_type,
    String(d.size), d.xxh64]);
  const header = ['INDEX', 'CONTENT-ID', 'CONTENT-TYPE', 'SIZE', 'XXH64'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]): string => cells.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd();
  const expiry = docs[0]!.expiresAt === null ? 'never' : new Date(docs[0]!.expiresAt).toISOString();
  return `root ${rootId} (${docs.length} attachment${docs.length === 1 ? '' : 's'}, expires ${expiry})\n` +
    [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** Copies a stream to stdout, honouring backpressure; stops quietly when stdout closes (`| head`). */
async function toStdout(stream: Readable): Promise<void> {
  const out = process.stdout;
  let closed = false;
  const onError = (): void => {
    closed = true;
  };
  out.on('error', onError);
  try {
    for await (const piece of stream) {
      if (closed) break;
      if (!out.write(piece as Uint8Array)) {
        await Promise.race([once(out, 'drain'), once(out, 'close')]);
      }
    }
  } finally {
    stream.destroy();
    out.off('error', onError);
  }
}

async function act(cache: DocumentCache, parsed: CacheArgs): Promise<number> {
  const [rootId, contentId] = parsed.operands;
  switch (parsed.action) {
    case 'list': {
      const docs = await cache.list(rootId!);
      process.stdout.write(parsed.json ? JSON.stringify(docs, null, 2) + '\n' : listText(rootId!, docs));
      return 0;
    }
    case 'get':
      await toStdout(await cache.open(rootId!, contentId!));
      return 0;
    case 'delete':
      if (await cache.delete(rootId!)) {
        process.stdout.write(`deleted ${rootId}\n`);
        return 0;
      }
      process.stderr.write(`${ErrorCodes.CACHE_NOT_FOUND}: nothing stored under root ${rootId}\n`);
      return 1;
    default: {
      const removed = await cache.sweep();
      process.stdout.write(`swept ${removed} expired root${removed === 1 ? '' : 's'}\n`);
      return 0;
    }
  }
}

/** Runs `xopstream cache`; returns the exit code. */
export async function run(args: string[]): Promise<number> {
  const parsed = parseArgs(args);
  if (typeof parsed === 'string') {
    if (parsed === '') {
      process.stdout.write(USAGE);
      return 0;
    }
    process.stderr.write(`xopstream cache: ${parsed}\n${USAGE}`);
    return 2;
  }
  const cache = await openCache(parsed.spec);
  try {
    return await act(cache, parsed);
  } catch (error) {
    if (!isXopError(error)) throw error;
    process.stderr.write(`${error.code}: ${error.message}\n`);
    return 1;
  } finally {
    await cache.close();
  }
}
