/**
 * Matching references (xop:Include, swaRef, href) to the parts of a message
 * by Content-ID (RFC 2392: the href was percent-decoded by the scanner, the
 * Content-ID is used as received; both without angle brackets).
 *
 * Incremental, because in a stream the root part comes first and the parts
 * it references after it: {@link XopResolver.addPart} as each part begins,
 * {@link XopResolver.finish} at the end of the message.
 *
 * @module
 */

import { ErrorCodes, xopError } from '../errors.js';
import { stripAngleBrackets } from '../mime/content-type.js';
import type { SwaReference, XopInclude } from './scanner.js';

/** The facts about a part the resolver needs. */
export interface PartIdentity {
  /** Position of the part in the message. */
  readonly index: number;
  /** Its Content-ID (with or without angle brackets), or null. */
  readonly contentId: string | null;
}

/** An include and the part it names. */
export interface ResolvedInclude {
  readonly include: XopInclude;
  /** Index of the part. */
  readonly part: number;
}

/** A swaRef / href reference and the part it names (null: no part has that Content-ID). */
export interface ResolvedSwaRef {
  readonly reference: SwaReference;
  readonly part: number | null;
}

/** A part that more than one xop:Include names. */
export interface DuplicateReference {
  readonly cid: string;
  readonly part: number;
  /** How many includes name it. */
  readonly count: number;
}

/** What {@link XopResolver.finish} returns. */
export interface XopResolution {
  /** Every include with its part, in document order. */
  readonly includes: readonly ResolvedInclude[];
  /** Every swaRef / href reference with its part or null. */
  readonly swaRefs: readonly ResolvedSwaRef[];
  /** Parts referenced by more than one include (XOP 1.0 does not forbid it; it is reported). */
  readonly duplicates: readonly DuplicateReference[];
  /** Part indexes no include or swaRef names (the root part excluded). */
  readonly unreferenced: readonly number[];
  /** Human-readable notes: duplicates, unresolved swaRefs, case-insensitive matches. */
  readonly warnings: readonly string[];
}

/** Options of {@link XopResolver}. */
export interface XopResolverOptions {
  /** Index of the root part (excluded from `unreferenced`). Default 0. */
  rootIndex?: number;
  /**
   * When no Content-ID matches exactly, accept one that differs only in
   * letter case (RFC 5322 domains are case-insensitive; some peers change
   * case). Default true; the match is noted in `warnings`.
   */
  caseInsensitiveFallback?: boolean;
}

/**
 * Resolves the references of one message to its parts.
 *
 * @example
 * const resolver = new XopResolver(scan, { rootIndex: parsed.rootIndex ?? 0 });
 * for await (const part of parsed) { resolver.addPart(part); ... }
 * const { includes } = resolver.finish(); // throws ERR_XOP_MISSING_PART
 */
export class XopResolver {
  readonly #includes: readonly XopInclude[];
  readonly #swaRefs: readonly SwaReference[];
  readonly #options: XopResolverOptions;
  readonly #byId = new Map<string, number>();
  readonly #byLowerId = new Map<string, number>();
  readonly #parts: number[] = [];

  constructor(scan: { includes: readonly XopInclude[]; swaRefs?: readonly SwaReference[] }, options: XopResolverOptions = {}) {
    this.#includes = scan.includes;
    this.#swaRefs = scan.swaRefs ?? [];
    this.#options = options;
  }

  /** Registers a part (first Content-ID wins when two parts share one). */
  addPart(part: PartIdentity): void {
    this.#parts.push(part.index);
    if (part.contentId === null) return;
    const id = stripAngleBrackets(part.contentId);
    if (!this.#byId.has(id)) this.#byId.set(id, part.index);
    const lower = id.toLowerCase();
    if (!this.#byLowerId.has(lower)) this.#byLowerId.set(lower, part.index);
  }

  /** The part a Content-ID names so far, or null. */
  partFor(cid: string): number | null {
    const exact = this.#byId.get(cid);
    if (exact !== undefined) return exact;
    if (this.#options.caseInsensitiveFallback === false) return null;
    return this.#byLowerId.get(cid.toLowerCase()) ?? null;
  }

  /**
   * Resolves everything once all parts are known.
   *
   * @throws XopError `ERR_XOP_MISSING_PART` when an include names no part.
   */
  finish(): XopResolution {
    const warnings: string[] = [];
    const includes: ResolvedInclude[] = [];
    const counts = new Map<number, { cid: string; count: number }>();
    const referenced = new Set<number>();
    for (const include of this.#includes) {
      const part = this.partFor(include.cid);
      if (part === null) {
        throw xopError(ErrorCodes.XOP_MISSING_PART,
          `xop:Include in ${include.path} names cid:${include.cid}, but no part has that Content-ID`,
          { offset: include.offset, cid: include.cid, status: 400 });
      }
      if (this.#byId.get(include.cid) !== part) {
        warnings.push(`cid:${include.cid} matched a Content-ID that differs in letter case (part ${part})`);
      }
      includes.push({ include, part });
      referenced.add(part);
      const entry = counts.get(part);
      if (entry === undefined) counts.set(part, { cid: include.cid, count: 1 });
      else entry.count++;
    }
    const duplicates: DuplicateReference[] = [];
    for (const [part, { cid, count }] of counts) {
      if (count > 1) {
        duplicates.push({ cid, part, count });
        warnings.push(`part ${part} (cid:${cid}) is referenced by ${count} xop:Include elements`);
      }
    }
    const swaRefs: ResolvedSwaRef[] = [];
    for (const reference of this.#swaRefs) {
      const part = this.partFor(reference.cid);
      if (part === null) warnings.push(`${reference.qname} references cid:${reference.cid}, which no part carries`);
      else referenced.add(part);
      swaRefs.push({ reference, part });
    }
    const rootIndex = this.#options.rootIndex ?? 0;
    const unreferenced = this.#parts.filter((index) => index !== rootIndex && !referenced.has(index));
    return { includes, swaRefs, duplicates, unreferenced, warnings };
  }
}

/**
 * One-shot form of {@link XopResolver}: resolves a scan against all the
 * parts of a message.
 *
 * @throws XopError `ERR_XOP_MISSING_PART`
 */
export function resolveXopReferences(
  scan: { includes: readonly XopInclude[]; swaRefs?: readonly SwaReference[] },
  parts: Iterable<PartIdentity>,
  options: XopResolverOptions = {},
): XopResolution {
  const resolver = new XopResolver(scan, options);
  for (const part of parts) resolver.addPart(part);
  return resolver.finish();
}
