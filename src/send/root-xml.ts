/**
 * The root part of a composed message: the caller's XML, decoded, checked,
 * and either sent as the SOAP Envelope it already is or wrapped in one.
 *
 * - Bytes are decoded by BOM, then by the XML declaration's `encoding`
 *   (UTF-8 when neither says otherwise), with a fatal `TextDecoder`: bad bytes
 *   are a typed error, never U+FFFD in a sent message. The root part always
 *   goes out as UTF-8 (the `charset=UTF-8` every composed Content-Type names).
 * - One `saxes` pass (namespace-aware, fragment mode so that a payload may
 *   hold several Body entries) checks well-formedness, rejects a DOCTYPE
 *   (SOAP 1.1 §3, SOAP 1.2 part 1 §5), tells an Envelope (by namespace, not
 *   by name) from a payload, and collects every `xop:Include` href.
 * - An Envelope goes as is: when it arrived as UTF-8 bytes and needs no
 *   rewriting, the very same bytes are sent.
 *
 * @module
 */

import { SaxesParser } from 'saxes';
import { ErrorCodes, xopError } from '../errors.js';
import { XOP_NAMESPACE, namespaceOfSoapVersion, soapVersionOfNamespace, type SoapVersion } from '../xop/names.js';

export type { SoapVersion };

/** What the scan of the caller's XML found. */
export interface RootXml {
  /** The XML as text, without BOM (and without XML declaration for a payload). */
  text: string;
  /** The caller's bytes when they can be sent unchanged (UTF-8 without BOM), else null. */
  originalUtf8: Uint8Array | null;
  /** SOAP version of the Envelope, or null when the XML is a payload. */
  envelopeVersion: SoapVersion | null;
  /** The `href` of every `xop:Include`, in document order. */
  xopIncludeHrefs: string[];
}

const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;
const XML_DECLARATION = /^<\?xml\s[^>]*\?>/;

/** Decodes the caller's bytes: BOM first, then the declaration's encoding, UTF-8 by default. */
function decodeXmlBytes(bytes: Uint8Array): { text: string; utf8NoBom: boolean } {
  let label = 'utf-8';
  let start = 0;
  if (bytes.length >= 3 && bytes[0] === UTF8_BOM[0] && bytes[1] === UTF8_BOM[1] && bytes[2] === UTF8_BOM[2]) {
    start = 3;
  } else if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    label = 'utf-16le';
    start = 2;
  } else if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    label = 'utf-16be';
    start = 2;
  } else {
    // The declaration is ASCII in every ASCII-compatible encoding: read it as latin1.
    const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 256)).toString('latin1');
    const declared = XML_DECLARATION.exec(head)?.[0].match(/encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/)?.[1];
    if (declared !== undefined) label = declared.toLowerCase();
  }
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(label, { fatal: true, ignoreBOM: true });
  } catch (cause) {
    throw xopError(ErrorCodes.XML_BAD_ENCODING, `the XML declares the unknown encoding ${JSON.stringify(label)}`, { cause });
  }
  try {
    const text = decoder.decode(bytes.subarray(start));
    return { text, utf8NoBom: start === 0 && decoder.encoding === 'utf-8' };
  } catch (cause) {
    throw xopError(ErrorCodes.XML_BAD_ENCODING, `the XML is not valid ${decoder.encoding}`, { cause });
  }
}

/** Rewrites the declaration's encoding to UTF-8 (the bytes are re-encoded as UTF-8). */
function declareUtf8(declaration: string): string {
  return /encoding\s*=/.test(declaration)
    ? declaration.replace(/encoding\s*=\s*["'][^"']*["']/, 'encoding="UTF-8"')
    : declaration;
}

/**
 * Decodes and scans the caller's XML.
 *
 * @throws XopError `ERR_XML_BAD_ENCODING`, `ERR_XML_MALFORMED`, `ERR_XML_DOCTYPE`,
 *   `ERR_SOAP_NO_BODY` (an Envelope without a Body), `ERR_BAD_ARGUMENT` (no XML).
 */
export function scanRootXml(xml: string | Uint8Array): RootXml {
  let text: string;
  let originalUtf8: Uint8Array | null = null;
  if (typeof xml === 'string') {
    text = xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml;
  } else if (xml instanceof Uint8Array) {
    const decoded = decodeXmlBytes(xml);
    text = decoded.text;
    if (decoded.utf8NoBom) originalUtf8 = xml;
  } else {
    throw xopError(ErrorCodes.BAD_ARGUMENT, 'xml must be a string or a Uint8Array');
  }
  let declaration = XML_DECLARATION.exec(text)?.[0] ?? '';
  if (declaration !== '' && originalUtf8 === null && typeof xml !== 'string') {
    // Transcoded from UTF-16 or a legacy charset: the declaration must name what is sent.
    const utf8Declaration = declareUtf8(declaration);
    text = utf8Declaration + text.slice(declaration.length);
    declaration = utf8Declaration;
  }
  const scan = scanWithSaxes(text.slice(declaration.length), declaration.length);
  if (scan.topLevelElements === 0) {
    throw xopError(ErrorCodes.XML_MALFORMED, 'the XML has no element');
  }
  if (scan.envelopeVersion !== null) {
    if (scan.topLevelElements > 1) {
      throw xopError(ErrorCodes.XML_MALFORMED, 'an Envelope must be the only top-level element');
    }
    if (!scan.envelopeHasBody) {
      throw xopError(ErrorCodes.SOAP_NO_BODY, 'the SOAP Envelope has no Body');
    }
    return { text, originalUtf8, envelopeVersion: scan.envelopeVersion, xopIncludeHrefs: scan.hrefs };
  }
  // A payload goes inside a Body: its declaration cannot come along.
  return { text: text.slice(declaration.length), originalUtf8: null, envelopeVersion: null, xopIncludeHrefs: scan.hrefs };
}

interface SaxScan {
  topLevelElements: number;
  envelopeVersion: SoapVersion | null;
  envelopeHasBody: boolean;
  hrefs: string[];
}

function scanWithSaxes(text: string, offsetBase: number): SaxScan {
  const parser = new SaxesParser({ xmlns: true, fragment: true, position: true });
  const scan: SaxScan = { topLevelElements: 0, envelopeVersion: null, envelopeHasBody: false, hrefs: [] };
  let depth = 0;
  let envelopeNs: string | null = null;
  let failure: unknown = null;
  parser.on('opentag', (tag) => {
    if (depth === 0) {
      scan.topLevelElements++;
      if (scan.topLevelElements === 1 && tag.local === 'Envelope') {
        scan.envelopeVersion = soapVersionOfNamespace(tag.uri);
        if (scan.envelopeVersion !== null) envelopeNs = tag.uri;
      }
    } else if (depth === 1 && envelopeNs !== null && scan.topLevelElements === 1 &&
               tag.local === 'Body' && tag.uri === envelopeNs) {
      scan.envelopeHasBody = true;
    }
    if (tag.local === 'Include' && tag.uri === XOP_NAMESPACE) {
      const href = tag.attributes['href'];
      if (href === undefined) {
        failure = xopError(ErrorCodes.XOP_BAD_INCLUDE, 'an xop:Include has no href attribute',
          { offset: offsetBase + parser.position });
      } else {
        scan.hrefs.push(href.value);
      }
    }
    if (!tag.isSelfClosing) depth++;
  });
  parser.on('closetag', (tag) => {
    if (!tag.isSelfClosing) depth--;
  });
  parser.on('text', (value) => {
    if (depth === 0 && value.trim() !== '' && failure === null) {
      failure = xopError(ErrorCodes.XML_MALFORMED, 'text outside any element', { offset: offsetBase + parser.position });
    }
  });
  try {
    parser.write(text).close();
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    const code = /doctype/i.test(message) ? ErrorCodes.XML_DOCTYPE : ErrorCodes.XML_MALFORMED;
    throw xopError(code, code === ErrorCodes.XML_DOCTYPE
      ? 'a SOAP message must not carry a DOCTYPE (SOAP 1.1 §3, SOAP 1.2 part 1 §5)'
      : `the XML is not well-formed: ${message}`, { cause });
  }
  if (failure !== null) throw failure;
  return scan;
}

/** Prefix of the Envelope elements a payload gets wrapped in. */
const WRAP_PREFIX: Record<SoapVersion, string> = { '1.1': 'soapenv', '1.2': 'env' };

/**
 * Wraps a payload (one or more Body entries, no XML declaration) in a SOAP
 * Envelope of `version`.
 */
export function wrapInEnvelope(payload: string, version: SoapVersion): string {
  const p = WRAP_PREFIX[version];
  return `<?xml version="1.0" encoding="UTF-8"?><${p}:Envelope xmlns:${p}="${namespaceOfSoapVersion(version)}">` +
    `<${p}:Body>${payload}</${p}:Body></${p}:Envelope>`;
}
