// `--cache memory:retain-views` on the command line: `xopstream serve` takes
// it (flag or $XOPSTREAM_CACHE), says so in its listening line and stores
// messages; an unknown memory option is refused naming the option, by serve
// (exit 1, ERR_BAD_ARGUMENT) and by `xopstream cache` (exit 2, usage); both
// usages name the form. That the spec really makes a retaining MemoryCache is
// checked on openCache, the function both commands open their cache with
// (test/cache-spec.test.ts).

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { ROOT_ID_HEADER } from '../src/index.js';
import { bytesOf } from './support/cache-contract.js';
import { projectRoot } from './support/corpus.js';
import { buildMessage, post, receivedSummary, tempDir } from './support/receive.js';

const bin = path.join(projectRoot, 'bin', 'xopstream.js');
const cwd = tempDir('cli-cache-spec');
after(() => fs.rmSync(cwd, { recursive: true, force: true }));

/** The environment without $XOPSTREAM_CACHE (unless given). */
function envWith(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  if (extra['XOPSTREAM_CACHE'] === undefined) delete env['XOPSTREAM_CACHE'];
  return env;
}

function cli(args: string[], extra: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, env: envWith(extra) });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** Runs `xopstream serve ARGS`, POSTs one SwA message with a 200 kB attachment, stops it with SIGTERM. */
async function serveOnce(args: string[], extra: Record<string, string> = {}): Promise<{ line: string; rootId: string | null }> {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', ...args], { cwd, env: envWith(extra) });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  // 'close', not 'exit': by then stdout and stderr are read to their end.
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  try {
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', () => {
        const match = /^xopstream listening on .*$/m.exec(out);
        if (match !== null) resolve(match[0]);
      });
      void exit.then((code) => reject(new Error(`serve exited (${code}) before listening: ${err}`)));
    });
    const url = /listening on (http:\/\/[^ ]+)/.exec(line)![1]! + '/';
    const message = buildMessage('swa', '1.1', [{ contentId: 'big@x', contentType: 'application/octet-stream', body: bytesOf(7, 200_000) }]);
    const response = await post(url, message.body, message.contentType, { chunkSize: 64 * 1024 });
    assert.equal(response.status, 200, response.body.toString());
    const rootId = (response.headers[ROOT_ID_HEADER.toLowerCase()] as string | undefined) ?? null;
    assert.equal(receivedSummary(response.body).rootDocumentId, rootId);
    return { line, rootId };
  } finally {
    child.kill('SIGTERM');
    const code = await exit;
    assert.equal(code, 0, err);
    // Read only after the exit: stdout is a pipe of its own, it may trail the HTTP answer.
    assert.match(out, /^received [0-9a-f-]{36}: SOAP 1\.1 \{urn:store\}store, 1 attachment \(200000 bytes\)$/m);
    assert.match(out, /xopstream: SIGTERM, closing\nxopstream: closed\n$/);
  }
}

test('serve --cache memory:retain-views: listens on a retaining memory cache and stores a message', async () => {
  const served = await serveOnce(['--cache', 'memory:retain-views']);
  assert.match(served.line, /^xopstream listening on http:\/\/127\.0\.0\.1:\d+ \(cache: memory:retain-views\)$/);
  assert.match(served.rootId ?? '', /^[0-9a-f-]{36}$/);
});

test('serve takes memory:retain-views from $XOPSTREAM_CACHE too; plain memory stays plain', async () => {
  const viaEnv = await serveOnce([], { XOPSTREAM_CACHE: 'memory:retain-views' });
  assert.match(viaEnv.line, /\(cache: memory:retain-views\)$/);
  const plain = await serveOnce(['--cache=memory']);
  assert.match(plain.line, /\(cache: memory\)$/);
});

test('an unknown memory option is refused naming it: serve exits 1 (ERR_BAD_ARGUMENT), cache exits 2', () => {
  const served = cli(['serve', '--port', '0', '--cache', 'memory:retain-view']);
  assert.equal(served.status, 1, served.stderr);
  assert.match(served.stderr, /^ERR_BAD_ARGUMENT: bad cache spec "memory:retain-view": unknown memory option "retain-view" \(use file:DIR, memory\[:retain-views\], redis:\/\/HOST:PORT or redis-cluster:redis:\/\/HOST:PORT\[,\.\.\.\]\)$/m);
  const listed = cli(['cache', 'list', randomUUID(), '--cache', 'memory:zero-copy']);
  assert.equal(listed.status, 2, listed.stderr);
  assert.match(listed.stderr, /^xopstream cache: bad cache spec "memory:zero-copy": unknown memory option "zero-copy"/);
  assert.match(listed.stderr, /^usage: xopstream cache list/m, 'the usage follows');
  const fromEnv = cli(['cache', 'sweep'], { XOPSTREAM_CACHE: 'memory:' });
  assert.equal(fromEnv.status, 2);
  assert.match(fromEnv.stderr, /an empty option after memory:/);
});

test('cache with --cache memory:retain-views runs (a fresh process: nothing stored); both usages name the form', () => {
  const listed = cli(['cache', 'list', randomUUID(), '--cache', 'memory:retain-views', '--json']);
  assert.equal(listed.status, 0, listed.stderr);
  assert.deepEqual(JSON.parse(listed.stdout), []);
  const swept = cli(['cache', 'sweep'], { XOPSTREAM_CACHE: 'memory:retain-views' });
  assert.equal(swept.status, 0, swept.stderr);
  assert.equal(swept.stdout, 'swept 0 expired roots\n');
  assert.match(cli(['cache', '--help']).stdout, /^SPEC: file:DIR \| memory\[:retain-views\] \| redis:\/\/HOST:PORT \| redis-cluster:URL\[,URL\.\.\.\]/m);
  assert.match(cli(['serve', '--help']).stdout, /--cache file:DIR \| memory\[:retain-views\] \| redis:\/\/HOST:PORT \| redis-cluster:URL\[,URL\.\.\.\]\]/);
});
