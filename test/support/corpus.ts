/**
 * Access to the corpora tests read: the project's own `corpus/` (always
 * present) and the shared third-party corpus at `../shared/corpus` (present on
 * the team's machines and CI, absent on a user's machine: tests that need it
 * skip with a message saying so).
 */

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (the folder with package.json), found from this file. */
export const projectRoot: string = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
})();

/** The project's own corpus folder. */
export const ownCorpusDir = path.join(projectRoot, 'corpus');

/** The shared corpus folder, or null when it is absent. */
export const sharedCorpusDir: string | null = (() => {
  const dir = process.env['XOPSTREAM_SHARED_CORPUS'] ?? path.join(projectRoot, '..', 'shared', 'corpus');
  return fs.existsSync(path.join(dir, 'MANIFEST.tsv')) ? dir : null;
})();

/** Message for `t.skip()` when the shared corpus is absent. */
export const SHARED_CORPUS_ABSENT = '../shared/corpus is absent (a user machine): shared-corpus cases skipped; corpus/ still covers the essentials';

/** One row of MANIFEST.tsv. */
export interface ManifestEntry {
  path: string;
  bytes: number;
  sha256: string;
  kind: string;
  source: string;
  contentType: string;
  expectedParts: number | null;
  notes: string;
  boundary: string;
}

function unescapeField(value: string): string {
  return value.replace(/\\(.)/g, (_m, c: string) => (c === 't' ? '\t' : c === 'r' ? '\r' : c === 'n' ? '\n' : c));
}

/** Parses MANIFEST.tsv of the shared corpus (empty when absent). */
export function sharedManifest(): ManifestEntry[] {
  if (sharedCorpusDir === null) return [];
  const lines = fs.readFileSync(path.join(sharedCorpusDir, 'MANIFEST.tsv'), 'utf8').split('\n');
  const out: ManifestEntry[] = [];
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    const f = line.split('\t').map(unescapeField);
    out.push({
      path: f[0]!, bytes: Number(f[1]), sha256: f[2]!, kind: f[3]!, source: f[4]!,
      contentType: f[6] ?? '', expectedParts: f[7] ? Number(f[7]) : null, notes: f[8] ?? '', boundary: f[9] ?? '',
    });
  }
  return out;
}

/** A MIME message from the shared corpus, ready to parse. */
export interface CorpusMessage {
  name: string;
  /** The MIME body (inline HTTP/RFC 5322 headers removed). */
  body: Buffer;
  /** The Content-Type to parse it with (from the manifest, or built from its boundary). */
  contentType: string;
  expectedParts: number | null;
  /** Malformed on purpose (the manifest says MALFORMED). */
  malformed: boolean;
  notes: string;
}

/** Every MIME message of the shared corpus (empty when absent). */
export function sharedMimeMessages(): CorpusMessage[] {
  if (sharedCorpusDir === null) return [];
  return sharedManifest().filter((e) => e.kind === 'mime' || e.path.startsWith('mime/')).map((e) => {
    let body = fs.readFileSync(path.join(sharedCorpusDir!, e.path));
    if (e.notes.startsWith('headers inline')) {
      const crlf = body.indexOf('\r\n\r\n');
      const lf = body.indexOf('\n\n');
      const cut = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 4 : lf + 2;
      body = body.subarray(cut);
    }
    const contentType = e.contentType !== '' ? e.contentType : `multipart/related; boundary="${e.boundary}"`;
    return {
      name: path.basename(e.path), body, contentType, expectedParts: e.expectedParts,
      malformed: /MALFORMED/.test(e.notes), notes: e.notes,
    };
  });
}

/** Paths of the shared corpus's real PDFs and JPEGs (empty when absent). */
export function sharedBinaryFiles(kind: 'pdf' | 'jpeg'): string[] {
  if (sharedCorpusDir === null) return [];
  const dir = path.join(sharedCorpusDir, kind);
  return fs.readdirSync(dir).sort().map((f) => path.join(dir, f));
}

/** Splits `bytes` into chunks for a chunking matrix. */
export function chunk(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, Math.min(bytes.length, i + size)));
  if (out.length === 0) out.push(bytes.subarray(0, 0));
  return out;
}

/** The standard chunking matrix: whole, byte by byte, and fixed slices. */
export const CHUNKINGS: ReadonlyArray<{ name: string; split: (b: Uint8Array) => Uint8Array[] }> = [
  { name: 'whole', split: (b) => [b] },
  { name: 'byte-by-byte', split: (b) => chunk(b, 1) },
  { name: '3-byte slices', split: (b) => chunk(b, 3) },
  { name: '7-byte slices', split: (b) => chunk(b, 7) },
  { name: '64-byte slices', split: (b) => chunk(b, 64) },
  { name: '4 KiB slices', split: (b) => chunk(b, 4096) },
];
