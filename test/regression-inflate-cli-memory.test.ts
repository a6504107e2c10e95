// Regression: `xopstream inflate` kept every non-root part in memory until
// the message ended (the library's inflate() streams from wherever the parts
// are). The command now streams each part into a private temporary file and
// streams it back out as base64: memory is bounded by the root part, the
// output is unchanged, and the temporary directory is gone afterwards,
// on success and on failure.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { readXopMessage } from '../src/cli/commands/inflate.js';
import { inflate } from '../src/xop/inflate.js';
import { projectRoot } from './support/corpus.js';
import { collectGarbage } from './support/gc.js';

const BOUNDARY = 'MIMEBoundary_inflate_memory';
const CONTENT_TYPE = `multipart/related; type="application/xop+xml"; start="<root@x>"; start-info="text/xml"; boundary="${BOUNDARY}"`;
const ENVELOPE = '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:put xmlns:m="urn:m">' +
  '<m:a><xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:big@x"/></m:a>' +
  '<m:b><xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:small@x"/></m:b></m:put></s:Body></s:Envelope>';
const SMALL = Buffer.from('small attachment\r\n--not-a-boundary\r\n');
const CHUNK = 64 * 1024;
const BIG_CHUNKS = 768; // 48 MiB

/** The big attachment's bytes, chunk i (deterministic, never containing the boundary). */
function bigChunk(i: number, into: Buffer): Buffer {
  into.fill(0x41 + (i % 26));
  return into;
}

/** The message, generated chunk by chunk into ONE reused buffer (so the source itself holds no memory). */
async function* message(probe: { arrayBuffersAtEnd: number }): AsyncGenerator<Uint8Array> {
  yield Buffer.from(`--${BOUNDARY}\r\nContent-ID: <root@x>\r\nContent-Type: application/xop+xml; charset=UTF-8; type="text/xml"\r\n\r\n${ENVELOPE}\r\n` +
    `--${BOUNDARY}\r\nContent-ID: <big@x>\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const scratch = Buffer.alloc(CHUNK);
  for (let i = 0; i < BIG_CHUNKS; i++) yield bigChunk(i, scratch);
  yield Buffer.from(`\r\n--${BOUNDARY}\r\nContent-ID: <small@x>\r\nContent-Type: text/plain\r\n\r\n`);
  yield SMALL;
  collectGarbage(); // what is kept alive, not garbage not yet collected
  probe.arrayBuffersAtEnd = process.memoryUsage().arrayBuffers;
  yield Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
}

function expectedBase64Digest(): string {
  const scratch = Buffer.alloc(CHUNK);
  const hash = createHash('sha256');
  // 65536 is not a multiple of 3: encode the concatenation, carrying the bytes of an incomplete 3-byte group.
  let carry = Buffer.alloc(0);
  for (let i = 0; i < BIG_CHUNKS; i++) {
    const all = Buffer.concat([carry, bigChunk(i, scratch)]);
    const whole = all.length - (all.length % 3);
    hash.update(all.subarray(0, whole).toString('base64'));
    carry = Buffer.from(all.subarray(whole));
  }
  hash.update(carry.toString('base64'));
  return hash.digest('hex');
}

test('readXopMessage spools attachments to files: memory does not grow with a 48 MiB attachment', async () => {
  const spool = fs.mkdtempSync(path.join(os.tmpdir(), 'xopstream-test-spool-'));
  try {
    const probe = { arrayBuffersAtEnd: 0 };
    collectGarbage();
    const before = process.memoryUsage().arrayBuffers;
    const read = await readXopMessage(message(probe), CONTENT_TYPE, false, spool);
    // Held in memory, the attachment alone would be 48 MiB of ArrayBuffers when the message ends.
    assert.ok(probe.arrayBuffersAtEnd - before < 16 * 1024 * 1024,
      `ArrayBuffer memory grew by ${probe.arrayBuffersAtEnd - before} bytes while a 48 MiB part streamed`);
    assert.deepEqual([...read.parts.keys()], [1, 2]);
    assert.equal(fs.statSync(read.parts.get(1)!).size, CHUNK * BIG_CHUNKS);
    assert.deepEqual(fs.readFileSync(read.parts.get(2)!), SMALL);
    assert.deepEqual(read.partOfInclude, [1, 2]);
    // Inflating from the files gives the base64 of each part in place of its include.
    const partOf = new Map(read.scan.includes.map((include, i) => [include, read.partOfInclude[i]!]));
    const out: Buffer[] = [];
    for await (const piece of inflate(read.scan, {
      target: 'envelope',
      attachment: (_cid, include) => fs.createReadStream(read.parts.get(partOf.get(include)!)!),
    })) out.push(Buffer.from(piece));
    const text = Buffer.concat(out).toString('latin1');
    const a = text.slice(text.indexOf('<m:a>') + 5, text.indexOf('</m:a>'));
    assert.equal(createHash('sha256').update(a).digest('hex'), expectedBase64Digest());
    assert.equal(text.slice(text.indexOf('<m:b>') + 5, text.indexOf('</m:b>')), SMALL.toString('base64'));
  } finally {
    fs.rmSync(spool, { recursive: true, force: true });
  }
});

function runInflate(stdin: Buffer, tmp: string): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(projectRoot, 'bin', 'xopstream.js'), 'inflate', '--content-type', CONTENT_TYPE, '-'],
      { cwd: projectRoot, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: tmp } });
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout.push(d); });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(stdout), stderr }));
    child.stdin.end(stdin);
  });
}

test('xopstream inflate: same output, and its temporary files are removed on success and on failure', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xopstream-test-tmpdir-'));
  try {
    const body = Buffer.concat([
      Buffer.from(`--${BOUNDARY}\r\nContent-ID: <root@x>\r\nContent-Type: application/xop+xml; charset=UTF-8; type="text/xml"\r\n\r\n${ENVELOPE}\r\n`),
      Buffer.from(`--${BOUNDARY}\r\nContent-ID: <small@x>\r\nContent-Type: text/plain\r\n\r\n`), SMALL,
      Buffer.from(`\r\n--${BOUNDARY}\r\nContent-ID: <big@x>\r\nContent-Type: application/octet-stream\r\n\r\n`),
      Buffer.alloc(100_000, 0xfe),
      Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
    ]);
    const ok = await runInflate(body, tmp);
    assert.equal(ok.code, 0, ok.stderr);
    const text = ok.stdout.toString('latin1');
    assert.ok(text.includes(`<m:a>${Buffer.alloc(100_000, 0xfe).toString('base64')}</m:a>`));
    assert.ok(text.includes(`<m:b>${SMALL.toString('base64')}</m:b>`));
    assert.deepEqual(fs.readdirSync(tmp), [], 'spool directory removed after success');
    const missing = await runInflate(Buffer.from(body.toString('latin1').replace('<big@x>', '<other@x>'), 'latin1'), tmp);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^ERR_XOP_MISSING_PART/);
    assert.equal(missing.stdout.length, 0);
    assert.deepEqual(fs.readdirSync(tmp), [], 'spool directory removed after failure');
    const truncated = await runInflate(body.subarray(0, body.length - 40_000), tmp);
    assert.equal(truncated.code, 1);
    assert.deepEqual(fs.readdirSync(tmp), [], 'spool directory removed after a truncated message');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
