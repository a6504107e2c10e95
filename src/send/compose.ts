/**
 * The composer: one SOAP message with attachments, as SwA (SOAP Messages with
 * Attachments, `multipart/related` per RFC 2387) or MTOM/XOP, streamed.
 *
 * Wire format (every line ends in CRLF; no preamble):
 *
 *     --BOUNDARY
 *     Content-ID: <root>
 *     Content-Type: <root type>
 *     Content-Transfer-Encoding: binary
 *
 *     <Envelope …/>
 *     --BOUNDARY
 *     Content-ID: <attachment>
 *     Content-Type: application/pdf
 *     Content-Transfer-Encoding: binary
 *
 *     …bytes…
 *     --BOUNDARY--
 *
 * Where the SOAP 1.2 `action` goes (researched against the peers' code):
 * - WCF's XmlMtomReader requires the root part's `type` parameter to equal
 *   the package's `start-info` exactly, and Metro (JAX-WS RI) writes the
 *   action inside both, as WS-I BP 2.0 recommends:
 *   `start-info="application/soap+xml;action=\"urn:x\""`.
 * - Axis2 (`TransportUtils.processContentTypeForAction`) and CXF before 3.x
 *   take the first `action` substring of the HTTP Content-Type up to the next
 *   `;` or quote, and SoapCore reads only a top-level `action="…"`; SoapUI and
 *   Axis2 send it that way (see the shared corpus).
 * So a SOAP 1.2 MTOM message carries a top-level `action="…"` placed before
 * `start-info`, and the action inside `start-info` and the root part's `type`,
 * identical strings. SOAP 1.1 uses the `SOAPAction` HTTP header only (a
 * SOAPAction header on SOAP 1.2 made WSE 3.0 treat the message as SOAP 1.1).
 *
 * @module
 */

import { Readable } from 'node:stream';
import type { DocumentCache } from '../cache/types.js';
import { ErrorCodes, xopError } from '../errors.js';
import { boundaryOf, parseContentType } from '../mime/content-type.js';
import { planCacheAttachments, planDirectAttachments, type AttachmentInput, type PlannedAttachment } from './attachments.js';
import { generateBoundary } from './boundary.js';
import { checkContentId, cidUrl, contentIdOfUrl, generateContentId } from './cid.js';
import { rewriteCidReferences } from './references.js';
import { scanRootXml, wrapInEnvelope } from './root-xml.js';
import { mediaTypeOfSoapVersion, type SoapVersion } from '../xop/names.js';
import { optimize, type OptimizeOptions } from '../xop/optimize.js';

/** How attachments travel: SwA (`multipart/related` with the SOAP part as root) or MTOM/XOP. */
export type SendMode = 'swa' | 'mtom';

/** Options of {@link compose}. */
export interface ComposeOptions {
  /** The root document: a full SOAP Envelope (sent as is) or a payload (wrapped in an Envelope). */
  xml: string | Uint8Array;
  /** The root document's `wss_root_document_id`: its attachment documents are taken from `cache`. */
  rootId?: string;
  /** The document cache holding the attachments under `rootId`. */
  cache?: DocumentCache;
  /** Only the cached attachments whose `wss_attachment_content_id` is listed (all when absent). */
  contentIds?: ReadonlyArray<string | number>;
  /** Attachments given directly; they follow the cached ones. */
  attachments?: readonly AttachmentInput[];
  /** `swa` or `mtom`. */
  mode: SendMode;
  /**
   * SOAP version of the Envelope a payload is wrapped in. For a full Envelope
   * it defaults to the Envelope's own version and must match it. Default for
   * a payload: `1.1`.
   */
  soapVersion?: SoapVersion;
  /** The SOAP action: `SOAPAction` header (1.1) or `action` parameter (1.2). */
  soapAction?: string;
  /** Content-ID of the root part (without angle brackets); generated when absent. */
  rootContentId?: string;
  /** Boundary to use instead of a random one (reproducible fixtures). Checked against RFC 2046. */
  boundary?: string;
  /**
   * MTOM only: move large inline base64Binary content (canonical lexical form,
   * inside the SOAP Body) out into binary parts referenced by `xop:Include`
   * (`optimize` of the XOP layer). `true` uses its defaults (threshold 1024
   * decoded bytes); an object passes options (`threshold`, `select`,
   * `contentType`, `limits`). The binary parts come right after the root, in
   * document order, before the other attachments; each decodes its base64
   * piece by piece as the body is read.
   */
  optimize?: boolean | OptimizeOptions;
}

/** One attachment part of a composed message. */
export interface ComposedPart {
  contentId: string;
  contentType: string;
  /** Size in bytes, or null when unknown. */
  size: number | null;
}

/** What {@link compose} returns. */
export interface ComposedMessage {
  /** The HTTP Content-Type header value. */
  contentType: string;
  /** The HTTP headers to send: Content-Type, MIME-Version, SOAPAction (1.1), Content-Length (when known). */
  headers: Record<string, string>;
  /** The message bytes, produced as they are read (backpressure reaches the attachment sources). */
  body: Readable;
  /** Exact byte length, or null when some attachment size is unknown (send chunked). */
  contentLength: number | null;
  boundary: string;
  mode: SendMode;
  soapVersion: SoapVersion;
  soapAction: string | null;
  /** Content-ID of the root part. */
  rootContentId: string;
  /** The attachment parts, in message order. */
  parts: readonly ComposedPart[];
  /** True when {@link recompose} can produce the same message again (no once-only streams). */
  replayable: boolean;
  /** Builds a fresh body with the same bytes (for a retry). @throws when not `replayable`. */
  recompose(): Readable;
}

const CRLF = '\r\n';

/** The SOAP media type of a version (SOAP 1.1 §6.1.1; RFC 3902). */
export function soapMediaType(version: SoapVersion): string {
  return mediaTypeOfSoapVersion(version);
}

/** Checks a SOAP action: a URI, so no quotes, backslashes, controls or non-ASCII. */
function checkSoapAction(action: unknown): string | null {
  if (action === undefined || action === null) return null;
  if (typeof action !== 'string' || !/^[\x21\x23-\x5b\x5d-\x7e]*$/.test(action)) {
    throw xopError(ErrorCodes.BAD_ARGUMENT,
      'soapAction must be a URI: printable US-ASCII without spaces, quotes or backslashes');
  }
  return action;
}

function checkBoundary(boundary: string | undefined): string {
  if (boundary === undefined) return generateBoundary();
  if (typeof boundary !== 'string' || /["\\]/.test(boundary)) {
    throw xopError(ErrorCodes.BAD_ARGUMENT, 'boundary must be a string without quotes or backslashes');
  }
  return boundaryOf(parseContentType(`multipart/related; boundary="${boundary}"`));
}

/** The Content-Types of a message: the package's and its root part's. */
export function messageContentTypes(mode: SendMode, version: SoapVersion, action: string | null,
  rootContentId: string, boundary: string): { message: string; root: string } {
  const soapType = soapMediaType(version);
  const topAction = version === '1.2' && action !== null ? `; action="${action}"` : '';
  if (mode === 'swa') {
    return {
      message: `multipart/related; type="${soapType}"${topAction}; start="<${rootContentId}>"; boundary="${boundary}"`,
      root: `${soapType}; charset=UTF-8${topAction}`,
    };
  }
  // XOP §4.1 / SOAP MTOM: root part is application/xop+xml whose `type` is the SOAP media type.
  const startInfo = version === '1.2' && action !== null ? `${soapType};action=\\"${action}\\"` : soapType;
  return {
    message: `multipart/related; type="application/xop+xml"${topAction}; start="<${rootContentId}>"; ` +
      `start-info="${startInfo}"; boundary="${boundary}"`,
    root: `application/xop+xml; charset=UTF-8; type="${startInfo}"`,
  };
}

function partHeaderBlock(contentId: string, contentType: string): string {
  return `Content-ID: <${contentId}>${CRLF}Content-Type: ${contentType}${CRLF}Content-Transfer-Encoding: binary${CRLF}${CRLF}`;
}

/**
 * Composes a SwA or MTOM message. Reads the attachment list (from the cache
 * when `rootId` and `cache` are given) but no attachment bytes: those stream
 * when `body` is read, one attachment open at a time.
 *
 * @example
 * const msg = await compose({ xml: '<m:upload xmlns:m="urn:m"/>', rootId, cache, mode: 'mtom', soapVersion: '1.2' });
 * await fetchLike(url, { method: 'POST', headers: msg.headers, body: msg.body });
 *
 * @throws XopError `ERR_BAD_ARGUMENT` (bad options, duplicate Content-IDs),
 *   `ERR_XML_*` (the XML), `ERR_SOAP_VERSION_MISMATCH` (an Envelope of the other
 *   version), `ERR_XOP_MISSING_PART` (an `xop:Include` naming no part),
 *   `ERR_CACHE_NOT_FOUND` (a filtered content id that is not cached).
 *   While streaming, the body errors with `ERR_BAD_ARGUMENT` when an
 *   attachment yields a different number of bytes than its declared size.
 */
export async function compose(options: ComposeOptions): Promise<ComposedMessage> {
  if (options === null || typeof options !== 'object') throw xopError(ErrorCodes.BAD_ARGUMENT, 'compose() needs options');
  const mode = options.mode;
  if (mode !== 'swa' && mode !== 'mtom') throw xopError(ErrorCodes.BAD_ARGUMENT, `mode must be 'swa' or 'mtom', got ${String(mode)}`);
  if (options.soapVersion !== undefined && options.soapVersion !== '1.1' && options.soapVersion !== '1.2') {
    throw xopError(ErrorCodes.BAD_ARGUMENT, `soapVersion must be '1.1' or '1.2', got ${String(options.soapVersion)}`);
  }
  const action = checkSoapAction(options.soapAction);
  const boundary = checkBoundary(options.boundary);
  const rootContentId = options.rootContentId === undefined ? generateContentId('root') : checkContentId(options.rootContentId);

  const root = scanRootXml(options.xml);
  let version: SoapVersion;
  if (root.envelopeVersion !== null) {
    if (options.soapVersion !== undefined && options.soapVersion !== root.envelopeVersion) {
      throw xopError(ErrorCodes.SOAP_VERSION_MISMATCH,
        `the XML is a SOAP ${root.envelopeVersion} Envelope but soapVersion is ${options.soapVersion}`);
    }
    version = root.envelopeVersion;
  } else {
    version = options.soapVersion ?? '1.1';
  }

  const planned: PlannedAttachment[] = [];
  if (options.cache !== undefined || options.rootId !== undefined) {
    if (options.cache === undefined || options.rootId === undefined) {
      throw xopError(ErrorCodes.BAD_ARGUMENT, 'rootId and cache go together');
    }
    planned.push(...await planCacheAttachments(options.cache, options.rootId, options.contentIds));
  } else if (options.contentIds !== undefined) {
    throw xopError(ErrorCodes.BAD_ARGUMENT, 'contentIds filters cached attachments: give rootId and cache');
  }
  if (options.attachments !== undefined) {
    if (!Array.isArray(options.attachments)) throw xopError(ErrorCodes.BAD_ARGUMENT, 'attachments must be an array');
    planned.push(...planDirectAttachments(options.attachments, planned.length));
  }

  const seen = new Set<string>([rootContentId]);
  const byIndex = new Map<string, string>();
  for (const part of planned) {
    if (seen.has(part.contentId)) {
      throw xopError(ErrorCodes.BAD_ARGUMENT, `two parts have the Content-ID <${part.contentId}>`);
    }
    seen.add(part.contentId);
    if (part.replacesIndex !== null) byIndex.set(String(part.replacesIndex), part.contentId);
  }

  // References to integer indexes follow the generated Content-IDs.
  let xmlText = root.text;
  let rewritten = false;
  if (byIndex.size > 0) {
    const result = rewriteCidReferences(xmlText, (id) => {
      const target = byIndex.get(id);
      return target === undefined ? null : cidUrl(target);
    });
    xmlText = result.xml;
    rewritten = result.replaced > 0;
  }
  if (mode === 'mtom') {
    for (const href of root.xopIncludeHrefs) {
      const id = contentIdOfUrl(href);
      if (id === null) {
        throw xopError(ErrorCodes.XOP_BAD_HREF, `xop:Include href ${JSON.stringify(href)} is not a cid: URL (RFC 2392)`);
      }
      if (!seen.has(id) && !byIndex.has(id)) {
        throw xopError(ErrorCodes.XOP_MISSING_PART, `xop:Include href ${JSON.stringify(href)} names no part of the message`);
      }
    }
  }

  let rootBytes: Uint8Array;
  if (root.envelopeVersion === null) rootBytes = Buffer.from(wrapInEnvelope(xmlText, version), 'utf8');
  else if (root.originalUtf8 !== null && !rewritten) rootBytes = root.originalUtf8;
  else rootBytes = Buffer.from(xmlText, 'utf8');

  let rootChunks: readonly Uint8Array[] = [rootBytes];
  let rootLength = rootBytes.length;
  if (options.optimize !== undefined && options.optimize !== false) {
    if (mode !== 'mtom') throw xopError(ErrorCodes.BAD_ARGUMENT, 'optimize makes XOP parts: it needs mode \'mtom\'');
    const optimized = optimize(rootBytes, {
      contentId: (i) => generateContentId(`xop${i + 1}`),
      ...(options.optimize === true ? {} : options.optimize),
    });
    rootChunks = optimized.root;
    rootLength = optimized.rootLength;
    const xopParts: PlannedAttachment[] = optimized.parts.map((part) => ({
      contentId: checkContentId(part.contentId), contentType: part.contentType, size: part.size, replacesIndex: null,
      replayable: true, origin: `optimized ${part.element}`, open: async () => part.body(),
    }));
    for (const part of xopParts) {
      if (seen.has(part.contentId)) throw xopError(ErrorCodes.BAD_ARGUMENT, `two parts have the Content-ID <${part.contentId}>`);
      seen.add(part.contentId);
    }
    planned.unshift(...xopParts);
  }

  const types = messageContentTypes(mode, version, action, rootContentId, boundary);
  const head = Buffer.from(`--${boundary}${CRLF}${partHeaderBlock(rootContentId, types.root)}`, 'latin1');
  const partHeads = planned.map((p) => Buffer.from(`${CRLF}--${boundary}${CRLF}${partHeaderBlock(p.contentId, p.contentType)}`, 'latin1'));
  const tail = Buffer.from(`${CRLF}--${boundary}--${CRLF}`, 'latin1');

  let contentLength: number | null = head.length + rootLength + tail.length;
  for (let i = 0; i < planned.length; i++) {
    const size = planned[i]!.size;
    contentLength = size === null || contentLength === null ? null : contentLength + partHeads[i]!.length + size;
  }

  const headers: Record<string, string> = { 'Content-Type': types.message, 'MIME-Version': '1.0' };
  if (version === '1.1') headers['SOAPAction'] = `"${action ?? ''}"`;
  if (contentLength !== null) headers['Content-Length'] = String(contentLength);

  const replayable = planned.every((p) => p.replayable);
  const makeBody = (): Readable => Readable.from(generateMessage(head, rootChunks, planned, partHeads, tail), {
    objectMode: false,
    highWaterMark: 64 * 1024,
  });
  return {
    contentType: types.message, headers, body: makeBody(), contentLength, boundary, mode,
    soapVersion: version, soapAction: action, rootContentId, replayable,
    parts: planned.map((p) => ({ contentId: p.contentId, contentType: p.contentType, size: p.size })),
    recompose: () => {
      if (!replayable) throw xopError(ErrorCodes.BAD_ARGUMENT, 'this message streams a once-only attachment body');
      return makeBody();
    },
  };
}

/** Yields the message: framing buffers, the root bytes, then each attachment's chunks as they come. */
async function* generateMessage(head: Buffer, rootChunks: readonly Uint8Array[], planned: readonly PlannedAttachment[],
  partHeads: readonly Buffer[], tail: Buffer): AsyncGenerator<Uint8Array, void, undefined> {
  yield head;
  for (const chunk of rootChunks) if (chunk.length > 0) yield chunk;
  for (let i = 0; i < planned.length; i++) {
    const part = planned[i]!;
    yield partHeads[i]!;
    let produced = 0;
    for await (const chunk of await part.open()) {
      if (!(chunk instanceof Uint8Array)) {
        throw xopError(ErrorCodes.BAD_ARGUMENT, `${part.origin} yielded a ${typeof chunk}, not bytes`);
      }
      produced += chunk.length;
      if (part.size !== null && produced > part.size) {
        throw xopError(ErrorCodes.BAD_ARGUMENT, `${part.origin} yielded more than its declared ${part.size} bytes`);
      }
      if (chunk.length > 0) yield chunk;
    }
    if (part.size !== null && produced !== part.size) {
      throw xopError(ErrorCodes.BAD_ARGUMENT, `${part.origin} yielded ${produced} bytes, not its declared ${part.size}`);
    }
  }
  yield tail;
}
