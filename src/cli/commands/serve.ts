/**
 * `xopstream serve [--port N] [--host H] [--cache file:DIR | memory[:retain-views] | redis://HOST:PORT | redis-cluster:URL[,URL...]] [--fault-status http|soap] [--strict] [--allow-missing-close-delimiter] [--allow-bare-lf-delimiters]`:
 * runs the HTTP receiver (what `npm start` runs). Defaults: port 8080 (or
 * `$PORT`), host 127.0.0.1, cache `$XOPSTREAM_CACHE` or else
 * `file:./.xopstream-cache` (the embedded FileCache). `memory:retain-views`
 * is a MemoryCache that keeps the request bodies' chunks instead of copying
 * them: safe here, because Node never writes into a request chunk again.
 * `--fault-status soap` answers faults with the status SOAP clients read
 * them under (every SOAP 1.1 fault with 500: Metro and Axis 1.4 need it);
 * see the receiver's `faultStatus` option. `--strict`,
 * `--allow-missing-close-delimiter` and `--allow-bare-lf-delimiters` are the
 * receiver options of the same names (an operator fronting an Axis 1.x peer,
 * whose bodies end in a bare LF, needs the last one without writing code).
 * Prints where it listens, one line per message received or refused, and
 * closes cleanly on SIGINT/SIGTERM (in-flight messages finish or are
 * discarded; the cache is closed).
 *
 * @module
 */

import type { AddressInfo } from 'node:net';
import { describeCacheSpec, openCache, parseCacheSpec } from '../../cache/spec.js';
import { ErrorCodes, isXopError, xopError } from '../../errors.js';
import { createReceiverServer } from '../../receive/receiver.js';
import type { FaultStatusMode } from '../../receive/reply.js';

const USAGE = 'usage: xopstream serve [--port N] [--host H] [--cache file:DIR | memory[:retain-views] | redis://HOST:PORT | redis-cluster:URL[,URL...]] ' +
  '[--fault-status http|soap] [--strict] [--allow-missing-close-delimiter] [--allow-bare-lf-delimiters]\n';

/** How often expired roots are swept from the cache. */
const SWEEP_INTERVAL_MS = 10 * 60 * 1000;
/** How long in-flight requests get to finish on shutdown. */
const SHUTDOWN_GRACE_MS = 5_000;

interface ServeArgs {
  port: number;
  host: string;
  cache: string | undefined;
  faultStatus: FaultStatusMode;
  strict: boolean;
  allowMissingCloseDelimiter: boolean;
  allowBareLfDelimiters: boolean;
}

function parsePort(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) {
    throw xopError(ErrorCodes.BAD_ARGUMENT, `--port must be 0-65535, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

function parseArgs(args: string[]): ServeArgs | null {
  const out: ServeArgs = {
    port: process.env['PORT'] !== undefined && process.env['PORT'] !== '' ? parsePort(process.env['PORT']) : 8080,
    host: '127.0.0.1',
    cache: undefined,
    faultStatus: 'http',
    strict: false,
    allowMissingCloseDelimiter: false,
    allowBareLfDelimiters: false,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--help' || arg === '-h') return null;
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = args[++i];
      if (next === undefined) throw xopError(ErrorCodes.BAD_ARGUMENT, `${name} needs a value`);
      return next;
    };
    if (inline === undefined && name === '--strict') out.strict = true;
    else if (inline === undefined && name === '--allow-missing-close-delimiter') out.allowMissingCloseDelimiter = true;
    else if (inline === undefined && name === '--allow-bare-lf-delimiters') out.allowBareLfDelimiters = true;
    else if (name === '--port') out.port = parsePort(value());
    else if (name === '--host') out.host = value();
    else if (name === '--cache') out.cache = value();
    else if (name === '--fault-status') {
      const mode = value();
      if (mode !== 'http' && mode !== 'soap') {
        throw xopError(ErrorCodes.BAD_ARGUMENT, `--fault-status must be http or soap, got ${JSON.stringify(mode)}`);
      }
      out.faultStatus = mode;
    }
    else throw xopError(ErrorCodes.BAD_ARGUMENT, `unknown option ${JSON.stringify(arg)}\n${USAGE.trimEnd()}`);
  }
  return out;
}

function urlOf(address: AddressInfo): string {
  const host = address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

/** Runs the receiver until SIGINT or SIGTERM; returns the exit code. */
export async function run(args: string[]): Promise<number> {
  const parsed = parseArgs(args);
  if (parsed === null) {
    process.stdout.write(USAGE);
    return 0;
  }
  // The same default as `xopstream cache`: $XOPSTREAM_CACHE, else file:./.xopstream-cache.
  const spec = parseCacheSpec(parsed.cache ?? process.env['XOPSTREAM_CACHE']);
  const cache = await openCache(spec);
  const server = createReceiverServer({
    cache,
    faultStatus: parsed.faultStatus,
    strict: parsed.strict,
    allowMissingCloseDelimiter: parsed.allowMissingCloseDelimiter,
    allowBareLfDelimiters: parsed.allowBareLfDelimiters,
    onMessage(message) {
      const docs = message.attachments;
      process.stdout.write(`received ${message.rootDocument.properties.wss_root_document_id}: ` +
        `SOAP ${message.soap.version ?? '?'} ${message.soap.bodyElement ?? '(empty Body)'}, ` +
        `${docs.length} attachment${docs.length === 1 ? '' : 's'} (${docs.reduce((n, d) => n + d.size, 0)} bytes)\n`);
    },
    onError(error, { status }) {
      const what = isXopError(error) ? `${error.code}: ${error.message}` : String(error);
      process.stderr.write(`refused (${status}): ${what}\n`);
    },
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(parsed.port, parsed.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await cache.close();
    throw xopError(ErrorCodes.NETWORK, `cannot listen on ${parsed.host}:${parsed.port}: ${(error as Error).message}`,
      { cause: error });
  }
  process.stdout.write(`xopstream listening on ${urlOf(server.address() as AddressInfo)} (cache: ${describeCacheSpec(spec)})\n`);

  const sweeper = setInterval(() => { cache.sweep().catch(() => undefined); }, SWEEP_INTERVAL_MS);
  sweeper.unref();

  const signal = await new Promise<string>((resolve) => {
    const onSignal = (name: string): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(name);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  process.stdout.write(`xopstream: ${signal}, closing\n`);
  clearInterval(sweeper);
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
  await closed;
  clearTimeout(force);
  await cache.close();
  process.stdout.write('xopstream: closed\n');
  return 0;
}
