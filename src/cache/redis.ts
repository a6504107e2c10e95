/**
 * RedisCache: attachment documents in Redis, for several servers sharing one
 * cache. Uses node-redis (`redis` package).
 *
 * Keys (all of a root under one `{rootId}` hash tag, so a whole root lives in
 * one Redis Cluster slot and the commit and delete scripts touch one slot):
 *
 * ```
 * <prefix>{<rootId>}:m            hash: "~exp" → expiry (ms since the epoch, or "never");
 *                                  <content key> → "<token> <document JSON>"   (what list/open trust)
 * <prefix>{<rootId>}:b:<token>    hash: "0", "1", … → fixed-size chunks of one attachment's bytes
 * ```
 *
 * - Streaming in: bytes are cut into `chunkBytes` chunks, each written with
 *   HSET as soon as it is full, with at most `maxChunksInFlight` writes
 *   outstanding — the Node heap holds at most that many chunks, whatever the
 *   attachment size (Redis strings cap at 512 MB; chunked hashes do not).
 * - Staging: a body key carries a staging TTL (refreshed on every chunk) and
 *   is referenced by no meta hash until commit, so it is invisible and
 *   vanishes by itself if this process dies mid-message.
 * - Commit: one Lua script checks for duplicate Content-IDs and lost staging
 *   keys, adds the documents to the meta hash and sets the TTL of the meta
 *   hash and of every body key of the root — atomically.
 * - Streaming out: open() returns a Readable that fetches chunks (HGET) at
 *   most `readAheadChunks` ahead and only while its buffer has room, so a
 *   slow reader slows the fetching.
 * - Expiry: Redis expires the keys (`ttlMs`); sweep() additionally removes
 *   roots whose recorded expiry has passed at a given time (SCAN of the
 *   server, or of every master of a cluster).
 * - Redis Cluster (`cluster` option, or a `createCluster()` client as
 *   `client`): every command the cache sends names keys of one root only, so
 *   node-redis routes it to the master owning that root's slot (EVAL with all
 *   its KEYS in the `{rootId}` slot, MULTI/EXEC of one body key, HGET/HGETALL,
 *   DEL); sweep() SCANs each master in turn.
 * - The `redis` package is loaded on first use, so importing xopstream does
 *   not load a Redis client.
 * - Redis down or hung: commands fail fast (no offline queue; a socket
 *   timeout of `commandTimeoutMs`) and surface as `ERR_CACHE_SINK_FAILED`.
 *   A commit whose reply is lost may still have been applied by the server
 *   (inherent to any remote store); everything else leaves nothing visible.
 *
 * @module
 */

import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type {
  RedisClientType, RedisClusterOptions as NodeRedisClusterOptions, RedisFunctions, RedisModules, RedisScripts, RespVersions,
  TypeMapping,
} from 'redis';
import { ErrorCodes, xopError } from '../errors.js';
import { messageOf, sinkFailed, streamMeasured } from './digest.js';
import { expiresAtFrom, resolveExpiry, type Expiry, type ExpiryOptions } from './expiry.js';
import { checkContentId, checkRootId, compareDocuments, findDocument, type CheckedMeta } from './keys.js';
import type { AttachmentBody, AttachmentDocument, AttachmentMeta, CacheWriter, DocumentCache } from './types.js';
import { closedError, makeDocument, notFound, StagingWriter, withTimes, type Staged } from './writer.js';

/**
 * A node-redis client (`createClient()` from the `redis` package), whatever
 * its modules, scripts, RESP version and type mapping: the cache only uses
 * core commands and sets its own type mapping where it needs one.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RedisClient = RedisClientType<any, any, any, any, any>;

/**
 * A node-redis Redis Cluster client (`createCluster()` from the `redis`
 * package), whatever its modules, scripts, RESP version and type mapping.
 * Typed by the members the cache relies on besides the commands (node-redis's
 * own cluster type, instantiated with `any`, does not accept every cluster).
 */
export interface RedisClusterClient {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  /** The masters, for {@link RedisClusterClient.nodeClient} (sweep() SCANs each). */
  readonly masters: ReadonlyArray<object>;
  nodeClient(node: object): Promise<unknown>;
  connect(): Promise<unknown>;
  close(): Promise<void>;
  destroy(): void;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  on(event: string | symbol, listener: (...args: any[]) => void): unknown;
}

/**
 * Options of node-redis `createCluster()` (the `redis` package), any RESP
 * version: `rootNodes`, `defaults`, `useReplicas`, `nodeAddressMap`, ...
 */
export type RedisClusterOptions = NodeRedisClusterOptions<RedisModules, RedisFunctions, RedisScripts, RespVersions, TypeMapping>;

/** Default chunk size: 256 KiB. */
export const DEFAULT_REDIS_CHUNK_BYTES = 256 * 1024;

/** Options of {@link RedisCache}. */
export interface RedisCacheOptions extends ExpiryOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://`). Default `redis://127.0.0.1:6379`. */
  url?: string;
  /**
   * A Redis Cluster to use instead of `url`: the options of node-redis
   * `createCluster()`, at least `rootNodes` (`[{ url: 'redis://host:port' }]`,
   * a few nodes of the cluster; the others are discovered). The cache creates,
   * connects and closes the cluster client. Every connection it opens to a
   * node gets the same fail-fast settings as `url` (no offline queue,
   * `connectTimeoutMs`, `commandTimeoutMs`, a ping interval), under whatever
   * `defaults` you give (credentials, TLS, or other timeouts: yours win).
   * Not with `url` or `client`.
   */
  cluster?: RedisClusterOptions;
  /**
   * An existing node-redis client to use instead of `url`: a `createClient()`
   * client, or a `createCluster()` one for Redis Cluster. It is not closed
   * by close(). Create it with `disableOfflineQueue: true` and a
   * `socket.socketTimeout` (a cluster: in `defaults`) so that a dead Redis
   * fails fast.
   */
  client?: RedisClient | RedisClusterClient;
  /** Prefix of every key. Default `xopstream:`. */
  keyPrefix?: string;
  /** Size of the chunks bodies are stored in. Default 256 KiB. */
  chunkBytes?: number;
  /** Chunk writes outstanding per put (bounds memory at chunkBytes × this). Default 4. */
  maxChunksInFlight?: number;
  /** Chunks open() fetches ahead of the reader (bounds memory at chunkBytes × (1 + this)). Default 2. */
  readAheadChunks?: number;
  /** TTL of staged keys, refreshed on every chunk: how long an abandoned message lingers. Default one hour. */
  stagingTtlMs?: number;
  /** How long an operation waits for a connection. Default 5000 ms. */
  connectTimeoutMs?: number;
  /** Socket idle timeout while a reply is awaited (a hung server). Default 30000 ms. */
  commandTimeoutMs?: number;
}

const TOKEN_HEX = 32;
const EXPIRY_FIELD = '~exp';
const NEVER = 'never';
const DUPLICATE = 'XOPSTREAM_DUPLICATE';
const STAGING_LOST = 'XOPSTREAM_STAGING_LOST';

/**
 * KEYS[1] meta hash; ARGV[1] body key base; ARGV[2] TTL ms ("0": none);
 * ARGV[3] expiry value; then quads: content key, stored value, token, chunk count.
 */
const COMMIT_SCRIPT = `
local meta, base, ttl = KEYS[1], ARGV[1], tonumber(ARGV[2])
for i = 4, #ARGV, 4 do
  if redis.call('HEXISTS', meta, ARGV[i]) == 1 then return redis.error_reply('${DUPLICATE} ' .. ARGV[i]) end
  local chunks = tonumber(ARGV[i + 3])
  if chunks > 0 and redis.call('HLEN', base .. ARGV[i + 2]) ~= chunks then
    return redis.error_reply('${STAGING_LOST} ' .. ARGV[i])
  end
end
for i = 4, #ARGV, 4 do redis.call('HSET', meta, ARGV[i], ARGV[i + 1]) end
redis.call('HSET', meta, '${EXPIRY_FIELD}', ARGV[3])
local all = redis.call('HGETALL', meta)
for i = 1, #all, 2 do
  if all[i] ~= '${EXPIRY_FIELD}' then
    local key = base .. string.sub(all[i + 1], 1, ${TOKEN_HEX})
    if ttl > 0 then redis.call('PEXPIRE', key, ttl) else redis.call('PERSIST', key) end
  end
end
if ttl > 0 then redis.call('PEXPIRE', meta, ttl) else redis.call('PERSIST', meta) end
return 1
`;

/** KEYS[1] meta hash; ARGV[1] body key base. Returns 1 when the root existed. */
const DELETE_SCRIPT = `
local all = redis.call('HGETALL', KEYS[1])
if #all == 0 then return 0 end
for i = 1, #all, 2 do
  if all[i] ~= '${EXPIRY_FIELD}' then redis.call('DEL', ARGV[1] .. string.sub(all[i + 1], 1, ${TOKEN_HEX})) end
end
redis.call('DEL', KEYS[1])
return 1
`;

interface BodyHandle {
  token: string;
  chunks: number;
}

interface StoredEntry {
  doc: AttachmentDocument;
  token: string;
  /** How many chunks hold the body (0 for an empty attachment). */
  chunks: number;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw xopError(ErrorCodes.BAD_ARGUMENT, `${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => '\\' + c);
}

/** A Redis Cluster client? (It has masters and per-node clients; a standalone client has neither.) */
function isClusterClient(client: RedisClient | RedisClusterClient): client is RedisClusterClient {
  return typeof (client as { nodeClient?: unknown }).nodeClient === 'function' && 'masters' in client;
}

/** A document cache in Redis (or Redis Cluster, through the `{rootId}` hash tag). */
export class RedisCache implements DocumentCache {
  /**
   * The client commands go through. For a cluster, the cluster client: the
   * commands the cache sends (EVAL, HGET, HGETALL, MULTI with HSET and
   * PEXPIRE, DEL) have the same signatures on both, and the cluster routes
   * each by its first key; every key of one call is in one `{rootId}` slot.
   */
  #client: RedisClient | undefined;
  /** The same object as #client when it is a cluster client (for what only a cluster has: its masters). */
  #cluster: RedisClusterClient | undefined;
  readonly #clusterOptions: RedisClusterOptions | undefined;
  #binary: RedisClient | undefined;
  readonly #ownsClient: boolean;
  readonly #url: string;
  readonly #commandTimeoutMs: number;
  readonly #prefix: string;
  readonly #expiry: Expiry;
  readonly #chunkBytes: number;
  readonly #maxInFlight: number;
  readonly #readAhead: number;
  readonly #stagingTtlMs: number;
  readonly #connectTimeoutMs: number;
  #connecting: Promise<unknown> | undefined;
  #waiting: Promise<void> | undefined;
  #lastError: unknown;
  #closed = false;

  constructor(options: RedisCacheOptions = {}) {
    this.#expiry = resolveExpiry(options);
    this.#prefix = options.keyPrefix ?? 'xopstream:';
    if (/[{}]/.test(this.#prefix)) {
      throw xopError(ErrorCodes.BAD_ARGUMENT, 'keyPrefix must not contain { or } (they delimit the hash tag)');
    }
    this.#chunkBytes = positiveInteger(options.chunkBytes ?? DEFAULT_REDIS_CHUNK_BYTES, 'chunkBytes');
    this.#maxInFlight = positiveInteger(options.maxChunksInFlight ?? 4, 'maxChunksInFlight');
    this.#readAhead = positiveInteger(options.readAheadChunks ?? 2, 'readAheadChunks');
    this.#stagingTtlMs = positiveInteger(options.stagingTtlMs ?? 60 * 60 * 1000, 'stagingTtlMs');
    this.#connectTimeoutMs = positiveInteger(options.connectTimeoutMs ?? 5000, 'connectTimeoutMs');
    this.#commandTimeoutMs = positiveInteger(options.commandTimeoutMs ?? 30_000, 'commandTimeoutMs');
    if (options.cluster !== undefined && (options.url !== undefined || options.client !== undefined)) {
      throw xopError(ErrorCodes.BAD_ARGUMENT, 'cluster is used instead of url or client: give one of them');
    }
    if (options.cluster !== undefined && (!Array.isArray(options.cluster.rootNodes) || options.cluster.rootNodes.length === 0)) {
      throw xopError(ErrorCodes.BAD_ARGUMENT, 'cluster.rootNodes must name at least one node ([{ url }])');
    }
    this.#url = options.url ?? 'redis://127.0.0.1:6379';
    this.#clusterOptions = options.cluster;
    this.#ownsClient = options.client === undefined;
    if (options.client !== undefined) this.#adopt(options.client);
  }

  #adopt(client: RedisClient | RedisClusterClient): RedisClient {
    const onError = (error: unknown): void => {
      this.#lastError = error; // reported with the next failing operation
    };
    client.on('error', onError);
    if (isClusterClient(client)) {
      client.on('node-error', onError);
      this.#cluster = client;
      this.#client = client as unknown as RedisClient; // see #client
    } else {
      this.#client = client;
    }
    return this.#client;
  }

  async #createClient(): Promise<RedisClient> {
    if (this.#clusterOptions !== undefined) return this.#createCluster(this.#clusterOptions);
    const { createClient } = await import('redis');
    return this.#client ?? this.#adopt(createClient({
      url: this.#url,
      // Fail fast while disconnected instead of queueing writes in the heap until Redis returns.
      disableOfflineQueue: true,
      // Keeps an idle connection from tripping the socket timeout below.
      pingInterval: Math.max(100, Math.floor(this.#commandTimeoutMs / 3)),
      socket: {
        connectTimeout: this.#connectTimeoutMs,
        socketTimeout: this.#commandTimeoutMs,
        reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000),
      },
    }));
  }

  /** A cluster client with, for every node connection, the settings #createClient gives a standalone one. */
  async #createCluster(options: RedisClusterOptions): Promise<RedisClient> {
    const { createCluster } = await import('redis');
    const defaults = options.defaults ?? {};
    return this.#client ?? this.#adopt(createCluster({
      ...options,
      defaults: {
        disableOfflineQueue: true,
        pingInterval: Math.max(100, Math.floor(this.#commandTimeoutMs / 3)),
        ...defaults,
        socket: {
          connectTimeout: this.#connectTimeoutMs,
          socketTimeout: this.#commandTimeoutMs,
          reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000),
          ...defaults.socket,
        } as NonNullable<typeof defaults.socket>,
      },
    }) as unknown as RedisClusterClient);
  }

  /** @internal The key of a root's meta hash. */
  metaKey(rootId: string): string {
    return `${this.#prefix}{${rootId}}:m`;
  }

  /** @internal The prefix of a root's body keys. */
  bodyBase(rootId: string): string {
    return `${this.#prefix}{${rootId}}:b:`;
  }

  /** @internal A ready client, or `ERR_CACHE_SINK_FAILED` within connectTimeoutMs. */
  async ready(): Promise<RedisClient> {
    if (this.#closed) throw closedError('RedisCache');
    const client = this.#client ?? (await this.#createClient());
    if (client.isReady) return client;
    if (!client.isOpen && this.#ownsClient) {
      this.#connecting ??= client.connect().catch((error: unknown) => {
        this.#lastError = error;
        this.#connecting = undefined;
      });
    }
    // Concurrent callers share one wait (one 'ready' listener, one timer).
    // A cluster client says 'connect' once it has discovered the topology,
    // and its connect() settles (no retries) once it has tried every root node.
    const readyEvent = this.#cluster === undefined ? 'ready' : 'connect';
    this.#waiting ??= new Promise<void>((resolve) => {
      let finished = false;
      const done = (): void => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        client.off(readyEvent, done);
        this.#waiting = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.#connectTimeoutMs);
      client.once(readyEvent, done);
      if (this.#cluster !== undefined) void this.#connecting?.then(done);
    });
    await this.#waiting;
    if (client.isReady) return client;
    throw xopError(ErrorCodes.CACHE_SINK_FAILED,
      `Redis is not reachable${this.#lastError === undefined ? '' : ': ' + messageOf(this.#lastError)}`,
      { status: 500, cause: this.#lastError });
  }

  async begin(rootId: string): Promise<CacheWriter> {
    if (this.#closed) throw closedError('RedisCache');
    return new RedisWriter(this, checkRootId(rootId));
  }

  async put(meta: AttachmentMeta, body: AttachmentBody): Promise<AttachmentDocument> {
    const writer = await this.begin(meta?.properties?.wss_root_document_id);
    await writer.put(meta, body);
    const [doc] = await writer.commit();
    return doc!;
  }

  async list(rootId: string): Promise<AttachmentDocument[]> {
    const entries = await this.#entries(checkRootId(rootId));
    return entries.map((e) => e.doc).sort(compareDocuments);
  }

  async open(rootId: string, contentId: string | number): Promise<Readable> {
    checkRootId(rootId);
    checkContentId(contentId);
    const entries = await this.#entries(rootId);
    const doc = findDocument(entries.map((e) => e.doc), contentId);
    if (doc === undefined) throw notFound(rootId, contentId);
    const entry = entries.find((e) => e.doc === doc)!;
    return new RedisBodyStream(this, this.bodyBase(rootId) + entry.token, entry.chunks, rootId, contentId);
  }

  async delete(rootId: string): Promise<boolean> {
    checkRootId(rootId);
    const client = await this.ready();
    try {
      const deleted = await client.eval(DELETE_SCRIPT, { keys: [this.metaKey(rootId)], arguments: [this.bodyBase(rootId)] });
      return deleted === 1;
    } catch (error) {
      throw sinkFailed(error, `Redis: cannot delete root ${rootId}`);
    }
  }

  async sweep(now: number = this.#expiry.clock()): Promise<number> {
    const client = await this.ready();
    let removed = 0;
    try {
      const pattern = escapeGlob(this.#prefix) + '{*}:m';
      // A cluster: SCAN is per node, so every master is scanned in turn; the
      // HGET and EVAL below go through the cluster client, routed by key.
      const scanned: RedisClient[] = this.#cluster === undefined ? [client]
        : await Promise.all(this.#cluster.masters.map((master) => this.#cluster!.nodeClient(master) as Promise<RedisClient>));
      for (const node of scanned) {
        for await (const batch of node.scanIterator({ MATCH: pattern, COUNT: 500 })) {
          for (const key of (Array.isArray(batch) ? batch : [batch]) as string[]) {
            const exp = await client.hGet(key, EXPIRY_FIELD);
            if (exp === null || exp === undefined || exp === NEVER || Number(exp) > now) continue;
            const rootId = key.slice(this.#prefix.length + 1, -3);
            const deleted = await client.eval(DELETE_SCRIPT, { keys: [key], arguments: [this.bodyBase(rootId)] });
            if (deleted === 1) removed++;
          }
        }
      }
    } catch (error) {
      throw sinkFailed(error, 'Redis: sweep failed');
    }
    return removed;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const client = this.#client;
    if (!this.#ownsClient || client === undefined) return;
    if (client.isReady) {
      await client.close().catch(() => client.destroy());
    } else if (client.isOpen) {
      client.destroy();
    }
  }

  /** @internal Options the writer and the read stream need. */
  get settings(): { chunkBytes: number; maxInFlight: number; readAhead: number; stagingTtlMs: number; expiry: Expiry } {
    return { chunkBytes: this.#chunkBytes, maxInFlight: this.#maxInFlight, readAhead: this.#readAhead,
      stagingTtlMs: this.#stagingTtlMs, expiry: this.#expiry };
  }

  async #entries(rootId: string): Promise<StoredEntry[]> {
    const client = await this.ready();
    let fields: Record<string, string>;
    try {
      fields = (await client.hGetAll(this.metaKey(rootId))) as Record<string, string>;
    } catch (error) {
      throw sinkFailed(error, `Redis: cannot read root ${rootId}`);
    }
    const exp = fields[EXPIRY_FIELD];
    const expiresAt = exp === undefined || exp === NEVER ? null : Number(exp);
    const out: StoredEntry[] = [];
    for (const [field, value] of Object.entries(fields)) {
      if (field === EXPIRY_FIELD) continue;
      let stored: AttachmentDocument & { chunks: number };
      try {
        stored = JSON.parse(value.slice(TOKEN_HEX + 1)) as AttachmentDocument & { chunks: number };
      } catch (error) {
        throw sinkFailed(error, `Redis: corrupt metadata for root ${rootId}`);
      }
      out.push({ doc: withTimes(stored, stored.storedAt, expiresAt), token: value.slice(0, TOKEN_HEX),
        chunks: stored.chunks });
    }
    return out;
  }

  /** @internal Commits staged attachments with the commit script. */
  async publish(rootId: string, staged: Staged<BodyHandle>[]): Promise<AttachmentDocument[]> {
    if (staged.length === 0) return [];
    const client = await this.ready();
    const now = this.#expiry.clock();
    const ttl = this.#expiry.ttlMs;
    const expiresAt = expiresAtFrom(now, ttl);
    const docs = staged.map((s) => withTimes(s.doc, now, expiresAt));
    const args = [this.bodyBase(rootId), String(ttl ?? 0), expiresAt === null ? NEVER : String(expiresAt)];
    staged.forEach((s, i) => {
      const stored = { ...docs[i]!, expiresAt: undefined, chunks: s.handle.chunks };
      args.push(s.key, `${s.handle.token} ${JSON.stringify(stored)}`, s.handle.token, String(s.handle.chunks));
    });
    try {
      await client.eval(COMMIT_SCRIPT, { keys: [this.metaKey(rootId)], arguments: args });
    } catch (error) {
      const text = messageOf(error);
      if (text.includes(DUPLICATE)) {
        throw xopError(ErrorCodes.CACHE_BAD_KEY, `a content id is already stored under root ${rootId}`,
          { status: 400, cause: error });
      }
      if (text.includes(STAGING_LOST)) {
        throw xopError(ErrorCodes.CACHE_SINK_FAILED,
          `staged bytes expired or were evicted before commit (stagingTtlMs, maxmemory-policy?)`, { status: 500, cause: error });
      }
      throw sinkFailed(error, `Redis: cannot commit root ${rootId}`);
    }
    return docs;
  }

  /** @internal Best-effort removal of staged body keys (their staging TTL removes them otherwise). */
  async discardKeys(keys: string[]): Promise<void> {
    const client = this.#client;
    if (keys.length === 0 || this.#closed || client === undefined || !client.isReady) return;
    await client.del(keys).catch(() => undefined);
  }

  /** @internal Fetches one chunk as a Buffer (null when the key or chunk is gone). */
  async fetchChunk(key: string, index: number): Promise<Buffer | null> {
    const client = await this.ready();
    if (this.#binary === undefined) {
      const { RESP_TYPES } = await import('redis');
      this.#binary = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }) as unknown as RedisClient;
    }
    return ((await this.#binary.hGet(key, String(index))) as unknown as Buffer | null) ?? null;
  }
}

class RedisWriter extends StagingWriter<BodyHandle> {
  readonly #cache: RedisCache;

  constructor(cache: RedisCache, rootId: string) {
    super(rootId);
    this.#cache = cache;
  }

  protected async stage(meta: CheckedMeta, key: string, body: AttachmentBody, signal: AbortSignal): Promise<Staged<BodyHandle>> {
    const { chunkBytes, maxInFlight, stagingTtlMs, expiry } = this.#cache.settings;
    const client = await this.#cache.ready();
    const token = randomBytes(TOKEN_HEX / 2).toString('hex');
    const bodyKey = this.#cache.bodyBase(this.rootId) + token;
    const inFlight = new Set<Promise<void>>();
    let failure: unknown;
    let chunks = 0;
    let chunk = Buffer.allocUnsafe(chunkBytes);
    let fill = 0;
    const send = (bytes: Buffer): void => {
      const index = chunks++;
      const write: Promise<void> = client.multi().hSet(bodyKey, String(index), bytes).pExpire(bodyKey, stagingTtlMs).exec()
        .then(() => undefined, (error: unknown) => {
          failure ??= error;
        })
        .finally(() => inFlight.delete(write));
      inFlight.add(write);
    };
    const check = (): void => {
      if (failure !== undefined) throw sinkFailed(failure, 'Redis: cannot store an attachment chunk');
    };
    try {
      const measured = await streamMeasured(body, async (view) => {
        check();
        for (let at = 0; at < view.byteLength;) {
          const n = Math.min(chunkBytes - fill, view.byteLength - at);
          // Copy: chunks have a fixed size, and node-redis keeps the buffer until it reaches the socket.
          chunk.set(view.subarray(at, at + n), fill);
          fill += n;
          at += n;
          if (fill === chunkBytes) {
            send(chunk);
            chunk = Buffer.allocUnsafe(chunkBytes);
            fill = 0;
            while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
            check();
          }
        }
      }, signal);
      if (fill > 0) send(chunk.subarray(0, fill)); // this chunk buffer is never reused: no copy
      await Promise.all(inFlight);
      check();
      const now = expiry.clock();
      const doc = makeDocument(meta, measured, now, expiresAtFrom(now, expiry.ttlMs));
      return { key, doc, handle: { token, chunks } };
    } catch (error) {
      await Promise.allSettled(inFlight);
      await this.#cache.discardKeys([bodyKey]);
      throw error;
    }
  }

  protected publish(staged: Staged<BodyHandle>[]): Promise<AttachmentDocument[]> {
    return this.#cache.publish(this.rootId, staged);
  }

  protected async discard(staged: Staged<BodyHandle>[]): Promise<void> {
    const base = this.#cache.bodyBase(this.rootId);
    await this.#cache.discardKeys(staged.filter((s) => s.handle.chunks > 0).map((s) => base + s.handle.token));
    staged.length = 0;
  }
}

/**
 * Streams one attachment out of Redis. Reading ahead is bounded: at most
 * `readAheadChunks` HGETs are outstanding or fetched-but-unpushed, and none
 * is started while the stream's buffer is full, so a slow reader holds Redis
 * back and the heap holds at most (1 + readAheadChunks) chunks.
 */
class RedisBodyStream extends Readable {
  readonly #cache: RedisCache;
  readonly #key: string;
  readonly #chunks: number;
  readonly #rootId: string;
  readonly #contentId: string | number;
  readonly #readAhead: number;
  /** Fetches started and not yet pushed, in chunk order. */
  readonly #pending: Array<Promise<Buffer | null>> = [];
  #next = 0;
  #pumping = false;

  constructor(cache: RedisCache, key: string, chunks: number, rootId: string, contentId: string | number) {
    super({ highWaterMark: cache.settings.chunkBytes });
    this.#cache = cache;
    this.#key = key;
    this.#chunks = chunks;
    this.#rootId = rootId;
    this.#contentId = contentId;
    this.#readAhead = cache.settings.readAhead;
  }

  override _read(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    void this.#pump().finally(() => {
      this.#pumping = false;
    });
  }

  async #pump(): Promise<void> {
    try {
      for (;;) {
        while (this.#pending.length < this.#readAhead && this.#next < this.#chunks) {
          const fetching = this.#cache.fetchChunk(this.#key, this.#next++);
          fetching.catch(() => undefined); // observed when its turn comes; never unhandled meanwhile
          this.#pending.push(fetching);
        }
        const head = this.#pending.shift();
        if (head === undefined) {
          this.push(null);
          return;
        }
        const bytes = await head;
        if (this.destroyed) return;
        if (bytes === null) {
          // Deleted or expired while being read.
          this.destroy(notFound(this.#rootId, this.#contentId));
          return;
        }
        if (!this.push(bytes)) return; // buffer full: wait for the next _read()
      }
    } catch (error) {
      this.destroy(sinkFailed(error, 'Redis: cannot read an attachment chunk'));
    }
  }
}
