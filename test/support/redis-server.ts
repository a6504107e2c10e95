/**
 * A Redis for the tests. With `REDIS_URL` set, tests use that server; else,
 * when `redis-server` is installed, they start a private instance on a free
 * loopback port (no persistence, its own temporary directory) and stop it
 * afterwards; else the Redis tests skip with {@link REDIS_ABSENT}. `.ci/run`
 * installs the Debian package, so on CI they always run.
 * {@link startPrivateRedisCluster} starts a private Redis Cluster (three
 * masters by default) the same way, whatever REDIS_URL says.
 *
 * Side-effect free on import: nothing starts until a function is called.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Why the Redis tests skipped. */
export const REDIS_ABSENT =
  'REDIS_URL is unset and redis-server is not installed (apt-get install redis-server; .ci/run does it): Redis cache tests skipped';

/** The redis-server binary on PATH (or in /usr/bin, /usr/sbin, /usr/local/bin), or null. */
export function redisServerBinary(): string | null {
  const dirs = [...(process.env['PATH'] ?? '').split(path.delimiter), '/usr/bin', '/usr/sbin', '/usr/local/bin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = path.join(dir, 'redis-server');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** The reason the Redis tests cannot run, or null when they can. */
export function redisUnavailableReason(): string | null {
  if (process.env['REDIS_URL'] !== undefined && process.env['REDIS_URL'] !== '') return null;
  return redisServerBinary() === null ? REDIS_ABSENT : null;
}

/** A Redis the tests talk to. */
export interface TestRedis {
  url: string;
  port: number;
  /** True when the tests started it (and may kill, restart and reconfigure it). */
  private: boolean;
  /** Stops it (private) and removes its directory; a no-op for REDIS_URL. */
  stop(): Promise<void>;
  /** Private only: SIGKILLs the server (a crash). */
  kill(): Promise<void>;
  /** Private only: SIGSTOPs / SIGCONTs the server (a hung Redis). */
  pause(): void;
  resume(): void;
  /** Private only: starts it again on the same port and directory. */
  restart(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves when `port` answers PING with PONG, rejects after `timeoutMs`. */
async function waitForPong(port: number, timeoutMs: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      let reply = '';
      socket.setTimeout(500, () => { socket.destroy(); resolve(false); });
      socket.on('error', () => resolve(false));
      socket.on('connect', () => socket.write('PING\r\n'));
      socket.on('data', (d) => {
        reply += d.toString('latin1');
        if (reply.includes('\r\n')) {
          socket.destroy();
          resolve(reply.startsWith('+PONG'));
        }
      });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Spawns one redis-server on loopback `port` (no persistence unless `extraArgs` say so) and waits for PONG. */
async function spawnRedisServer(binary: string, port: number, dir: string, logName: string,
  extraArgs: string[]): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', dir, '--logfile', path.join(dir, logName), '--daemonize', 'no', ...extraArgs];
  const child = spawn(binary, args, { stdio: 'ignore' });
  try {
    await waitForPong(port, 10_000, child);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return child;
}

/**
 * Starts a private redis-server on a free loopback port.
 * @param extraArgs more `--name value` arguments (e.g. `['--appendonly', 'yes']`)
 */
export async function startPrivateRedis(extraArgs: string[] = []): Promise<TestRedis> {
  const binary = redisServerBinary();
  if (binary === null) throw new Error(REDIS_ABSENT);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xopstream-redis-'));
  let port = 0;
  let child: ChildProcess | undefined;
  const killOnExit = (): void => {
    child?.kill('SIGKILL');
  };
  const launch = async (): Promise<void> => {
    child = await spawnRedisServer(binary, port, dir, 'redis.log', extraArgs);
  };
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    port = await freePort();
    try {
      await launch();
      lastError = undefined;
      break;
    } catch (error) {
      lastError = error;
      child?.kill('SIGKILL');
    }
  }
  if (lastError !== undefined) throw lastError;
  process.on('exit', killOnExit);
  const exited = (): Promise<void> => new Promise((resolve) => {
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    private: true,
    async stop() {
      child?.kill('SIGCONT');
      child?.kill('SIGTERM');
      await exited();
      process.off('exit', killOnExit);
      fs.rmSync(dir, { recursive: true, force: true });
    },
    async kill() {
      child?.kill('SIGKILL');
      await exited();
    },
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
    async restart() {
      await launch();
    },
  };
}

/** The Redis for a test file: REDIS_URL's, or a private one. Call {@link redisUnavailableReason} first. */
export async function redisForTests(): Promise<TestRedis> {
  const external = process.env['REDIS_URL'];
  if (external !== undefined && external !== '') {
    const port = Number(new URL(external).port || 6379);
    const unsupported = async (): Promise<never> => {
      throw new Error('not a private Redis (REDIS_URL is set)');
    };
    return {
      url: external, port, private: false, stop: async () => undefined, kill: unsupported,
      pause: () => undefined, resume: () => undefined, restart: unsupported,
    };
  }
  return startPrivateRedis();
}

/** Why the Redis Cluster tests skipped. */
export const REDIS_CLUSTER_ABSENT =
  'redis-server or redis-cli is not installed (apt-get install redis-server; .ci/run does it): Redis Cluster tests skipped';

/** The redis-cli binary next to redis-server (or on PATH), or null. */
export function redisCliBinary(): string | null {
  const server = redisServerBinary();
  const dirs = [...(server === null ? [] : [path.dirname(server)]),
    ...(process.env['PATH'] ?? '').split(path.delimiter), '/usr/bin', '/usr/local/bin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = path.join(dir, 'redis-cli');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * The reason the Redis Cluster tests cannot run, or null when they can. They
 * always start their own cluster (REDIS_URL names one standalone server, not a
 * cluster), so they need redis-server and redis-cli.
 */
export function redisClusterUnavailableReason(): string | null {
  return redisServerBinary() === null || redisCliBinary() === null ? REDIS_CLUSTER_ABSENT : null;
}

/** A private Redis Cluster on loopback. */
export interface TestRedisCluster {
  /** One `redis://127.0.0.1:PORT` per node (masters first, then replicas), in start order. */
  urls: string[];
  ports: number[];
  /** Kills the node on `port` (SIGKILL: a crash, no goodbye to the cluster) and waits for it to exit. */
  kill(port: number): Promise<void>;
  /** Stops every node (SIGTERM, then waits for exit) and removes the temporary directory. */
  stop(): Promise<void>;
}

/** Options of {@link startPrivateRedisCluster}. */
export interface PrivateRedisClusterOptions {
  /** Replicas per master (default 0); it resolves once every replica's link to its master is up. */
  replicas?: number;
  /** cluster-node-timeout: how long a silent master takes to be failed over (default 5000 ms). */
  nodeTimeoutMs?: number;
}

/** `redis-cli` with `args`; resolves with its stdout, rejects on a non-zero exit (with its output). */
async function redisCli(cli: string, args: string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('error', (error) => { clearTimeout(timer); reject(error); });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`redis-cli ${args.join(' ')} exited with ${String(code)}: ${out}`));
    });
  });
}

/** A free loopback port whose cluster bus port (port + 10000) is free and valid too. */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  const canBind = (port: number): Promise<boolean> => new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.on('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await freePort();
    if (port + 10_000 > 65_535 || taken.has(port) || taken.has(port + 10_000)) continue;
    if (await canBind(port + 10_000)) return port;
  }
  throw new Error('no free port pair (port, port + 10000) for a cluster node');
}

/**
 * Starts a private Redis Cluster: `masters` redis-servers with
 * `--cluster-enabled yes` on free loopback ports (no persistence, one
 * temporary directory holding their nodes-PORT.conf and logs), joined with
 * `redis-cli --cluster create … --cluster-replicas 0`; resolves once every
 * node reports `cluster_state:ok` and knows all the others. Stop it with {@link TestRedisCluster.stop}
 * (also killed on process exit).
 */
export async function startPrivateRedisCluster(masters = 3, options: PrivateRedisClusterOptions = {}): Promise<TestRedisCluster> {
  const replicas = options.replicas ?? 0;
  const nodeCount = masters * (1 + replicas);
  const binary = redisServerBinary();
  const cli = redisCliBinary();
  if (binary === null || cli === null) throw new Error(REDIS_CLUSTER_ABSENT);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xopstream-redis-cluster-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const killOnExit = (): void => {
    for (const child of children) child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);
  const stop = async (): Promise<void> => {
    await Promise.all(children.map((child) => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGCONT');
      child.kill('SIGTERM');
    })));
    process.off('exit', killOnExit);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const taken = new Set<number>();
    for (let i = 0; i < nodeCount; i++) {
      let lastError: unknown;
      for (let attempt = 0; attempt < 3; attempt++) {
        const port = await freeClusterPort(taken);
        try {
          children.push(await spawnRedisServer(binary, port, dir, `redis-${port}.log`, ['--cluster-enabled', 'yes',
            '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 5000)]));
          ports.push(port);
          taken.add(port).add(port + 10_000);
          lastError = undefined;
          break;
        } catch (error) {
          lastError = error;
        }
      }
      if (lastError !== undefined) throw lastError;
    }
    await redisCli(cli, ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas', String(replicas), '--cluster-yes']);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const states = await Promise.all(ports.map((p) => redisCli(cli, ['-h', '127.0.0.1', '-p', String(p), 'cluster', 'info'])
        .catch((error: unknown) => String(error))));
      // Every node has all slots covered and knows every other node (the gossip has settled), and every
      // replica has synced with its master (a replica that never synced is not failed over to).
      const links = replicas === 0 ? [] : await Promise.all(ports.map((p) => redisCli(cli, ['-h', '127.0.0.1', '-p', String(p), 'info', 'replication'])
        .catch((error: unknown) => String(error))));
      if (states.every((info) => /^cluster_state:ok\r?$/m.test(info) &&
        new RegExp(`^cluster_known_nodes:${nodeCount}\r?$`, 'm').test(info)) &&
        links.filter((info) => /^role:slave\r?$/m.test(info)).length === masters * replicas &&
        links.every((info) => !/^role:slave\r?$/m.test(info) || /^master_link_status:up\r?$/m.test(info))) break;
      if (Date.now() > deadline) throw new Error(`the cluster did not reach cluster_state:ok in 30 s:\n${states.join('\n')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const kill = async (port: number): Promise<void> => {
    const child = children[ports.indexOf(port)];
    if (child === undefined) throw new Error(`no cluster node on port ${port}`);
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  };
  return { urls: ports.map((p) => `redis://127.0.0.1:${p}`), ports, kill, stop };
}
