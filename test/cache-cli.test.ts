// `xopstream cache list|get|delete|sweep`, run as an operator runs it
// (`node bin/xopstream.js cache ...`, after `npm run build`) against caches
// filled through the API: a FileCache directory, the default directory, Redis.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { FileCache, RedisCache, type AttachmentDocument } from '../src/index.js';
import { bytesOf, metaOf } from './support/cache-contract.js';
import { projectRoot, SHARED_CORPUS_ABSENT, sharedBinaryFiles, sharedCorpusDir } from './support/corpus.js';
import { redisUnavailableReason, startPrivateRedis } from './support/redis-server.js';

interface Run { code: number | null; stdout: Buffer; stderr: string }

function cli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...options.env };
    if (options.env?.['XOPSTREAM_CACHE'] === undefined) delete env['XOPSTREAM_CACHE'];
    const child = spawn(process.execPath, [path.join(projectRoot, 'bin', 'xopstream.js'), 'cache', ...args],
      { cwd: options.cwd ?? projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
  });
}

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'xopstream-cache-cli-'));
after(() => fs.rmSync(base, { recursive: true, force: true }));

/** A FileCache directory with one message: a PDF-typed body by Content-ID, a JPEG-typed one by index. */
async function prepared(dir: string): Promise<{ root: string; first: Buffer; second: Buffer; docs: AttachmentDocument[] }> {
  const cache = new FileCache({ dir, fsync: false });
  const root = randomUUID();
  const first = bytesOf(1, 150_000);
  const second = bytesOf(2, 3000);
  const writer = await cache.begin(root);
  await writer.put(metaOf(root, 'report@example.org', 0, {
    properties: { wss_root_document_id: root, wss_attachment_content_id: 'report@example.org',
      wss_attachment_content_type: 'application/pdf' },
    contentTransferEncoding: 'binary',
    referencedBy: [{ element: '{urn:example}report', path: '/Envelope/Body/submit/report', kind: 'xop' }],
  }), [first]);
  await writer.put(metaOf(root, 1, 1, {
    properties: { wss_root_document_id: root, wss_attachment_content_id: 1, wss_attachment_content_type: 'image/jpeg' },
    contentLocation: 'photo.jpg',
  }), [second]);
  await writer.commit();
  const docs = await cache.list(root);
  await cache.close();
  return { root, first, second, docs };
}

test('cache list --json prints the attachment documents exactly as the API lists them', async () => {
  const dir = path.join(base, 'list');
  const { root, docs } = await prepared(dir);
  const run = await cli(['list', root, '--cache', `file:${dir}`, '--json']);
  assert.equal(run.code, 0, run.stderr);
  const listed = JSON.parse(run.stdout.toString('utf8')) as AttachmentDocument[];
  assert.deepEqual(listed, docs);
  assert.deepEqual(listed.map((d) => d.properties), [
    { wss_root_document_id: root, wss_attachment_content_id: 'report@example.org', wss_attachment_content_type: 'application/pdf' },
    { wss_root_document_id: root, wss_attachment_content_id: 1, wss_attachment_content_type: 'image/jpeg' },
  ]);
  assert.equal(listed[0]!.size, 150_000);
  assert.match(listed[0]!.xxh64, /^[0-9a-f]{16}$/);
  assert.deepEqual(Object.keys(listed[0]!).slice(0, 3), ['properties', 'size', 'xxh64']);

  const text = await cli(['list', root, `--cache=file:${dir}`]);
  assert.equal(text.code, 0, text.stderr);
  const lines = text.stdout.toString('utf8').split('\n');
  assert.match(lines[0]!, new RegExp(`^root ${root} \\(2 attachments, expires \\d{4}-`));
  assert.match(lines[2]!, /^0\s+<report@example\.org>\s+application\/pdf\s+150000\s+[0-9a-f]{16}$/);
  assert.match(lines[3]!, /^1\s+#1\s+image\/jpeg\s+3000\s+[0-9a-f]{16}$/);

  const unknown = randomUUID();
  const empty = await cli(['list', unknown, '--cache', `file:${dir}`, '--json']);
  assert.equal(empty.code, 0);
  assert.deepEqual(JSON.parse(empty.stdout.toString('utf8')), []);
  const emptyText = await cli(['list', unknown, '--cache', `file:${dir}`]);
  assert.equal(emptyText.stdout.toString('utf8'), `no attachment documents under ${unknown}\n`);
});

test('cache get writes the attachment bytes to stdout, by Content-ID, <Content-ID> or part index', async () => {
  const dir = path.join(base, 'get');
  const { root, first, second } = await prepared(dir);
  for (const id of ['report@example.org', '<report@example.org>']) {
    const run = await cli(['get', root, id, '--cache', `file:${dir}`]);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(run.stdout.equals(first), id);
  }
  const byIndex = await cli(['get', root, '1', '--cache', `file:${dir}`]);
  assert.ok(byIndex.stdout.equals(second));
  const missing = await cli(['get', root, 'nope@example.org', '--cache', `file:${dir}`]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^ERR_CACHE_NOT_FOUND: /);
  assert.equal(missing.stdout.length, 0);
});

test('cache get of a real PDF and JPEG: the bytes that come out are the bytes that went in (sha256)', async (t) => {
  if (sharedCorpusDir === null) {
    t.skip(SHARED_CORPUS_ABSENT);
    return;
  }
  const dir = path.join(base, 'real');
  const cache = new FileCache({ dir });
  const root = randomUUID();
  const files = [sharedBinaryFiles('pdf')[0]!, sharedBinaryFiles('jpeg')[0]!];
  const writer = await cache.begin(root);
  for (const [i, file] of files.entries()) {
    await writer.put(metaOf(root, `f${i}@corpus`, i), fs.createReadStream(file));
  }
  await writer.commit();
  await cache.close();
  for (const [i, file] of files.entries()) {
    const run = await cli(['get', root, `f${i}@corpus`, '--cache', `file:${dir}`]);
    assert.equal(run.code, 0, run.stderr);
    const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
    assert.equal(sha(run.stdout), sha(fs.readFileSync(file)), file);
  }
});

test('cache delete removes the root; a second delete says there was nothing', async () => {
  const dir = path.join(base, 'delete');
  const { root } = await prepared(dir);
  const run = await cli(['delete', root, '--cache', `file:${dir}`]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.toString('utf8'), `deleted ${root}\n`);
  assert.equal(fs.existsSync(path.join(dir, root)), false);
  const again = await cli(['delete', root, '--cache', `file:${dir}`]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /ERR_CACHE_NOT_FOUND/);
  const listed = await cli(['list', root, '--cache', `file:${dir}`, '--json']);
  assert.deepEqual(JSON.parse(listed.stdout.toString('utf8')), []);
});

test('cache sweep removes expired roots', async () => {
  const dir = path.join(base, 'sweep');
  const cache = new FileCache({ dir, ttlMs: 1, fsync: false });
  const root = randomUUID();
  await cache.put(metaOf(root, 'a', 0), [Buffer.from('x')]);
  await cache.close();
  await new Promise((r) => setTimeout(r, 10));
  const run = await cli(['sweep', '--cache', `file:${dir}`]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.toString('utf8'), 'swept 1 expired root\n');
  assert.equal(fs.existsSync(path.join(dir, root)), false);
});

test('the default cache is ./.xopstream-cache (or $XOPSTREAM_CACHE)', async () => {
  const cwd = path.join(base, 'cwd');
  fs.mkdirSync(cwd);
  const { root, second } = await prepared(path.join(cwd, '.xopstream-cache'));
  const run = await cli(['get', root, '1'], { cwd });
  assert.equal(run.code, 0, run.stderr);
  assert.ok(run.stdout.equals(second));
  const elsewhere = path.join(base, 'env');
  const other = await prepared(elsewhere);
  const viaEnv = await cli(['list', other.root, '--json'], { cwd, env: { XOPSTREAM_CACHE: `file:${elsewhere}` } });
  assert.equal((JSON.parse(viaEnv.stdout.toString('utf8')) as unknown[]).length, 2);
});

test('cache: usage errors exit 2, bad keys exit 1 with their code', async () => {
  const dir = path.join(base, 'usage');
  const cases: Array<[string[], number, RegExp]> = [
    [[], 2, /give an action/],
    [['frobnicate'], 2, /unknown action/],
    [['list'], 2, /list takes ROOT_ID/],
    [['get', 'a'], 2, /get takes ROOT_ID CONTENT_ID/],
    [['sweep', 'x'], 2, /sweep takes no operands/],
    [['get', 'a', 'b', '--json'], 2, /--json applies to list only/],
    [['list', 'a', '--cache'], 2, /--cache needs a value/],
    [['list', 'a', '--cache', 'ftp://x'], 2, /bad cache spec/],
    [['list', 'a', '--verbose'], 2, /unknown option --verbose/],
    [['list', '../../etc', '--cache', `file:${dir}`], 1, /^ERR_CACHE_BAD_KEY: /],
    [['get', randomUUID(), '', '--cache', `file:${dir}`], 1, /^ERR_CACHE_BAD_KEY: /],
  ];
  for (const [args, code, message] of cases) {
    const run = await cli(args);
    assert.equal(run.code, code, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, message, args.join(' '));
  }
  const help = await cli(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout.toString('utf8'), /^usage: xopstream cache list ROOT_ID/);
  assert.equal(fs.existsSync(path.join(dir, '..', '..', 'etc')), false);
});

test('cache: a Content-ID after -- may look like an option', async () => {
  const dir = path.join(base, 'dashdash');
  const cache = new FileCache({ dir, fsync: false });
  const root = randomUUID();
  await cache.put(metaOf(root, '--json', 0), [Buffer.from('dashing')]);
  await cache.close();
  const run = await cli(['get', '--cache', `file:${dir}`, '--', root, '--json']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.toString('utf8'), 'dashing');
});

test('cache list and get against Redis (--cache redis://HOST:PORT)', { skip: redisUnavailableReason() ?? false }, async () => {
  const redis = process.env['REDIS_URL'] ? null : await startPrivateRedis();
  const url = redis?.url ?? process.env['REDIS_URL']!;
  try {
    const cache = new RedisCache({ url });
    const root = randomUUID();
    const body = bytesOf(3, 700_000);
    await cache.put(metaOf(root, 'shared@cluster', 0), [body]);
    const docs = await cache.list(root);
    await cache.close();
    const listed = await cli(['list', root, '--cache', url, '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout.toString('utf8')), docs);
    const got = await cli(['get', root, 'shared@cluster', '--cache', url]);
    assert.ok(got.stdout.equals(body));
    const deleted = await cli(['delete', root, '--cache', url]);
    assert.equal(deleted.code, 0, deleted.stderr);
  } finally {
    await redis?.stop();
  }
});

test('cache list --cache memory: a fresh process has an empty memory cache', async () => {
  const run = await cli(['list', randomUUID(), '--cache', 'memory', '--json']);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout.toString('utf8')), []);
});
