// Cache specs (`--cache file:DIR | memory[:retain-views] | redis://HOST:PORT | redis-cluster:URL,...`)
// and root id / Content-ID validation.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import {
  DEFAULT_CACHE_DIR, describeCacheSpec, ErrorCodes, FileCache, MemoryCache, openCache, parseCacheSpec, RedisCache,
} from '../src/index.js';
import { checkContentId, checkRootId, contentKey, findDocument, hashedName } from '../src/cache/keys.js';
import { bytesOf, metaOf } from './support/cache-contract.js';

test('parseCacheSpec: the three kinds and the default', () => {
  assert.deepEqual(parseCacheSpec(undefined), { kind: 'file', dir: path.resolve(DEFAULT_CACHE_DIR) });
  assert.deepEqual(parseCacheSpec('  '), { kind: 'file', dir: path.resolve('.xopstream-cache') });
  assert.deepEqual(parseCacheSpec('memory'), { kind: 'memory' });
  assert.deepEqual(parseCacheSpec('memory:retain-views'), { kind: 'memory', retainViews: true });
  assert.deepEqual(parseCacheSpec(' memory:retain-views,retain-views '), { kind: 'memory', retainViews: true });
  assert.deepEqual(parseCacheSpec('file:/var/cache/x'), { kind: 'file', dir: '/var/cache/x' });
  assert.deepEqual(parseCacheSpec('file:rel/dir'), { kind: 'file', dir: path.resolve('rel/dir') });
  const dir = path.join(os.tmpdir(), 'a b');
  assert.deepEqual(parseCacheSpec(pathToFileURL(dir).href), { kind: 'file', dir });
  assert.deepEqual(parseCacheSpec('redis://127.0.0.1:6379'), { kind: 'redis', url: 'redis://127.0.0.1:6379' });
  assert.deepEqual(parseCacheSpec('rediss://u:p@cache.example:6380/2'), { kind: 'redis', url: 'rediss://u:p@cache.example:6380/2' });
  assert.deepEqual(parseCacheSpec('redis-cluster:redis://10.0.0.1:7000'), { kind: 'redis-cluster', urls: ['redis://10.0.0.1:7000'] });
  assert.deepEqual(parseCacheSpec('redis-cluster:redis://a:7000,rediss://u:p@b:7001'),
    { kind: 'redis-cluster', urls: ['redis://a:7000', 'rediss://u:p@b:7001'] });
});

test('parseCacheSpec: anything else is ERR_BAD_ARGUMENT naming the accepted forms', () => {
  for (const bad of ['file:', 'redis://', 'redis://:6379', 'postgres://x', 'Memory', '/plain/path', 'file://remote-host/x',
    'memory?retainViews=1', 'memory-retain-views', 'redis-cluster:', 'redis-cluster:a:7000', 'redis-cluster:http://a:7000',
    'redis-cluster:redis://a:7000,', 'redis-cluster:redis://a:7000,redis://', 'redis-cluster://a:7000']) {
    assert.throws(() => parseCacheSpec(bad), (e: Error & { code?: string }) => {
      assert.equal(e.code, ErrorCodes.BAD_ARGUMENT, bad);
      assert.match(e.message, /file:DIR, memory\[:retain-views\], redis:\/\/HOST:PORT or redis-cluster:redis:\/\/HOST:PORT\[,\.\.\.\]/);
      return true;
    });
  }
});

test('parseCacheSpec: a memory option it does not know is ERR_BAD_ARGUMENT naming that option', () => {
  const cases: Array<[string, RegExp]> = [
    ['memory:retainViews', /unknown memory option "retainViews"/],
    ['memory:retain-views,max-bytes=5', /unknown memory option "max-bytes=5"/],
    ['memory:RETAIN-VIEWS', /unknown memory option "RETAIN-VIEWS"/],
    ['memory:', /an empty option after memory:/],
    ['memory:retain-views,', /an empty option after memory:/],
  ];
  for (const [bad, why] of cases) {
    assert.throws(() => parseCacheSpec(bad), (e: Error & { code?: string }) => {
      assert.equal(e.code, ErrorCodes.BAD_ARGUMENT, bad);
      assert.match(e.message, why, bad);
      assert.ok(e.message.startsWith(`bad cache spec ${JSON.stringify(bad)}: `), e.message);
      return true;
    });
  }
});

test('openCache(memory:retain-views) keeps a large chunk as given; openCache(memory) copies it', async () => {
  const chunk = bytesOf(1, 100_000); // its own ArrayBuffer: kept under the retain rule
  const stored = async (spec: string): Promise<{ cache: MemoryCache; shares: boolean }> => {
    const cache = await openCache(spec, { maxBytes: 1_000_000 });
    assert.ok(cache instanceof MemoryCache, spec);
    const root = randomUUID();
    await cache.put(metaOf(root, 'big', 0), [chunk]);
    let shares = false;
    let bytes = 0;
    for await (const piece of await cache.open(root, 'big')) {
      shares ||= (piece as Buffer).buffer === chunk.buffer;
      bytes += (piece as Buffer).length;
    }
    assert.equal(bytes, chunk.length, spec);
    assert.equal(cache.maxBytes, 1_000_000, `${spec}: the other options still apply`);
    return { cache, shares };
  };
  const retaining = await stored('memory:retain-views');
  assert.equal(retaining.cache.retainViews, true);
  assert.equal(retaining.shares, true, 'the stored bytes are the chunk\'s own ArrayBuffer');
  const copying = await stored('memory');
  assert.equal(copying.cache.retainViews, false);
  assert.equal(copying.shares, false, 'the default copies');
  const parsed = await openCache(parseCacheSpec('memory:retain-views'));
  assert.equal((parsed as MemoryCache).retainViews, true, 'a parsed spec carries the option too');
  await Promise.all([retaining.cache.close(), copying.cache.close(), parsed.close()]);
});

test('openCache creates the cache a spec names; describeCacheSpec masks passwords', async () => {
  const memory = await openCache('memory', { maxBytes: 10, ttlMs: null });
  assert.ok(memory instanceof MemoryCache);
  assert.equal((memory as MemoryCache).maxBytes, 10);
  const pooled = await openCache('memory', { maxPooledBytes: 3 * 64 * 1024, poolIdleMs: null });
  assert.equal((pooled as MemoryCache).maxPooledBytes, 3 * 64 * 1024, 'the pool bound reaches the MemoryCache');
  await pooled.close();
  const dir = path.join(os.tmpdir(), 'xopstream-spec-test');
  const file = await openCache(`file:${dir}`, { fsync: false, ttlMs: 5, clock: () => 0 });
  assert.ok(file instanceof FileCache);
  assert.equal((file as FileCache).dir, dir);
  const redis = await openCache({ kind: 'redis', url: 'redis://127.0.0.1:1' }, { keyPrefix: 'p:' });
  assert.ok(redis instanceof RedisCache);
  await redis.close(); // never connected: nothing to release
  assert.ok((await openCache(undefined)) instanceof FileCache);
  assert.equal(describeCacheSpec({ kind: 'memory' }), 'memory');
  assert.equal(describeCacheSpec(parseCacheSpec('memory:retain-views')), 'memory:retain-views');
  assert.equal(describeCacheSpec({ kind: 'file', dir: '/x' }), 'file:/x');
  assert.equal(describeCacheSpec(parseCacheSpec('redis://user:secret@h:1/0')), 'redis://user:***@h:1/0');
  assert.equal(describeCacheSpec(parseCacheSpec('redis://h:1')), 'redis://h:1');
  assert.equal(describeCacheSpec(parseCacheSpec('redis-cluster:redis://a:1,redis://u:secret@b:2')),
    'redis-cluster:redis://a:1,redis://u:***@b:2');
  const clustered = await openCache('redis-cluster:redis://127.0.0.1:1,redis://127.0.0.1:2', { keyPrefix: 'p:' });
  assert.ok(clustered instanceof RedisCache);
  await clustered.close(); // never connected: nothing to release
});

test('root ids: UUIDs and [A-Za-z0-9_-] up to 128; nothing else', () => {
  for (const good of ['0b8e2c1e-5d6f-4a7b-9c0d-1e2f3a4b5c6d', 'A', 'root_1-x', 'a'.repeat(128)]) {
    assert.equal(checkRootId(good), good);
  }
  for (const bad of ['', '-lead', '_lead', 'a.b', 'a/b', 'a\\b', '..', 'a\u0000', 'a b', '{x}', 'a*', 'é', 'a'.repeat(129), 5, null]) {
    assert.throws(() => checkRootId(bad), { code: ErrorCodes.CACHE_BAD_KEY }, String(bad));
  }
});

test('content ids: strings and part indexes, kept apart; names are hashes', () => {
  assert.equal(checkContentId('x'), 'x');
  assert.equal(checkContentId(0), 0);
  for (const bad of ['', -1, 1.5, Number.NaN, 2 ** 53, 'x'.repeat(4097), {}, undefined]) {
    assert.throws(() => checkContentId(bad), { code: ErrorCodes.CACHE_BAD_KEY }, String(bad));
  }
  assert.equal(contentKey(3), 'n:3');
  assert.equal(contentKey('3'), 's:3');
  assert.notEqual(hashedName(3), hashedName('3'));
  assert.match(hashedName('../../etc/passwd'), /^[0-9a-f]{64}$/);
});

test('findDocument: exact first, then <id>, then a decimal string as a part index', () => {
  const doc = (id: string | number, index: number) => ({
    properties: { wss_root_document_id: 'r', wss_attachment_content_id: id, wss_attachment_content_type: 't' },
    index, size: 0, xxh64: '0', contentLocation: null, contentTransferEncoding: null, referencedBy: [], storedAt: 0,
    expiresAt: null,
  });
  const docs = [doc('a@b', 0), doc(1, 1), doc('<weird>', 2), doc('2', 3), doc(2, 4)];
  assert.equal(findDocument(docs, 'a@b')?.index, 0);
  assert.equal(findDocument(docs, '<a@b>')?.index, 0);
  assert.equal(findDocument(docs, '<weird>')?.index, 2, 'an exact match wins over stripping');
  assert.equal(findDocument(docs, '1')?.index, 1);
  assert.equal(findDocument(docs, '2')?.index, 3, 'a string Content-ID "2" wins over index 2');
  assert.equal(findDocument(docs, 2)?.index, 4);
  assert.equal(findDocument(docs, '01'), undefined, 'not a canonical decimal');
  assert.equal(findDocument(docs, '<>'), undefined);
  assert.equal(findDocument(docs, 9), undefined);
});

test('checkMeta: fills defaults, copies, and refuses malformed meta', async () => {
  const { checkMeta } = await import('../src/cache/keys.js');
  const props = { wss_root_document_id: 'r', wss_attachment_content_id: 'c', wss_attachment_content_type: '' };
  const refs = [{ element: '{u}e', path: '/E/B/e', kind: 'swaRef' as const }];
  const checked = checkMeta({ properties: props, index: 0, contentLocation: null, contentTransferEncoding: null, referencedBy: refs }, 'r');
  assert.equal(checked.properties.wss_attachment_content_type, 'application/octet-stream');
  assert.deepEqual(checked.referencedBy, refs);
  assert.notEqual(checked.referencedBy[0], refs[0]);
  const loose = checkMeta({ properties: { ...props, wss_attachment_content_type: undefined as unknown as string }, index: 3 } as never, 'r');
  assert.equal(loose.contentLocation, null);
  assert.deepEqual(loose.referencedBy, []);
  const bad: Array<[unknown, string]> = [
    [null, ErrorCodes.BAD_ARGUMENT],
    [{ index: 0 }, ErrorCodes.BAD_ARGUMENT],
    [{ properties: { ...props, wss_root_document_id: 'other' }, index: 0 }, ErrorCodes.CACHE_BAD_KEY],
    [{ properties: { ...props, wss_attachment_content_type: 5 }, index: 0 }, ErrorCodes.BAD_ARGUMENT],
    [{ properties: props, index: 0, contentLocation: 7 }, ErrorCodes.BAD_ARGUMENT],
    [{ properties: props, index: 0, referencedBy: 'x' }, ErrorCodes.BAD_ARGUMENT],
    [{ properties: props, index: 0, referencedBy: [{ element: 'e', path: 'p', kind: 'other' }] }, ErrorCodes.BAD_ARGUMENT],
    [{ properties: props, index: 0, referencedBy: [null] }, ErrorCodes.BAD_ARGUMENT],
  ];
  for (const [meta, code] of bad) assert.throws(() => checkMeta(meta as never, 'r'), { code }, JSON.stringify(meta));
});
