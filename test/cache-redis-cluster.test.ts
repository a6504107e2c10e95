// RedisCache against a real Redis Cluster (3 masters on loopback, started by
// the test): the contract suite, plus where the keys land (every key of a root
// in its {rootId} slot, on the master owning that slot, roots spread over the
// masters), real attachments stored by receive() and read back byte for byte,
// sweep() reaching expired roots on every master, a caller's cluster client,
// and an unreachable cluster failing fast.
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { createClient, createCluster } from 'redis';
import { ErrorCodes, openCache, RedisCache, receive, type DocumentCache, type RedisCacheOptions, type RedisClient } from '../src/index.js';
import { bytesOf, cacheContract, metaOf, readAll, rejectsWith } from './support/cache-contract.js';
import ts from 'typescript';
import { chunk, projectRoot, sharedBinaryFiles, sharedCorpusDir } from './support/corpus.js';
import { buildMessage } from './support/receive.js';
import { redisClusterUnavailableReason, startPrivateRedis, startPrivateRedisCluster, type TestRedisCluster } from './support/redis-server.js';

const unavailable = redisClusterUnavailableReason();
let cluster: TestRedisCluster | undefined;
/** One plain (non-cluster) connection per master, keyed by port: what each node itself holds. */
const nodes = new Map<number, RedisClient>();
/** slot → port of the master owning it, from CLUSTER SLOTS. */
const owners: number[] = [];
const prefixes = new WeakMap<DocumentCache, string>();

before(async () => {
  if (unavailable !== null) return;
  cluster = await startPrivateRedisCluster(3);
  for (const [i, port] of cluster.ports.entries()) {
    const client = createClient({ url: cluster.urls[i]! });
    client.on('error', () => undefined);
    await client.connect();
    nodes.set(port, client);
  }
  const slots = await nodes.get(cluster.ports[0]!)!.sendCommand(['CLUSTER', 'SLOTS']) as unknown as
    Array<[number, number, [string, number, ...unknown[]], ...unknown[]]>;
  for (const [from, to, [, port]] of slots) for (let s = from; s <= to; s++) owners[s] = Number(port);
  assert.equal(owners.filter((p) => p !== undefined).length, 16_384, 'every slot has a master');
  assert.equal(new Set(owners).size, 3, 'three masters share the slots');
});

after(async () => {
  for (const client of nodes.values()) await client.close();
  await cluster?.stop();
});

function makeCache(options: RedisCacheOptions = {}, rootNode = 0): RedisCache {
  const keyPrefix = options.keyPrefix ?? `xc:${randomUUID()}:`;
  const cache = new RedisCache({
    cluster: { rootNodes: [{ url: cluster!.urls[rootNode]! }] },
    keyPrefix, connectTimeoutMs: 2000, commandTimeoutMs: 2000, ...options,
  });
  prefixes.set(cache, keyPrefix);
  return cache;
}

/** The keys under `prefix` each master holds (SCAN of each node on its own). */
async function keysByNode(prefix: string): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  for (const [port, client] of nodes) {
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
      keys.push(...(Array.isArray(batch) ? batch : [batch]) as string[]);
    }
    out.set(port, keys.sort());
  }
  return out;
}

async function keySlot(key: string): Promise<number> {
  return Number(await nodes.get(cluster!.ports[0]!)!.sendCommand(['CLUSTER', 'KEYSLOT', key]));
}

/** The port of the master owning `rootId`'s keys under `prefix` (CLUSTER KEYSLOT of its meta key, then CLUSTER SLOTS). */
async function ownerOf(prefix: string, rootId: string): Promise<number> {
  return owners[await keySlot(`${prefix}{${rootId}}:m`)]!;
}

/** Body keys that no meta hash references, on any master: staging leftovers. */
async function unreferencedBodies(prefix: string): Promise<string[]> {
  const out: string[] = [];
  for (const [port, keys] of await keysByNode(prefix)) {
    const referenced = new Set<string>();
    for (const key of keys.filter((k) => k.endsWith(':m'))) {
      const base = key.slice(0, -2) + ':b:';
      for (const [field, value] of Object.entries(await nodes.get(port)!.hGetAll(key))) {
        if (field !== '~exp') referenced.add(base + value.slice(0, 32));
      }
    }
    out.push(...keys.filter((k) => k.includes(':b:') && !referenced.has(k)));
  }
  return out;
}

/** Root ids whose keys (under `prefix`) land on each master, `perMaster` of them per master. */
async function rootsOnEveryMaster(prefix: string, perMaster: number): Promise<Map<number, string[]>> {
  const byPort = new Map<number, string[]>(cluster!.ports.map((p) => [p, []]));
  while ([...byPort.values()].some((roots) => roots.length < perMaster)) {
    const root = randomUUID();
    const roots = byPort.get(await ownerOf(prefix, root))!;
    if (roots.length < perMaster) roots.push(root);
  }
  return byPort;
}

cacheContract('RedisCache on a Redis Cluster', () => ({
  make: async (options = {}) => makeCache(options),
  // Another instance discovering the cluster through another node.
  reopen: async (cache) => makeCache({ keyPrefix: prefixes.get(cache)! }, 1),
  leftovers: async (cache) => (await unreferencedBodies(prefixes.get(cache)!)).length,
  // Every master out of memory (maxmemory with the default noeviction policy): writes fail, DEL still works.
  breakSink: async () => {
    for (const client of nodes.values()) await client.configSet('maxmemory', '1');
    return async () => {
      for (const client of nodes.values()) await client.configSet('maxmemory', '0');
    };
  },
}), unavailable);

describe('RedisCache on a Redis Cluster: key placement, receive(), sweep()', { skip: unavailable ?? false }, () => {
  test('roots spread over the masters; every key of a root is in its {rootId} slot, on the master owning it', async () => {
    const cache = makeCache({ chunkBytes: 4096, ttlMs: 60_000 });
    const prefix = prefixes.get(cache)!;
    const roots = Array.from({ length: 30 }, () => randomUUID());
    await Promise.all(roots.map(async (root, i) => {
      const writer = await cache.begin(root);
      await writer.put(metaOf(root, 'a@x', 0), chunk(bytesOf(1000 + i, 10_000 + i), 3000));
      await writer.put(metaOf(root, 'b@x', 1), [bytesOf(2000 + i, 100)]);
      await writer.commit();
    }));
    const byNode = await keysByNode(prefix);
    const slotsOfRoot = new Map<string, Set<number>>();
    let total = 0;
    for (const [port, keys] of byNode) {
      for (const key of keys) {
        const slot = await keySlot(key);
        assert.equal(owners[slot], port, `${key} (slot ${slot}) is on the master owning its slot`);
        const root = /\{([^}]+)\}/.exec(key)![1]!;
        if (!slotsOfRoot.has(root)) slotsOfRoot.set(root, new Set());
        slotsOfRoot.get(root)!.add(slot);
        total++;
      }
    }
    assert.equal(total, 30 * 3, 'a meta hash and two body keys per root, nothing else');
    assert.deepEqual([...slotsOfRoot.keys()].sort(), [...roots].sort());
    for (const [root, slots] of slotsOfRoot) {
      assert.equal(slots.size, 1, `every key of root ${root} is in one slot`);
      assert.equal([...slots][0], await keySlot(`${prefix}{${root}}:m`));
    }
    const holding = [...byNode.values()].filter((keys) => keys.length > 0).length;
    assert.ok(holding >= 2, `${holding} of 3 masters hold data`);

    // Everything reads back, through an instance that discovered the cluster from another node.
    const reader = makeCache({ keyPrefix: prefix }, 2);
    try {
      for (const [i, root] of roots.entries()) {
        assert.deepEqual((await reader.list(root)).map((d) => d.size), [10_000 + i, 100]);
        assert.ok((await readAll(await reader.open(root, 'a@x'))).equals(bytesOf(1000 + i, 10_000 + i)));
        assert.ok((await readAll(await reader.open(root, '<b@x>'))).equals(bytesOf(2000 + i, 100)));
      }
      for (const root of roots) assert.equal(await reader.delete(root), true);
      assert.deepEqual([...(await keysByNode(prefix)).values()].flat(), [], 'delete removed every key on every master');
    } finally {
      await reader.close();
      await cache.close();
    }
  });

  test('the redis-cluster: cache spec opens a RedisCache on the cluster: keys land on the owning master, and read back', async () => {
    const prefix = `xs:${randomUUID()}:`;
    const cache = await openCache(`redis-cluster:${cluster!.urls[1]},${cluster!.urls[2]}`, { keyPrefix: prefix, ttlMs: 60_000 });
    const reader = makeCache({ keyPrefix: prefix }, 0);
    try {
      assert.ok(cache instanceof RedisCache);
      const roots = Array.from({ length: 6 }, () => randomUUID());
      for (const [i, root] of roots.entries()) {
        const writer = await cache.begin(root);
        await writer.put(metaOf(root, 'a@x', 0), [bytesOf(3000 + i, 5000)]);
        await writer.commit();
      }
      for (const [i, root] of roots.entries()) {
        assert.ok((await readAll(await reader.open(root, 'a@x'))).equals(bytesOf(3000 + i, 5000)));
        const owner = await ownerOf(prefix, root);
        assert.equal(await nodes.get(owner)!.exists(`${prefix}{${root}}:m`), 1, `root ${root}'s meta is on master ${owner}`);
      }
      assert.equal(await cache.delete(roots[0]!), true);
    } finally {
      await reader.close();
      await cache.close();
    }
  });

  test('receive() stores a real PDF and JPEG in the cluster; they read back byte for byte', async (t) => {
    const smallest = (files: string[]): string => files.map((f) => ({ f, size: fs.statSync(f).size }))
      .sort((a, b) => a.size - b.size)[0]!.f;
    let pdf: Buffer;
    let jpeg: Buffer;
    if (sharedCorpusDir !== null) {
      pdf = fs.readFileSync(smallest(sharedBinaryFiles('pdf')));
      jpeg = fs.readFileSync(smallest(sharedBinaryFiles('jpeg')));
      assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
      assert.equal(jpeg.readUInt16BE(0), 0xffd8, 'JPEG SOI marker');
    } else {
      t.diagnostic('../shared/corpus is absent: synthetic binary bodies (every byte value) stand in for the PDF and JPEG');
      pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), bytesOf(31, 200_000)]);
      jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), bytesOf(32, 150_000)]);
    }
    const cache = makeCache({ chunkBytes: 64 * 1024 });
    const prefix = prefixes.get(cache)!;
    try {
      const message = buildMessage('mtom', '1.2', [
        { contentId: 'doc@x', contentType: 'application/pdf', body: pdf },
        { contentId: 'photo@x', contentType: 'image/jpeg', body: jpeg },
      ]);
      const received = await receive(chunk(message.body, 32 * 1024), { contentType: message.contentType, cache });
      const rootId = received.rootDocument.properties.wss_root_document_id;
      const docs = await cache.list(rootId);
      assert.deepEqual(docs.map((d) => [d.properties.wss_attachment_content_id, d.properties.wss_attachment_content_type, d.size]), [
        ['doc@x', 'application/pdf', pdf.length],
        ['photo@x', 'image/jpeg', jpeg.length],
      ]);
      const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
      assert.equal(sha(await readAll(await cache.open(rootId, 'doc@x'))), sha(pdf));
      assert.equal(sha(await readAll(await cache.open(rootId, '<photo@x>'))), sha(jpeg));
      // Stored on the master owning the root's slot, and only there.
      const owner = await ownerOf(prefix, rootId);
      for (const [port, keys] of await keysByNode(prefix)) {
        assert.equal(keys.length, port === owner ? 3 : 0, `master ${port}: ${keys.join(', ')}`);
      }
    } finally {
      await cache.close();
    }
  });

  test('sweep() removes expired roots on every master, and only those', async () => {
    const prefix = `xc:${randomUUID()}:`;
    const expiring = makeCache({ keyPrefix: prefix, ttlMs: 60_000, chunkBytes: 1000 });
    const lasting = makeCache({ keyPrefix: prefix, ttlMs: null });
    try {
      const doomed = await rootsOnEveryMaster(prefix, 2);
      const kept = await rootsOnEveryMaster(prefix, 1);
      for (const [port, roots] of doomed) {
        for (const root of roots) await expiring.put(metaOf(root, 'a', 0), [bytesOf(port + roots.indexOf(root), 2500)]);
      }
      for (const roots of kept.values()) await lasting.put(metaOf(roots[0]!, 'a', 0), [Buffer.from('kept')]);
      const before = await keysByNode(prefix);
      for (const [port, roots] of doomed) {
        for (const root of roots) {
          assert.ok(before.get(port)!.includes(`${prefix}{${root}}:m`), `root ${root} lives on master ${port}`);
        }
      }
      assert.equal(await expiring.sweep(Date.now()), 0, 'nothing has expired yet');
      assert.equal(await expiring.sweep(Date.now() + 120_000), 6, 'two expired roots on each of the three masters');
      const after = await keysByNode(prefix);
      for (const [port, keys] of after) {
        assert.deepEqual(keys.map((k) => /\{([^}]+)\}/.exec(k)![1]).sort(), [...kept.get(port)!, ...kept.get(port)!].sort(),
          `master ${port} keeps only its lasting root (meta hash and body)`);
      }
      for (const roots of doomed.values()) for (const root of roots) assert.deepEqual(await expiring.list(root), []);
      for (const roots of kept.values()) {
        assert.equal((await readAll(await lasting.open(roots[0]!, 'a'))).toString(), 'kept');
      }
      assert.equal(await expiring.sweep(Date.now() + 120_000), 0, 'a second sweep finds nothing');
    } finally {
      await expiring.close();
      await lasting.close();
    }
  });

  test('a caller-supplied cluster client is used (sweep included) and left open', async () => {
    const client = createCluster({ rootNodes: [{ url: cluster!.urls[1]! }], defaults: { disableOfflineQueue: true } });
    client.on('error', () => undefined);
    await client.connect();
    const prefix = `xc:${randomUUID()}:`;
    const cache = new RedisCache({ client, keyPrefix: prefix, ttlMs: 60_000 });
    try {
      const roots = await rootsOnEveryMaster(prefix, 1);
      for (const [port, [root]] of roots) await cache.put(metaOf(root!, 'a', 0), [Buffer.from(`via your cluster client ${port}`)]);
      for (const [port, [root]] of roots) {
        assert.equal((await readAll(await cache.open(root!, 'a'))).toString(), `via your cluster client ${port}`);
      }
      assert.equal(await cache.sweep(Date.now() + 120_000), 3);
      await cache.close();
      assert.equal(client.isReady, true);
      assert.equal(await client.hGet(`${prefix}{${randomUUID()}}:m`, 'x'), null, 'the client still answers');
    } finally {
      await cache.close();
      await client.close();
    }
  });

  test('bad cluster options are refused', () => {
    const rootNodes = [{ url: 'redis://127.0.0.1:1' }];
    assert.throws(() => new RedisCache({ cluster: { rootNodes }, url: 'redis://127.0.0.1:6379' }), { code: ErrorCodes.BAD_ARGUMENT });
    const client = createClient();
    assert.throws(() => new RedisCache({ cluster: { rootNodes }, client }), { code: ErrorCodes.BAD_ARGUMENT });
    assert.throws(() => new RedisCache({ cluster: { rootNodes: [] } }), { code: ErrorCodes.BAD_ARGUMENT });
  });

  test('a cluster not reachable: ERR_CACHE_SINK_FAILED within connectTimeoutMs', async () => {
    const probe = await startPrivateRedis();
    const url = probe.url;
    await probe.stop(); // nothing listens there now
    const cache = new RedisCache({ cluster: { rootNodes: [{ url }] }, connectTimeoutMs: 300 });
    const root = randomUUID();
    const error = await rejectsWith(cache.put(metaOf(root, 'a', 0), [Buffer.from('x')]), ErrorCodes.CACHE_SINK_FAILED);
    assert.match(error.message, /not reachable/);
    await rejectsWith(cache.list(root), ErrorCodes.CACHE_SINK_FAILED);
    await rejectsWith(cache.delete(root), ErrorCodes.CACHE_SINK_FAILED);
    await rejectsWith(cache.sweep(), ErrorCodes.CACHE_SINK_FAILED);
    await cache.close();
    await rejectsWith(cache.list(root), ErrorCodes.BAD_ARGUMENT);
  });

  test('the README cluster example runs against this cluster', async () => {
    const readme = fs.readFileSync(path.join(projectRoot, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!)
      .filter((code) => code.includes('XOPSTREAM_REDIS_CLUSTER_URL'));
    assert.equal(blocks.length, 1, 'one README example uses XOPSTREAM_REDIS_CLUSTER_URL');
    const entry = pathToFileURL(path.join(projectRoot, 'dist', 'src', 'index.js')).href;
    const code = ts.transpileModule(blocks[0]!, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 }, fileName: 'example.ts',
    }).outputText.replace(/from ['"]xopstream['"]/g, `from '${entry}'`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xopstream-readme-cluster-'));
    try {
      const file = path.join(dir, 'example.mjs');
      fs.writeFileSync(file, code);
      const env: NodeJS.ProcessEnv = { ...process.env, XOPSTREAM_REDIS_CLUSTER_URL: cluster!.urls[2]! };
      delete env['NODE_V8_COVERAGE'];
      const result = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [file], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
        child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
        child.on('error', reject);
        child.on('close', (exit) => resolve({ code: exit, out }));
      });
      assert.equal(result.code, 0, result.out);
      assert.match(result.out, /^cluster round trip of root [0-9a-f-]{36}: ok$/m);
      assert.deepEqual([...(await keysByNode('myapp:')).values()].flat(), [], 'the example deleted what it stored');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
