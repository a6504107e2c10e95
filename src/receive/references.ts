/**
 * Which element of the root document references an attachment, known when
 * the attachment part *begins* (its document's metadata is written before
 * its bytes stream into the cache).
 *
 * The matching is the {@link XopResolver}'s (exact Content-ID first, then a
 * case-insensitive fallback; the first part with an id wins; an `href` that
 * is not a `cid:` URL names the first part whose Content-Location resolves to
 * the same URI, RFC 2557): each part is registered with the resolver and
 * claims the references that now resolve to it. Both its Content-ID and its
 * Content-Location are headers, so this is decided at the part's beginning.
 * A reference matched case-insensitively by one part and exactly by a later
 * one is claimed by the first; the resolver's final answer (in `xopIncludes`)
 * is authoritative and such a message is reported by a warning of the
 * resolver.
 *
 * @module
 */

import type { AttachmentReference } from '../cache/types.js';
import { contentIdMatchKeys } from '../xop/cid.js';
import type { PartIdentity, XopResolver } from '../xop/resolve.js';
import type { SoapScanResult, SwaReference } from '../xop/scanner.js';

interface Pending {
  /** Position in the claim order: xop:Includes, then swaRefs, each in document order. */
  seq: number;
  /** What the reference names: `c` + the Content-ID, or `l` + the resolved Content-Location. */
  key: string;
  /** The part it names once every part so far is registered, or null. */
  target: () => number | null;
  reference: AttachmentReference;
}

/** References of a scanned root document, handed out to the parts they name. */
export class ReferenceIndex {
  readonly #resolver: XopResolver;
  /** Lower-cased Content-ID → the references naming it (any case). */
  readonly #byLowerCid = new Map<string, Pending[]>();
  /** Resolved URI → the `location` references naming it. */
  readonly #byLocation = new Map<string, Pending[]>();
  readonly #claimed = new Set<string>();
  #count = 0;

  constructor(scan: SoapScanResult, resolver: XopResolver) {
    this.#resolver = resolver;
    for (const include of scan.includes) {
      this.#add(this.#byLowerCid, include.cid.toLowerCase(), 'c' + include.cid, () => resolver.partFor(include.cid),
        { element: include.element, path: include.path, kind: 'xop' });
    }
    for (const ref of scan.swaRefs) this.#addSwaRef(ref);
  }

  #addSwaRef(ref: SwaReference): void {
    const resolver = this.#resolver;
    const reference: AttachmentReference = { element: ref.element, path: ref.path, kind: ref.kind === 'location' ? 'location' : 'swaRef' };
    if (ref.kind !== 'location') {
      this.#add(this.#byLowerCid, ref.cid.toLowerCase(), 'c' + ref.cid, () => resolver.partFor(ref.cid), reference);
      return;
    }
    const location = resolver.locationOf(ref);
    if (location !== null) this.#add(this.#byLocation, location, 'l' + location, () => resolver.partForReference(ref), reference);
  }

  #add(map: Map<string, Pending[]>, mapKey: string, key: string, target: () => number | null, reference: AttachmentReference): void {
    let list = map.get(mapKey);
    if (list === undefined) map.set(mapKey, list = []);
    list.push({ seq: this.#count++, key, target, reference });
  }

  /**
   * Registers a part with the resolver and returns the references that
   * resolve to it (xop:Includes, then swaRefs, each in document order), or []
   * when neither its Content-ID nor its Content-Location is named.
   */
  claim(part: PartIdentity): AttachmentReference[] {
    this.#resolver.addPart(part);
    const candidates: Pending[] = [];
    if (part.contentId !== null) {
      // The id as received, and its percent-decoded form when it carries %-escapes (the resolver matches both).
      for (const key of contentIdMatchKeys(part.contentId)) {
        const list = this.#byLowerCid.get(key.toLowerCase());
        if (list !== undefined) for (const pending of list) if (!candidates.includes(pending)) candidates.push(pending);
      }
    }
    if (this.#byLocation.size > 0) {
      const location = this.#resolver.locationOfPart(part);
      const list = location === null ? undefined : this.#byLocation.get(location);
      if (list !== undefined) candidates.push(...list);
    }
    if (candidates.length === 0) return [];
    candidates.sort((a, b) => a.seq - b.seq);
    const out: AttachmentReference[] = [];
    for (const { key, target, reference } of candidates) {
      if (this.#claimed.has(key)) continue;
      if (target() === part.index) out.push(reference);
    }
    for (const { key, target } of candidates) if (target() === part.index) this.#claimed.add(key);
    return out;
  }
}
