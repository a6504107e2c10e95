/**
 * The `xop` fuzz target: parseMultipart, the SAX pass (SoapScanner) over the
 * root part while it streams, reference resolution against the parts, and
 * MTOM inflate — with two oracles of its own:
 * - the root document must be a standalone well-formed XML document (it
 *   re-scans without error);
 * - the inflated envelope must be well-formed, still SOAP, and free of
 *   xop:Include elements.
 * A broken oracle surfaces as a non-XopError, i.e. a crash finding.
 */

import { createHash } from 'node:crypto';
import {
  SoapScanner, inflate, isXopError, parseMultipart, resolveXopReferences, scanSoap,
  type PartIdentity, type SoapScanResult,
} from '../../../src/index.js';
import { BodyDigest, errorOutcome, type FuzzInput, type Outcome, type PartSummary } from '../input.js';
import { makeSource, parseOptions, type SourceKind } from './mime.js';

const sha = (b: Uint8Array | null): string | null => (b === null ? null : createHash('sha256').update(b).digest('hex'));

/** An oracle failure: deliberately not an XopError, so the engine reports it. */
class OracleFailure extends Error {
  override name = 'OracleFailure';
}

/** Collects an async iterable of views into one buffer. */
async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const out: Uint8Array[] = [];
  for await (const view of source) out.push(view);
  return Buffer.concat(out); // Copy: the oracle re-scans the whole output.
}

/** A scanner that remembers its first error instead of throwing it (for a part that may not be the root). */
class TentativeScan {
  readonly #scanner: SoapScanner;
  #error: unknown = null;
  constructor(scanner: SoapScanner) {
    this.#scanner = scanner;
  }
  write(view: Uint8Array): void {
    if (this.#error !== null) return;
    try {
      this.#scanner.write(view);
    } catch (error) {
      this.#error = error;
    }
  }
  end(): SoapScanResult {
    if (this.#error !== null) throw this.#error;
    return this.#scanner.end();
  }
}

export async function runXop(input: FuzzInput, chunks: readonly Uint8Array[], kind: SourceKind): Promise<Outcome> {
  const parts: PartSummary[] = [];
  try {
    const parsed = parseMultipart(makeSource(chunks, kind), input.contentType, parseOptions(input));
    const params = parsed.info.contentType.parameters;
    const scans = new Map<number, TentativeScan>();
    const bodies = new Map<number, Uint8Array[]>();
    const identities: PartIdentity[] = [];
    for await (const part of parsed) {
      // The root is known when it begins, except when `start` names no part (the first part then becomes the root):
      // the first part is scanned tentatively whenever a `start` parameter is present.
      const scan = part.isRoot || (part.index === 0 && parsed.info.start !== null)
        ? new TentativeScan(new SoapScanner({
          ...(part.contentType === null ? {} : { contentType: part.contentType }),
          multipartType: params['type'] ?? null, startInfo: params['start-info'] ?? null, part: part.index,
          ...(input.options.limits === undefined ? {} : { limits: input.options.limits }),
        }))
        : null;
      if (scan !== null) scans.set(part.index, scan);
      const digest = new BodyDigest();
      const views: Uint8Array[] = [];
      for await (const view of part.body) {
        digest.push(view);
        views.push(view);
        scan?.write(view);
      }
      bodies.set(part.index, views);
      identities.push({ index: part.index, contentId: part.contentId });
      parts.push({
        index: part.index, isRoot: part.isRoot, contentId: part.contentId, contentType: part.contentType,
        contentTransferEncoding: part.contentTransferEncoding, contentLocation: part.contentLocation,
        headers: [...part.headers.entries()], size: digest.size, sha256: digest.hex(),
      });
    }
    const rootIndex = parsed.rootIndex ?? 0;
    for (const p of parts) p.isRoot = p.index === rootIndex;
    const scanner = scans.get(rootIndex);
    if (scanner === undefined) throw new OracleFailure(`no scanner for the root part ${rootIndex}`);
    const scan = scanner.end();
    const resolution = resolveXopReferences(scan, identities, { rootIndex });

    // Oracle: the root document stands alone.
    const rootDocument = scan.rootDocument;
    if (rootDocument !== null) {
      try {
        await scanSoap(rootDocument, { requireEnvelope: false, contentType: 'application/xml; charset=utf-8' });
      } catch (error) {
        throw new OracleFailure(`root document is not well-formed: ${isXopError(error) ? error.code : String(error)}`);
      }
    }
    // Oracle: inflate gives a well-formed SOAP envelope without includes.
    const byCid = new Map<string, number>();
    for (const r of resolution.includes) byCid.set(r.include.cid, r.part);
    const inflated = await collect(inflate(scan, {
      attachment: (cid) => bodies.get(byCid.get(cid)!) ?? [],
    }));
    if (scan.includes.length > 0) {
      let rescan: SoapScanResult;
      try {
        rescan = await scanSoap(inflated, { contentType: 'application/xml; charset=utf-8', requireEnvelope: scan.version !== null });
      } catch (error) {
        throw new OracleFailure(`inflated envelope does not re-scan: ${isXopError(error) ? error.code : String(error)}`);
      }
      if (rescan.includes.length !== 0) throw new OracleFailure('inflated envelope still has xop:Include elements');
    }
    return {
      ok: true, parts, rootIndex: parsed.rootIndex, warnings: [...parsed.warnings],
      extra: {
        version: scan.version, bodyElement: scan.bodyElement, bodyElements: scan.bodyElements, headerBlocks: scan.headerBlocks,
        encoding: scan.encoding, size: scan.size, warnings: [...scan.warnings, ...resolution.warnings],
        includes: resolution.includes.map((r) => ({ cid: r.include.cid, element: r.include.element, path: r.include.path, offset: r.include.offset, part: r.part })),
        swaRefs: resolution.swaRefs.map((r) => ({ kind: r.reference.kind, cid: r.reference.cid, path: r.reference.path, part: r.part })),
        envelope: sha(scan.envelope), rootDocument: sha(rootDocument), inflated: sha(inflated),
      },
    };
  } catch (error) {
    return errorOutcome(error, isXopError);
  }
}
