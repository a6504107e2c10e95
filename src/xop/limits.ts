/**
 * Limits of the XML pass over a root part, each with a safe default. A
 * violated limit ends the scan with a typed {@link LimitError}.
 *
 * @module
 */

import { resolveLimits } from '../limits.js';

/** Limits applied by the SOAP/XOP scanner. */
export interface XmlLimits {
  /**
   * Bytes of the root part (as received). Default 64 MiB. The scanner keeps
   * the envelope unless told not to, so this is also its memory bound.
   */
  rootBytes?: number;
  /** Element nesting depth. Default 128 (CXF's `maxElementDepth` is 100). */
  depth?: number;
  /** Attributes (namespace declarations included) on one element. Default 256. */
  attributes?: number;
  /**
   * References to attachments recorded from one root part: xop:Include
   * elements, `cid:` hrefs and swaRefs together (over it:
   * `ERR_XML_TOO_MANY_REFERENCES`); also the most hrefs by Content-Location
   * that are kept (the rest are not resolved, with one warning, since a
   * payload may be full of ordinary links). Each costs an object with its
   * element path until the message ends. Default 10,000 (ten times the
   * default `parts` limit).
   */
  references?: number;
}

/** The defaults, frozen. */
export const DEFAULT_XML_LIMITS: Readonly<Required<XmlLimits>> = Object.freeze({
  rootBytes: 64 * 1024 * 1024,
  depth: 128,
  attributes: 256,
  references: 10_000,
});

/** Fills in defaults and checks that every given limit is a non-negative number. */
export function resolveXmlLimits(limits: XmlLimits | undefined): Required<XmlLimits> {
  return resolveLimits<Required<XmlLimits>>(DEFAULT_XML_LIMITS, limits);
}
