/**
 * Matching references (xop:Include, swaRef, href) to the parts of a message
 * by Content-ID (RFC 2392: the href was percent-decoded by the scanner, the
 * Content-ID is used as received; both without angle brackets). A Content-ID
 * that itself carries %-escapes or a `cid:` prefix also matches in its
 * decoded / scheme-less form (after every exact match), and then, unless
 * disabled, one that differs only in letter case.
 *
 * An `href` that is not a `cid:` URL (a `location` {@link SwaReference})
 * names the part whose Content-Location is the same URI (SwA Note 2000 §3,
 * RFC 2557 §4-5): the href is resolved against the `xml:base` in scope, if
 * any, and the root part's base (its Content-Base or Content-Location, else
 * the message's, else `thismessage:/`), each part's Content-Location against its own Content-Base
 * or the message's base, and the two compared after RFC 3986 §6.2.2
 * normalization ({@link resolveLocation}). The first part with a
 * Content-Location wins, as for Content-IDs. Nothing is fetched.
 *
 * Incremental, because in a stream the root part comes first and the parts
 * it references after it: {@link XopResolver.addPart} as each part begins,
 * {@link XopResolver.finish} at the end of the message.
 *
 * @module
 */

import { ErrorCodes, xopError } from '../errors.js';
import { THIS_MESSAGE_BASE, contentIdMatchKeys, locationBase, resolveLocation } from './cid.js';
import type { SwaReference, XopInclude } from './scanner.js';

/** Unmatched Content-Location hrefs warned about one by one; the rest are counted in one more warning. */
const MAX_LOCATION_WARNINGS = 10;

/** The facts about a part the resolver needs. */
export interface PartIdentity {
  /** Position of the part in the message. */
  readonly index: number;
  /** Its Content-ID (with or without angle brackets), or null. */
  readonly contentId: string | null;
  /** Its Content-Location, or null (or absent): what `location` references are matched with. */
  readonly contentLocation?: string | null;
  /** Its Content-Base (RFC 2110, obsolete but still sent): the base of a relative Content-Location. Null or absent: none. */
  readonly contentBase?: string | null;
}

/** The headers that give an entity its base URI (RFC 2557 §5, RFC 2110 §4). */
export interface LocationHeaders {
  readonly contentLocation?: string | null;
  readonly contentBase?: string | null;
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
  /**
   * For a `location` reference that is a URI reference: the absolute,
   * normalized URI it resolved to, which a part's resolved Content-Location
   * must equal. Absent for the other kinds.
   */
  readonly location?: string;
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
  /**
   * Human-readable notes: duplicates, unresolved swaRefs, case-insensitive
   * matches, `location` hrefs no part's Content-Location names (only when the
   * message has parts besides the root: otherwise no href can be an
   * attachment reference, and a payload's links are no leniency; the first
   * ten one by one, then one warning counting the rest).
   */
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
  /**
   * The base URI of the multipart message itself (RFC 2557 §5 (b)): its
   * Content-Location or Content-Base, as the enclosing entity (an HTTP
   * request) gave it. Parts' relative Content-Location values, and hrefs
   * when the root part has no base of its own, resolve against it. Default
   * (and for a relative value, the base it resolves against) `thismessage:/`.
   */
  messageBase?: string | null;
  /** The root part's Content-Location / Content-Base: the base of its `location` hrefs (RFC 2557 §5 (a)). */
  root?: LocationHeaders;
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
  /** Content-ID (without <>) → the first part that carries it. */
  readonly #byId = new Map<string, number>();
  /** Other match forms of a Content-ID (percent-decoded, without a `cid:` prefix) → the first part with that form. */
  readonly #byDecodedId = new Map<string, number>();
  readonly #byLowerId = new Map<string, number>();
  readonly #parts: number[] = [];
  /** Base of the parts' relative Content-Location values. */
  readonly #messageBase: string;
  /** Base of the root document's hrefs. */
  readonly #rootBase: string;
  /** Resolved Content-Location → the first part that carries it. */
  readonly #byLocation = new Map<string, number>();
  /** `location` reference → the URI it resolves to (null: none). */
  readonly #locations = new Map<SwaReference, string | null>();

  constructor(scan: { includes: readonly XopInclude[]; swaRefs?: readonly SwaReference[] }, options: XopResolverOptions = {}) {
    this.#includes = scan.includes;
    this.#swaRefs = scan.swaRefs ?? [];
    this.#options = options;
    const messageBase = options.messageBase;
    this.#messageBase = messageBase === null || messageBase === undefined ? THIS_MESSAGE_BASE : locationBase(messageBase, null);
    this.#rootBase = locationBase(options.root?.contentLocation, options.root?.contentBase, this.#messageBase);
    for (const reference of this.#swaRefs) {
      if (reference.kind !== 'location') continue;
      // XML Base §4.2: each xml:base in scope resolves against the one outside it (an unusable one is skipped).
      let base = this.#rootBase;
      for (const xmlBase of reference.xmlBase ?? []) base = resolveLocation(xmlBase, base) ?? base;
      this.#locations.set(reference, resolveLocation(reference.href, base));
    }
  }

  /**
   * The URI a part's Content-Location resolves to (against its own
   * Content-Base, else the message's base): what a `location` reference must
   * resolve to in order to name it. Null when it has none.
   */
  locationOfPart(part: PartIdentity): string | null {
    const contentLocation = part.contentLocation;
    if (contentLocation === null || contentLocation === undefined || contentLocation.trim() === '') return null;
    return resolveLocation(contentLocation, locationBase(null, part.contentBase, this.#messageBase));
  }

  /** The URI a `location` reference of this resolver's scan resolves to, or null (not one, or not resolvable). */
  locationOf(reference: SwaReference): string | null {
    return this.#locations.get(reference) ?? null;
  }

  /**
   * Registers a part (first Content-ID wins when two parts share one).
   *
   * @returns the index of the earlier part that carries the same Content-ID
   *   (compared without angle brackets), or null when it is the first (or
   *   has none): what a duplicate Content-ID error or warning names.
   */
  addPart(part: PartIdentity): number | null {
    this.#parts.push(part.index);
    if (this.#locations.size > 0) {
      const location = this.locationOfPart(part);
      if (location !== null && !this.#byLocation.has(location)) this.#byLocation.set(location, part.index);
    }
    if (part.contentId === null) return null;
    const [id, ...alternatives] = contentIdMatchKeys(part.contentId) as [string, ...string[]];
    const earlier = this.#byId.get(id);
    if (earlier !== undefined) return earlier;
    this.#byId.set(id, part.index);
    for (const key of alternatives) if (!this.#byDecodedId.has(key)) this.#byDecodedId.set(key, part.index);
    for (const key of [id, ...alternatives]) {
      const lower = key.toLowerCase();
      if (!this.#byLowerId.has(lower)) this.#byLowerId.set(lower, part.index);
    }
    return null;
  }

  /** The earliest part registered so far whose Content-ID (without <>, as received) is `id`, or null. */
  firstPartWithId(id: string): number | null {
    return this.#byId.get(id) ?? null;
  }

  /**
   * The part a (percent-decoded) href Content-ID names so far, or null: an
   * exact match, else a Content-ID whose own %-escapes decode to it, else
   * (unless disabled) one that differs only in letter case.
   */
  partFor(cid: string): number | null {
    const exact = this.#byId.get(cid) ?? this.#byDecodedId.get(cid);
    if (exact !== undefined) return exact;
    if (this.#options.caseInsensitiveFallback === false) return null;
    return this.#byLowerId.get(cid.toLowerCase()) ?? null;
  }

  /** The part a swaRef / href reference names so far (by Content-ID, or by Content-Location for `location`), or null. */
  partForReference(reference: SwaReference): number | null {
    if (reference.kind !== 'location') return this.partFor(reference.cid);
    const location = this.#locations.get(reference);
    return location === undefined || location === null ? null : this.#byLocation.get(location) ?? null;
  }

  /** True when `cid` names `part` without the letter-case fallback. */
  #matchesExactly(cid: string, part: number): boolean {
    return (this.#byId.get(cid) ?? this.#byDecodedId.get(cid)) === part;
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
      if (!this.#matchesExactly(include.cid, part)) {
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
    const rootIndex = this.#options.rootIndex ?? 0;
    const swaRefs: ResolvedSwaRef[] = [];
    let unmatched = 0;
    for (const reference of this.#swaRefs) {
      const part = this.partForReference(reference);
      if (part !== null) referenced.add(part);
      if (reference.kind !== 'location') {
        if (part === null) warnings.push(`${reference.qname} references cid:${reference.cid}, which no part carries`);
        swaRefs.push({ reference, part });
        continue;
      }
      const location = this.#locations.get(reference) ?? null;
      // A payload full of links (XHTML, Atom) next to an attachment would otherwise give one warning per link.
      if (part === null && this.#parts.some((index) => index !== rootIndex) && ++unmatched <= MAX_LOCATION_WARNINGS) {
        warnings.push(location === null
          ? `${reference.qname} has href ${JSON.stringify(reference.href)}, which cannot be resolved against ${this.#rootBase}; ignored`
          : `${reference.qname} has href ${JSON.stringify(reference.href)} (${location}), which no part's Content-Location names; ignored`);
      }
      swaRefs.push(location === null ? { reference, part } : { reference, part, location });
    }
    if (unmatched > MAX_LOCATION_WARNINGS) {
      warnings.push(`${unmatched - MAX_LOCATION_WARNINGS} more hrefs name no part's Content-Location; ignored`);
    }
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
