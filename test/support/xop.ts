/**
 * Helpers for the SOAP/XOP tests: fixture loading, a normalised view of a
 * scan result, a canonical event list of an XML document (to compare
 * infosets), and a minimal MTOM serializer for round trips. Side-effect free.
 */

import fs from 'node:fs';
import path from 'node:path';
import { SaxesParser } from 'saxes';
import { SoapScanner, type SoapScanResult, type SoapScannerOptions } from '../../src/index.js';
import { ownCorpusDir } from './corpus.js';

/** One corpus/xop-<case>/ fixture. */
export interface XopFixture {
  name: string;
  root: Buffer;
  description: string;
  contentType: string;
  options: Partial<SoapScannerOptions>;
  result?: Record<string, unknown> & { rootDocument?: string | null; encoding?: string; bodyElements?: string[] };
  error?: { code: string; offset?: number };
}

/** Every corpus/xop-<case>/ fixture with a root.xml. */
export function xopFixtures(): XopFixture[] {
  return fs.readdirSync(ownCorpusDir).filter((d) => d.startsWith('xop-') &&
    fs.existsSync(path.join(ownCorpusDir, d, 'root.xml'))).sort().map((d) => {
    const dir = path.join(ownCorpusDir, d);
    const spec = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as Omit<XopFixture, 'name' | 'root'>;
    return { name: d, root: fs.readFileSync(path.join(dir, 'root.xml')), ...spec, options: spec.options ?? {} };
  });
}

/** Scans `chunks` with a fresh scanner. */
export function scanChunks(chunks: Uint8Array[], options: SoapScannerOptions): SoapScanResult {
  const scanner = new SoapScanner(options);
  for (const c of chunks) scanner.write(c);
  return scanner.end();
}

/** Every observable fact of a scan, as plain data (to compare scans of different chunkings). */
export function normalise(result: SoapScanResult): Record<string, unknown> {
  return {
    version: result.version,
    bodyElement: result.bodyElement,
    bodyElements: result.bodyElements,
    headerBlocks: result.headerBlocks,
    includes: result.includes.map((i) => ({ ...i })),
    swaRefs: result.swaRefs.map((s) => ({ ...s })),
    warnings: result.warnings,
    encoding: result.encoding,
    size: result.size,
    plan: result.rootDocumentPlan,
    rootDocument: result.rootDocument?.toString('utf8') ?? null,
    envelope: result.envelope?.toString('latin1') ?? null,
  };
}

/**
 * The infoset of a document as a list of events with namespaces resolved
 * (element names in Clark notation, attributes sorted, xmlns declarations
 * left out, adjacent text merged): two documents with equal lists have the
 * same infoset for our purposes.
 */
export function canonicalEvents(xml: string | Uint8Array): string[] {
  const text = typeof xml === 'string' ? xml : Buffer.from(xml).toString('utf8');
  const events: string[] = [];
  let pending = '';
  const flush = (): void => {
    if (pending !== '') events.push('T' + pending);
    pending = '';
  };
  const parser = new SaxesParser({ xmlns: true });
  parser.on('opentag', (tag) => {
    flush();
    const attributes = Object.values(tag.attributes)
      .filter((a) => a.prefix !== 'xmlns' && a.name !== 'xmlns')
      .map((a) => `{${a.uri}}${a.local}=${a.value}`).sort();
    events.push(`S{${tag.uri}}${tag.local} ${attributes.join(' ')}`);
  });
  parser.on('closetag', (tag) => {
    flush();
    events.push(`E{${tag.uri}}${tag.local}`);
  });
  parser.on('text', (t) => { pending += t; });
  parser.on('cdata', (t) => { pending += t; });
  parser.on('error', (e) => { throw e; });
  parser.write(text).close();
  flush();
  return events;
}

/** Parses XML with saxes (namespaces on); throws if it is not well-formed or uses an unbound prefix. */
export function assertWellFormed(xml: string | Uint8Array): void {
  canonicalEvents(xml);
}

/** A part of a message built by {@link serializeMultipart}. */
export interface SerializedPart {
  contentId: string;
  contentType: string;
  body: Uint8Array[];
}

/** A minimal multipart/related writer (CRLF framing, binary parts) for round-trip tests. */
export function serializeMultipart(parts: SerializedPart[], boundary: string): Buffer {
  const out: Buffer[] = [];
  for (const part of parts) {
    out.push(Buffer.from(`--${boundary}\r\nContent-Type: ${part.contentType}\r\nContent-Transfer-Encoding: binary\r\n` +
      `Content-ID: <${part.contentId}>\r\n\r\n`, 'latin1'));
    for (const b of part.body) out.push(Buffer.from(b));
    out.push(Buffer.from('\r\n', 'latin1'));
  }
  out.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  return Buffer.concat(out);
}
