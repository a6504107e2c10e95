/**
 * Running the real peers of the live interop tests (Java, gSOAP, Perl): a
 * child process with its output collected and a time limit, every live one
 * tracked so that a test file's `after` can kill what is left, and the small
 * file helpers those tests share.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { MemoryCache } from '../../src/index.js';
import { readAll } from './receive.js';

/** How a peer process ended. */
export interface PeerRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Processes started here and still running. */
const live = new Set<ChildProcess>();

/** Starts a long-running peer (a server) that {@link killPeers} will stop. */
export function startPeer(command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  live.add(child);
  child.on('close', () => live.delete(child));
  return child;
}

/** Runs a program to its end (killed after `timeoutMs`); resolves with its exit and output. */
export function runPeer(command: string, args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<PeerRun> {
  return new Promise((resolve, reject) => {
    const child = startPeer(command, args, options.cwd === undefined ? {} : { cwd: options.cwd });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** Runs a program that must succeed: resolves with its stdout, rejects naming `label` with all its output. */
export async function runPeerOk(command: string, args: string[], label: string, options: { cwd?: string } = {}): Promise<string> {
  const result = await runPeer(command, args, options);
  if (result.code !== 0) throw new Error(`${label} exited ${result.code ?? result.signal}:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

/** Kills every peer still running (a test file's `after`). */
export function killPeers(): void {
  for (const child of live) child.kill('SIGKILL');
}

/** Every `.java` file under `dir`. */
export function javaSources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const file = path.join(dir, e.name);
    if (e.isDirectory()) return javaSources(file);
    return e.name.endsWith('.java') ? [file] : [];
  });
}

/** A file `name` in `dir` holding `bytes`, for a peer to read. */
export function inputFileIn(dir: string, name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

/** The bytes a MemoryCache holds for an attachment. */
export async function cachedBytes(cache: MemoryCache, rootId: string, contentId: string | number): Promise<Buffer> {
  return readAll(await cache.open(rootId, contentId));
}

/**
 * Starts a peer server that prints `LISTENING <port>` once it accepts
 * connections and stops when its stdin closes; resolves with the process and
 * the port, rejects with its stderr if it exits or stays silent too long.
 */
export async function startListeningPeer(command: string, args: string[], label: string,
  timeoutMs = 60_000): Promise<{ child: ChildProcess; port: number }> {
  const child = startPeer(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const err: Buffer[] = [];
  child.stderr!.on('data', (b: Buffer) => err.push(b));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${label} did not start in ${timeoutMs / 1000} s:\n${Buffer.concat(err)}`)), timeoutMs);
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      const found = /LISTENING (\d+)/.exec(out)?.[1];
      if (found !== undefined) {
        clearTimeout(timer);
        resolve(Number(found));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited ${code}:\n${Buffer.concat(err)}`));
    });
  });
  return { child, port };
}

/** Stops a peer server by closing its stdin (killed if it has not exited within 10 s). */
export async function stopListeningPeer(child: ChildProcess | null): Promise<void> {
  if (child === null || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.stdin!.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Compiles every `.java` file under `sourceDir` against `jars` into `workDir`/classes; returns the classpath to run them with. */
export async function compileJava(workDir: string, sourceDir: string, jars: readonly string[]): Promise<string> {
  const classes = path.join(workDir, 'classes');
  fs.mkdirSync(classes);
  await runPeerOk('javac', ['-nowarn', '-d', classes, '-cp', jars.join(path.delimiter), ...javaSources(sourceDir)], 'javac');
  return [classes, ...jars].join(path.delimiter);
}

/** Runs `main` on `classpath` with a quick JVM start-up (no tiered C2); resolves with its stdout. */
export function runJava(classpath: string, main: string, args: string[]): Promise<string> {
  return runPeerOk('java', ['-XX:TieredStopAtLevel=1', '-cp', classpath, main, ...args], `java ${main}`);
}
