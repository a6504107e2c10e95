// `xopstream inspect`, run as a user runs it: `node bin/xopstream.js inspect ...`
// on corpus files (needs `npm run build`, which `npm test` does first).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import zlib from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import xxhash from 'xxhash-wasm';
import { parseMultipart } from '../src/index.js';
import { ownCorpusDir, projectRoot, SHARED_CORPUS_ABSENT, sharedCorpusDir } from './support/corpus.js';

interface Run { code: number | null; stdout: string; stderr: string }

function runCli(args: string[], stdin?: Uint8Array): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(projectRoot, 'bin', 'xopstream.js'), 'inspect', ...args],
      { cwd: projectRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? Buffer.alloc(0));
  });
}

const BOUNDARY_CT = 'multipart/related; boundary=MIME_boundary-1234';

function fixture(name: string): { file: string; expected: { contentType: string; parts: Array<Record<string, unknown>>; root: number } } {
  const dir = path.join(ownCorpusDir, name);
  return { file: path.join(dir, 'message.bin'), expected: JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) };
}

/** xxh64 and sha256 of each decoded body, computed here without the CLI. */
async function digests(message: Uint8Array, contentType: string): Promise<Array<{ xxh64: string; sha256: string; size: number }>> {
  const api = await xxhash();
  const out = [];
  for await (const part of parseMultipart([message], contentType)) {
    const views: Uint8Array[] = [];
    for await (const v of part.body) views.push(Uint8Array.from(v));
    const body = Buffer.concat(views);
    out.push({
      xxh64: api.h64Raw(body).toString(16).padStart(16, '0'),
      sha256: crypto.createHash('sha256').update(body).digest('hex'),
      size: body.length,
    });
  }
  return out;
}

function tempFile(name: string, bytes: Uint8Array): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xopstream-inspect-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

test('inspect --json prints exactly one JSON object with the contract fields', async () => {
  const { file, expected } = fixture('base64-part');
  const result = await runCli(['--content-type', expected.contentType, '--json', file]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, '');
  assert.equal(result.stdout.trim().split('\n').length, 1, 'one line');
  const json = JSON.parse(result.stdout) as { contentType: string; root: number; parts: Array<Record<string, unknown>> };
  // Issue 2's fields, in order; the SOAP layer (issue 3) appends soap and xopIncludes, then the MIME warnings.
  assert.deepEqual(Object.keys(json).slice(0, 3), ['contentType', 'root', 'parts']);
  assert.deepEqual(Object.keys(json).slice(3).filter((k) => !['soap', 'xopIncludes', 'warnings'].includes(k)), []);
  assert.deepEqual((json as unknown as { warnings: unknown }).warnings, []);
  assert.equal(json.contentType, expected.contentType);
  assert.equal(json.root, expected.root);
  const hashes = await digests(fs.readFileSync(file), expected.contentType);
  assert.deepEqual(json.parts, expected.parts.map((p, i) => ({
    index: p['index'], contentId: p['contentId'], contentType: p['contentType'],
    contentTransferEncoding: p['contentTransferEncoding'], contentLocation: null,
    size: p['size'], xxh64: hashes[i]!.xxh64, sha256: p['sha256'],
  })));
  for (const p of json.parts) assert.match(String(p['xxh64']), /^[0-9a-f]{16}$/);
});

test('inspect takes the Content-Type from a leading header block (MIME headers or a saved HTTP request)', async () => {
  const { file, expected } = fixture('start-without-angle-brackets');
  const message = fs.readFileSync(file);
  const withHeaders = tempFile('mime.msg', Buffer.concat([
    Buffer.from(`MIME-Version: 1.0\r\nContent-Type: ${expected.contentType}\r\n\r\n`), message]));
  const httpCapture = tempFile('request.http', Buffer.concat([
    Buffer.from(`POST /service HTTP/1.1\nHost: example\ncontent-type: ${expected.contentType}\nContent-Length: ${message.length}\n\n`),
    message]));
  for (const f of [withHeaders, httpCapture]) {
    const result = await runCli(['--json', f]);
    assert.equal(result.code, 0, result.stderr);
    const json = JSON.parse(result.stdout) as { contentType: string; root: number; parts: Array<{ sha256: string; contentId: string }> };
    assert.equal(json.contentType, expected.contentType);
    assert.equal(json.root, 2);
    assert.deepEqual(json.parts.map((p) => p.sha256), expected.parts.map((p) => p['sha256']));
    assert.deepEqual(json.parts.map((p) => p.contentId), ['first@x', 'second@x', 'third@x']);
  }
});

test('inspect reads standard input with -', async () => {
  const { file, expected } = fixture('binary-bodies');
  const result = await runCli(['--json', '--content-type', expected.contentType, '-'], fs.readFileSync(file));
  assert.equal(result.code, 0, result.stderr);
  const json = JSON.parse(result.stdout) as { parts: Array<{ size: number; sha256: string }> };
  assert.deepEqual(json.parts.map((p) => [p.size, p.sha256]), expected.parts.map((p) => [p['size'], p['sha256']]));
});

test('inspect without --json lists every part for people', async () => {
  const { file } = fixture('start-with-angle-brackets');
  const result = await runCli(['--content-type', `${BOUNDARY_CT}; start="<second@x>"`, file]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /3 part\(s\), root 1/);
  assert.match(result.stdout, /#1 \(root\)\n {2}Content-ID: second@x/);
  assert.match(result.stdout, /size 5 {2}xxh64 [0-9a-f]{16} {2}sha256 [0-9a-f]{64}/);
});

test('a single text/xml document is one root part', async () => {
  const { file, expected } = fixture('single-text-xml');
  const result = await runCli(['--json', '--content-type', 'text/xml; charset=utf-8', file]);
  assert.equal(result.code, 0, result.stderr);
  const json = JSON.parse(result.stdout) as { root: number; parts: Array<{ sha256: string }> };
  assert.equal(json.root, 0);
  assert.deepEqual(json.parts.map((p) => p.sha256), [expected.parts[0]!['sha256']]);
});

test('a parse error prints its code and message to stderr and exits 1', async () => {
  const { file, expected } = fixture('missing-close-delimiter');
  const size = fs.statSync(file).size;
  const result = await runCli(['--json', '--content-type', expected.contentType, file]);
  assert.equal(result.code, 1);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, new RegExp(`^ERR_MIME_TRUNCATED: .*at byte ${size}`));
  const badBoundary = await runCli(['--content-type', 'multipart/related', file]);
  assert.equal(badBoundary.code, 1);
  assert.match(badBoundary.stderr, /^ERR_MIME_NO_BOUNDARY: /);
});

test('no --content-type and no leading header block is an error; usage errors exit 2', async () => {
  const { file } = fixture('one-byte-part');
  const result = await runCli([file]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^ERR_BAD_ARGUMENT: .*content-type/i);
  assert.equal((await runCli([])).code, 2);
  assert.equal((await runCli(['--frobnicate', file])).code, 2);
  assert.equal((await runCli(['--content-type'])).code, 2);
  assert.equal((await runCli(['a', 'b'])).code, 2);
  const missing = await runCli(['--content-type', BOUNDARY_CT, path.join(os.tmpdir(), 'no-such-file-xopstream')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read/);
  const help = await runCli(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^usage: xopstream inspect/);
});

test('leading header blocks: headers only, no Content-Type, unreadable, HTTP response', async () => {
  const headersOnly = tempFile('empty.xml', Buffer.from('Content-Type: text/xml'));
  const empty = await runCli(['--json', headersOnly]);
  assert.equal(empty.code, 0, empty.stderr);
  const json = JSON.parse(empty.stdout) as { contentType: string; parts: Array<{ size: number }> };
  assert.equal(json.contentType, 'text/xml');
  assert.deepEqual(json.parts.map((p) => p.size), [0]);

  const noType = await runCli([tempFile('no-type.msg', Buffer.from('MIME-Version: 1.0\r\nX-A: b\r\n\r\nbody'))]);
  assert.equal(noType.code, 1);
  assert.match(noType.stderr, /^ERR_BAD_ARGUMENT: the leading header block has no Content-Type/);

  const unreadable = await runCli([tempFile('bad.msg', Buffer.from('Content-Type: text/xml\rX: y\r\n\r\n<a/>'))]);
  assert.equal(unreadable.code, 1);
  assert.match(unreadable.stderr, /^ERR_BAD_ARGUMENT: the input does not start with a readable header block/);

  const { file, expected } = fixture('one-byte-part');
  const response = tempFile('response.http', Buffer.concat([
    Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: ${expected.contentType}\r\n\r\n`), fs.readFileSync(file)]));
  const ok = await runCli(['--json', response]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual((JSON.parse(ok.stdout) as { parts: Array<{ sha256: string }> }).parts.map((p) => p.sha256),
    expected.parts.map((p) => p['sha256']));
});

test('inspect on a real HTTP capture from the shared corpus', async (t) => {
  if (sharedCorpusDir === null) {
    t.skip(SHARED_CORPUS_ABSENT);
    return;
  }
  const result = await runCli(['--json', path.join(sharedCorpusDir, 'mime', 'axis2__swa_swainput.http')]);
  assert.equal(result.code, 0, result.stderr);
  const json = JSON.parse(result.stdout) as { contentType: string; root: number; parts: Array<{ contentId: string; contentType: string }> };
  assert.match(json.contentType, /boundary="----=_Part_0_1977511.1123163571138"/);
  assert.equal(json.root, 0);
  assert.deepEqual(json.parts.map((p) => [p.contentId, p.contentType]), [
    ['9D645C8EBB837CE54ABD027A3659535D', 'text/xml; charset=UTF-8'],
    ['3936AE19FBED55AE4620B81C73BDD76E', 'text/plain'],
  ]);
});

test('inspect --json lists the MIME warnings (start naming no part: the first part is the root)', async () => {
  const { file, expected } = fixture('start-not-found');
  const result = await runCli(['--content-type', expected.contentType, '--json', file]);
  assert.equal(result.code, 0, result.stderr);
  const json = JSON.parse(result.stdout) as { root: number; warnings: string[] };
  assert.equal(json.root, 0);
  assert.equal(json.warnings.length, 1, JSON.stringify(json.warnings));
  assert.match(json.warnings[0]!, /start/);
});

test('inspect --allow-bare-lf-delimiters / --allow-missing-close-delimiter read what the default refuses', async () => {
  for (const [name, flag] of [['bare-lf-delimiters-allowed', '--allow-bare-lf-delimiters'], ['missing-close-delimiter-lenient', '--allow-missing-close-delimiter']]) {
    const { file, expected } = fixture(name!);
    const strict = await runCli(['--content-type', expected.contentType, '--json', file]);
    assert.equal(strict.code, 1, `${name}: refused by default`);
    assert.match(strict.stderr, /^ERR_MIME_TRUNCATED: /);
    const lenient = await runCli(['--content-type', expected.contentType, '--json', flag!, file]);
    assert.equal(lenient.code, 0, lenient.stderr);
    const json = JSON.parse(lenient.stdout) as { parts: Array<{ size: number; sha256: string }> };
    assert.deepEqual(json.parts.map((p) => ({ size: p.size, sha256: p.sha256 })), expected.parts.map((p) => ({ size: p['size'], sha256: p['sha256'] })), name);
  }
});

test('inspect reads a saved HTTP request sent with Content-Encoding gzip or deflate as what it carried; another coding is ERR_MIME_UNSUPPORTED_MEDIA_TYPE', async () => {
  const { file, expected } = fixture('start-without-angle-brackets');
  const message = fs.readFileSync(file);
  const capture = (coding: string, body: Buffer): string => tempFile('request.http', Buffer.concat([
    Buffer.from(`POST /service HTTP/1.1\r\nHost: example\r\nContent-Type: ${expected.contentType}\r\nContent-Encoding: ${coding}\r\n\r\n`), body]));
  for (const [coding, body] of [['gzip', zlib.gzipSync(message)], ['deflate', zlib.deflateSync(message)], ['deflate', zlib.deflateRawSync(message)]] as const) {
    const result = await runCli(['--json', capture(coding, body)]);
    assert.equal(result.code, 0, result.stderr);
    const json = JSON.parse(result.stdout) as { parts: Array<{ sha256: string }> };
    assert.deepEqual(json.parts.map((p) => p.sha256), expected.parts.map((p) => p['sha256']), coding);
  }
  const br = await runCli(['--json', capture('br', message)]);
  assert.equal(br.code, 1);
  assert.match(br.stderr, /^ERR_MIME_UNSUPPORTED_MEDIA_TYPE: Content-Encoding "br" is not supported/);
});
