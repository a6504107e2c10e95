/**
 * pathological: one 64 MiB part made of CR, LF and '-' runs and near-misses
 * of the delimiter — the delimiter with its first or last byte wrong, random
 * prefixes of it — from a seeded generator. The boundary starts with dashes
 * (JavaMail style), so dash runs after a line break are long delimiter
 * prefixes. No byte sequence in the body is a delimiter for any framing a
 * contestant accepts (checked after generation).
 *
 * @module
 */

import { assembleMultipart, seededRandom } from '../builders.js';
import { indexOfAsyncLimit } from '../contestants/indexof-async-limit.js';
import { indexOfLimit } from '../contestants/indexof-limit.js';
import { xopstreamPush } from '../contestants/xopstream-push.js';
import { xopstreamStream, xopstreamStreamAsyncSource } from '../contestants/xopstream-stream.js';
import { ratioOf, runTable } from '../tables.js';
import { multipartEntries } from './multipart-contestants.js';
import { formatShare, sameSourceLine, type BenchCase, type Target } from './types.js';

/** Contains no 'x' or 'X': the generator's repairs use those bytes. */
const BOUNDARY = '----=_Part_42_pathological.1700000000000';
const SEED = 0x7a11ed;

const CR = 0x0d;
const LF = 0x0a;
const DASH = 0x2d;

/** Builds `size` bytes of adversarial body. */
export function pathologicalBody(size: number, seed = SEED): Buffer {
  const random = seededRandom(seed);
  const int = (n: number): number => Math.floor(random() * n);
  const delimiter = Buffer.from(`\r\n--${BOUNDARY}`, 'latin1');
  const body = Buffer.alloc(size);
  let at = 0;
  const put = (bytes: ArrayLike<number>): void => {
    for (let i = 0; i < bytes.length && at < size; i++) body[at++] = bytes[i]!;
  };
  const run = (byte: number, length: number): void => {
    const end = Math.min(size, at + length);
    body.fill(byte, at, end);
    at = end;
  };
  while (at < size) {
    switch (int(9)) {
      case 0: run(CR, 1 + int(256)); break;
      case 1: run(LF, 1 + int(256)); break;
      case 2: run(DASH, 1 + int(256)); break;
      case 3: { // CRLF pairs and CR/LF/'-' noise
        const n = 1 + int(128);
        for (let i = 0; i < n; i++) put([CR, LF, DASH][int(3)] === DASH ? [CR, LF, DASH, DASH] : [CR, LF]);
        break;
      }
      case 4: { // the delimiter with its last byte wrong
        const near = Buffer.from(delimiter);
        near[near.length - 1] = 0x41 + int(26);
        if (near[near.length - 1] === delimiter[delimiter.length - 1]) near[near.length - 1] = 0x78; // 'x'
        put(near);
        break;
      }
      case 5: { // the delimiter with its first byte wrong (a letter or a second LF), then a byte that ends no delimiter line
        const near = Buffer.from(delimiter);
        near[0] = int(2) === 0 ? LF : 0x61 + int(26);
        put(near);
        put([0x78]); // 'x'
        break;
      }
      case 6: { // a random prefix of the delimiter, then a byte that breaks it
        const k = 1 + int(delimiter.length - 1);
        put(delimiter.subarray(0, k));
        put([0x78]);
        break;
      }
      case 7: { // LF-framed prefixes ("\n--" + part of the boundary)
        const k = 3 + int(delimiter.length - 3);
        put(delimiter.subarray(1, k));
        put([0x78]);
        break;
      }
      default: { // a little ordinary data in between
        const n = 1 + int(64);
        for (let i = 0; i < n; i++) put([0x20 + int(95)]);
      }
    }
  }
  // The body must end in ordinary data: a trailing delimiter prefix would join the close delimiter.
  body.write('END.', size - 4, 'latin1');
  // And begin with it: after a header block xopstream lets the empty line's LF start a delimiter.
  body.write('BEGIN', 0, 'latin1');
  repairDelimiters(body);
  return body;
}

/**
 * Makes sure no delimiter hides in the body for any framing the contestants
 * accept: a CRLF "--" boundary (every parser) has its CR replaced, and a
 * LF "--" boundary (xopstream also frames with bare LF) followed by what
 * would complete a delimiter line gets an 'x' after it.
 */
function repairDelimiters(body: Buffer): void {
  const strict = Buffer.from(`\r\n--${BOUNDARY}`, 'latin1');
  for (let i = body.indexOf(strict); i !== -1; i = body.indexOf(strict, i + 1)) body[i] = 0x58; // 'X'
  const loose = Buffer.from(`\n--${BOUNDARY}`, 'latin1');
  for (let i = body.indexOf(loose); i !== -1; i = body.indexOf(loose, i + 1)) {
    if (i > 0 && body[i - 1] === CR) body[i - 1] = 0x58;
    const after = i + loose.length;
    if (after < body.length && [DASH, 0x20, 0x09, CR, LF].includes(body[after]!)) body[after] = 0x78;
  }
}

export const pathologicalCase: BenchCase = {
  name: 'pathological',
  title: 'pathological: one 64 MiB part of CR/LF/"-" runs and delimiter near-misses',
  async run(context) {
    const size = context.settings.quick ? 1024 * 1024 : 64 * 1024 * 1024;
    const body = pathologicalBody(size);
    const message = assembleMultipart({
      description: `one ${size / 1024 / 1024} MiB part (seed 0x${SEED.toString(16)})`,
      boundary: BOUNDARY,
      parts: [{ contentId: 'pathological@bench.example', contentType: 'application/octet-stream', body }],
      chunkSize: 64 * 1024,
      type: 'application/octet-stream',
    });
    const crlf = countOf(body, '\r\n');
    const near = countOf(body, `\n--${BOUNDARY.slice(0, 8)}`);
    context.log(`pathological: ${(message.message.length / 1e6).toFixed(1)} MB, ${crlf} CRLF, ${near} LF--boundary prefixes of 8+ bytes`);
    const table = await runTable({
      id: 'pathological',
      title: `one ${size / 1024 / 1024} MiB part, 64 KiB chunks`,
      unit: 'MB/s',
      workPerRun: message.message.length,
      notes: [`${crlf} CRLF pairs and ${near} "LF--" + 8 or more boundary bytes in the body; boundary \`${BOUNDARY}\`.`],
      entries: multipartEntries(message),
      settings: context.settings,
      log: context.log,
    });
    const targets: Target[] = [];
    for (const api of [xopstreamPush.name, xopstreamStream.name]) {
      const limit = ratioOf(table, api, indexOfLimit.name);
      targets.push({
        text: `pathological: ${api} at least 95% of Buffer.indexOf`,
        measured: limit === null ? 'not measured' : formatShare(limit),
        met: limit === null ? null : limit.median >= 0.95,
      });
      if (api === xopstreamStream.name) targets.push(sameSourceLine('pathological', ratioOf(table, xopstreamStreamAsyncSource.name, indexOfAsyncLimit.name)));
      const row = table.rows.find((r) => r.name === api);
      const share = row?.zeroCopyShare ?? null;
      targets.push({
        text: `pathological: ${api} 100% zero-copy share of undecoded body bytes`,
        measured: share === null ? 'not measured' : `${(share * 100).toFixed(4)}% (${Math.round((1 - share) * size)} of ${size} bytes copied)`,
        met: share === null ? null : share >= 1,
      });
    }
    return {
      name: 'pathological',
      title: this.title,
      notes: [`${message.description}: runs of CR, LF and "-", CRLF noise, the delimiter with its first or last byte wrong, random delimiter prefixes (CRLF and LF framed), each broken by the byte after it.`],
      tables: [table],
      targets,
    };
  },
};

function countOf(haystack: Buffer, needle: string): number {
  const n = Buffer.from(needle, 'latin1');
  let count = 0;
  for (let i = haystack.indexOf(n); i !== -1; i = haystack.indexOf(n, i + 1)) count++;
  return count;
}
