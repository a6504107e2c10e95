/**
 * A Redis for the tests. With `REDIS_URL` set, tests use that server; else,
 * when `redis-server` is installed, they start a private instance on a free
 * loopback port (no persistence, its own temporary directory) and stop it
 * afterwards; else the Redis tests skip with {@link REDIS_ABSENT}. `.ci/run`
 * installs the Debian package, so on CI they always run.
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
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--dir', dir, '--logfile', path.join(dir, 'redis.log'), '--daemonize', 'no', ...extraArgs];
    child = spawn(binary, args, { stdio: 'ignore' });
    await waitForPong(port, 10_000, child);
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
