/**
 * The SAX pass over a root part: an I/O-free push scanner that finds the SOAP
 * version, the Header blocks, the Body and every `xop:Include` and swaRef
 * while the bytes arrive, and records the byte ranges needed to cut out the
 * root document and to inflate.
 *
 * ```ts
 * const scanner = new SoapScanner({ contentType: rootPart.contentType });
 * for await (const view of rootPart.body) scanner.write(view);
 * const result = scanner.end();
 * result.version; result.bodyElement; result.includes; result.rootDocument;
 * ```
 *
 * No DOM is built: saxes reports tags, the scanner keeps a stack of small
 * frames and the offsets it needs. The input views are kept (not copied) to
 * form the envelope unless `retainEnvelope: false`.
 *
 * Rules enforced, with the section they come from:
 * - no DOCTYPE (SOAP 1.1 §3, SOAP 1.2 part 1 §5), so no entity but the five
 *   predefined ones and character references;
 * - the document element is a SOAP 1.1 or 1.2 Envelope (unless
 *   `requireEnvelope: false`) with a Body (SOAP 1.1 §4.3, SOAP 1.2 part 1 §5.3);
 * - its namespace agrees with the media types (SwA §3 / RFC 3902 / XOP 1.0 §4.1):
 *   a warning by default, `ERR_SOAP_VERSION_MISMATCH` when `strict`;
 * - an optional Header, then exactly one Body, then (SOAP 1.1 only) further
 *   namespace-qualified elements (SOAP 1.1 §4, SOAP 1.2 part 1 §5.1): a second
 *   Header, any other element before the Body, a Header after the Body, a
 *   second Body, an unqualified element after a SOAP 1.1 Body and any element
 *   after a SOAP 1.2 Body are a warning by default, `ERR_SOAP_NOT_ENVELOPE`
 *   when `strict`; so is text other than whitespace directly inside the
 *   Envelope or the Header (SOAP 1.2 part 1 §5.1-5.2; element-only content in
 *   SOAP 1.1's schema), at its first character;
 * - `xop:Include` (XOP 1.0 §2.1): exactly one `href`, a `cid:` URL, no
 *   children, and the only child of its parent (whitespace aside).
 *
 * @module
 */

import { SaxesParser, type SaxesAttributeNSIncomplete, type SaxesTagNS } from 'saxes';
import { ErrorCodes, xopError, type XopError } from '../errors.js';
import { contentIdFromCidUrl, isLocationReference, resolveLocation } from './cid.js';
import { XmlByteDecoder } from './decoder.js';
import { resolveXmlLimits, type XmlLimits } from './limits.js';
import { describeRootMediaType, type ContentTypeInput, type RootMediaType } from './media-type.js';
import {
  XOP_NAMESPACE, clarkName, escapeAttribute, soapVersionOfNamespace, xmimeContentType, type SoapVersion,
} from './names.js';
import { PositionMap } from './positions.js';
import { OUTSIDE_DOCTYPE, OUTSIDE_MORE, OutsideScanner } from './prolog.js';
import { ChunkList } from './chunk-list.js';

/** Options of {@link SoapScanner}. */
export interface SoapScannerOptions {
  /** The root part's Content-Type (header value or parsed); gives the charset and the announced SOAP version. */
  contentType?: ContentTypeInput;
  /** The multipart's `type` parameter (e.g. `application/xop+xml`), when the root came in a multipart message. */
  multipartType?: string | null;
  /** The multipart's `start-info` parameter (MTOM: the SOAP media type), when present. */
  startInfo?: string | null;
  /**
   * Media type and envelope disagree on the SOAP version: false (default)
   * records a warning and the envelope's namespace decides (node-soap labels
   * SOAP 1.2 MTOM as `type="text/xml"`); true throws `ERR_SOAP_VERSION_MISMATCH`.
   * Likewise for an Envelope whose children are out of order (a second Header,
   * another element before the Body, a Header after the Body, a second Body, an
   * unqualified element after a SOAP 1.1 Body, any element after a SOAP 1.2
   * Body), and for text other than whitespace between the children of the
   * Envelope or of the Header: a warning by default, `ERR_SOAP_NOT_ENVELOPE`
   * when true.
   */
  strict?: boolean;
  /**
   * True (default): the document element must be a SOAP Envelope
   * (`ERR_SOAP_NOT_ENVELOPE`). False also accepts any XML document, e.g. a
   * non-SOAP XOP package; `version` is then null and the root document is the
   * document element.
   */
  requireEnvelope?: boolean;
  /**
   * Keep the bytes (default true) so that `envelope`, `rootDocument` and
   * {@link inflate} work from memory. False keeps only offsets: for a root
   * part that was spooled elsewhere (the offsets then refer to its UTF-8 bytes).
   */
  retainEnvelope?: boolean;
  /** Limits; see {@link XmlLimits}. */
  limits?: XmlLimits;
  /** Index of the root part in its message, copied into error details. */
  part?: number;
}

/** One `xop:Include` (XOP 1.0 §2.1) and the element it stands in. */
export interface XopInclude {
  /** The `href` attribute as written. */
  readonly href: string;
  /** The Content-ID it names: `cid:` removed, percent-decoded (RFC 2392), without angle brackets. */
  readonly cid: string;
  /** The element holding the include, `{namespace}localName`. */
  readonly element: string;
  /** That element's qualified name as written, e.g. `m:photo`. */
  readonly qname: string;
  /** Qualified names from the document element down to that element, e.g. `/soap:Envelope/soap:Body/m:data/m:photo`. */
  readonly path: string;
  /** The element's `xmime:contentType` attribute, or null. */
  readonly contentType: string | null;
  /** Byte offset of the `xop:Include` tag's `<`. */
  readonly offset: number;
  /** Byte range of the holding element's content (the include and whitespace around it): what inflate replaces. */
  readonly contentStart: number;
  /** End of that range (exclusive): the `<` of the holding element's end tag. */
  readonly contentEnd: number;
}

/**
 * A reference to an attachment outside XOP: a swaRef (WS-I AP 1.0 §4.4) or an
 * `href` attribute (SwA Note 2000 §3, Axis 1 / SAAJ style) naming a part by
 * Content-ID or by Content-Location.
 */
export interface SwaReference {
  /**
   * `text`: the element's whole text is a `cid:` URL (swaRef); `href`: an
   * unqualified `href="cid:..."` attribute; `location`: an unqualified `href`
   * holding any other URI reference (absolute or relative, not `#fragment`),
   * which names the part whose Content-Location resolves to the same URI
   * (RFC 2557 §4-5; matched by `XopResolver`, which knows the MIME headers).
   */
  readonly kind: 'text' | 'href' | 'location';
  /** The URL as written (trimmed). */
  readonly href: string;
  /** The Content-ID it names, percent-decoded, without angle brackets; '' for a `location` reference. */
  readonly cid: string;
  /** The element, `{namespace}localName`. */
  readonly element: string;
  /** Its qualified name as written. */
  readonly qname: string;
  /** Its path, as in {@link XopInclude.path}. */
  readonly path: string;
  /**
   * For a `location` reference: the `xml:base` values in scope at the
   * element (XML Base §4.2, which the SwA Note's resolution rules include),
   * outermost first, each resolved against the one before and the first
   * against the root part's base. Absent when none is in scope.
   */
  readonly xmlBase?: readonly string[];
}

/**
 * How to assemble the root document from the envelope's bytes: byte ranges
 * of the envelope and inserted namespace declarations, in order.
 */
export interface RootDocumentPlan {
  /** The root document's document element, `{namespace}localName`. */
  readonly element: string;
  /** Envelope byte ranges (`start`/`end`) and inserted text (`insert`), in document order. */
  readonly pieces: ReadonlyArray<{ readonly start: number; readonly end: number } | { readonly insert: string }>;
  /** Total length in bytes. */
  readonly length: number;
  /** The namespace declarations re-declared on the document element, prefix ('' for the default) → URI. */
  readonly redeclared: Readonly<Record<string, string>>;
}

/** What a scan found. */
export interface SoapScanResult {
  /** SOAP version from the Envelope namespace; null for a non-SOAP document (`requireEnvelope: false`). */
  readonly version: SoapVersion | null;
  /** `{namespace}localName` of the Body's first child element, or null (empty Body, or not SOAP). */
  readonly bodyElement: string | null;
  /** `{namespace}localName` of every child element of the Body, in order. */
  readonly bodyElements: readonly string[];
  /** `{namespace}localName` of every Header block, in order. */
  readonly headerBlocks: readonly string[];
  /** Every `xop:Include`, in document order. */
  readonly includes: readonly XopInclude[];
  /** Every swaRef and `href` reference (by Content-ID or by Content-Location), in document order. */
  readonly swaRefs: readonly SwaReference[];
  /** Leniencies applied (media type vs envelope mismatch, several Body children, ...). */
  readonly warnings: readonly string[];
  /** The decoder used (`utf-8`, `utf-16le`, ...). Offsets and bytes are UTF-8 whatever it was. */
  readonly encoding: string;
  /** What the media types said. */
  readonly media: RootMediaType;
  /** Length of the envelope in bytes (UTF-8 space; the part's size for UTF-8 input). */
  readonly size: number;
  /**
   * The whole root part as UTF-8 (the input itself for UTF-8; transcoded,
   * without its XML declaration, otherwise); null with `retainEnvelope: false`.
   * Joined on first access (a single-chunk part is not copied).
   */
  readonly envelope: Buffer | null;
  /** The envelope's bytes as the views that were written (no copy); null with `retainEnvelope: false`. */
  envelopeChunks(): Uint8Array[] | null;
  /** Views of envelope bytes `[start, end)` (no copy); null with `retainEnvelope: false`. */
  envelopeSlice(start: number, end: number): Uint8Array[] | null;
  /** How the root document is cut from the envelope; null when there is none (empty Body). */
  readonly rootDocumentPlan: RootDocumentPlan | null;
  /**
   * The Body's content as a standalone well-formed XML document (UTF-8): the
   * exact bytes of the Body's child element, with the namespace declarations
   * in scope on Envelope/Body that it uses re-declared on it. When the Body
   * has several child elements (rpc/encoded multiRefs, WS-I SwA samples) the
   * document element is the Body itself so nothing is lost. Null when the
   * Body is empty or `retainEnvelope` was false. Joined on first access.
   */
  readonly rootDocument: Buffer | null;
  /** The root document as views of the envelope plus the inserted declarations; null as for {@link rootDocument}. */
  rootDocumentChunks(): Uint8Array[] | null;
}

/** Frame of one open element. */
interface Frame {
  tag: SaxesTagNS;
  /** saxes position just after the start tag's `>`. */
  contentStart: number;
  /** Child elements seen so far. */
  children: number;
  /** 0 no text, 1 whitespace only, 2 other text (or text too long to look at). */
  text: number;
  /** This element is an xop:Include. */
  isInclude: boolean;
  /** The xop:Include this element holds, until it closes. */
  include: PendingInclude | null;
  /** Trimmed text starting with `cid:` (a swaRef candidate), or null. */
  swaText: string | null;
}

interface PendingInclude {
  href: string;
  cid: string;
  offset: number;
  contentStart: number;
  /** Positions of the include's start tag '<' and of its end tag '<' (the same for `<xop:Include/>`). */
  startLt: number;
  endLt: number;
}

/** How many used prefixes #usePrefix compares with before it looks in the Set. */
const RECENT_PREFIXES = 8;

/** Most warnings listed per root part; more are counted in a last one (each names an element: bounded memory). */
const MAX_WARNINGS = 100;

/** Longest text looked at for a swaRef or a QName prefix; longer text is not kept (bounded memory). */
const TEXT_PROBE_LIMIT = 4096;

/**
 * saxes keeps the pending text of a text node in `parser.text` and its state
 * in `parser.state`; both are runtime fields outside its typings. The scanner
 * drops text longer than {@link TEXT_PROBE_LIMIT} (a 100 MB inline base64
 * value would otherwise be accumulated) — only in the text state, learnt here
 * from a throwaway parser so no saxes constant is hard-coded.
 */
interface SaxesInternals {
  state: unknown;
  text: string;
}
const TEXT_STATE: unknown = (() => {
  try {
    const probe = new SaxesParser({ xmlns: true, position: true });
    probe.write('<a>');
    const state = (probe as unknown as SaxesInternals).state;
    return typeof state === 'number' && typeof (probe as unknown as SaxesInternals).text === 'string' ? state : undefined;
  } catch {
    return undefined;
  }
})();

/** A whole text that is a `cid:` URL (a URI has no whitespace). */
const SWAREF_TEXT = /^cid:\S+$/i;

/** An element's name for a message: its qualified name, marked when it has no namespace (`unqualified foo`). */
function elementLabel(tag: SaxesTagNS): string {
  return tag.uri === '' ? `unqualified ${tag.name}` : tag.name;
}

function isXmlWhitespace(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

/**
 * The streaming SOAP/XOP scanner. Feed it the root part with {@link write},
 * then call {@link end} for the {@link SoapScanResult}. Every failure is an
 * `XopError` (`ERR_XML_*`, `ERR_SOAP_*`, `ERR_XOP_*`) with the byte offset
 * where it was detected; after one, the scanner refuses further input.
 *
 * Views passed to `write` are kept (unless `retainEnvelope: false`): do not
 * reuse their memory while the result is in use.
 */
export class SoapScanner {
  readonly #options: SoapScannerOptions;
  readonly #limits: Required<XmlLimits>;
  readonly #media: RootMediaType;
  readonly #parser: SaxesParser<{ xmlns: true; position: true }>;
  readonly #decoder: XmlByteDecoder;
  readonly #chunks: ChunkList | null;
  #map: PositionMap | null = null;
  #inputBytes = 0;
  /** Bytes of the UTF-8 space decoded so far (BOM aside): the envelope's size even when nothing is retained. */
  #utf8SpaceBytes = 0;
  #failed: unknown = null;
  #ended = false;
  readonly #warnings: string[] = [];
  /** Warnings not listed past {@link MAX_WARNINGS} (one per element at most: bounded memory on hostile input). */
  #warningsOmitted = 0;
  /** References recorded (includes, cid: hrefs, swaRefs) and hrefs by location kept, against limits.references. */
  #references = 0;
  #locationReferences = 0;
  /** The segment being written to saxes. */
  #segmentText = '';

  // --- outside the document element (see prolog.ts) -------------------------
  readonly #outside = new OutsideScanner();
  /** 1 reading the prolog, 2 reading what follows the document element, 0 neither (inside it, or left to saxes). */
  #outsidePhase = 1;
  /** Position and byte offset of the first character of text outside the document element, or -1. */
  #outsideTextAt = -1;
  #outsideTextByte = -1;

  // --- element stack -------------------------------------------------------
  readonly #frames: Frame[] = [];
  #depth = 0;
  #attributes = 0;
  /** limits.depth and limits.attributes, read once per element. */
  readonly #maxDepth: number;
  readonly #maxAttributes: number;
  /** The unprefixed `href` attribute of the start tag being read (from the attribute events), or null. */
  #href: string | null = null;
  /** Its `xml:base` attribute, or null. */
  #xmlBaseAttribute: string | null = null;
  /** The elements open with an `xml:base`: depth and the values in scope there, outermost first (rare: kept apart from the frames). */
  readonly #xmlBases: Array<{ depth: number; chain: readonly string[] }> = [];
  #probeOn = true;

  // --- SOAP structure ------------------------------------------------------
  #version: SoapVersion | null = null;
  #envelopeNs: string | null = null;
  #soap = false;
  #rootClark = '';
  #rootStart = -1;
  #rootEnd = -1;
  #envelopeScope: Record<string, string> = {};
  #headerDepth = 0;
  /**
   * Byte offset where the character content of the Envelope (or, inside it, of the Header) now being
   * read begins: just after the last tag, or at the '<' of the comment or PI that ended the previous
   * text. -1 before the Envelope. Where stray text is reported from (SOAP allows only whitespace there).
   */
  #envelopeTextFrom = -1;
  /** A Header child of the Envelope has been seen before the Body (a second one is out of order). */
  #headerSeen = false;
  #bodyDepth = 0;
  #bodyClosed = false;
  #bodySeen = false;
  #bodyStart = -1;
  #bodyNameEnd = -1;
  #bodyEnd = -1;
  #bodyScope: Record<string, string> = {};
  #bodyOwnNs: Record<string, string> = {};
  readonly #bodyTagPrefixes = new Set<string>();
  #bodyClark = '';
  readonly #bodyElements: string[] = [];
  #firstChildStart = -1;
  #firstChildNameEnd = -1;
  #firstChildEnd = -1;
  #firstChildOwnNs: Record<string, string> = {};
  /** Prefixes ('' = default namespace) used inside the Body, by names or QName-like values. */
  readonly #usedPrefixes = new Set<string>();
  /**
   * The first few prefixes added to #usedPrefixes: element and attribute names repeat a handful of
   * prefixes, and comparing with these is cheaper than a Set lookup, which hashes each fresh string.
   */
  readonly #recentPrefixes: string[] = [];
  /** True while inside the Body (its start tag seen, its end tag not yet): payload bookkeeping is on. */
  #inBody = false;
  /** The prefixes declared on Envelope and Body (#bodyScope's keys), for the QName-value test. */
  #bodyScopePrefixes: ReadonlySet<string> = new Set();
  /** The last prefix #noteQNameValue found in #bodyScopePrefixes (already used: no need to look again). */
  #lastQNamePrefix = '';
  readonly #headerBlocks: string[] = [];
  readonly #includes: XopInclude[] = [];
  readonly #swaRefs: SwaReference[] = [];

  constructor(options: SoapScannerOptions = {}) {
    this.#options = options;
    this.#limits = resolveXmlLimits(options.limits);
    this.#maxDepth = this.#limits.depth;
    this.#maxAttributes = this.#limits.attributes;
    this.#media = describeRootMediaType(options.contentType, { type: options.multipartType ?? null, startInfo: options.startInfo ?? null });
    this.#chunks = options.retainEnvelope === false ? null : new ChunkList();
    const chunks = this.#chunks;
    this.#decoder = new XmlByteDecoder(this.#media.charset,
      (text, bytes, dropped) => this.#segment(text, bytes, dropped),
      chunks === null ? null : (view) => chunks.push(view));
    const parser = this.#parser = new SaxesParser({ xmlns: true, position: true });
    parser.on('opentag', (tag) => this.#openTag(tag));
    parser.on('closetag', (tag) => this.#closeTag(tag));
    parser.on('text', this.#onText);
    parser.on('cdata', this.#onCdata);
    parser.on('attribute', (attribute) => this.#attribute(attribute));
    parser.on('doctype', () => {
      throw this.#error(ErrorCodes.XML_DOCTYPE,
        'a SOAP message must not contain a document type declaration (SOAP 1.1 §3, SOAP 1.2 part 1 §5)');
    });
    // No more handlers: saxes stores each in a property added after construction, and from the
    // seventh on V8 turns the parser into a slow dictionary object (4x slower; the sixth, cdata,
    // measured no slower). Malformed XML makes saxes throw (caught in write/end); comments, PIs and
    // CDATA next to an xop:Include are found from the positions of '<' instead of by events.
  }

  /** Feeds the next bytes of the root part. */
  write(view: Uint8Array): void {
    if (this.#failed !== null) throw this.#failed;
    if (this.#ended) throw xopError(ErrorCodes.PARSER_STATE, 'SoapScanner.write() after end()');
    try {
      const before = this.#inputBytes;
      this.#inputBytes += view.length;
      if (this.#inputBytes > this.#limits.rootBytes) {
        // Scan the bytes up to the limit first, so that an XML error in them wins over the
        // limit whatever the chunking (found by the fuzzer: corpus/regressions/receive-chunking-*).
        const allowed = this.#limits.rootBytes - before;
        if (allowed > 0) this.#decoder.push(view.subarray(0, allowed));
        throw xopError(ErrorCodes.XML_TOO_LARGE, `the root part exceeds limits.rootBytes (${this.#limits.rootBytes})`,
          this.#details({ offset: this.#limits.rootBytes, limit: this.#limits.rootBytes }));
      }
      this.#decoder.push(view);
    } catch (error) {
      throw this.#fail(error);
    }
  }

  /** Ends the root part and returns what was found. */
  end(): SoapScanResult {
    if (this.#failed !== null) throw this.#failed;
    if (this.#ended) throw xopError(ErrorCodes.PARSER_STATE, 'SoapScanner.end() called twice');
    this.#ended = true;
    try {
      this.#decoder.end();
      this.#parser.close();
      return this.#result();
    } catch (error) {
      throw this.#fail(error);
    }
  }

  // --- plumbing ------------------------------------------------------------

  #segment(text: string, bytes: number, dropped: boolean): void {
    let map = this.#map;
    if (map === null) map = this.#map = new PositionMap(this.#decoder.bomBytes);
    map.next(text, bytes, dropped);
    this.#utf8SpaceBytes += bytes;
    this.#segmentText = text;
    const parser = this.#parser;
    if (this.#outsidePhase !== 0) this.#scanOutside(text, 0);
    parser.write(text);
    if (this.#probeOn && TEXT_STATE !== undefined) {
      const internals = parser as unknown as SaxesInternals;
      if (internals.state === TEXT_STATE && internals.text.length > TEXT_PROBE_LIMIT) {
        if (this.#inEnvelopeText()) {
          // Long whitespace between Envelope or Header children: forget it, keep looking for what follows
          // (so the text reported, and its snippet, do not depend on where the chunks end).
          const text = internals.text;
          let i = 0;
          while (i < text.length && isXmlWhitespace(text.charAt(i))) i++;
          if (text.length - i <= TEXT_PROBE_LIMIT) {
            internals.text = text.slice(i);
            return;
          }
          // Long stray text, reported now (its end is not known yet): from where it began, as for short text.
          this.#strayText(text.slice(i), this.#firstCharacterByte(this.#envelopeTextFrom, map.byteAt(parser.position)));
        }
        // Long text (inline base64): stop collecting it; it is neither a swaRef nor a QName.
        internals.text = '';
        parser.off('text');
        this.#probeOn = false;
        const frame = this.#depth > 0 ? this.#frames[this.#depth - 1]! : null;
        if (frame !== null) this.#textSeen(frame, false, null);
      }
    }
  }

  /**
   * Reads text outside the document element from `text[from]` on (before
   * saxes gets it in the prolog; in the rest of the segment when the
   * document element has just ended): a DOCTYPE in the prolog is rejected
   * here, at its '<', before saxes would buffer it.
   */
  #scanOutside(text: string, from: number): void {
    const map = this.#map!;
    const outside = this.#outside;
    const stop = outside.scan(text, from, map.segmentStart);
    if (this.#outsideTextAt < 0 && outside.textAt >= 0) {
      // Recorded in this segment, so the map can still tell its byte offset.
      this.#outsideTextAt = outside.textAt;
      this.#outsideTextByte = map.byteAt(outside.textAt);
    }
    if (stop === OUTSIDE_MORE) return;
    if (stop === OUTSIDE_DOCTYPE && this.#outsidePhase === 1) {
      const end = map.segmentStart + outside.doctypeIndex;
      const lt = map.ltCharBefore(end);
      // The text before the '<' goes to saxes first, so that an earlier error in it wins whatever the chunking.
      if (lt > map.segmentStart) this.#parser.write(text.slice(0, lt - map.segmentStart));
      throw xopError(ErrorCodes.XML_DOCTYPE,
        'a SOAP message must not contain a document type declaration (SOAP 1.1 §3, SOAP 1.2 part 1 §5)',
        this.#details({ offset: map.ltByteBefore(end) }));
    }
    // The document element begins, or markup saxes rejects where it stands (a DOCTYPE after the document element too).
    this.#outsidePhase = 0;
  }

  #fail(error: unknown): unknown {
    let failure = error;
    if (!(typeof error === 'object' && error !== null && typeof (error as XopError).code === 'string' &&
        (error as XopError).code.startsWith('ERR_'))) {
      const message = error instanceof Error ? error.message : String(error);
      if (this.#outsideTextAt >= 0 && this.#parser.position > this.#outsideTextAt &&
          message.endsWith('text data outside of root node.')) {
        // saxes reports it where the text run ends in the current chunk: report where the text begins instead.
        failure = xopError(ErrorCodes.XML_MALFORMED,
          'malformed XML: text outside the document element (XML 1.0 §2.1)',
          this.#details({ offset: this.#outsideTextByte, cause: error }));
      } else {
        failure = this.#error(ErrorCodes.XML_MALFORMED, `malformed XML: ${message}`, error);
      }
    }
    this.#failed = failure;
    return failure;
  }

  #offset(): number {
    const map = this.#map;
    return map === null ? 0 : map.byteAt(this.#parser.position);
  }

  #details(extra: Record<string, unknown>): Record<string, unknown> {
    return this.#options.part === undefined ? extra : { part: this.#options.part, ...extra };
  }

  #error(code: (typeof ErrorCodes)[keyof typeof ErrorCodes], message: string, cause?: unknown): XopError {
    const details = this.#details({ offset: this.#offset() });
    if (cause !== undefined) details['cause'] = cause;
    return xopError(code, message, details);
  }

  /** Records a warning; past MAX_WARNINGS they are only counted (a last one says how many). */
  #warn(text: string): void {
    if (this.#warnings.length < MAX_WARNINGS) this.#warnings.push(text);
    else this.#warningsOmitted++;
  }

  /** Counts a reference to an attachment against limits.references. */
  #countReference(): void {
    if (++this.#references > this.#limits.references) {
      throw xopError(ErrorCodes.XML_TOO_MANY_REFERENCES,
        `the root part references attachments more than limits.references (${this.#limits.references}) times`,
        this.#details({ offset: this.#offset(), limit: this.#limits.references }));
    }
  }

  #path(extra?: SaxesTagNS): string {
    let path = '';
    for (let i = 0; i < this.#depth; i++) path += '/' + this.#frames[i]!.tag.name;
    if (extra !== undefined) path += '/' + extra.name;
    return path;
  }

  // --- saxes events --------------------------------------------------------
  //
  // These run once per element, attribute and text node, so the common case
  // (an element deep inside the payload that is neither an xop:Include nor a
  // reference) is kept to a few field reads and writes: the SOAP structure
  // lives in the top three levels (Envelope, Header/Body, their children) and
  // is only looked at there, and the rare cases go to separate methods.

  #attribute(attribute: SaxesAttributeNSIncomplete): void {
    if (++this.#attributes > this.#maxAttributes) {
      throw xopError(ErrorCodes.XML_TOO_MANY_ATTRIBUTES,
        `an element has more than limits.attributes (${this.#limits.attributes}) attributes`,
        this.#details({ offset: this.#offset(), limit: this.#limits.attributes }));
    }
    const name = attribute.name;
    // An unprefixed href: an xop:Include's, or an SwA reference (looked at when the start tag is complete).
    if (name === 'href') this.#href = attribute.value;
    else if (name === 'xml:base') this.#xmlBaseAttribute = attribute.value;
    // Inside the Body: note the prefixes the payload uses, by name and in QName-like values (xsi:type="xsd:int").
    if (this.#inBody) {
      const prefix = attribute.prefix;
      if (prefix === 'xmlns' || name === 'xmlns') return;
      if (prefix !== '') this.#usePrefix(prefix);
      this.#noteQNameValue(attribute.value);
    }
  }

  #usePrefix(prefix: string): void {
    const recent = this.#recentPrefixes;
    for (let i = 0; i < recent.length; i++) if (recent[i] === prefix) return;
    const used = this.#usedPrefixes;
    if (recent.length < RECENT_PREFIXES && !used.has(prefix)) recent.push(prefix);
    used.add(prefix);
  }

  /** A value that may be a QName (`xsd:int`): its prefix counts as used when the Envelope or Body declares it. */
  #noteQNameValue(value: string): void {
    const colon = value.indexOf(':');
    if (colon <= 0 || colon > 64) return;
    const last = this.#lastQNamePrefix;
    // Same prefix as last time (no substring made): already noted.
    if (colon === last.length && value.startsWith(last)) return;
    let prefix = value.slice(0, colon);
    if (isXmlWhitespace(prefix.charAt(0))) prefix = prefix.trim();
    if (this.#bodyScopePrefixes.has(prefix)) {
      this.#usePrefix(prefix);
      this.#lastQNamePrefix = prefix;
    }
  }

  readonly #onText = (text: string): void => {
    const depth = this.#depth;
    if (depth === 0) return;
    const frame = this.#frames[depth - 1]!;
    // Only text starting with a whitespace character (or empty: NaN) can be all whitespace.
    if (!(text.charCodeAt(0) > 0x20) && isXmlWhitespace(text)) {
      if (frame.text === 0) frame.text = 1;
      return;
    }
    if (depth <= 2 && this.#inEnvelopeText()) {
      // saxes reports text at the '<' that ends it: that '<' begins the markup the next text follows.
      const end = this.#map!.ltByteBefore(this.#parser.position);
      const offset = this.#firstCharacterByte(this.#envelopeTextFrom, end);
      this.#envelopeTextFrom = end;
      this.#strayText(text, offset);
    }
    this.#textSeen(frame, false, text.length > TEXT_PROBE_LIMIT ? null : text);
  };

  /**
   * A CDATA section: character data too. Directly inside the Envelope or the
   * Header, content other than whitespace is stray text like any other; a
   * lone section there raises no text event, so it is checked here. Elsewhere
   * it is payload (xop:Include's emptiness is checked from the '<' positions).
   */
  readonly #onCdata = (text: string): void => {
    if (this.#depth > 2 || !this.#inEnvelopeText() || isXmlWhitespace(text)) return;
    // saxes reports the section after its "]]>": the next character content begins there.
    const end = this.#map!.byteAt(this.#parser.position);
    const offset = this.#firstCharacterByte(this.#envelopeTextFrom, end);
    this.#envelopeTextFrom = end;
    this.#strayText(text, offset);
  };

  /** True while the character content being read is the Envelope's own or the Header's own (between their children). */
  #inEnvelopeText(): boolean {
    const depth = this.#depth;
    return this.#soap && (depth === 1 || (depth === 2 && this.#headerDepth === 2));
  }

  /**
   * Text other than whitespace directly inside the Envelope or the Header.
   * SOAP 1.2 part 1 §5.1 and §5.2 allow only whitespace character
   * information items there, and SOAP 1.1's schema gives both element-only
   * content: a warning (`... (at byte N)`, N its first character) by
   * default, `ERR_SOAP_NOT_ENVELOPE` when `strict`. Text inside Header
   * blocks and inside the Body is payload and never looked at here.
   */
  #strayText(text: string, offset: number): void {
    const problem = `the ${this.#depth === 1 ? 'Envelope' : 'Header'} has text ${JSON.stringify(text.trim().slice(0, 40))} ` +
      'between its child elements';
    if (this.#options.strict === true) {
      throw xopError(ErrorCodes.SOAP_NOT_ENVELOPE,
        `the root part is not a valid SOAP envelope: ${problem} (SOAP 1.2 part 1 §5.1-5.2, SOAP 1.1 §4: ` +
        'only whitespace may stand between the children of Envelope and Header)',
        this.#details({ offset }));
    }
    this.#warn(`${problem}; it is ignored (at byte ${offset})`);
  }

  /**
   * Byte offset of the first character other than whitespace in the envelope
   * bytes `[start, end)`, comments and PIs skipped (saxes reports no event
   * for them, so `start` may lie before one): where stray text begins,
   * whatever the chunking. `start` when the bytes were not retained
   * (`retainEnvelope: false`), `end` when nothing is found.
   */
  #firstCharacterByte(start: number, end: number): number {
    const views = start < 0 || this.#chunks === null ? null : this.#chunks.slice(start, end);
    if (views === null) return start < 0 ? end : start;
    const bytes = toBuffer(views.length === 1 ? views[0]! : Buffer.concat(views));
    let cdata = false;
    for (let i = 0; i < bytes.length;) {
      const c = bytes[i]!;
      if (c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d) {
        i++;
      } else if (cdata) {
        // CDATA content is character data too: only its end delimiter is skipped.
        if (c !== 0x5d || bytes[i + 1] !== 0x5d || bytes[i + 2] !== 0x3e) return start + i;
        cdata = false;
        i += 3;
      } else if (c !== 0x3c) {
        return start + i;
      } else if (bytes[i + 1] === 0x21 && bytes[i + 2] === 0x5b) {
        cdata = true;
        i += 9; // <![CDATA[
      } else {
        const close = bytes[i + 1] === 0x21 ? '-->' : '?>';
        const at = bytes.indexOf(close, i + 2);
        if (at < 0) break;
        i = at + close.length;
      }
    }
    return end;
  }

  /** Records character content of `frame`; `text` is the (short) text, null when not looked at. */
  #textSeen(frame: Frame, whitespace: boolean, text: string | null): void {
    if (whitespace) {
      if (frame.text === 0) frame.text = 1;
      return;
    }
    const first = frame.text !== 2;
    frame.text = 2;
    if (frame.isInclude) {
      throw this.#error(ErrorCodes.XOP_BAD_INCLUDE, 'xop:Include must be empty (XOP 1.0 §2.1); it has text content');
    }
    if (frame.include !== null) {
      throw this.#error(ErrorCodes.XOP_BAD_INCLUDE,
        `xop:Include must be the only child of ${frame.tag.name} (XOP 1.0 §2.1); text follows it`);
    }
    if (text === null) {
      frame.swaText = null;
      return;
    }
    // Cheap tests first: most text is neither a cid: URL nor a QName.
    const c = text.charCodeAt(0);
    let trimmed = text;
    if (c <= 0x20) {
      trimmed = text.trim();
      frame.swaText = first && frame.children === 0 && SWAREF_TEXT.test(trimmed) ? trimmed : null;
    } else if ((c | 0x20) === 0x63 && (text.charCodeAt(1) | 0x20) === 0x69 && (text.charCodeAt(2) | 0x20) === 0x64 &&
        text.charCodeAt(3) === 0x3a) {
      // Starts with "cid:" in any case.
      trimmed = text.trim();
      frame.swaText = first && frame.children === 0 && SWAREF_TEXT.test(trimmed) ? trimmed : null;
    } else {
      frame.swaText = null;
    }
    if (this.#inBody && this.#depth > this.#bodyDepth && text.length <= 256) {
      this.#noteQNameValue(trimmed); // e.g. <faultcode>soapenv:Server</faultcode>
    }
  }

  #openTag(tag: SaxesTagNS): void {
    this.#attributes = 0;
    const href = this.#href;
    this.#href = null;
    if (!this.#probeOn) {
      this.#parser.on('text', this.#onText);
      this.#probeOn = true;
    }
    const depth = this.#depth + 1;
    if (depth > this.#maxDepth) {
      throw xopError(ErrorCodes.XML_TOO_DEEP, `elements nest deeper than limits.depth (${this.#limits.depth})`,
        this.#details({ offset: this.#offset(), limit: this.#limits.depth }));
    }
    const position = this.#parser.position;
    const parent = depth > 1 ? this.#frames[depth - 2]! : null;
    if (parent !== null) {
      if (parent.isInclude || parent.include !== null) this.#childOfInclude(parent, tag);
      parent.children++;
    }
    let frame = this.#frames[depth - 1];
    if (frame === undefined) {
      frame = { tag, contentStart: position, children: 0, text: 0, isInclude: false, include: null, swaText: null };
      this.#frames[depth - 1] = frame;
    } else {
      frame.tag = tag;
      frame.contentStart = position;
      frame.children = 0;
      frame.text = 0;
      frame.isInclude = false;
      frame.include = null;
      frame.swaText = null;
    }
    this.#depth = depth;
    const xmlBase = this.#xmlBaseAttribute;
    if (xmlBase !== null) {
      this.#xmlBaseAttribute = null;
      const outer = this.#xmlBases.length === 0 ? [] : this.#xmlBases[this.#xmlBases.length - 1]!.chain;
      this.#xmlBases.push({ depth, chain: [...outer, xmlBase] });
    }

    if (depth <= 3) {
      this.#openStructure(tag, depth, position);
    } else if (this.#inBody && (tag.prefix !== '' || tag.uri !== '')) {
      this.#usePrefix(tag.prefix);
    }

    // The namespace first: payload namespaces mostly differ from XOP's in length, a one-step test.
    if (tag.uri === XOP_NAMESPACE && tag.local === 'Include') {
      this.#include(tag, frame, parent, href, position);
    } else if (href !== null) {
      this.#hrefReference(tag, href);
    }
  }

  /** A start tag inside an xop:Include, or after one in its parent: always an error. */
  #childOfInclude(parent: Frame, tag: SaxesTagNS): never {
    if (parent.isInclude) {
      throw this.#error(ErrorCodes.XOP_BAD_INCLUDE, 'xop:Include must be empty (XOP 1.0 §2.1); it has a child element');
    }
    throw this.#error(ErrorCodes.XOP_BAD_INCLUDE,
      `xop:Include must be the only child of ${parent.tag.name} (XOP 1.0 §2.1); ${tag.name} follows it`);
  }

  /** The SOAP structure: the document element, Header and Body, their children (depth 1 to 3). */
  #openStructure(tag: SaxesTagNS, depth: number, position: number): void {
    const map = this.#map!;
    if (depth === 1) {
      this.#documentElement(tag, map, position);
    } else if (this.#soap) {
      if (this.#bodyDepth > 0 && !this.#bodyClosed) {
        // Inside the Body.
        if (tag.prefix !== '' || tag.uri !== '') this.#usePrefix(tag.prefix);
        if (depth === this.#bodyDepth + 1) this.#bodyChild(tag, map, position);
      } else if (depth === 2) {
        // Before the Body, or after it: structure rules differ (the Body is never open at depth 2).
        if (this.#bodyClosed) this.#afterBody(tag, map, position);
        else this.#envelopeChild(tag, map, position);
        // The Header's own text begins (only whitespace may follow, up to its blocks).
        if (this.#headerDepth === 2) this.#envelopeTextFrom = map.byteAt(position);
      } else if (depth === 3 && this.#headerDepth === 2) {
        this.#headerBlocks.push(clarkName(tag.uri, tag.local));
      }
    }
  }

  #documentElement(tag: SaxesTagNS, map: PositionMap, position: number): void {
    this.#rootClark = clarkName(tag.uri, tag.local);
    this.#rootStart = map.ltByteBefore(position);
    const version = tag.local === 'Envelope' ? soapVersionOfNamespace(tag.uri) : null;
    if (version === null) {
      if (this.#options.requireEnvelope !== false) {
        const what = tag.local === 'Envelope'
          ? `an Envelope in the unknown namespace ${JSON.stringify(tag.uri)} (a SOAP VersionMismatch)`
          : `${this.#rootClark}`;
        const error = this.#error(ErrorCodes.SOAP_NOT_ENVELOPE, `the root part is not a SOAP envelope: its document element is ${what}`);
        if (tag.local === 'Envelope') error.details['faultCode'] = 'VersionMismatch';
        throw error;
      }
      return;
    }
    this.#soap = true;
    this.#version = version;
    this.#envelopeTextFrom = map.byteAt(position);
    this.#envelopeNs = tag.uri;
    this.#envelopeScope = { ...tag.ns };
    const media = this.#media;
    if (media.announcedVersion !== null && media.announcedVersion !== version) {
      const message = `${media.announcedBy} announces SOAP ${media.announcedVersion} but the envelope is SOAP ${version}`;
      if (this.#options.strict === true) throw this.#error(ErrorCodes.SOAP_VERSION_MISMATCH, message);
      this.#warn(`${message}; the envelope's namespace decides`);
    } else if (media.startInfo !== null && media.startInfo.version !== version) {
      // The root's type parameter agrees with the envelope; the message-level start-info does not (seen
      // from IHE projectathon peers). Axiom and CXF ignore start-info, so only strict refuses it.
      const message = `the start-info parameter "${media.startInfo.mediaType}" announces SOAP ${media.startInfo.version} ` +
        `but the root part's type parameter and the envelope say SOAP ${version}`;
      if (this.#options.strict === true) throw this.#error(ErrorCodes.SOAP_VERSION_MISMATCH, message);
      this.#warn(`${message}; the envelope's namespace decides`);
    }
  }

  /**
   * A child of the Envelope before the Body (so none has been seen yet).
   * SOAP 1.1 §4 and SOAP 1.2 part 1 §5.1: only one Header may precede the
   * Body. A second Header (its blocks are recorded too) or any other element
   * (foreign, unqualified, or another name in the envelope's namespace; it is
   * ignored) is a warning, or `ERR_SOAP_NOT_ENVELOPE` when `strict`.
   */
  #envelopeChild(tag: SaxesTagNS, map: PositionMap, position: number): void {
    if (tag.uri !== this.#envelopeNs || (tag.local !== 'Header' && tag.local !== 'Body')) {
      this.#outOfOrder(`the envelope has ${elementLabel(tag)} before the Body`, '; it is ignored', map, position);
    } else if (tag.local === 'Header') {
      if (this.#headerSeen) this.#outOfOrder('the envelope has a second Header', '; its blocks are recorded too', map, position);
      this.#headerSeen = true;
      this.#headerDepth = 2;
    } else {
      this.#bodySeen = true;
      this.#bodyDepth = 2;
      this.#inBody = true;
      this.#bodyClark = clarkName(tag.uri, tag.local);
      this.#bodyStart = map.ltByteBefore(position);
      this.#bodyNameEnd = this.#bodyStart + 1 + Buffer.byteLength(tag.name, 'utf8');
      this.#bodyScope = { ...this.#envelopeScope, ...tag.ns };
      this.#bodyScopePrefixes = new Set(Object.keys(this.#bodyScope));
      this.#bodyOwnNs = tag.ns;
      // The Body's own prefixes: needed if the Body itself becomes the document element.
      this.#bodyTagPrefixes.add(tag.prefix);
      for (const name in tag.attributes) {
        const attribute = tag.attributes[name]!;
        if (attribute.prefix !== '' && attribute.prefix !== 'xmlns') this.#bodyTagPrefixes.add(attribute.prefix);
      }
    }
  }

  /**
   * A child of the Envelope after the Body. SOAP 1.1 §4 and SOAP 1.2 part 1
   * §5: the Header, when present, comes first and there is exactly one Body;
   * SOAP 1.1 lets other elements follow the Body when they are namespace-
   * qualified, SOAP 1.2 §5.1 allows none. A Header after the Body (its blocks
   * are recorded), a second Body (ignored), in SOAP 1.1 an unqualified element
   * and in SOAP 1.2 any element after the Body (ignored) is a warning, or
   * `ERR_SOAP_NOT_ENVELOPE` when `strict`; at its start tag's '<'.
   */
  #afterBody(tag: SaxesTagNS, map: PositionMap, position: number): void {
    if (tag.uri === this.#envelopeNs && tag.local === 'Header') {
      this.#headerDepth = 2;
      this.#outOfOrder('a Header follows the Body', '', map, position);
    } else if (tag.uri === this.#envelopeNs && tag.local === 'Body') {
      this.#outOfOrder('the envelope has a second Body', '; it is ignored', map, position);
    } else if (this.#version === '1.2') {
      this.#outOfOrder(`the SOAP 1.2 envelope has ${tag.name} after the Body`, '; it is ignored', map, position);
    } else if (tag.uri === '') {
      this.#outOfOrder(`the SOAP 1.1 envelope has unqualified ${tag.name} after the Body`, '; it is ignored', map, position);
    }
    // Otherwise SOAP 1.1 §4: a namespace-qualified element may follow the Body; it is not looked at.
  }

  /**
   * An Envelope child out of the order SOAP 1.1 §4 / SOAP 1.2 part 1 §5.1 lay
   * down: `ERR_SOAP_NOT_ENVELOPE` at its start tag's '<' when `strict`, else a
   * warning `problem + tolerated + " (at byte N)"`.
   */
  #outOfOrder(problem: string, tolerated: string, map: PositionMap, position: number): void {
    const offset = map.ltByteBefore(position);
    if (this.#options.strict === true) {
      throw xopError(ErrorCodes.SOAP_NOT_ENVELOPE,
        `the root part is not a valid SOAP envelope: ${problem} (SOAP 1.1 §4, SOAP 1.2 part 1 §5: ` +
        'an optional Header, then exactly one Body' +
        (this.#version === '1.2' ? ', then nothing)' : ', then only namespace-qualified elements)'),
        this.#details({ offset }));
    }
    this.#warn(`${problem}${tolerated} (at byte ${offset})`);
  }

  #bodyChild(tag: SaxesTagNS, map: PositionMap, position: number): void {
    this.#bodyElements.push(clarkName(tag.uri, tag.local));
    if (this.#bodyElements.length === 1) {
      this.#firstChildStart = map.ltByteBefore(position);
      this.#firstChildNameEnd = this.#firstChildStart + 1 + Buffer.byteLength(tag.name, 'utf8');
      this.#firstChildOwnNs = tag.ns;
    }
  }

  #include(tag: SaxesTagNS, frame: Frame, parent: Frame | null, href: string | null, position: number): void {
    frame.isInclude = true;
    if (href === null) {
      throw this.#error(ErrorCodes.XOP_BAD_INCLUDE, 'xop:Include has no href attribute (XOP 1.0 §2.1)');
    }
    const map = this.#map!;
    const ltChar = map.ltCharBefore(position);
    const offset = map.ltByteBefore(position);
    const cid = contentIdFromCidUrl(href, this.#details({ offset }));
    if (parent === null) {
      throw this.#error(ErrorCodes.XOP_BAD_INCLUDE, 'xop:Include cannot be the document element (XOP 1.0 §2.1)');
    }
    // Nothing but text (whitespace, checked as it was reported) since the parent's start tag:
    // the '<' before the include's is the parent's own (a comment, PI or CDATA would have one).
    if (parent.children > 1 || parent.text === 2 || map.ltCharBefore(ltChar) >= parent.contentStart) {
      throw this.#error(ErrorCodes.XOP_BAD_INCLUDE,
        `xop:Include must be the only child of ${parent.tag.name} (XOP 1.0 §2.1)`);
    }
    // Only whitespace (one byte per character) lies between the parent's start tag and the include.
    const contentStart = offset - (ltChar - parent.contentStart);
    parent.include = { href, cid, offset, contentStart, startLt: ltChar, endLt: ltChar };
  }

  #hrefReference(tag: SaxesTagNS, value: string): void {
    const trimmed = value.trim();
    if (isLocationReference(trimmed)) {
      // SwA Note §3: an href may name a part by its Content-Location. Its base is only known to
      // whoever has the MIME headers (XopResolver); here it only has to be a URI reference at all.
      if (resolveLocation(trimmed) === null) {
        this.#warn(`${tag.name} has href ${JSON.stringify(trimmed.slice(0, 200))}, which is not a URI reference; ignored`);
        return;
      }
      if (++this.#locationReferences > this.#limits.references) {
        if (this.#locationReferences === this.#limits.references + 1) {
          this.#warn(`more than limits.references (${this.#limits.references}) hrefs that are not cid: URLs; the rest are not resolved`);
        }
        return;
      }
      const reference = {
        kind: 'location' as const, href: trimmed, cid: '', element: clarkName(tag.uri, tag.local), qname: tag.name, path: this.#path(),
      };
      const bases = this.#xmlBases;
      this.#swaRefs.push(bases.length === 0 ? reference : { ...reference, xmlBase: bases[bases.length - 1]!.chain });
      return;
    }
    // Empty, a same-document `#id` (SOAP 1.1 encoding's multiRefs) or a bare "cid:".
    if (trimmed.length <= 4 || trimmed.slice(0, 4).toLowerCase() !== 'cid:') return;
    let cid: string;
    try {
      cid = contentIdFromCidUrl(trimmed);
    } catch {
      this.#warn(`${tag.name} has href ${JSON.stringify(trimmed)}, which is not a valid cid: URL; ignored`);
      return;
    }
    this.#countReference();
    this.#swaRefs.push({
      kind: 'href', href: trimmed, cid, element: clarkName(tag.uri, tag.local), qname: tag.name, path: this.#path(),
    });
  }

  #closeTag(tag: SaxesTagNS): void {
    if (!this.#probeOn) {
      this.#parser.on('text', this.#onText);
      this.#probeOn = true;
    }
    const depth = this.#depth;
    const frame = this.#frames[depth - 1]!;
    if (this.#xmlBases.length > 0 && this.#xmlBases[this.#xmlBases.length - 1]!.depth === depth) this.#xmlBases.pop();
    if (frame.isInclude || frame.include !== null || frame.swaText !== null) this.#closeSpecial(tag, frame, depth);
    if (depth <= 3) this.#closeStructure(depth);
    this.#depth = depth - 1;
  }

  /** The end tag of an xop:Include, of the element holding one, or of a swaRef candidate. */
  #closeSpecial(tag: SaxesTagNS, frame: Frame, depth: number): void {
    const position = this.#parser.position;
    const map = this.#map!;
    if (frame.isInclude && !tag.isSelfClosing) {
      // Nothing inside the include: the '<' before its end tag's is its start tag's.
      const endLt = map.ltCharBefore(position);
      const parentInclude = this.#frames[depth - 2]!.include!;
      if (map.ltCharBefore(endLt) !== parentInclude.startLt) {
        throw this.#error(ErrorCodes.XOP_BAD_INCLUDE, 'xop:Include must be empty (XOP 1.0 §2.1); it holds a comment, PI or CDATA');
      }
      parentInclude.endLt = endLt;
    }
    const pending = frame.include;
    if (pending !== null) {
      // Nothing after the include but whitespace: the '<' before the parent's end tag's is the include's last.
      if (map.ltCharBefore(map.ltCharBefore(position)) !== pending.endLt) {
        throw this.#error(ErrorCodes.XOP_BAD_INCLUDE,
          `xop:Include must be the only child of ${tag.name} (XOP 1.0 §2.1)`);
      }
      const contentEnd = map.ltByteBefore(position);
      const xmime = xmimeContentType(tag);
      this.#countReference();
      this.#includes.push({
        href: pending.href, cid: pending.cid, element: clarkName(tag.uri, tag.local), qname: tag.name,
        path: this.#path(), contentType: xmime,
        offset: pending.offset, contentStart: pending.contentStart, contentEnd,
      });
    } else if (frame.swaText !== null && frame.children === 0 && !frame.isInclude) {
      let cid: string | null = null;
      try {
        cid = contentIdFromCidUrl(frame.swaText);
      } catch {
        this.#warn(`${tag.name} holds ${JSON.stringify(frame.swaText.slice(0, 100))}, not a valid cid: URL; ignored`);
      }
      if (cid !== null) {
        this.#countReference();
        this.#swaRefs.push({
          kind: 'text', href: frame.swaText, cid, element: clarkName(tag.uri, tag.local), qname: tag.name, path: this.#path(),
        });
      }
    }
  }

  /** End tags at depth 1 to 3: the document element, Header, Body and the Body's first child. */
  #closeStructure(depth: number): void {
    const position = this.#parser.position;
    const map = this.#map!;
    if (this.#soap) {
      // After an Envelope child or a Header block, the Envelope's (the Header's) own text resumes.
      if (depth === 2 || (depth === 3 && this.#headerDepth === 2)) this.#envelopeTextFrom = map.byteAt(position);
      if (depth === this.#bodyDepth + 1 && this.#bodyDepth > 0 && !this.#bodyClosed && this.#bodyElements.length === 1 &&
          this.#firstChildEnd < 0) {
        this.#firstChildEnd = map.byteAt(position);
      } else if (depth === this.#bodyDepth && !this.#bodyClosed) {
        this.#bodyClosed = true;
        this.#inBody = false;
        this.#bodyEnd = map.byteAt(position);
      } else if (depth === 2 && this.#headerDepth === 2) {
        this.#headerDepth = 0;
      }
    }
    if (depth === 1) {
      this.#rootEnd = map.byteAt(position);
      // What follows the document element in this segment: saxes reads it next.
      this.#outsidePhase = 2;
      this.#outside.reset();
      this.#scanOutside(this.#segmentText, position - map.segmentStart);
    }
  }

  // --- the result ----------------------------------------------------------

  #result(): SoapScanResult {
    if (this.#soap && !this.#bodySeen) {
      throw xopError(ErrorCodes.SOAP_NO_BODY, 'the SOAP envelope has no Body (SOAP 1.1 §4.3, SOAP 1.2 part 1 §5.3)',
        this.#details({ offset: this.#rootEnd }));
    }
    const warnings = this.#warnings;
    if (this.#warningsOmitted > 0) warnings.push(`${this.#warningsOmitted} more warnings like the above are not listed`);
    if (this.#includes.length > 0 && !this.#media.xop && this.#media.mediaType !== null) {
      warnings.push(`the root part holds xop:Include elements but its media type is ${this.#media.mediaType}, not application/xop+xml`);
    }
    if (this.#bodyElements.length > 1) {
      warnings.push(`the Body has ${this.#bodyElements.length} child elements; the root document is the Body element itself`);
    }
    const plan = this.#plan();
    const size = this.#map === null ? 0 : this.#map.byteAt(this.#parser.position);
    return new ScanResult({
      version: this.#version,
      bodyElement: this.#bodyElements[0] ?? null,
      bodyElements: this.#bodyElements,
      headerBlocks: this.#headerBlocks,
      includes: this.#includes,
      swaRefs: this.#swaRefs,
      warnings,
      encoding: this.#decoder.encoding,
      media: this.#media,
      // Without retained bytes, count what was decoded: the parser's position stops at the last
      // markup, so whitespace after the document element would be missed.
      size: this.#chunks === null ? Math.max(size, this.#rootEnd, this.#decoder.bomBytes + this.#utf8SpaceBytes) : this.#chunks.length,
      plan,
      chunks: this.#chunks,
    });
  }

  #plan(): RootDocumentPlan | null {
    if (!this.#soap) {
      if (this.#rootStart < 0) return null;
      return {
        element: this.#rootClark, pieces: [{ start: this.#rootStart, end: this.#rootEnd }],
        length: this.#rootEnd - this.#rootStart, redeclared: {},
      };
    }
    const count = this.#bodyElements.length;
    if (count === 0) return null;
    let start: number, nameEnd: number, end: number, scope: Record<string, string>, own: Record<string, string>;
    let element: string;
    if (count === 1) {
      start = this.#firstChildStart;
      nameEnd = this.#firstChildNameEnd;
      end = this.#firstChildEnd;
      scope = this.#bodyScope;
      own = this.#firstChildOwnNs;
      element = this.#bodyElements[0]!;
    } else {
      start = this.#bodyStart;
      nameEnd = this.#bodyNameEnd;
      end = this.#bodyEnd;
      scope = this.#envelopeScope;
      own = this.#bodyOwnNs;
      element = this.#bodyClark;
    }
    // The Body's own prefixes first when the Body is the document element, then the payload's in order of use.
    const used = count === 1 ? this.#usedPrefixes : new Set([...this.#bodyTagPrefixes, ...this.#usedPrefixes]);
    const redeclared: Record<string, string> = {};
    let insert = '';
    for (const prefix of used) {
      if (prefix === 'xml' || Object.prototype.hasOwnProperty.call(own, prefix)) continue;
      const uri = scope[prefix];
      if (uri === undefined || (prefix === '' && uri === '')) continue;
      redeclared[prefix] = uri;
      insert += prefix === '' ? ` xmlns="${escapeAttribute(uri)}"` : ` xmlns:${prefix}="${escapeAttribute(uri)}"`;
    }
    const pieces = insert === ''
      ? [{ start, end }]
      : [{ start, end: nameEnd }, { insert }, { start: nameEnd, end }];
    return { element, pieces, length: end - start + Buffer.byteLength(insert, 'utf8'), redeclared };
  }
}

interface ResultFields {
  version: SoapVersion | null;
  bodyElement: string | null;
  bodyElements: string[];
  headerBlocks: string[];
  includes: XopInclude[];
  swaRefs: SwaReference[];
  warnings: string[];
  encoding: string;
  media: RootMediaType;
  size: number;
  plan: RootDocumentPlan | null;
  chunks: ChunkList | null;
}

class ScanResult implements SoapScanResult {
  readonly version: SoapVersion | null;
  readonly bodyElement: string | null;
  readonly bodyElements: readonly string[];
  readonly headerBlocks: readonly string[];
  readonly includes: readonly XopInclude[];
  readonly swaRefs: readonly SwaReference[];
  readonly warnings: readonly string[];
  readonly encoding: string;
  readonly media: RootMediaType;
  readonly size: number;
  readonly rootDocumentPlan: RootDocumentPlan | null;
  readonly #chunks: ChunkList | null;
  #envelope: Buffer | null | undefined;
  #rootDocument: Buffer | null | undefined;

  constructor(fields: ResultFields) {
    this.version = fields.version;
    this.bodyElement = fields.bodyElement;
    this.bodyElements = fields.bodyElements;
    this.headerBlocks = fields.headerBlocks;
    this.includes = fields.includes;
    this.swaRefs = fields.swaRefs;
    this.warnings = fields.warnings;
    this.encoding = fields.encoding;
    this.media = fields.media;
    this.size = fields.size;
    this.rootDocumentPlan = fields.plan;
    this.#chunks = fields.chunks;
  }

  get envelope(): Buffer | null {
    if (this.#envelope === undefined) this.#envelope = this.#chunks === null ? null : this.#chunks.join();
    return this.#envelope;
  }

  envelopeChunks(): Uint8Array[] | null {
    return this.#chunks === null ? null : this.#chunks.slice(0, this.#chunks.length);
  }

  envelopeSlice(start: number, end: number): Uint8Array[] | null {
    return this.#chunks === null ? null : this.#chunks.slice(start, end);
  }

  get rootDocument(): Buffer | null {
    if (this.#rootDocument === undefined) {
      const chunks = this.rootDocumentChunks();
      // Copy: a contiguous Buffer was asked for; rootDocumentChunks() is the zero-copy form.
      this.#rootDocument = chunks === null ? null : chunks.length === 1 ? toBuffer(chunks[0]!) : Buffer.concat(chunks);
    }
    return this.#rootDocument;
  }

  rootDocumentChunks(): Uint8Array[] | null {
    const plan = this.rootDocumentPlan;
    const chunks = this.#chunks;
    if (plan === null || chunks === null) return null;
    const out: Uint8Array[] = [];
    for (const piece of plan.pieces) {
      if ('insert' in piece) out.push(Buffer.from(piece.insert, 'utf8'));
      else for (const view of chunks.slice(piece.start, piece.end)) out.push(view);
    }
    return out;
  }
}

function toBuffer(view: Uint8Array): Buffer {
  return Buffer.isBuffer(view) ? view : Buffer.from(view.buffer, view.byteOffset, view.length);
}
