/**
 * Cache specs, as the CLI and `npm start` take them: `file:DIR`, `memory`,
 * `memory:retain-views` or `redis://HOST:PORT` (also `rediss://`, with user,
 * password and database as node-redis accepts them). The default is a
 * FileCache in `./.xopstream-cache`.
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
  | { kind: 'redis'; url: string };

/** The options `memory:` takes, by their spec name. */
const MEMORY_OPTIONS: ReadonlySet<string> = new Set(['retain-views']);

function badSpec(spec: string, why: string): never {
  throw xopError(ErrorCodes.BAD_ARGUMENT,
    `bad cache spec ${JSON.stringify(spec)}: ${why} (use file:DIR, memory[:retain-views] or redis://HOST:PORT)`);
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
  if (text.startsWith('redis://') || text.startsWith('rediss://')) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      badSpec(text, 'not a URL');
    }
    if (url.hostname === '') badSpec(text, 'no host');
    return { kind: 'redis', url: text };
  }
  badSpec(text, 'unknown kind');
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
  }
}

/** A spec's human-readable form (for "listening on ..." lines); passwords masked. */
export function describeCacheSpec(spec: CacheSpec): string {
  if (spec.kind === 'memory') return spec.retainViews === true ? 'memory:retain-views' : 'memory';
  if (spec.kind === 'file') return `file:${spec.dir}`;
  const url = new URL(spec.url);
  if (url.password !== '') url.password = '***';
  return url.toString();
}
