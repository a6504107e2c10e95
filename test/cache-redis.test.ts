// RedisCache against a real redis-server: the contract suite, plus the key
// layout (one {rootId} hash tag), chunking both ways, expiry on the server,
// and Redis down, hung, out of memory or killed mid-put.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { createClient } from 'redis';
import { ErrorCodes, RedisCache, type DocumentCache, type RedisCacheOptions } from '../src/index.js';
import { bytesOf, cacheContract, metaOf, readAll, rejectsWith } from './support/cache-contract.js';
import { redisForTests, redisUnavailableReason, startPrivateRedis, type TestRedis } from './support/redis-server.js';

const unavailable = redisUnavailableReason();
let server: TestRedis | undefined;
let admin: ReturnType<typeof createClient> | undefined;
const prefixes = new WeakMap<DocumentCache, { prefix: string; url: string }>();

before(async () => {
  if (unavailable !== null) return;
  server = await redisForTests();
  admin = createClient({ url: server.url });
  admin.on('error', () => undefined);
  await admin.connect();
});

after(async () => {
  await admin?.close();
  await server?.stop();
});

function makeCache(options: RedisCacheOptions = {}, url = server!.url): RedisCache {
  const prefix = options.keyPrefix ?? `xt:${randomUUID()}:`;
  const cache = new RedisCache({ url, keyPrefix: prefix, connectTimeoutMs: 2000, commandTimeoutMs: 2000, ...options });
  prefixes.set(cache, { prefix, url });
  return cache;
}

async function keysOf(prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of admin!.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
    out.push(...(Array.isArray(batch) ? batch : [batch]) as string[]);
  }
  return out.sort();
}

/** Body keys that no meta hash references: staging leftovers. */
async function unreferencedBodies(prefix: string): Promise<string[]> {
  const keys = await keysOf(prefix);
  const referenced = new Set<string>();
  for (const key of keys.filter((k) => k.endsWith(':m'))) {
    const base = key.slice(0, -2) + ':b:';
    for (const [field, value] of Object.entries(await admin!.hGetAll(key))) {
      if (field !== '~exp') referenced.add(base + value.slice(0, 32));
    }
  }
  return keys.filter((k) => k.includes(':b:') && !referenced.has(k));
}

cacheContract('RedisCache', () => ({
  make: async (options = {}) => makeCache(options),
  reopen: async (cache) => makeCache({ keyPrefix: prefixes.get(cache)!.prefix }),
  leftovers: async (cache) => (await unreferencedBodies(prefixes.get(cache)!.prefix)).length,
  // Redis out of memory (maxmemory with the default noeviction policy): writes fail, DEL still works.
  ...(server?.private === true ? {
    breakSink: async () => {
      await admin!.configSet('maxmemory', '1');
      return async () => {
        await admin!.configSet('maxmemory', '0');
      };
    },
  } : {}),
}), unavailable);

describe('RedisCache against redis-server', { skip: unavailable ?? false }, () => {
  test('every key of a root is under its {rootId} hash tag; TTLs are set on commit', async () => {
    const cache = makeCache({ ttlMs: 60_000, chunkBytes: 1000 });
    const { prefix } = prefixes.get(cache)!;
    const root = randomUUID();
    const writer = await cache.begin(root);
    await writer.put(metaOf(root, 'a', 0), [bytesOf(1, 10_500)]);
    await writer.put(metaOf(root, 'empty', 1), []);
    const staged = await keysOf(prefix);
    assert.equal(staged.length, 1, 'only the staged body key exists before commit (an empty body has none)');
    const stagingTtl = await admin!.pTTL(staged[0]!);
    assert.ok(stagingTtl > 59 * 60_000 && stagingTtl <= 3600_000, `staging TTL ${stagingTtl}`);
    await writer.commit();
    const keys = await keysOf(prefix);
    assert.equal(keys.length, 2);
    const tag = `${prefix}{${root}}:`;
    for (const key of keys) assert.match(key.slice(tag.length - 0), /^(m|b:[0-9a-f]{32})$/, key);
    for (const key of keys) assert.ok(key.startsWith(tag), key);
    const body = keys.find((k) => k.includes(':b:'))!;
    assert.equal(await admin!.hLen(body), 11, '10 500 bytes in 1000-byte chunks');
    for (let i = 0; i < 11; i++) assert.equal(await admin!.hStrLen(body, String(i)), i < 10 ? 1000 : 500);
    for (const key of keys) {
      const ttl = await admin!.pTTL(key);
      assert.ok(ttl > 50_000 && ttl <= 60_000, `${key} TTL ${ttl}`);
    }
    assert.ok((await readAll(await cache.open(root, 'a'))).equals(bytesOf(1, 10_500)));
    await cache.close();
  });

  test('ttlMs null: keys persist; sweep with a recorded expiry removes every key of the root', async () => {
    const cache = makeCache({ ttlMs: null });
    const { prefix } = prefixes.get(cache)!;
    const root = randomUUID();
    await cache.put(metaOf(root, 'a', 0), [bytesOf(2, 5000)]);
    for (const key of await keysOf(prefix)) assert.equal(await admin!.pTTL(key), -1, key);
    await cache.close();

    const expiring = makeCache({ ttlMs: 60_000 });
    const other = randomUUID();
    await expiring.put(metaOf(other, 'a', 0), [bytesOf(3, 300_000)]);
    assert.equal(await expiring.sweep(Date.now() + 120_000), 1);
    assert.deepEqual(await keysOf(prefixes.get(expiring)!.prefix), []);
    await expiring.close();
  });

  test('open() fetches one chunk per read: a slow reader holds Redis back', async (t) => {
    if (server?.private !== true) {
      t.diagnostic('REDIS_URL is shared: command statistics are not ours to reset; checked with a private server only');
      return;
    }
    const cache = makeCache({ chunkBytes: 4096 });
    const root = randomUUID();
    const bytes = bytesOf(4, 400_000); // 98 chunks
    await cache.put(metaOf(root, 'a', 0), [bytes]);
    await admin!.configResetStat();
    const stream = await cache.open(root, 'a');
    await once(stream, 'readable');
    await new Promise((r) => setTimeout(r, 200));
    const stats = await admin!.info('commandstats');
    const calls = Number(/cmdstat_hget:calls=(\d+)/.exec(stats)?.[1] ?? '0');
    assert.ok(calls >= 1 && calls <= 3, `${calls} HGETs while the reader took nothing (high-water mark one chunk, read-ahead 2)`);
    assert.ok((await readAll(stream)).equals(bytes));
    await cache.close();
  });

  test('a root deleted while it is read: the stream fails with ERR_CACHE_NOT_FOUND', async () => {
    const cache = makeCache({ chunkBytes: 1024 });
    const root = randomUUID();
    await cache.put(metaOf(root, 'a', 0), [bytesOf(5, 100_000)]);
    const stream = await cache.open(root, 'a');
    await once(stream, 'readable');
    stream.read();
    assert.equal(await cache.delete(root), true);
    await rejectsWith(readAll(stream), ErrorCodes.CACHE_NOT_FOUND);
    await cache.close();
  });

  test('staged bytes lost before commit (evicted, expired): commit fails typed, nothing visible', async () => {
    const cache = makeCache();
    const { prefix } = prefixes.get(cache)!;
    const root = randomUUID();
    const writer = await cache.begin(root);
    await writer.put(metaOf(root, 'a', 0), [bytesOf(6, 10_000)]);
    for (const key of await keysOf(prefix)) await admin!.del(key); // what eviction would do
    const error = await rejectsWith(writer.commit(), ErrorCodes.CACHE_SINK_FAILED);
    assert.match(error.message, /staged bytes expired or were evicted/);
    assert.deepEqual(await cache.list(root), []);
    assert.deepEqual(await keysOf(prefix), []);
    await cache.close();
  });

  test('a caller-supplied client is used and left open', async () => {
    const client = createClient({ url: server!.url, disableOfflineQueue: true });
    client.on('error', () => undefined);
    await client.connect();
    const cache = new RedisCache({ client, keyPrefix: `xt:${randomUUID()}:` });
    const root = randomUUID();
    await cache.put(metaOf(root, 'a', 0), [Buffer.from('via your client')]);
    assert.equal((await readAll(await cache.open(root, 'a'))).toString(), 'via your client');
    await cache.close();
    assert.equal(await client.ping(), 'PONG');
    await client.close();
  });

  test('bad options are refused', () => {
    assert.throws(() => new RedisCache({ keyPrefix: 'a{b}' }), { code: ErrorCodes.BAD_ARGUMENT });
    assert.throws(() => new RedisCache({ chunkBytes: 0 }), { code: ErrorCodes.BAD_ARGUMENT });
    assert.throws(() => new RedisCache({ maxChunksInFlight: 1.5 }), { code: ErrorCodes.BAD_ARGUMENT });
  });

  test('Redis not reachable: ERR_CACHE_SINK_FAILED within connectTimeoutMs', async () => {
    const probe = await startPrivateRedis();
    const url = probe.url;
    await probe.stop(); // nothing listens there now
    const cache = makeCache({ connectTimeoutMs: 300 }, url);
    const root = randomUUID();
    const started = Date.now();
    const error = await rejectsWith(cache.put(metaOf(root, 'a', 0), [Buffer.from('x')]), ErrorCodes.CACHE_SINK_FAILED);
    assert.match(error.message, /not reachable/);
    await rejectsWith(cache.list(root), ErrorCodes.CACHE_SINK_FAILED);
    await rejectsWith(cache.delete(root), ErrorCodes.CACHE_SINK_FAILED);
    await rejectsWith(cache.sweep(), ErrorCodes.CACHE_SINK_FAILED);
    assert.ok(Date.now() - started < 10_000);
    await cache.close();
    await rejectsWith(cache.list(root), ErrorCodes.BAD_ARGUMENT);
  });
});

describe('RedisCache when the server fails mid-message', { skip: unavailable ?? false }, () => {
  let own: TestRedis | undefined;
  let ownAdmin: ReturnType<typeof createClient> | undefined;

  before(async () => {
    // Persistence on, so that a restart shows what was committed before the crash.
    own = await startPrivateRedis(['--appendonly', 'yes', '--appendfsync', 'always']);
    ownAdmin = createClient({ url: own.url });
    ownAdmin.on('error', () => undefined);
    await ownAdmin.connect();
  });

  after(async () => {
    ownAdmin?.destroy();
    await own?.stop();
  });

  test('killed mid-put: ERR_CACHE_SINK_FAILED; after a restart the committed root is there, the failed one is not', async () => {
    const cache = makeCache({ chunkBytes: 16_384, commandTimeoutMs: 1000, connectTimeoutMs: 500 }, own!.url);
    const kept = randomUUID();
    await cache.put(metaOf(kept, 'kept', 0), [bytesOf(7, 50_000)]);
    const root = randomUUID();
    const writer = await cache.begin(root);
    await writer.put(metaOf(root, 'first', 0), [bytesOf(8, 20_000)]);
    async function* crashesMidway(): AsyncGenerator<Uint8Array> {
      yield bytesOf(9, 100_000);
      await own!.kill();
      for (let i = 0; i < 20; i++) {
        await new Promise((r) => setTimeout(r, 10));
        yield bytesOf(10 + i, 50_000);
      }
    }
    await rejectsWith(writer.put(metaOf(root, 'second', 1), crashesMidway()), ErrorCodes.CACHE_SINK_FAILED);
    await rejectsWith(cache.list(kept), ErrorCodes.CACHE_SINK_FAILED);

    await own!.restart();
    // The same cache instance reconnects by itself.
    let docs: unknown[] | undefined;
    for (let i = 0; i < 50 && docs === undefined; i++) {
      docs = await cache.list(kept).catch(() => undefined);
      if (docs === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(docs?.length, 1);
    assert.ok((await readAll(await cache.open(kept, 'kept'))).equals(bytesOf(7, 50_000)));
    assert.deepEqual(await cache.list(root), []);
    // What the crash stranded is invisible, and carries a staging TTL so Redis removes it.
    const { prefix } = prefixes.get(cache)!;
    for await (const batch of ownAdmin!.scanIterator({ MATCH: `${prefix}{${root}}*`, COUNT: 1000 })) {
      for (const key of (Array.isArray(batch) ? batch : [batch]) as string[]) {
        const ttl = await ownAdmin!.pTTL(key);
        assert.ok(ttl > 0, `${key} must expire, TTL ${ttl}`);
      }
    }
    await cache.close();
  });

  test('hung (SIGSTOP): ERR_CACHE_SINK_FAILED after commandTimeoutMs, then it recovers', async () => {
    const cache = makeCache({ commandTimeoutMs: 500, connectTimeoutMs: 500 }, own!.url);
    const root = randomUUID();
    await cache.put(metaOf(root, 'a', 0), [Buffer.from('before')]);
    own!.pause();
    const started = Date.now();
    try {
      await rejectsWith(cache.put(metaOf(root, 'b', 1), [bytesOf(11, 10_000)]), ErrorCodes.CACHE_SINK_FAILED);
      assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    } finally {
      own!.resume();
    }
    let docs: unknown[] | undefined;
    for (let i = 0; i < 50 && docs === undefined; i++) {
      docs = await cache.list(root).catch(() => undefined);
      if (docs === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(docs?.length, 1);
    await cache.close();
  });
});
