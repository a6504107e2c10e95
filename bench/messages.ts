/**
 * Benchmark messages: a multipart/related SwA message of a SOAP root part
 * plus real PDFs and JPEGs from ../shared/corpus (the project's own corpus/
 * fixtures when the shared corpus is absent), and its expected parts, so that
 * every contestant's output is verified before it is timed.
 *
 * @module
 */

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ownCorpusDir, sharedBinaryFiles, sharedCorpusDir } from '../test/support/corpus.js';

/** One expected part of a benchmark message. */
export interface BenchPart {
  contentId: string;
  size: number;
  sha256: string;
}

/** A benchmark message, already cut into the chunks every contestant gets. */
export interface BenchMessage {
  /** What it is built from, for the report. */
  description: string;
  contentType: string;
  boundary: string;
  message: Buffer;
  /** `message` cut into `chunkSize` pieces (subarrays: no copy). */
  chunks: Buffer[];
  chunkSize: number;
  parts: BenchPart[];
}

const SOAP_ROOT = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns="urn:example:documents">
  <soapenv:Header/>
  <soapenv:Body>
    <ns:storeDocuments>
%ITEMS%
    </ns:storeDocuments>
  </soapenv:Body>
</soapenv:Envelope>`;

/** One attachment source. */
interface Source {
  name: string;
  type: string;
  read(): Buffer;
}

/**
 * Attachment sources in a stable order: the shared corpus's PDFs and JPEGs
 * interleaved; without it, the project's corpus/ fixtures joined into one
 * ~140 KB attachment (one per fixture would exceed the default parts limit).
 */
function attachmentSources(): { sources: Source[]; from: string } {
  if (sharedCorpusDir !== null) {
    const pdf = sharedBinaryFiles('pdf');
    const jpeg = sharedBinaryFiles('jpeg');
    const files: string[] = [];
    for (let i = 0; i < Math.max(pdf.length, jpeg.length); i++) {
      if (i < pdf.length) files.push(pdf[i]!);
      if (i < jpeg.length) files.push(jpeg[i]!);
    }
    return {
      sources: files.map((file) => ({
        name: path.basename(file),
        type: file.endsWith('.pdf') ? 'application/pdf' : 'image/jpeg',
        read: () => fs.readFileSync(file),
      })),
      from: '../shared/corpus (pdf/, jpeg/)',
    };
  }
  const files = fs.readdirSync(ownCorpusDir).sort()
    .map((d) => path.join(ownCorpusDir, d, 'message.bin'))
    .filter((f) => fs.existsSync(f));
  const joined = Buffer.concat(files.map((f) => fs.readFileSync(f)));
  return {
    sources: [{ name: 'corpus-fixtures.bin', type: 'application/octet-stream', read: () => joined }],
    from: 'corpus/ fixtures (../shared/corpus absent)',
  };
}

/**
 * Builds the message: attachments are taken in order (cycling when the
 * corpus is smaller than the target) until `targetBytes` is reached.
 */
export function buildBenchMessage(targetBytes: number, chunkSize = 64 * 1024): BenchMessage {
  const { sources, from } = attachmentSources();
  if (sources.length === 0) throw new Error('no attachment files found for the benchmark');
  const boundary = 'MIMEBoundary_bench_6b1e0f3c8a2d4e57';
  const attachments: Array<{ id: string; type: string; bytes: Buffer }> = [];
  let total = 0;
  for (let i = 0; total < targetBytes; i++) {
    const source = sources[i % sources.length]!;
    let bytes = source.read();
    if (total + bytes.length > targetBytes) {
      bytes = bytes.subarray(0, targetBytes - total); // the last one is cut: the message stays at the target size
    }
    attachments.push({ id: `att${i}.${source.name.replace(/[^A-Za-z0-9._-]/g, '_')}@bench.example`, type: source.type, bytes });
    total += bytes.length;
  }
  const items = attachments.map((a) =>
    `      <ns:document><ns:data href="cid:${a.id}"/></ns:document>`).join('\n');
  const root = Buffer.from(SOAP_ROOT.replace('%ITEMS%', items));
  const rootId = 'root.message@bench.example';
  const pieces: Buffer[] = [];
  const parts: BenchPart[] = [];
  const add = (id: string, type: string, body: Buffer): void => {
    pieces.push(Buffer.from(`\r\n--${boundary}\r\nContent-Type: ${type}\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <${id}>\r\n\r\n`));
    pieces.push(body);
    parts.push({ contentId: id, size: body.length, sha256: crypto.createHash('sha256').update(body).digest('hex') });
  };
  add(rootId, 'text/xml; charset=UTF-8', root);
  for (const a of attachments) add(a.id, a.type, a.bytes);
  pieces.push(Buffer.from(`\r\n--${boundary}--\r\n`));
  // The first delimiter needs no leading CRLF: drop it (RFC 2046 §5.1.1).
  const message = Buffer.concat(pieces).subarray(2);
  const chunks: Buffer[] = [];
  for (let i = 0; i < message.length; i += chunkSize) chunks.push(message.subarray(i, i + chunkSize));
  return {
    description: `SOAP root + ${attachments.length} attachments from ${from}`,
    contentType: `multipart/related; type="text/xml"; start="<${rootId}>"; boundary="${boundary}"`,
    boundary,
    message,
    chunks,
    chunkSize,
    parts,
  };
}
