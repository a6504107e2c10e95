/**
 * Which element of the root document references an attachment, known when
 * the attachment part *begins* (its document's metadata is written before
 * its bytes stream into the cache).
 *
 * The matching is the {@link XopResolver}'s (exact Content-ID first, then a
 * case-insensitive fallback; the first part with an id wins): each part is
 * registered with the resolver and claims the references that now resolve
 * to it. A reference matched case-insensitively by one part and exactly by a
 * later one is claimed by the first; the resolver's final answer (in
 * `xopIncludes`) is authoritative and such a message is reported by a
 * warning of the resolver.
 *
 * @module
 */

import type { AttachmentReference } from '../cache/types.js';
import { contentIdMatchKeys } from '../xop/cid.js';
import type { PartIdentity, XopResolver } from '../xop/resolve.js';
import type { SoapScanResult } from '../xop/scanner.js';

interface Pending {
  /** Position in the claim order: xop:Includes, then swaRefs, each in document order. */
  seq: number;
  cid: string;
  reference: AttachmentReference;
}

/** References of a scanned root document, handed out to the parts they name. */
export class ReferenceIndex {
  readonly #resolver: XopResolver;
  /** Lower-cased Content-ID → the references naming it (any case). */
  readonly #byLowerCid = new Map<string, Pending[]>();
  readonly #claimed = new Set<string>();
  #count = 0;

  constructor(scan: SoapScanResult, resolver: XopResolver) {
    this.#resolver = resolver;
    for (const include of scan.includes) {
      this.#add(include.cid, { element: include.element, path: include.path, kind: 'xop' });
    }
    for (const ref of scan.swaRefs) {
      this.#add(ref.cid, { element: ref.element, path: ref.path, kind: 'swaRef' });
    }
  }

  #add(cid: string, reference: AttachmentReference): void {
    const key = cid.toLowerCase();
    let list = this.#byLowerCid.get(key);
    if (list === undefined) this.#byLowerCid.set(key, list = []);
    list.push({ seq: this.#count++, cid, reference });
  }

  /**
   * Registers a part with the resolver and returns the references that
   * resolve to it (xop:Includes, then swaRefs, each in document order), or [] when it has no Content-ID or none
   * names it.
   */
  claim(part: PartIdentity & { contentId: string | null }): AttachmentReference[] {
    this.#resolver.addPart(part);
    if (part.contentId === null) return [];
    // The id as received, and its percent-decoded form when it carries %-escapes (the resolver matches both).
    const candidates: Pending[] = [];
    for (const key of contentIdMatchKeys(part.contentId)) {
      const list = this.#byLowerCid.get(key.toLowerCase());
      if (list !== undefined) for (const pending of list) if (!candidates.includes(pending)) candidates.push(pending);
    }
    if (candidates.length === 0) return [];
    candidates.sort((a, b) => a.seq - b.seq);
    const out: AttachmentReference[] = [];
    for (const { cid, reference } of candidates) {
      if (this.#claimed.has(cid)) continue;
      if (this.#resolver.partFor(cid) === part.index) out.push(reference);
    }
    for (const { cid } of candidates) if (this.#resolver.partFor(cid) === part.index) this.#claimed.add(cid);
    return out;
  }
}
