/**
 * MTOM optimize (XOP 1.0 §3.1, "Creating XOP packages"), for senders: the
 * base64 content of large elements moves out into binary parts and is
 * replaced by `xop:Include` elements.
 *
 * Which elements: those whose whole content is the canonical lexical form of
 * xs:base64Binary (XOP 1.0 §3.1 allows only that: no whitespace, no entity,
 * no CDATA, no child, `=` padding only at the end) and that decodes to at
 * least `threshold` bytes; inside the SOAP Body when the document is an
 * Envelope (Header blocks such as WS-Security tokens stay inline), anywhere
 * otherwise; narrowed further by `select`.
 *
 * Nothing is decoded up front: the root is a list of views of the input and
 * short `xop:Include` texts, and each part decodes its slice of the input
 * piece by piece when read. One pass with saxes finds the elements.
 *
 * @module
 */

import { randomUUID } from 'node:crypto';
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { ErrorCodes, xopError } from '../errors.js';
import { DEFAULT_BASE64_PIECE, canonicalBase64Length, decodeBase64Pieces } from './base64.js';
import { cidUrlOf } from './cid.js';
import { XmlByteDecoder } from './decoder.js';
import { resolveXmlLimits, type XmlLimits } from './limits.js';
import { XOP_NAMESPACE, clarkName, escapeAttribute, soapVersionOfNamespace, xmimeContentType } from './names.js';
import { PositionMap } from './positions.js';

/** An element that could be optimized, as {@link OptimizeOptions.select} sees it. */
export interface OptimizeCandidate {
  /** `{namespace}localName`. */
  readonly element: string;
  /** Qualified name as written. */
  readonly qname: string;
  /** Qualified names from the document element down, `/`-separated. */
  readonly path: string;
  /** Its `xmime:contentType` attribute, or null. */
  readonly contentType: string | null;
  /** Decoded size in bytes. */
  readonly size: number;
}

/** Options of {@link optimize}. */
export interface OptimizeOptions {
  /** Smallest decoded size, in bytes, that is moved out. Default 1024 (smaller values cost more as parts than inline). */
  threshold?: number;
  /** Extra filter over the candidates. */
  select?: (candidate: OptimizeCandidate) => boolean;
  /** Content-ID (without angle brackets) of the n-th part, from 0. Default `<uuid>-<n>@xopstream`. */
  contentId?: (index: number) => string;
  /** Content-Type of parts whose element has no `xmime:contentType`. Default `application/octet-stream`. */
  contentType?: string;
  /** Decoded bytes per piece when a part is read. Default 48 KiB. */
  pieceSize?: number;
  /** XML limits (depth, attributes, size); see {@link XmlLimits}. */
  limits?: XmlLimits;
}

/** One binary part of an optimized message. */
export interface OptimizedPart {
  /** Content-ID, without angle brackets. */
  readonly contentId: string;
  /** Its Content-Type (the element's `xmime:contentType`, or the default). */
  readonly contentType: string;
  /** Decoded size in bytes. */
  readonly size: number;
  /** The element it came from, `{namespace}localName`. */
  readonly element: string;
  /** That element's path. */
  readonly path: string;
  /** The decoded bytes, produced piece by piece as they are read (can be read again). */
  body(): Iterable<Buffer> & AsyncIterable<Buffer>;
}

/** What {@link optimize} returns. */
export interface OptimizedMessage {
  /** The root part: views of the input and the `xop:Include` texts, in order. */
  readonly root: readonly Uint8Array[];
  /** Bytes of the root part. */
  readonly rootLength: number;
  /** The binary parts, in document order. */
  readonly parts: readonly OptimizedPart[];
  /** SOAP version of the input's Envelope, or null for other XML. */
  readonly soapVersion: '1.1' | '1.2' | null;
}

interface Frame {
  tag: SaxesTagNS;
  contentStart: number;
  children: number;
}

interface Found {
  contentStart: number;
  contentEnd: number;
  candidate: OptimizeCandidate;
}

/**
 * Turns XML with large inline base64 into an MTOM package's pieces.
 *
 * @param xml the document, UTF-8 (a string is encoded once).
 * @example
 * const message = optimize(envelopeXml, { threshold: 4096 });
 * // message.root → application/xop+xml root part; message.parts[i].body() → binary parts
 *
 * @throws XopError `ERR_XML_*` for XML that is not well-formed or exceeds the limits.
 */
export function optimize(xml: Uint8Array | string, options: OptimizeOptions = {}): OptimizedMessage {
  // Copy (strings only): a string has to become UTF-8 bytes once.
  const bytes = typeof xml === 'string' ? Buffer.from(xml, 'utf8') : xml;
  const limits = resolveXmlLimits(options.limits);
  if (bytes.length > limits.rootBytes) {
    throw xopError(ErrorCodes.XML_TOO_LARGE, `the document exceeds limits.rootBytes (${limits.rootBytes})`,
      { offset: limits.rootBytes, limit: limits.rootBytes });
  }
  const threshold = options.threshold ?? 1024;
  const found: Found[] = [];
  const frames: Frame[] = [];
  let map: PositionMap | null = null;
  let soapVersion: '1.1' | '1.2' | null = null;
  let envelopeNs = '';
  let bodyDepth = 0;
  let bodyClosed = false;
  const parser = new SaxesParser({ xmlns: true, position: true });
  const offset = (): number => (map === null ? 0 : map.byteAt(parser.position));
  parser.on('doctype', () => {
    throw xopError(ErrorCodes.XML_DOCTYPE, 'the document has a document type declaration', { offset: offset() });
  });
  parser.on('error', (error) => {
    throw xopError(ErrorCodes.XML_MALFORMED, `malformed XML: ${error.message}`, { offset: offset(), cause: error });
  });
  parser.on('opentag', (tag) => {
    if (frames.length >= limits.depth) {
      throw xopError(ErrorCodes.XML_TOO_DEEP, `elements nest deeper than limits.depth (${limits.depth})`,
        { offset: offset(), limit: limits.depth });
    }
    let attributes = 0;
    for (const _ in tag.attributes) attributes++;
    if (attributes > limits.attributes) {
      throw xopError(ErrorCodes.XML_TOO_MANY_ATTRIBUTES, `an element has more than limits.attributes (${limits.attributes}) attributes`,
        { offset: offset(), limit: limits.attributes });
    }
    const parent = frames[frames.length - 1];
    if (parent !== undefined) parent.children++;
    frames.push({ tag, contentStart: map!.byteAt(parser.position), children: 0 });
    const depth = frames.length;
    if (depth === 1 && tag.local === 'Envelope') {
      soapVersion = soapVersionOfNamespace(tag.uri);
      if (soapVersion !== null) envelopeNs = tag.uri;
    } else if (depth === 2 && soapVersion !== null && bodyDepth === 0 && tag.uri === envelopeNs && tag.local === 'Body') {
      bodyDepth = 2;
    }
  });
  parser.on('closetag', (tag) => {
    const frame = frames.pop()!;
    const depth = frames.length + 1;
    if (depth === bodyDepth) bodyClosed = true;
    const eligible = soapVersion === null || (bodyDepth > 0 && !bodyClosed && depth > bodyDepth);
    if (!eligible || frame.children > 0 || tag.isSelfClosing || (tag.uri === XOP_NAMESPACE)) return;
    const contentStart = frame.contentStart;
    const contentEnd = map!.ltByteBefore(parser.position);
    if (contentEnd - contentStart < 4) return;
    const size = canonicalBase64Length(bytes, contentStart, contentEnd);
    if (size < 0 || size < threshold || size === 0) return;
    const xmime = xmimeContentType(tag);
    let path = '';
    for (const f of frames) path += '/' + f.tag.name;
    path += '/' + tag.name;
    const candidate: OptimizeCandidate = {
      element: clarkName(tag.uri, tag.local), qname: tag.name, path,
      contentType: xmime, size,
    };
    if (options.select !== undefined && !options.select(candidate)) return;
    found.push({ contentStart, contentEnd, candidate });
  });
  const decoder = new XmlByteDecoder('utf-8', (text, utf8Bytes, dropped) => {
    if (map === null) map = new PositionMap(decoder.bomBytes);
    map.next(text, utf8Bytes, dropped);
    parser.write(text);
  }, null);
  try {
    decoder.push(bytes);
    decoder.end();
    if (!decoder.isUtf8) {
      throw xopError(ErrorCodes.BAD_ARGUMENT, `optimize() takes UTF-8 XML; this document is ${decoder.encoding}`);
    }
    parser.close();
  } catch (error) {
    if (typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string') throw error;
    throw xopError(ErrorCodes.XML_MALFORMED, `malformed XML: ${error instanceof Error ? error.message : String(error)}`,
      { offset: offset(), cause: error });
  }
  return assemble(bytes, found, soapVersion, options);
}

function assemble(bytes: Uint8Array, found: Found[], soapVersion: '1.1' | '1.2' | null,
  options: OptimizeOptions): OptimizedMessage {
  const base = randomUUID();
  const makeId = options.contentId ?? ((index: number) => `${base}-${index + 1}@xopstream`);
  const defaultType = options.contentType ?? 'application/octet-stream';
  const piece = options.pieceSize ?? DEFAULT_BASE64_PIECE;
  const root: Uint8Array[] = [];
  const parts: OptimizedPart[] = [];
  let at = 0;
  let rootLength = 0;
  const push = (view: Uint8Array): void => {
    if (view.length === 0) return;
    root.push(view);
    rootLength += view.length;
  };
  for (let i = 0; i < found.length; i++) {
    const { contentStart, contentEnd, candidate } = found[i]!;
    const contentId = makeId(i);
    push(bytes.subarray(at, contentStart));
    push(Buffer.from(`<xop:Include xmlns:xop="${XOP_NAMESPACE}" href="${escapeAttribute(cidUrlOf(contentId))}"/>`, 'utf8'));
    at = contentEnd;
    const body = (): Iterable<Buffer> & AsyncIterable<Buffer> => ({
      [Symbol.iterator]: () => decodeBase64Pieces(bytes, contentStart, contentEnd, piece),
      async *[Symbol.asyncIterator]() {
        yield* decodeBase64Pieces(bytes, contentStart, contentEnd, piece);
      },
    });
    parts.push({
      contentId, contentType: candidate.contentType ?? defaultType, size: candidate.size,
      element: candidate.element, path: candidate.path, body,
    });
  }
  push(bytes.subarray(at));
  return { root, rootLength, parts, soapVersion };
}
