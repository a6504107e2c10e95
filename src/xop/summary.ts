/**
 * The SOAP and XOP facts of a whole message, gathered while its parts stream
 * by (for `xopstream inspect` and other reports): nothing is kept but
 * offsets, the root part is scanned as it passes.
 *
 * When the `start` parameter may name no part, the root is only known at the
 * end (the first part then becomes the root, RFC 2387 fallback), so the first
 * part is scanned too, just in case.
 *
 * @module
 */

import { isXopError } from '../errors.js';
import { XopResolver, type PartIdentity } from './resolve.js';
import { SoapScanner, type SoapScanResult } from './scanner.js';

/** The `soap` object of a report. */
export interface SoapSummary {
  version: '1.1' | '1.2' | null;
  bodyElement: string | null;
  headerBlocks: string[];
  /** Present when the root part could not be scanned (not XML, malformed, ...). */
  error?: { code: string; message: string };
  /** Leniencies the scan applied (media type mismatch, ...), when any. */
  warnings?: string[];
}

/** One entry of the `xopIncludes` list of a report. */
export interface XopIncludeSummary {
  cid: string;
  element: string;
  /** Index of the part the include names, or null when no part has that Content-ID. */
  part: number | null;
}

/** Options of {@link MessageSoapSummary}. */
export interface MessageSoapSummaryOptions {
  /** The multipart's `type` parameter, if any. */
  multipartType?: string | null;
  /** The multipart's `start-info` parameter, if any. */
  startInfo?: string | null;
  /** True when the message has a `start` parameter (the root may then be decided only at the end). */
  hasStart?: boolean;
}

interface Scan {
  scanner: SoapScanner | null;
  result: SoapScanResult | null;
  error: { code: string; message: string } | null;
}

/** Collects SOAP/XOP facts of a message part by part. */
export class MessageSoapSummary {
  readonly #options: MessageSoapSummaryOptions;
  readonly #scans = new Map<number, Scan>();
  readonly #parts: PartIdentity[] = [];

  constructor(options: MessageSoapSummaryOptions = {}) {
    this.#options = options;
  }

  /** A part begins. */
  partBegin(part: PartIdentity & { contentType: string | null; isRoot: boolean }): void {
    this.#parts.push({ index: part.index, contentId: part.contentId });
    if (!part.isRoot && !(part.index === 0 && this.#options.hasStart === true)) return;
    this.#scans.set(part.index, {
      scanner: new SoapScanner({
        contentType: part.contentType, multipartType: this.#options.multipartType ?? null,
        startInfo: this.#options.startInfo ?? null, requireEnvelope: false, retainEnvelope: false, part: part.index,
      }),
      result: null,
      error: null,
    });
  }

  /** Bytes of a part (decoded). */
  partData(index: number, view: Uint8Array): void {
    const scan = this.#scans.get(index);
    if (scan === undefined || scan.scanner === null) return;
    try {
      scan.scanner.write(view);
    } catch (error) {
      this.#failed(scan, error);
    }
  }

  /** A part ends. */
  partEnd(index: number): void {
    const scan = this.#scans.get(index);
    if (scan === undefined || scan.scanner === null) return;
    try {
      scan.result = scan.scanner.end();
    } catch (error) {
      this.#failed(scan, error);
    }
    scan.scanner = null;
  }

  #failed(scan: Scan, error: unknown): void {
    if (!isXopError(error)) throw error;
    scan.error = { code: error.code, message: error.message };
    scan.scanner = null;
  }

  /** The report once the message has ended; `rootIndex` as parseMultipart decided it. */
  finish(rootIndex: number | null): { soap: SoapSummary | null; xopIncludes: XopIncludeSummary[]; scan: SoapScanResult | null } {
    const scan = rootIndex === null ? undefined : this.#scans.get(rootIndex);
    if (scan === undefined) return { soap: null, xopIncludes: [], scan: null };
    if (scan.result === null) {
      return {
        soap: { version: null, bodyElement: null, headerBlocks: [], error: scan.error ?? { code: 'ERR_XML_MALFORMED', message: 'not scanned' } },
        xopIncludes: [], scan: null,
      };
    }
    const result = scan.result;
    const resolver = new XopResolver(result, { rootIndex: rootIndex! });
    for (const part of this.#parts) resolver.addPart(part);
    const soap: SoapSummary = { version: result.version, bodyElement: result.bodyElement, headerBlocks: [...result.headerBlocks] };
    if (result.warnings.length > 0) soap.warnings = [...result.warnings];
    return {
      soap,
      xopIncludes: result.includes.map((include) => ({ cid: include.cid, element: include.element, part: resolver.partFor(include.cid) })),
      scan: result,
    };
  }
}
