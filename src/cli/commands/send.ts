/**
 * `xopstream send URL --root FILE.xml [--mtom | --swa] [--soap 1.1|1.2] [--action URI]
 *  [--threshold N | --no-optimize] [--timeout MS] [--retries N] [--header 'Name: value']... [--json] ATTACHMENT...`
 *
 * Composes a message exactly as `xopstream pack` does, sends it, and prints
 * the parsed answer (read with the receive machinery): its status, SOAP
 * version, root id and envelope, and each attachment's Content-ID,
 * Content-Type, size, xxh64 and sha256. `--json` prints one JSON object
 * instead. A SOAP Fault or any failure exits with 1 (`--json`
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

/** The `--json` object of `xopstream send`: the answer, each attachment hashed as it streams out of the cache. */
export async function responseJson(response: SoapResponse): Promise<Record<string, unknown>> {
  const rootId = response.rootDocument.properties.wss_root_document_id;
  const attachments: Array<Record<string, unknown>> = [];
  for (const doc of response.attachments) {
    const sha = crypto.createHash('sha256');
    for await (const chunk of await response.cache.open(rootId, doc.properties.wss_attachment_content_id)) sha.update(chunk as Uint8Array);
    attachments.push({
      index: doc.index,
      contentId: doc.properties.wss_attachment_content_id,
      contentType: doc.properties.wss_attachment_content_type,
      size: doc.size,
      xxh64: doc.xxh64,
      sha256: sha.digest('hex'),
    });
  }
  const envelope = response.rootDocument.envelope;
  return {
    status: response.status,
    statusText: response.statusText,
    contentType: response.contentType,
    soapVersion: response.soap.version,
    bodyElement: response.soap.bodyElement,
    rootId,
    envelope: envelope.length === 0 ? null : envelope.toString('utf8'),
    attachments,
    warnings: response.warnings,
  };
}

async function responseText(response: SoapResponse): Promise<string> {
  const json = await responseJson(response);
  const lines = [`HTTP ${response.status}${response.statusText ? ' ' + response.statusText : ''}`,
    `SOAP ${response.soap.version ?? '-'}, ${response.attachments.length} attachment(s), root id ${String(json['rootId'])}`];
  for (const a of json['attachments'] as Array<Record<string, unknown>>) {
    lines.push(`#${String(a['index'])}  Content-ID: ${String(a['contentId'])}  Content-Type: ${String(a['contentType'])}` +
      `  size ${String(a['size'])}  sha256 ${String(a['sha256'])}`);
  }
  if (json['envelope'] !== null) lines.push(String(json['envelope']));
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
    process.stdout.write(json ? JSON.stringify(await responseJson(response)) + '\n' : await responseText(response));
    await response.cache.close();
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
