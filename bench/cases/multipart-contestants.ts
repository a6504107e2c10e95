/**
 * The multipart contestants, side by side: xopstream's two APIs, the Node
 * peers, and the limits over the same chunks.
 *
 * @module
 */

import { busboyDicer } from '../contestants/busboy-dicer.js';
import { copyLimit } from '../contestants/copy-limit.js';
import { dicer } from '../contestants/dicer.js';
import { indexOfAsyncLimit } from '../contestants/indexof-async-limit.js';
import { indexOfLimit } from '../contestants/indexof-limit.js';
import { indexOfLfLimit } from '../contestants/indexof-lf-limit.js';
import { mjackson } from '../contestants/mjackson.js';
import { multipasta } from '../contestants/multipasta.js';
import { remix } from '../contestants/remix.js';
import type { ByteLimit, Contestant } from '../contestants/types.js';
import { xopstreamPush } from '../contestants/xopstream-push.js';
import { xopstreamStream, xopstreamStreamAsyncSource } from '../contestants/xopstream-stream.js';
import { xxh64Limit } from '../contestants/xxh64-limit.js';
import type { BenchMessage } from '../messages.js';
import { byteLimitEntry, multipartEntry, type Entry } from '../tables.js';

export const PARSERS: readonly Contestant[] = [xopstreamPush, xopstreamStream, xopstreamStreamAsyncSource, dicer, busboyDicer, remix, mjackson, multipasta, indexOfLimit, indexOfLfLimit, indexOfAsyncLimit];
export const BYTE_LIMITS: readonly ByteLimit[] = [copyLimit, xxh64Limit];

/** Every parser and every byte limit over `message`. */
export function multipartEntries(message: BenchMessage, options: { byteLimits?: boolean } = {}): Entry[] {
  return [
    ...PARSERS.map((c) => multipartEntry(c, message)),
    ...(options.byteLimits === false ? [] : BYTE_LIMITS.map((l) => byteLimitEntry(l, message))),
  ];
}
