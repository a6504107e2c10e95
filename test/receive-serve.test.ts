// `xopstream serve` as a process (what `npm start` runs after the build): it
// prints where it listens, stores a POSTed message, `xopstream cache list
// --json` / `cache get` show exactly what arrived, and SIGTERM/SIGINT close it
// cleanly (exit 0).

import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FileCache, ROOT_ID_HEADER } from '../src/index.js';
import { projectRoot, SHARED_CORPUS_ABSENT, sharedBinaryFiles, sharedCorpusDir } from './support/corpus.js';
import { buildMessage, post, receivedSummary, sha256, tempDir } from './support/receive.js';

const bin = path.join(projectRoot, 'bin', 'xopstream.js');

interface Served {
  child: ChildProcessWithoutNullStreams;
  url: string;
  line: string;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

/** Starts `xopstream serve ARGS` and waits for its "listening" line. */
async function serve(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Served> {
  const child = spawn(process.execPath, [bin, 'serve', ...args], { cwd, env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const line = await new Promise<string>((resolve, reject) => {
    const check = (): void => {
      const match = /^xopstream listening on .*$/m.exec(out);
      if (match !== null) resolve(match[0]);
    };
    child.stdout.on('data', check);
    void exit.then((code) => reject(new Error(`serve exited (${code}) before listening: ${err}`)));
  });
  const url = /listening on (http:\/\/[^ ]+)/.exec(line)![1]! + '/';
  return { child, url, line, stdout: () => out, stderr: () => err, exit };
}

function cli(args: string[], cwd: string): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

describe('xopstream serve', () => {
  it('stores a POSTed MTOM message; cache list --json and cache get show exactly what arrived; SIGTERM exits 0', async (t) => {
    if (sharedCorpusDir === null) return t.skip(SHARED_CORPUS_ABSENT);
    const dir = tempDir('serve');
    const cacheDir = path.join(dir, 'cache');
    const jpeg = fs.readFileSync(sharedBinaryFiles('jpeg')[4]!);
    const pdf = fs.readFileSync(sharedBinaryFiles('pdf')[5]!);
    const served = await serve(['--port', '0', '--host', '127.0.0.1', '--cache', `file:${cacheDir}`], dir);
    try {
      assert.match(served.line, new RegExp(`^xopstream listening on http://127\\.0\\.0\\.1:\\d+ \\(cache: file:${cacheDir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\)$`));
      const message = buildMessage('mtom', '1.2', [
        { contentId: 'photo@example.org', contentType: 'image/jpeg', body: jpeg },
        { contentId: 'report@example.org', contentType: 'application/pdf', body: pdf },
      ]);
      const response = await post(served.url, message.body, message.contentType, { chunkSize: 64 * 1024 });
      assert.equal(response.status, 200, response.body.toString());
      const rootId = response.headers[ROOT_ID_HEADER.toLowerCase()] as string;
      assert.equal(receivedSummary(response.body).rootDocumentId, rootId);

      const list = cli(['cache', 'list', rootId, '--cache', `file:${cacheDir}`, '--json'], dir);
      assert.equal(list.status, 0, list.stderr);
      const docs = JSON.parse(list.stdout.toString()) as Array<{ properties: Record<string, unknown>; size: number; xxh64: string }>;
      assert.deepEqual(docs.map((d) => d.properties), [
        { wss_root_document_id: rootId, wss_attachment_content_id: 'photo@example.org', wss_attachment_content_type: 'image/jpeg' },
        { wss_root_document_id: rootId, wss_attachment_content_id: 'report@example.org', wss_attachment_content_type: 'application/pdf' },
      ]);
      assert.deepEqual(docs.map((d) => d.size), [jpeg.length, pdf.length]);
      const get = cli(['cache', 'get', rootId, '<report@example.org>', '--cache', `file:${cacheDir}`], dir);
      assert.equal(get.status, 0, get.stderr);
      assert.equal(sha256(get.stdout), sha256(pdf));

      const refused = await post(served.url, Buffer.from('{}'), 'application/json');
      assert.equal(refused.status, 415);
    } finally {
      served.child.kill('SIGTERM');
    }
    assert.equal(await served.exit, 0);
    assert.match(served.stdout(), /^received [0-9a-f-]{36}: SOAP 1\.2 \{urn:store\}store, 2 attachments/m);
    assert.match(served.stdout(), /xopstream: SIGTERM, closing\nxopstream: closed\n$/);
    assert.match(served.stderr(), /refused \(415\): ERR_MIME_UNSUPPORTED_MEDIA_TYPE/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('defaults to the embedded FileCache in ./.xopstream-cache and $PORT; SIGINT exits 0', async () => {
    const dir = tempDir('serve-default');
    const served = await serve([], dir, { PORT: '0', XOPSTREAM_CACHE: '' });
    try {
      assert.match(served.line, /\(cache: file:.*\/\.xopstream-cache\)$/);
      assert.ok(served.line.includes(`file:${path.join(fs.realpathSync(dir), '.xopstream-cache')}`) ||
        served.line.includes(`file:${path.join(dir, '.xopstream-cache')}`), served.line);
      const message = buildMessage('swa', '1.1', [{ contentId: 'a@x', contentType: 'text/plain', body: Buffer.from('hello') }]);
      const response = await post(served.url, message.body, message.contentType);
      assert.equal(response.status, 200);
      const rootId = response.headers[ROOT_ID_HEADER.toLowerCase()] as string;
      const cache = new FileCache({ dir: path.join(dir, '.xopstream-cache') });
      assert.deepEqual((await cache.list(rootId)).map((d) => d.properties.wss_attachment_content_id), ['a@x']);
      await cache.close();
    } finally {
      served.child.kill('SIGINT');
    }
    assert.equal(await served.exit, 0);
    assert.match(served.stdout(), /xopstream: SIGINT, closing/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses bad arguments with exit 1 and a typed error; --help prints the usage', () => {
    const dir = tempDir('serve-args');
    try {
      const port = cli(['serve', '--port', 'eighty'], dir);
      assert.equal(port.status, 1);
      assert.match(port.stderr, /^ERR_BAD_ARGUMENT: --port must be 0-65535/);
      const unknown = cli(['serve', '--verbose'], dir);
      assert.equal(unknown.status, 1);
      assert.match(unknown.stderr, /unknown option "--verbose"/);
      const spec = cli(['serve', '--cache', 'ftp://x'], dir);
      assert.equal(spec.status, 1);
      assert.match(spec.stderr, /bad cache spec/);
      const mode = cli(['serve', '--fault-status', 'wsi'], dir);
      assert.equal(mode.status, 1);
      assert.match(mode.stderr, /^ERR_BAD_ARGUMENT: --fault-status must be http or soap, got "wsi"/);
      const missing = cli(['serve', '--host'], dir);
      assert.equal(missing.status, 1);
      assert.match(missing.stderr, /--host needs a value/);
      const help = cli(['serve', '--help'], dir);
      assert.equal(help.status, 0);
      assert.match(help.stdout.toString(), /^usage: xopstream serve \[--port N\]/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--fault-status soap answers a malformed SOAP 1.1 message with 500 (the default, 400), still soap:Client', async () => {
    const dir = tempDir('serve-fault-status');
    const malformed = Buffer.from('<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><a><b></a></s:Body></s:Envelope>');
    try {
      for (const [args, status] of [[[], 400], [['--fault-status', 'soap'], 500], [['--fault-status=http'], 400]] as const) {
        const served = await serve(['--port', '0', '--cache', 'memory', ...args], dir);
        try {
          const response = await post(served.url, malformed, 'text/xml; charset=utf-8');
          assert.equal(response.status, status, args.join(' '));
          assert.match(response.body.toString(), /<faultcode>soap:Client<\/faultcode>/);
          // The refusal line is written before the answer, but comes through another pipe: wait for it.
          const line = new RegExp(`refused \\(${status}\\): ERR_XML_MALFORMED`);
          for (let i = 0; i < 100 && !line.test(served.stderr()); i++) await new Promise((resolve) => setTimeout(resolve, 20));
          assert.match(served.stderr(), line);
        } finally {
          served.child.kill('SIGTERM');
        }
        assert.equal(await served.exit, 0);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--allow-bare-lf-delimiters stores an Axis 1.x capture whose bodies end in a bare LF (refused without it); --allow-missing-close-delimiter and --strict reach the receiver', async () => {
    const dir = tempDir('serve-framing');
    const fixture = path.join(projectRoot, 'corpus', 'receive-bare-lf-delimiters-allowed');
    const bytes = fs.readFileSync(path.join(fixture, 'message.bin'));
    const { contentType } = JSON.parse(fs.readFileSync(path.join(fixture, 'expected.json'), 'utf8')) as { contentType: string };
    const unclosed = buildMessage('swa', '1.1', [{ contentId: 'a@x', contentType: 'text/plain', body: Buffer.from('attachment') }]);
    const cut = unclosed.body.subarray(0, unclosed.body.lastIndexOf('\r\n--'));
    // A root part of another version than its media type: a warning, or a refusal under --strict.
    const mismatched = Buffer.from('<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><m:x xmlns:m="urn:m"/></e:Body></e:Envelope>');
    try {
      for (const [args, bareLf, missingClose, strict] of [
        [[], 400, 400, 200], [['--allow-bare-lf-delimiters'], 200, 400, 200],
        [['--allow-missing-close-delimiter', '--strict'], 400, 200, 400],
      ] as const) {
        const served = await serve(['--port', '0', '--cache', 'memory', ...args], dir);
        try {
          const answer = await post(served.url, bytes, contentType);
          assert.equal(answer.status, bareLf, `${args.join(' ')}: ${answer.body.toString()}`);
          if (bareLf === 200) {
            assert.deepEqual(receivedSummary(answer.body).contentIds, ['8F1B2C3D4E5F60718293A4B5C6D7E8F9']);
          }
          assert.equal((await post(served.url, cut, unclosed.contentType)).status, missingClose, `${args.join(' ')}: unclosed`);
          assert.equal((await post(served.url, mismatched, 'text/xml')).status, strict, `${args.join(' ')}: version mismatch`);
        } finally {
          served.child.kill('SIGTERM');
        }
        assert.equal(await served.exit, 0);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a port in use is ERR_NETWORK, exit 1', async () => {
    const dir = tempDir('serve-busy');
    const first = await serve(['--port=0', '--cache=memory'], dir);
    try {
      const port = /:(\d+)\/$/.exec(first.url)![1]!;
      const second = cli(['serve', '--port', port, '--cache', 'memory'], dir);
      assert.equal(second.status, 1);
      assert.match(second.stderr, /^ERR_NETWORK: cannot listen on 127\.0\.0\.1:\d+/);
    } finally {
      first.child.kill('SIGTERM');
      await first.exit;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('npm start builds and runs serve', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts['start'], 'npm run build && node bin/xopstream.js serve');
  });
});
