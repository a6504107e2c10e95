/**
 * `xopstream send URL --root FILE.xml [--mtom | --swa] [--soap 1.1|1.2] [--action URI]
 *  [--threshold N | --no-optimize] [--timeout MS] [--retries N] [--header 'Name: value']... [--json] ATTACHMENT...`
 *
 * Composes a message exactly as `xopstream pack` does, sends it, and prints
 * the parsed answer: its status, SOAP version and envelope, and each
 * attachment's Content-ID, Content-Type, size and sha256. `--json` prints one
 * JSON object instead. A SOAP Fault or any failure exits with 1 (`--json`
 * prints the fault as `{"fault": {...}}`); usage errors exit with 2.
 *
 * @module
 */

import crypto from 'node:crypto';
import { isXopError } from '../../errors.js';
import { send } from '../../send/client.js';
import type { SoapResponse } from '../../send/response.js';
import { composeFromFiles, parseMessageArgs } from './pack.js';

const USAGE = 'usage: xopstream send URL --root FILE.xml [--mtom | --swa] [--soap 1.1|1.2] [--action URI]\n' +
  '                      [--threshold N | --no-optimize] [--timeout MS] [--retries N] [--header \'Name: value\']... [--json]\n' +
  '                      ATTACHMENT...\n';

/** The `--json` object of `xopstream send`. */
export function responseJson(response: SoapResponse): Record<string, unknown> {
  return {
    status: response.status,
    statusText: response.statusText,
    contentType: response.contentType,
    soapVersion: response.soapVersion,
    envelope: response.envelope === null ? null : response.envelope.toString('utf8'),
    attachments: response.attachments.map((a) => ({
      index: a.index,
      contentId: a.contentId,
      contentType: a.contentType,
      size: a.size,
      sha256: a.body === null ? null : crypto.createHash('sha256').update(a.body).digest('hex'),
    })),
  };
}

function responseText(response: SoapResponse): string {
  const lines = [`HTTP ${response.status}${response.statusText ? ' ' + response.statusText : ''}`,
    `SOAP ${response.soapVersion ?? '-'}, ${response.attachments.length} attachment(s)`];
  for (const a of responseJson(response)['attachments'] as Array<Record<string, unknown>>) {
    lines.push(`#${String(a['index'])}  Content-ID: ${String(a['contentId'] ?? '-')}  Content-Type: ${String(a['contentType'] ?? '-')}` +
      `  size ${String(a['size'])}  sha256 ${String(a['sha256'])}`);
  }
  if (response.envelope !== null) lines.push(response.envelope.toString('utf8'));
  return lines.join('\n') + '\n';
}

/** Runs `xopstream send`. */
export async function run(args: string[]): Promise<number> {
  const [url, ...rest] = args;
  if (url === '--help' || url === '-h') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (url === undefined || url.startsWith('-')) {
    process.stderr.write(`xopstream send: the first argument is the endpoint URL\n${USAGE}`);
    return 2;
  }
  let json = false;
  let timeout: number | undefined;
  let retries: number | undefined;
  const headers: Record<string, string> = {};
  const parsed = parseMessageArgs(rest, (arg, next) => {
    if (arg === '--json') {
      json = true;
      return true;
    }
    if (arg === '--timeout') {
      const value = Number(next());
      if (!(value > 0)) return '--timeout takes a positive number of milliseconds';
      timeout = value;
      return true;
    }
    if (arg === '--retries') {
      const value = Number(next());
      if (!Number.isSafeInteger(value) || value < 0) return '--retries takes a non-negative integer';
      retries = value;
      return true;
    }
    if (arg === '--header' || arg === '-H') {
      const value = next() ?? '';
      const colon = value.indexOf(':');
      if (colon <= 0) return '--header takes "Name: value"';
      headers[value.slice(0, colon).trim()] = value.slice(colon + 1).trim();
      return true;
    }
    return false;
  });
  if (typeof parsed === 'string') {
    process.stderr.write(`xopstream send: ${parsed}\n${USAGE}`);
    return 2;
  }
  const message = await composeFromFiles(parsed);
  try {
    const response = await send(url, message, {
      headers, ...(timeout === undefined ? {} : { timeout }), ...(retries === undefined ? {} : { retries }),
    });
    process.stdout.write(json ? JSON.stringify(responseJson(response)) + '\n' : responseText(response));
    return 0;
  } catch (error) {
    if (json && isXopError(error) && error.code === 'ERR_SOAP_FAULT') {
      const { cause: _cause, ...fault } = error.details;
      process.stdout.write(JSON.stringify({ fault: { code: error.code, message: error.message, ...fault } }) + '\n');
      process.stderr.write(`${error.code}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
