// FileCache (the embedded default): the contract suite, plus what only a file
// system shows: the layout (no id ever in a path), atomic renames, restarts,
// stale staging, a full disk (RLIMIT_FSIZE in a child process) and fsync.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { ErrorCodes, FileCache, type DocumentCache } from '../src/index.js';
import { bytesOf, cacheContract, metaOf, readAll, rejectsWith } from './support/cache-contract.js';
import { projectRoot } from './support/corpus.js';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'xopstream-file-cache-'));
after(() => fs.rmSync(base, { recursive: true, force: true }));
let counter = 0;
const freshDir = (): string => path.join(base, `c${counter++}`);

/** Every path under `dir`, relative, sorted. */
function walk(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const rel = path.join(prefix, entry.name);
    out.push(rel);
    if (entry.isDirectory()) out.push(...walk(path.join(dir, entry.name), rel));
  }
  return out.sort();
}

function tmpEntries(cache: DocumentCache): string[] {
  const tmp = path.join((cache as FileCache).dir, '.tmp');
  return fs.existsSync(tmp) ? fs.readdirSync(tmp) : [];
}

cacheContract('FileCache', () => ({
  make: async (options = {}) => new FileCache({ dir: freshDir(), fsync: false, ...options }),
  reopen: async (cache) => new FileCache({ dir: (cache as FileCache).dir }),
  leftovers: async (cache) => tmpEntries(cache).length,
  // The staging directories vanish under a writer (an operator's rm, a lost mount): the put's completion fails.
  breakSink: async (cache) => {
    for (const name of tmpEntries(cache)) fs.rmSync(path.join((cache as FileCache).dir, '.tmp', name), { recursive: true });
    return async () => undefined;
  },
}));

test('FileCache: layout is <root>/meta.json and <sha256>.bin; hostile ids never reach a path', async () => {
  const dir = freshDir();
  const cache = new FileCache({ dir, fsync: false });
  const root = randomUUID();
  const writer = await cache.begin(root);
  const hostile = ['../../../../etc/passwd', 'a/b', 'x\u0000y', '..', '/abs', 'C:\\x'];
  for (const [i, id] of hostile.entries()) {
    await writer.put(metaOf(root, id, i, { contentLocation: '../../escape' }), [Buffer.from(String(i))]);
  }
  await writer.put(metaOf(root, 6, 6), [Buffer.from('index')]);
  await writer.commit();
  const entries = walk(dir);
  assert.deepEqual(entries.filter((e) => !e.startsWith(root + path.sep) && e !== root), ['.tmp']);
  const files = entries.filter((e) => e.startsWith(root + path.sep)).map((e) => e.slice(root.length + 1));
  assert.equal(files.length, hostile.length + 2);
  for (const f of files) assert.match(f, /^(meta\.json|[0-9a-f]{64}\.bin)$/);
  assert.deepEqual(fs.readdirSync(path.join(dir, '.tmp')), []);
  // Nothing was written outside the cache directory.
  assert.equal(fs.existsSync(path.join(dir, '..', 'escape')), false);
  await cache.close();
});

test('FileCache: commit renames the staging directory into place; nothing partial is ever visible', async () => {
  const dir = freshDir();
  const cache = new FileCache({ dir, fsync: true });
  const root = randomUUID();
  const writer = await cache.begin(root);
  await writer.put(metaOf(root, 'a', 0), [bytesOf(1, 200_000)]);
  assert.equal(fs.existsSync(path.join(dir, root)), false, 'no root directory before commit');
  const staging = fs.readdirSync(path.join(dir, '.tmp'));
  assert.equal(staging.length, 1);
  assert.match(staging[0]!, new RegExp(`^${root}\\.[0-9a-f]{16}$`));
  const stagedFiles = fs.readdirSync(path.join(dir, '.tmp', staging[0]!));
  assert.equal(stagedFiles.length, 1);
  assert.match(stagedFiles[0]!, /^[0-9a-f]{64}\.bin$/, 'a completed body has been renamed from .part');
  await writer.commit();
  assert.deepEqual(fs.readdirSync(path.join(dir, '.tmp')), []);
  const meta = JSON.parse(fs.readFileSync(path.join(dir, root, 'meta.json'), 'utf8')) as { version: number; documents: unknown[] };
  assert.equal(meta.version, 1);
  assert.equal(meta.documents.length, 1);
  await cache.close();
});

test('FileCache: while a body streams, only a .part file exists, in the staging directory', async () => {
  const dir = freshDir();
  const cache = new FileCache({ dir, fsync: false });
  const root = randomUUID();
  const writer = await cache.begin(root);
  let seen: string[] = [];
  async function* body(): AsyncGenerator<Uint8Array> {
    yield bytesOf(1, 100_000);
    const [staging] = fs.readdirSync(path.join(dir, '.tmp'));
    seen = fs.readdirSync(path.join(dir, '.tmp', staging!));
    yield bytesOf(2, 100_000);
  }
  await writer.put(metaOf(root, 'x', 0), body());
  assert.equal(seen.length, 1);
  assert.match(seen[0]!, /^[0-9a-f]{64}\.part$/);
  await writer.abort();
  assert.deepEqual(fs.readdirSync(path.join(dir, '.tmp')), []);
  await cache.close();
});

test('FileCache: sweep removes expired roots and stale staging directories, not live ones', async () => {
  const dir = freshDir();
  let now = Date.now();
  const cache = new FileCache({ dir, fsync: false, ttlMs: 60_000, staleTempMs: 10_000, clock: () => now });
  const old = randomUUID();
  await cache.put(metaOf(old, 'a', 0), [Buffer.from('old')]);
  now += 30_000;
  const young = randomUUID();
  await cache.put(metaOf(young, 'a', 0), [Buffer.from('young')]);
  // A crashed writer's staging directory and a leftover trash directory, both an hour old.
  const crashed = path.join(dir, '.tmp', `${randomUUID()}.0123456789abcdef`);
  fs.mkdirSync(crashed);
  fs.writeFileSync(path.join(crashed, 'x.part'), 'partial');
  const hourAgo = new Date(Date.now() - 3600_000);
  fs.utimesSync(path.join(crashed, 'x.part'), hourAgo, hourAgo);
  fs.utimesSync(crashed, hourAgo, hourAgo);
  // A live writer's staging directory, also old by mtime: must survive.
  const live = await cache.begin(randomUUID());
  const [liveDir] = fs.readdirSync(path.join(dir, '.tmp')).filter((n) => path.join(dir, '.tmp', n) !== crashed);
  fs.utimesSync(path.join(dir, '.tmp', liveDir!), hourAgo, hourAgo);
  // Junk that is not a root id is left alone.
  fs.writeFileSync(path.join(dir, 'README.txt'), 'not a root');

  now += 40_000; // old expired (70 s), young not (40 s)
  assert.equal(await cache.sweep(), 1);
  assert.equal(fs.existsSync(path.join(dir, old)), false);
  assert.equal((await cache.list(young)).length, 1);
  assert.equal(fs.existsSync(crashed), false, 'stale staging removed');
  assert.equal(fs.existsSync(path.join(dir, '.tmp', liveDir!)), true, 'a live writer keeps its staging directory');
  assert.equal(fs.existsSync(path.join(dir, 'README.txt')), true);
  await live.abort();
  await cache.close();
  assert.equal(await new FileCache({ dir: path.join(dir, 'missing') }).sweep(), 0);
});

test('FileCache: an expired root is invisible before sweep and replaced by a new commit', async () => {
  const dir = freshDir();
  let now = 1_000_000;
  const cache = new FileCache({ dir, fsync: false, ttlMs: 1000, clock: () => now });
  const root = randomUUID();
  await cache.put(metaOf(root, 'a', 0), [Buffer.from('old')]);
  now += 5000;
  assert.deepEqual(await cache.list(root), []);
  await rejectsWith(cache.open(root, 'a'), ErrorCodes.CACHE_NOT_FOUND);
  await cache.put(metaOf(root, 'a', 0), [Buffer.from('new')]);
  assert.equal((await readAll(await cache.open(root, 'a'))).toString(), 'new');
  await cache.close();
});

test('FileCache: a disk that fills up mid-put (RLIMIT_FSIZE) fails typed and leaves nothing', () => {
  const dir = freshDir();
  fs.mkdirSync(dir);
  const root = randomUUID();
  const kept = randomUUID();
  // The child commits one small message, then streams a 4 MiB attachment into a
  // file-size limit of 1 MiB: the kernel answers EFBIG (Node ignores SIGXFSZ).
  const script = `
    import { FileCache } from ${JSON.stringify(path.join(projectRoot, 'dist/src/index.js'))};
    const cache = new FileCache({ dir: ${JSON.stringify(dir)} });
    const meta = (root, id, index) => ({ properties: { wss_root_document_id: root, wss_attachment_content_id: id,
      wss_attachment_content_type: 'application/octet-stream' }, index, contentLocation: null, contentTransferEncoding: null });
    await cache.put(meta(${JSON.stringify(kept)}, 'small', 0), [Buffer.alloc(1000, 1)]);
    const writer = await cache.begin(${JSON.stringify(root)});
    await writer.put(meta(${JSON.stringify(root)}, 'first', 0), [Buffer.alloc(1000, 2)]);
    async function* big() { for (let i = 0; i < 64; i++) yield Buffer.alloc(65536, i); }
    try {
      await writer.put(meta(${JSON.stringify(root)}, 'big', 1), big());
      console.log(JSON.stringify({ ok: true }));
    } catch (error) {
      console.log(JSON.stringify({ code: error.code, cause: error.cause?.code, list: await cache.list(${JSON.stringify(root)}) }));
    }
  `;
  const result = spawnSync('/bin/sh', ['-c', 'ulimit -f 1024; exec "$0" --input-type=module -e "$1"', process.execPath, script],
    { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  const outcome = JSON.parse(result.stdout.trim()) as { code: string; cause: string; list: unknown[] };
  assert.equal(outcome.code, ErrorCodes.CACHE_SINK_FAILED);
  assert.equal(outcome.cause, 'EFBIG');
  assert.deepEqual(outcome.list, []);
  const cache = new FileCache({ dir });
  return (async () => {
    assert.deepEqual(await cache.list(root), []);
    assert.equal((await cache.list(kept)).length, 1);
    assert.deepEqual(fs.readdirSync(path.join(dir, '.tmp')), [], 'the failed message left no staging behind');
    await cache.close();
  })();
});

test('FileCache: a cache directory that cannot be created is ERR_CACHE_SINK_FAILED', async () => {
  const file = path.join(base, `plain-file-${counter++}`);
  fs.writeFileSync(file, 'not a directory');
  const cache = new FileCache({ dir: path.join(file, 'cache') });
  await rejectsWith(cache.begin(randomUUID()), ErrorCodes.CACHE_SINK_FAILED);
  await rejectsWith(cache.begin(randomUUID()), ErrorCodes.CACHE_SINK_FAILED); // retried, not cached
  assert.deepEqual(await cache.list(randomUUID()), []);
  await cache.close();
});

test('FileCache: corrupt or foreign metadata is ERR_CACHE_SINK_FAILED, and sweep leaves it alone', async () => {
  const dir = freshDir();
  const cache = new FileCache({ dir, fsync: false });
  const corrupt = randomUUID();
  fs.mkdirSync(path.join(dir, corrupt), { recursive: true });
  fs.writeFileSync(path.join(dir, corrupt, 'meta.json'), '{ not json');
  await rejectsWith(cache.list(corrupt), ErrorCodes.CACHE_SINK_FAILED);
  const foreign = randomUUID();
  fs.mkdirSync(path.join(dir, foreign));
  fs.writeFileSync(path.join(dir, foreign, 'meta.json'), '{"version": 99, "documents": []}');
  await rejectsWith(cache.list(foreign), ErrorCodes.CACHE_SINK_FAILED);
  assert.equal(await cache.sweep(Date.now() + 1e12), 0);
  assert.equal(fs.existsSync(path.join(dir, corrupt)), true);
  assert.equal(await cache.delete(corrupt), true, 'an operator can still delete it');
  await cache.close();
});

test('FileCache: a body file that vanished is ERR_CACHE_NOT_FOUND on open', async () => {
  const dir = freshDir();
  const cache = new FileCache({ dir, fsync: false });
  const root = randomUUID();
  await cache.put(metaOf(root, 'a', 0), [Buffer.from('x')]);
  for (const f of fs.readdirSync(path.join(dir, root))) if (f.endsWith('.bin')) fs.rmSync(path.join(dir, root, f));
  await rejectsWith(cache.open(root, 'a'), ErrorCodes.CACHE_NOT_FOUND);
  await cache.close();
});

test('FileCache: small chunks are coalesced, large ones written through; the bytes are exact', async () => {
  const dir = freshDir();
  const cache = new FileCache({ dir, fsync: false, writeBufferBytes: 1024, readHighWaterMark: 100 });
  const root = randomUUID();
  const bytes = bytesOf(9, 50_000);
  const pieces: Uint8Array[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const n = [1, 7, 300, 2000, 255, 5000][i % 6]!;
    pieces.push(bytes.subarray(at, Math.min(bytes.length, at + n)));
    at += n;
  }
  await cache.put(metaOf(root, 'a', 0), pieces);
  const stream = await cache.open(root, 'a');
  let largest = 0;
  const parts: Buffer[] = [];
  for await (const p of stream) {
    largest = Math.max(largest, (p as Buffer).length);
    parts.push(p as Buffer);
  }
  assert.ok(Buffer.concat(parts).equals(bytes));
  assert.ok(largest <= 100, 'open() honours readHighWaterMark');
  await cache.close();
});

test('FileCache: bad options are refused', () => {
  assert.throws(() => new FileCache({ dir: '' }), { code: ErrorCodes.BAD_ARGUMENT });
  assert.throws(() => new FileCache(undefined as unknown as { dir: string }), { code: ErrorCodes.BAD_ARGUMENT });
  assert.throws(() => new FileCache({ dir: 'x', writeBufferBytes: 0 }), { code: ErrorCodes.BAD_ARGUMENT });
  assert.throws(() => new FileCache({ dir: 'x', staleTempMs: -5 }), { code: ErrorCodes.BAD_ARGUMENT });
});

test('FileCache: two instances committing into one root in turn merge', async () => {
  const dir = freshDir();
  const a = new FileCache({ dir, fsync: false });
  const b = new FileCache({ dir, fsync: false });
  const root = randomUUID();
  const wa = await a.begin(root);
  const wb = await b.begin(root);
  await wa.put(metaOf(root, 'from-a', 0), [Buffer.from('A')]);
  await wb.put(metaOf(root, 'from-b', 1), [Buffer.from('B')]);
  await wa.commit(); // creates the root by renaming its staging directory
  await wb.commit(); // finds the root there and merges into it
  assert.deepEqual((await a.list(root)).map((d) => d.properties.wss_attachment_content_id), ['from-a', 'from-b']);
  assert.equal((await readAll(await b.open(root, 'from-a'))).toString(), 'A');
  assert.deepEqual(fs.readdirSync(path.join(dir, '.tmp')), []);
  await a.close();
  await b.close();
});

test('FileCache: files are private to the server user (0600)', async () => {
  const dir = freshDir();
  const cache = new FileCache({ dir, fsync: false });
  const root = randomUUID();
  await cache.put(metaOf(root, 'a', 0), [Buffer.from('secret')]);
  for (const f of fs.readdirSync(path.join(dir, root))) {
    assert.equal(fs.statSync(path.join(dir, root, f)).mode & 0o777, 0o600, f);
  }
  await cache.close();
});
