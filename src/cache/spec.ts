/**
 * Cache specs, as the CLI and `npm start` take them: `file:DIR`, `memory`,
 * `memory:retain-views`, `redis://HOST:PORT` (also `rediss://`, with user,
 * password and database as node-redis accepts them) or
 * `redis-cluster:URL[,URL...]` (a Redis Cluster, named by a few of its nodes'
 * URLs; the others are discovered). The default is a FileCache in
 * `./.xopstream-cache`.
 *
 * Options of a kind follow its colon, as `file:` is followed by its
 * directory: `memory:OPTION[,OPTION...]`. The one memory option is
 * `retain-views` ({@link MemoryCacheOptions.retainViews}). A colon and
 * commas, not a `?query`: `?` is a glob character that zsh refuses to pass
 * through unquoted.
 *
 * @module
 */

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, xopError } from '../errors.js';
import type { ExpiryOptions } from './expiry.js';
import { FileCache } from './file.js';
import { MemoryCache, type MemoryCacheOptions } from './memory.js';
import type { DocumentCache } from './types.js';

/** The directory of the default FileCache, relative to the working directory. */
export const DEFAULT_CACHE_DIR = '.xopstream-cache';

/** The default cache spec. */
export const DEFAULT_CACHE_SPEC = `file:${DEFAULT_CACHE_DIR}`;

/**
 * A parsed cache spec. For `memory`, `retainViews` is present (and true) only
 * when the spec asked for it (`memory:retain-views`).
 */
export type CacheSpec =
  | { kind: 'file'; dir: string }
  | { kind: 'memory'; retainViews?: boolean }
  | { kind: 'redis'; url: string }
  | { kind: 'redis-cluster'; urls: string[] };

/** The options `memory:` takes, by their spec name. */
const MEMORY_OPTIONS: ReadonlySet<string> = new Set(['retain-views']);

function badSpec(spec: string, why: string): never {
  throw xopError(ErrorCodes.BAD_ARGUMENT,
    `bad cache spec ${JSON.stringify(spec)}: ${why} (use file:DIR, memory[:retain-views], redis://HOST:PORT or redis-cluster:redis://HOST:PORT[,...])`);
}

function parseMemorySpec(text: string): CacheSpec {
  const options = text.slice('memory:'.length).split(',');
  for (const option of options) {
    if (option === '') badSpec(text, 'an empty option after memory:');
    if (!MEMORY_OPTIONS.has(option)) badSpec(text, `unknown memory option ${JSON.stringify(option)}`);
  }
  // Every option is known, and retain-views is the only one so far: it was given.
  return { kind: 'memory', retainViews: true };
}

/**
 * Parses a cache spec; `undefined` or empty gives the default.
 * @throws XopError `ERR_BAD_ARGUMENT`
 */
export function parseCacheSpec(spec: string | undefined): CacheSpec {
  const text = (spec ?? '').trim();
  if (text === '') return { kind: 'file', dir: path.resolve(DEFAULT_CACHE_DIR) };
  if (text === 'memory') return { kind: 'memory' };
  if (text.startsWith('memory:')) return parseMemorySpec(text);
  if (text.startsWith('file://')) {
    try {
      return { kind: 'file', dir: fileURLToPath(text) };
    } catch (error) {
      badSpec(text, (error as Error).message);
    }
  }
  if (text.startsWith('file:')) {
    const dir = text.slice('file:'.length);
    if (dir === '') badSpec(text, 'no directory after file:');
    return { kind: 'file', dir: path.resolve(dir) };
  }
  if (text.startsWith('redis://') || text.startsWith('rediss://')) return { kind: 'redis', url: checkRedisUrl(text, text) };
  if (text.startsWith('redis-cluster:')) {
    const urls = text.slice('redis-cluster:'.length).split(',');
    if (urls.length === 1 && urls[0] === '') badSpec(text, 'no node URL after redis-cluster:');
    return { kind: 'redis-cluster', urls: urls.map((url) => checkRedisUrl(text, url)) };
  }
  badSpec(text, 'unknown kind');
}

/** `url` as a Redis node's URL (`redis://` or `rediss://`, with a host), else ERR_BAD_ARGUMENT naming `spec`. */
function checkRedisUrl(spec: string, url: string): string {
  if (!url.startsWith('redis://') && !url.startsWith('rediss://')) badSpec(spec, `${JSON.stringify(url)} is not a redis:// or rediss:// URL`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    badSpec(spec, `${JSON.stringify(url)} is not a URL`);
  }
  if (parsed.hostname === '') badSpec(spec, 'no host');
  return url;
}

/** Options handed to the cache {@link openCache} creates. */
export interface OpenCacheOptions extends ExpiryOptions {
  /** FileCache: fsync on commit (default true). */
  fsync?: boolean;
  /** MemoryCache: byte cap. */
  maxBytes?: number;
  /** MemoryCache: most bytes of free blocks kept for reuse (see `MemoryCacheOptions.maxPooledBytes`). */
  maxPooledBytes?: number;
  /** MemoryCache: how long a free block may stay untaken before it is dropped (see `MemoryCacheOptions.poolIdleMs`). */
  poolIdleMs?: number | null;
  /** RedisCache: key prefix. */
  keyPrefix?: string;
}

/**
 * Creates the cache a spec names. The Redis client is loaded only for a Redis
 * spec, so file and memory caches do not pay for it.
 * @throws XopError `ERR_BAD_ARGUMENT`
 */
export async function openCache(spec: string | CacheSpec | undefined, options: OpenCacheOptions = {}): Promise<DocumentCache> {
  const parsed = typeof spec === 'object' ? spec : parseCacheSpec(spec);
  const expiry: ExpiryOptions = {};
  if (options.ttlMs !== undefined) expiry.ttlMs = options.ttlMs;
  if (options.clock !== undefined) expiry.clock = options.clock;
  switch (parsed.kind) {
    case 'memory': {
      const memory: MemoryCacheOptions = { ...expiry };
      if (options.maxBytes !== undefined) memory.maxBytes = options.maxBytes;
      if (options.maxPooledBytes !== undefined) memory.maxPooledBytes = options.maxPooledBytes;
      if (options.poolIdleMs !== undefined) memory.poolIdleMs = options.poolIdleMs;
      if (parsed.retainViews === true) memory.retainViews = true;
      return new MemoryCache(memory);
    }
    case 'file':
      return new FileCache({ ...expiry, dir: parsed.dir, ...(options.fsync === undefined ? {} : { fsync: options.fsync }) });
    case 'redis': {
      const { RedisCache } = await import('./redis.js');
      return new RedisCache({ ...expiry, url: parsed.url,
        ...(options.keyPrefix === undefined ? {} : { keyPrefix: options.keyPrefix }) });
    }
    case 'redis-cluster': {
      const { RedisCache } = await import('./redis.js');
      return new RedisCache({ ...expiry, cluster: { rootNodes: parsed.urls.map((url) => ({ url })) },
        ...(options.keyPrefix === undefined ? {} : { keyPrefix: options.keyPrefix }) });
    }
  }
}

/** A spec's human-readable form (for "listening on ..." lines); passwords masked. */
export function describeCacheSpec(spec: CacheSpec): string {
  if (spec.kind === 'memory') return spec.retainViews === true ? 'memory:retain-views' : 'memory';
  if (spec.kind === 'file') return `file:${spec.dir}`;
  if (spec.kind === 'redis-cluster') return `redis-cluster:${spec.urls.map(maskPassword).join(',')}`;
  return maskPassword(spec.url);
}

/** A Redis URL with its password, if any, replaced by `***`. */
function maskPassword(text: string): string {
  const url = new URL(text);
  if (url.password !== '') url.password = '***';
  return url.toString();
}
