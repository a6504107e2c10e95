// RedisCache through a Redis Cluster master failover: 3 masters with one
// replica each on loopback (started by the test), the master owning a root's
// slot killed (SIGKILL, a crash). While the cluster promotes the replica, every
// call fails fast and typed (ERR_CACHE_SINK_FAILED, never a hang); once the
// cluster client has refreshed its topology (node-redis does after its nodes
// have been reconnecting for a while), the same cache instance reads the root
// written before the crash byte for byte and stores new roots. Several servers
// sharing one cache keep working when one Redis machine dies.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createClient } from 'redis';
import { isXopError, RedisCache } from '../src/index.js';
import { bytesOf, metaOf, readAll } from './support/cache-contract.js';
import { redisClusterUnavailableReason, startPrivateRedisCluster, type TestRedisCluster } from './support/redis-server.js';

const unavailable = redisClusterUnavailableReason();
let cluster: TestRedisCluster | undefined;

before(async () => {
  if (unavailable !== null) return;
  // A short node timeout: the dead master is failed over in seconds, not the production 15 s.
  cluster = await startPrivateRedisCluster(3, { replicas: 1, nodeTimeoutMs: 2000 });
});

after(async () => {
  await cluster?.stop();
});

/** The port of the master owning `key`'s slot, as the node at `via` sees it. */
async function ownerOf(key: string, via: string): Promise<number> {
  const client = createClient({ url: via });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const slot = Number(await client.sendCommand(['CLUSTER', 'KEYSLOT', key]));
    const slots = await client.sendCommand(['CLUSTER', 'SLOTS']) as unknown as Array<[number, number, [string, number, ...unknown[]], ...unknown[]]>;
    const range = slots.find(([from, to]) => slot >= from && slot <= to);
    assert.ok(range !== undefined, `slot ${slot} has a master`);
    return Number(range[2][1]);
  } finally {
    await client.close();
  }
}

test('a master dies: calls fail fast with ERR_CACHE_SINK_FAILED until the replica takes over, then the same cache reads what was written and writes again', { skip: unavailable ?? false, timeout: 90_000 }, async (t) => {
  const cache = new RedisCache({
    cluster: { rootNodes: [{ url: cluster!.urls[0]! }] }, keyPrefix: `xf:${randomUUID()}:`, connectTimeoutMs: 1000, commandTimeoutMs: 1000,
  });
  try {
    const root = randomUUID();
    const body = bytesOf(41, 300_000);
    await cache.put(metaOf(root, 'before-crash', 0), [body]);
    const owner = await ownerOf(`{${root}}`, cluster!.urls[0]!);
    // The write has reached the replica before the crash (Redis replication is asynchronous).
    const master = createClient({ url: `redis://127.0.0.1:${owner}` });
    master.on('error', () => undefined);
    await master.connect();
    assert.equal(Number(await master.sendCommand(['WAIT', '1', '5000'])), 1, 'the replica acknowledged the write');
    await master.close();

    await cluster!.kill(owner);
    const crashed = Date.now();
    let failures = 0;
    let recoveredAfter = -1;
    while (Date.now() - crashed < 60_000) {
      const started = Date.now();
      try {
        const docs = await cache.list(root);
        assert.deepEqual(docs.map((d) => d.properties.wss_attachment_content_id), ['before-crash']);
        recoveredAfter = Date.now() - crashed;
        break;
      } catch (error) {
        assert.ok(isXopError(error) && error.code === 'ERR_CACHE_SINK_FAILED', `typed failure: ${String(error)}`);
        failures++;
      }
      // Fast: within the command timeout (and some slack for a loaded machine), never a hang.
      assert.ok(Date.now() - started < 5000, `a failing call took ${Date.now() - started} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
    t.diagnostic(`${failures} failed calls; recovered ${recoveredAfter} ms after the crash`);
    assert.ok(recoveredAfter >= 0, 'the cache recovered within 60 s of the crash');
    assert.ok(failures > 0, 'the crash was seen (the dead master owned the root)');

    assert.ok((await readAll(await cache.open(root, 'before-crash'))).equals(body), 'read back from the promoted replica');
    const after = randomUUID();
    await cache.put(metaOf(after, 'after-crash', 0), [bytesOf(42, 100_000)]);
    assert.ok((await readAll(await cache.open(after, 'after-crash'))).equals(bytesOf(42, 100_000)));
    assert.equal(await cache.delete(root), true);
    assert.equal(await cache.delete(after), true);
  } finally {
    await cache.close();
  }
});
