/**
 * The receive pipeline: one SOAP message (plain, SwA or MTOM) in, its root
 * document out, its attachments streamed into a document cache on the way —
 * the integration platform's semantics, kept exactly:
 *
 * 1. The SOAP Body becomes the *root document*.
 * 2. It gets `wss_root_document_id` = `crypto.randomUUID()`.
 * 3. The attachments are stored *while they stream* as attachment documents
 *    under that one key, each with `wss_root_document_id`,
 *    `wss_attachment_content_id` (Content-ID without `<>`; the part index, a
 *    number, when the part has none) and `wss_attachment_content_type`, plus
 *    size, xxh64, Content-Location, transfer encoding, part index and, for
 *    MTOM/swaRef, the elements that reference the part.
 * 4. All or nothing: a malformed message, an abort, a limit or a failing sink
 *    leaves nothing in the cache, and the caller gets a typed XopError.
 *
 * The root part is SAX-scanned as its bytes arrive ({@link SoapScanner}); no
 * attachment is ever held whole. Each attachment is written through one
 * {@link CacheWriter} (`begin` → `put` per part → `commit`), which pulls the
 * part body no faster than the sink accepts: a slow cache slows the socket.
 *
 * Where the root is not the first part (`start` names a later part), the
 * parts before it are stored as they stream. When `start` names no part at
 * all, the first part becomes the root only at the end of the message (the
 * parser's CXF/Axiom-compatible fallback). The cache has no way to take one
 * attachment back out of a writer, so the first part of a message whose
 * `start` does not name it goes through a *second* writer of the same root
 * id, and is scanned as a SOAP envelope while it streams (the scan gives up,
 * and lets go of the bytes, at the first byte that is not an envelope, so
 * nothing but a SOAP envelope is ever kept). At the end: if it was the root
 * after all, its writer is aborted and the scan is the root's; otherwise
 * both writers are committed (the main one first; should the second commit
 * fail, the root id is deleted again — nobody knows the fresh id yet).
 *
 * @module
 */

import { randomUUID } from 'node:crypto';
import { sinkFailed } from '../cache/digest.js';
import { contentKey, MAX_CONTENT_ID_LENGTH, checkRootId } from '../cache/keys.js';
import type { AttachmentDocument, AttachmentReference, CacheWriter, DocumentCache } from '../cache/types.js';
import { ErrorCodes, isXopError, xopError, type XopError } from '../errors.js';
import { resolveMimeLimits, type MimeLimits } from '../mime/limits.js';
import { parseMultipart, type ByteSource, type MultipartPart, type ParsedMultipart } from '../mime/stream.js';
import { resolveXmlLimits, type XmlLimits } from '../xop/limits.js';
import type { SoapVersion } from '../xop/names.js';
import { XopResolver, type PartIdentity } from '../xop/resolve.js';
import { SoapScanner, type SoapScanResult } from '../xop/scanner.js';
import { contentCodingOf, decodedBody, type ContentCoding } from './content-coding.js';
import { ReferenceIndex } from './references.js';
import { abortReason, guardSource } from './source.js';

/** Limits of one received message: the MIME layer's and the XML pass's, side by side. */
export interface ReceiveLimits extends MimeLimits, XmlLimits {}

/** Options of {@link receive}. */
export interface ReceiveOptions {
  /**
   * The message's Content-Type header. Optional when the source is an HTTP
   * request (its `content-type` header is used).
   */
  contentType?: string;
  /** Where the attachments go. */
  cache: DocumentCache;
  /** Limits; see {@link ReceiveLimits}. Every limit has a safe default. */
  limits?: ReceiveLimits;
  /** Aborts the receive: nothing stays in the cache; rejects with the signal's reason when it is an XopError, else `ERR_ABORTED`. */
  signal?: AbortSignal;
  /**
   * Refuse what the default tolerates (each tolerance is recorded in
   * `warnings`): a SOAP version that disagrees with the media type
   * (`ERR_SOAP_VERSION_MISMATCH`), a `start` parameter naming no part
   * (`ERR_MIME_START_NOT_FOUND`), two parts with one Content-ID, the
   * root part's included (`ERR_CACHE_BAD_KEY`), Envelope children out of order: a second Header,
   * another element before the Body, a Header after the Body, a second Body,
   * an unqualified element after a SOAP 1.1 Body or any element after a SOAP
   * 1.2 Body, text other than whitespace between the children of the Envelope
   * or the Header (`ERR_SOAP_NOT_ENVELOPE`). Default false.
   */
  strict?: boolean;
  /** Accept a message whose close delimiter is missing (CXF-compatible). Default false. */
  allowMissingCloseDelimiter?: boolean;
  /**
   * Take LF "--" boundary as a delimiter in CRLF-framed messages too: a part
   * body that ends in a bare LF before the next delimiter (Axis 1.x captures)
   * still ends the part, as mimepull and JavaMail read it. Default false (RFC
   * 2046 framing; see `MultipartParserOptions.allowBareLfDelimiters`).
   */
  allowBareLfDelimiters?: boolean;
  /**
   * The body's HTTP Content-Encoding: `gzip` (`x-gzip`) and `deflate` are
   * inflated before parsing, `identity` is the body as it is; any other is
   * `ERR_MIME_UNSUPPORTED_MEDIA_TYPE` (415) before a byte is read. Default:
   * the Content-Encoding header of an HTTP request given as the source, else
   * identity. The limits count inflated bytes.
   */
  contentEncoding?: string;
  /** The root document id to use instead of a fresh `crypto.randomUUID()` (1-128 of `[A-Za-z0-9_-]`). */
  rootId?: string;
  /**
   * The message's own base URI (RFC 2557 §5 (b): the Content-Location or
   * Content-Base of the multipart entity, which travels outside it). An
   * `href` that is not a `cid:` URL names the part whose Content-Location
   * resolves to the same URI (SwA Note 2000 §3); hrefs resolve against the
   * root part's Content-Base / Content-Location, else this, else
   * `thismessage:/`, and parts' relative Content-Location values against
   * this. Default: the HTTP request's `Content-Base` or `Content-Location`
   * header when the source is one. Nothing is ever fetched.
   */
  baseUri?: string;
}

/** The dynamic document properties of a root document. */
export interface RootDocumentProperties {
  /** `crypto.randomUUID()`: the key of the root's attachment documents in the cache. */
  wss_root_document_id: string;
}

/** The root document: the SOAP Body's content as a standalone XML document. */
export interface RootDocument {
  properties: RootDocumentProperties;
  /**
   * The Body's child element as a well-formed UTF-8 XML document, with the
   * namespace declarations it uses from Envelope/Body re-declared on it (the
   * Body element itself when it has several children; empty when the Body is
   * empty). xop:Include elements stay as they are: they name cached attachments.
   */
  xml: Buffer;
  /** The whole SOAP envelope as received (UTF-8). */
  envelope: Buffer;
}

/** An xop:Include of the root document and the attachment it names. */
export interface ReceivedInclude {
  /** The Content-ID the include names (`cid:` removed, percent-decoded). */
  cid: string;
  /** The element holding the include, `{namespace}localName`. */
  element: string;
  /** Qualified-name path of that element from the Envelope down. */
  path: string;
  /** Its `xmime:contentType`, or null. */
  contentType: string | null;
  /** Index of the part it names. */
  part: number;
  /** That part's `wss_attachment_content_id`. */
  contentId: string | number;
}

/** What {@link receive} returns. */
export interface ReceivedMessage {
  rootDocument: RootDocument;
  /** The attachment documents as committed, in part order. */
  attachments: AttachmentDocument[];
  soap: {
    /** From the Envelope's namespace. */
    version: SoapVersion | null;
    /** `{namespace}localName` of the Body's first child, or null for an empty Body. */
    bodyElement: string | null;
    /** `{namespace}localName` of each Header block. */
    headerBlocks: readonly string[];
  };
  /** Every xop:Include with the part it names, in document order. */
  xopIncludes: ReceivedInclude[];
  /** Leniencies applied to this message (start-not-found fallback, version mismatch, duplicate Content-ID, ...). */
  warnings: string[];
}

/** The Content-Type header of an HTTP request given as the source, if it is one. */
function headerContentType(source: unknown): string | undefined {
  return requestHeader(source, 'content-type');
}

/** A header of an HTTP request given as the source (lower-case name), if it is one and has it. */
function requestHeader(source: unknown, name: string): string | undefined {
  const headers = (source as { headers?: Record<string, unknown> } | null)?.headers;
  const value = headers === undefined || headers === null ? undefined : headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** Checks the limits up front so that a bad option is `ERR_BAD_ARGUMENT`, not a TypeError mid-stream. */
function checkLimits(limits: ReceiveLimits | undefined): void {
  try {
    resolveMimeLimits(limits);
    resolveXmlLimits(limits);
  } catch (error) {
    throw xopError(ErrorCodes.BAD_ARGUMENT, (error as Error).message, { cause: error });
  }
}

/**
 * Receives one SOAP message: scans its root part, streams its attachments
 * into `options.cache` and returns the root document.
 *
 * @example
 * const message = await receive(req, { cache: new FileCache({ dir: './cache' }) });
 * message.rootDocument.properties.wss_root_document_id; // '6f1c…'
 * message.attachments[0].properties;                     // { wss_root_document_id, wss_attachment_content_id, wss_attachment_content_type }
 *
 * @throws XopError (the promise rejects; the cache keeps nothing of the message):
 *   `ERR_MIME_*` malformed or unsupported framing (`ERR_MIME_UNSUPPORTED_MEDIA_TYPE`
 *   status 415), `ERR_XML_*` / `ERR_SOAP_*` a bad root part, `ERR_XOP_MISSING_PART`
 *   an xop:Include naming no part, limit errors (`isLimitCode`), `ERR_ABORTED`
 *   (the source failed or `signal` aborted), `ERR_TIMEOUT`, `ERR_CACHE_FULL`,
 *   `ERR_CACHE_SINK_FAILED`, `ERR_CACHE_BAD_KEY`, `ERR_BAD_ARGUMENT` (options).
 *   When the SOAP version was known, `error.details.soapVersion` holds it.
 *   The source is released on failure; an HTTP request can still be
 *   answered (Node detaches its socket first), but the rest of its body is
 *   unread: answer with `Connection: close`, or use `createReceiver()`,
 *   which does it all.
 */
export async function receive(source: ByteSource, options: ReceiveOptions): Promise<ReceivedMessage> {
  if (options === null || typeof options !== 'object') {
    throw xopError(ErrorCodes.BAD_ARGUMENT, 'receive() needs options with a cache');
  }
  const cache = options.cache;
  if (cache === null || typeof cache !== 'object' || typeof cache.begin !== 'function') {
    throw xopError(ErrorCodes.BAD_ARGUMENT, 'receive() needs options.cache (a DocumentCache)');
  }
  checkLimits(options.limits);
  const contentType = options.contentType ?? headerContentType(source);
  if (contentType === undefined || contentType.trim() === '') {
    throw xopError(ErrorCodes.MIME_UNSUPPORTED_MEDIA_TYPE, 'the message has no Content-Type', { status: 415 });
  }
  const rootId = options.rootId === undefined ? randomUUID() : checkRootId(options.rootId);
  if (options.signal?.aborted === true) throw abortReason(options.signal);
  if (options.baseUri !== undefined && typeof options.baseUri !== 'string') {
    throw xopError(ErrorCodes.BAD_ARGUMENT, 'receive() options.baseUri must be a string');
  }
  const baseUri = options.baseUri ?? requestHeader(source, 'content-base') ?? requestHeader(source, 'content-location') ?? null;
  if (options.contentEncoding !== undefined && typeof options.contentEncoding !== 'string') {
    throw xopError(ErrorCodes.BAD_ARGUMENT, 'receive() options.contentEncoding must be a string');
  }
  const coding = contentCodingOf(options.contentEncoding ?? requestHeader(source, 'content-encoding'));
  return new Reception(source, contentType, rootId, options, baseUri, coding).run();
}

/** A speculative scan of the first part, for the start-not-found fallback. */
interface Speculation {
  /** Still scanning (null once the bytes proved not to be an envelope, or once ended). */
  scanner: SoapScanner | null;
  /** Why the scan gave up (rethrown if the part turns out to be the root). */
  error: unknown;
  /** The scan, once the part ended as a well-formed envelope. */
  result: SoapScanResult | null;
  /** The first part's identity. */
  part: PartIdentity;
}

/** A part's identity: its Content-ID, and the Content-Location (with the Content-Base that resolves it) `href`s match. */
function identityOf(part: MultipartPart, mayBeRoot: boolean): PartIdentity {
  const contentLocation = part.contentLocation;
  // Content-Base is the base of the part's own Content-Location, and of a root's hrefs (RFC 2110 §4):
  // an attachment without a Content-Location does not need it looked up.
  const contentBase = contentLocation === null && !mayBeRoot ? null : part.headers.get('content-base');
  return { index: part.index, contentId: part.contentId, contentLocation, contentBase };
}

/** One message being received. */
class Reception {
  readonly #cache: DocumentCache;
  readonly #options: ReceiveOptions;
  readonly #rootId: string;
  readonly #parsed: ParsedMultipart;
  readonly #strict: boolean;
  /** The message's base URI (options.baseUri or the request's header), or null. */
  readonly #baseUri: string | null;
  readonly #warnings: string[] = [];

  /** Writer of every attachment but a first part that `start` does not name. */
  #main: CacheWriter | null = null;
  /** Writer of the first part when `start` does not name it (it may yet become the root). */
  #held: CacheWriter | null = null;
  #speculation: Speculation | null = null;

  #scan: SoapScanResult | null = null;
  #resolver: XopResolver | null = null;
  /** References of the root, or (provisionally) of a first part that scanned as an envelope. */
  #references: ReferenceIndex | null = null;
  #provisional = false;
  /** Every attachment part seen so far (registered with a resolver made later). */
  readonly #seen: PartIdentity[] = [];
  /** Content key → index of the first part that carried it (a duplicate Content-ID names that part), the root's included. */
  readonly #keys = new Map<string, number>();
  /** Index of the root part once it began (when `start` named it or there is no `start`), else null. */
  #rootIndex: number | null = null;
  /** Part index → wss_attachment_content_id. */
  readonly #contentIds = new Map<number, string | number>();
  /** Parts stored before the root's references were known. */
  readonly #storedBeforeRoot = new Set<number>();
  /** Parts stored with references taken from a first part that was not the root after all. */
  readonly #storedProvisionally = new Set<number>();
  #failure: XopError | null = null;

  constructor(source: ByteSource, contentType: string, rootId: string, options: ReceiveOptions, baseUri: string | null,
    coding: ContentCoding) {
    this.#cache = options.cache;
    this.#baseUri = baseUri;
    this.#options = options;
    this.#rootId = rootId;
    this.#strict = options.strict === true;
    const guarded = guardSource(source, { signal: options.signal });
    // Throws synchronously for a bad Content-Type (415 / no boundary) before any byte is read.
    this.#parsed = parseMultipart(decodedBody(guarded, coding), contentType, {
      ...(options.limits === undefined ? {} : { limits: options.limits }),
      allowMissingCloseDelimiter: options.allowMissingCloseDelimiter === true,
      allowBareLfDelimiters: options.allowBareLfDelimiters === true,
      requireStart: this.#strict,
    });
  }

  async run(): Promise<ReceivedMessage> {
    const signal = this.#options.signal;
    const onAbort = (): void => {
      this.#failure ??= abortReason(signal!);
      // Stops puts that are stuck in a slow sink right away.
      void this.#discard();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.#receive();
    } catch (error) {
      await this.#discard();
      const failure = this.#failure ?? typed(error);
      const version = this.#scan?.version;
      if (version !== undefined && version !== null && failure.details['soapVersion'] === undefined) {
        failure.details['soapVersion'] = version;
      }
      throw failure;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async #receive(): Promise<ReceivedMessage> {
    for await (const part of this.#parsed) {
      if (part.isRoot) await this.#scanRoot(part);
      else await this.#store(part);
    }
    // Null after the loop: the start-not-found fallback made the first part the root at the end.
    const scan = this.#scan ?? await this.#adoptFirstPart();
    this.#warnings.push(...this.#parsed.warnings);
    const resolution = this.#resolver!.finish();
    this.#warnings.push(...scan.warnings, ...resolution.warnings);
    if (resolution.includes.some((r) => this.#storedBeforeRoot.has(r.part)) ||
        resolution.swaRefs.some((r) => r.part !== null && this.#storedBeforeRoot.has(r.part))) {
      this.#warnings.push('attachments that came before the root part were stored before their references were ' +
        'known: their referencedBy is empty (xopIncludes has the mapping)');
    }
    if (this.#storedProvisionally.size > 0) {
      this.#warnings.push(`the first part looked like a SOAP envelope but the root is a later part: attachments ` +
        `${[...this.#storedProvisionally].join(', ')} carry referencedBy from the first part (xopIncludes has the mapping)`);
    }
    const attachments = await this.#commit();
    const xml = scan.rootDocument ?? Buffer.alloc(0);
    if (scan.rootDocument === null) this.#warnings.push('the SOAP Body is empty: the root document is empty');
    return {
      rootDocument: {
        properties: { wss_root_document_id: this.#rootId },
        xml,
        envelope: scan.envelope ?? Buffer.alloc(0),
      },
      attachments,
      soap: { version: scan.version, bodyElement: scan.bodyElement, headerBlocks: scan.headerBlocks },
      xopIncludes: resolution.includes.map(({ include, part }) => ({
        cid: include.cid, element: include.element, path: include.path, contentType: include.contentType,
        part, contentId: this.#contentIds.get(part) ?? part,
      })),
      warnings: this.#warnings,
    };
  }

  #scannerFor(part: MultipartPart): SoapScanner {
    const parameters = this.#parsed.info.contentType.parameters;
    const multipart = this.#parsed.info.boundary !== null;
    return new SoapScanner({
      contentType: part.contentType,
      multipartType: multipart ? parameters['type'] ?? null : null,
      startInfo: multipart ? parameters['start-info'] ?? null : null,
      strict: this.#strict,
      ...(this.#options.limits === undefined ? {} : { limits: this.#options.limits }),
      part: part.index,
    });
  }

  /** §1: the root part, SAX-scanned view by view as it streams. */
  async #scanRoot(part: MultipartPart): Promise<void> {
    // RFC 2387 §3.2 / RFC 2045 §7: a Content-ID names one body part; an attachment that repeats the root's
    // would make a reference to it ambiguous, so it counts as a duplicate like any other.
    this.#rootIndex = part.index;
    const id = part.contentId;
    if (id !== null && id !== '' && id.length <= MAX_CONTENT_ID_LENGTH) {
      const key = contentKey(id);
      if (!this.#keys.has(key)) this.#keys.set(key, part.index);
    }
    const scanner = this.#scannerFor(part);
    for await (const view of part.body) scanner.write(view);
    const scan = scanner.end();
    if (this.#provisional) {
      // References handed out from the first part's scan were wrong for the parts stored since.
      for (const seen of this.#seen) if (seen.index !== 0) this.#storedProvisionally.add(seen.index);
    }
    this.#useRoot(scan, identityOf(part, true), false);
    // A first part held back for the fallback is an ordinary attachment after all.
    this.#speculation = null;
  }

  /** Makes `scan` the source of references; registers the parts seen so far (but the root) with its resolver. */
  #useRoot(scan: SoapScanResult, root: PartIdentity, provisional: boolean): void {
    const index = root.index;
    if (!provisional) {
      this.#scan = scan;
      this.#contentIds.set(index, root.contentId ?? index);
    }
    this.#provisional = provisional;
    const resolver = this.#resolver = new XopResolver(scan, {
      rootIndex: index, messageBase: this.#baseUri,
      root: { contentLocation: root.contentLocation ?? null, contentBase: root.contentBase ?? null },
    });
    const references = this.#references = new ReferenceIndex(scan, resolver);
    for (const seen of this.#seen) if (seen.index !== index) references.claim(seen);
  }

  /** §3-4: one attachment, streamed into the cache with its document's properties. */
  async #store(part: MultipartPart): Promise<void> {
    const contentId = this.#contentIdOf(part);
    this.#contentIds.set(part.index, contentId);
    const identity = identityOf(part, part.index === 0);
    this.#seen.push(identity);
    let referencedBy: AttachmentReference[] = [];
    if (this.#references === null) this.#storedBeforeRoot.add(part.index);
    else referencedBy = this.#references.claim(identity);
    const meta = {
      properties: {
        wss_root_document_id: this.#rootId,
        wss_attachment_content_id: contentId,
        wss_attachment_content_type: part.contentType ?? '',
      },
      index: part.index,
      contentLocation: part.contentLocation,
      contentTransferEncoding: part.contentTransferEncoding,
      referencedBy,
    };
    // The first part of a message whose `start` does not name it may still become the root.
    const mayBecomeRoot = part.index === 0 && this.#parsed.info.start !== null && !this.#strict;
    if (!mayBecomeRoot) {
      const writer = this.#main ??= await this.#begin();
      await writer.put(meta, part.body);
      return;
    }
    const writer = this.#held = await this.#begin();
    const speculation: Speculation = this.#speculation = {
      scanner: this.#scannerFor(part), error: null, result: null, part: identity,
    };
    await writer.put(meta, speculate(part.body, speculation));
    if (speculation.scanner !== null) {
      try {
        speculation.result = speculation.scanner.end();
        // Until a root turns up, the parts that follow are matched against this envelope's references.
        this.#useRoot(speculation.result, identity, true);
      } catch (error) {
        speculation.error = error;
      }
      speculation.scanner = null;
    }
  }

  /** §4: Content-ID without `<>`, or the part index when there is none (or it is a duplicate, leniently). */
  #contentIdOf(part: MultipartPart): string | number {
    const id = part.contentId;
    if (id === null || id === '') return part.index;
    if (id.length > MAX_CONTENT_ID_LENGTH) {
      throw xopError(ErrorCodes.CACHE_BAD_KEY, `part ${part.index} has a Content-ID longer than ${MAX_CONTENT_ID_LENGTH} characters`,
        { part: part.index, status: 400 });
    }
    const key = contentKey(id);
    const earlier = this.#keys.get(key);
    if (earlier !== undefined) {
      const which = earlier === this.#rootIndex ? ` (the root part)` : '';
      if (this.#strict) {
        throw xopError(ErrorCodes.CACHE_BAD_KEY, `part ${part.index} repeats the Content-ID <${id}> of part ${earlier}${which}`,
          { part: part.index, status: 400 });
      }
      this.#warnings.push(`part ${part.index} repeats the Content-ID <${id}> of part ${earlier}${which}; ` +
        `it is stored under its index ${part.index}`);
      return part.index;
    }
    this.#keys.set(key, part.index);
    return id;
  }

  /** The fallback: the first part (held in its own writer) is the root after all. */
  async #adoptFirstPart(): Promise<SoapScanResult> {
    const speculation = this.#speculation;
    if (this.#parsed.rootIndex !== 0 || speculation === null) {
      throw xopError(ErrorCodes.MIME_NO_PARTS, 'the message has no root part');
    }
    if (speculation.result === null) throw speculation.error;
    // Its bytes are the root's, not an attachment: take them out of the cache.
    const held = this.#held!;
    this.#held = null;
    await held.abort().catch(() => undefined);
    this.#scan = speculation.result;
    this.#contentIds.set(0, speculation.part.contentId ?? 0);
    this.#provisional = false;
    return speculation.result;
  }

  /** Makes the attachments visible, all at once. */
  async #commit(): Promise<AttachmentDocument[]> {
    const main = this.#main;
    const held = this.#held;
    this.#main = null;
    this.#held = null;
    let docs: AttachmentDocument[] = [];
    try {
      if (main !== null) docs = await main.commit();
    } catch (error) {
      if (held !== null) await held.abort().catch(() => undefined);
      throw error;
    }
    if (held !== null) {
      try {
        const first = await held.commit();
        // The root's documents expire together, counted from its last commit: this one.
        const expiresAt = first[0]?.expiresAt;
        if (expiresAt !== undefined) for (const doc of docs) doc.expiresAt = expiresAt;
        docs = [...first, ...docs];
      } catch (error) {
        // The main writer's documents are visible already: take the whole root away again.
        if (main !== null) await this.#cache.delete(this.#rootId).catch(() => undefined);
        throw error;
      }
    }
    return docs.sort((a, b) => a.index - b.index);
  }

  async #begin(): Promise<CacheWriter> {
    if (this.#failure !== null) throw this.#failure;
    try {
      return await this.#cache.begin(this.#rootId);
    } catch (error) {
      throw sinkFailed(error, 'the cache could not start a message');
    }
  }

  /** Discards whatever was staged. */
  async #discard(): Promise<void> {
    const writers = [this.#main, this.#held];
    this.#main = null;
    this.#held = null;
    this.#speculation = null;
    // Also wait for a discard already under way (the abort listener starts one without
    // waiting): otherwise run() could reject while staged files still exist.
    const previous = this.#discarding;
    const current = Promise.all([previous, ...writers.map((w) => w?.abort().catch(() => undefined))]).then(() => undefined);
    this.#discarding = current;
    await current;
  }

  /** The latest discard, so that every caller of #discard waits for all of them. */
  #discarding: Promise<void> | null = null;
}

/**
 * The first part's bytes, passed on to the cache and also fed to a SOAP scan
 * in case the part turns out to be the root. The scan is dropped (and with it
 * the views it keeps) as soon as the bytes are not a SOAP envelope.
 */
async function* speculate(body: AsyncIterable<Uint8Array>, speculation: Speculation): AsyncGenerator<Uint8Array> {
  for await (const view of body) {
    const scanner = speculation.scanner;
    if (scanner !== null) {
      try {
        scanner.write(view);
      } catch (error) {
        speculation.scanner = null;
        speculation.error = error;
      }
    }
    yield view;
  }
}

/** Every failure as an XopError: cache backends may throw plain errors. */
function typed(error: unknown): XopError {
  if (isXopError(error)) return error;
  return sinkFailed(error, 'the message could not be received') as XopError;
}
