/**
 * The `xopstream` command line. Each subcommand lives in its own module under
 * `commands/`, loaded on demand, so that `xopstream inspect` does not load the
 * HTTP server or the Redis client.
 *
 * @module
 */

import { isXopError } from '../errors.js';

/** A subcommand: gets its arguments, returns the exit code. */
export type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, { module: string; summary: string }> = {
  inspect: { module: './commands/inspect.js', summary: 'parse a message and list its parts' },
  inflate: { module: './commands/inflate.js', summary: 'write the inflated (XOP-resolved) SOAP envelope' },
  serve: { module: './commands/serve.js', summary: 'run the HTTP receiver' },
  cache: { module: './commands/cache.js', summary: 'list, get or delete cached attachment documents' },
  pack: { module: './commands/pack.js', summary: 'compose a SwA or MTOM message' },
  send: { module: './commands/send.js', summary: 'compose and send a message, print the response' },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`);
  return `usage: xopstream <command> [options]\n\ncommands:\n${lines.join('\n')}\n`;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const entry = COMMANDS[name];
  if (entry === undefined) {
    process.stderr.write(`xopstream: unknown command ${JSON.stringify(name)}\n${usage()}`);
    return 2;
  }
  try {
    const mod = (await import(entry.module)) as { run: Command };
    return await mod.run(rest);
  } catch (error) {
    if (isXopError(error)) {
      process.stderr.write(`${error.code}: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`xopstream ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
