/**
 * Reading a SOAP response envelope: its version and, when its Body holds a
 * Fault, the fault's code and reason (SOAP 1.1 §4.4, SOAP 1.2 part 1 §5.4).
 *
 * SOAP 1.1 faults carry unqualified `faultcode`, `faultstring`, `faultactor`
 * and `detail` children (some stacks qualify them; their local names decide);
 * SOAP 1.2 faults carry `Code/Value` (with nested `Subcode/Value`),
 * `Reason/Text` (one per language), `Node`, `Role` and `Detail`, all in the
 * Envelope namespace. The fault code is a QName: it is reported as written
 * and resolved to `{namespace}local`.
 *
 * @module
 */

import { SaxesParser } from 'saxes';
import { ErrorCodes, xopError } from '../errors.js';
import { soapVersionOfNamespace, type SoapVersion } from '../xop/names.js';

/** A SOAP Fault as received. */
export interface SoapFault {
  soapVersion: SoapVersion;
  /** The fault code as written, e.g. `soap:Server` or `env:Sender`. */
  faultCode: string;
  /** The fault code resolved to `{namespace}local` (the local name alone when its prefix is unbound). */
  faultCodeName: string;
  /** SOAP 1.2 `Subcode/Value`s, outermost first (as written). Empty for SOAP 1.1. */
  subcodes: string[];
  /** `faultstring` (1.1) or the first `Reason/Text` in English, else the first (1.2). */
  reason: string;
  /** `faultactor` (1.1) or `Role` (1.2), when present. */
  actor: string | null;
  /** SOAP 1.2 `Node`, when present. */
  node: string | null;
  /** The inner XML of `detail` / `Detail`, as written, or null. */
  detail: string | null;
}

/** What {@link readResponseEnvelope} found. */
export interface ResponseEnvelope {
  soapVersion: SoapVersion;
  fault: SoapFault | null;
}

/** Longest fault text kept (faultstring, reason, detail): a fault is not a place for megabytes. */
export const MAX_FAULT_TEXT = 64 * 1024;

function clip(text: string): string {
  return text.length > MAX_FAULT_TEXT ? text.slice(0, MAX_FAULT_TEXT) : text;
}

/**
 * Reads an envelope's version and Fault. Returns null when the XML is not a
 * SOAP Envelope at all.
 *
 * @throws XopError `ERR_XML_MALFORMED`, `ERR_XML_DOCTYPE`
 */
export function readResponseEnvelope(xml: string): ResponseEnvelope | null {
  const parser = new SaxesParser({ xmlns: true, position: true });
  const stack: Array<{ uri: string; local: string }> = [];
  let version: SoapVersion | null = null;
  let envNs = '';
  let bodyChildSeen = false;
  let inFault = false;
  let fault: SoapFault | null = null;
  let text = '';
  let capturing = false;
  let detailStart = -1;
  let detailDepth = -1;
  let faultCodeName = '';
  const reasons: Array<{ lang: string | null; text: string }> = [];
  let reasonLang: string | null = null;

  parser.on('doctype', () => {
    throw xopError(ErrorCodes.XML_DOCTYPE, 'a SOAP message must not carry a DOCTYPE');
  });
  parser.on('opentag', (tag) => {
    const depth = stack.length; // depth of this element, Envelope = 0
    stack.push({ uri: tag.uri, local: tag.local });
    if (depth === 0) {
      if (tag.local === 'Envelope') {
        version = soapVersionOfNamespace(tag.uri);
        envNs = tag.uri;
      }
      return;
    }
    if (version === null) return;
    if (depth === 2 && stack[1]!.local === 'Body' && stack[1]!.uri === envNs && !bodyChildSeen) {
      bodyChildSeen = true;
      if (tag.local === 'Fault' && tag.uri === envNs) {
        inFault = true;
        fault = { soapVersion: version, faultCode: '', faultCodeName: '', subcodes: [], reason: '', actor: null, node: null, detail: null };
      }
      return;
    }
    if (!inFault || detailDepth >= 0) return;
    const local = tag.local;
    if ((version === '1.1' && depth === 3 && local === 'detail') || (version === '1.2' && depth === 3 && local === 'Detail')) {
      detailStart = parser.position;
      detailDepth = depth;
      return;
    }
    if (version === '1.2' && local === 'Text' && stack[depth - 1]!.local === 'Reason') {
      reasonLang = tag.attributes['xml:lang']?.value ?? null;
    }
    capturing = true;
    text = '';
  });
  parser.on('text', (value) => {
    if (capturing) text += value;
  });
  parser.on('closetag', (tag) => {
    const depth = stack.length - 1;
    stack.pop();
    if (!inFault || fault === null) return;
    const f = fault as SoapFault;
    if (detailDepth >= 0) {
      if (depth === detailDepth) {
        const end = parser.position;
        const close = (xml.lastIndexOf('</', end - 1));
        f.detail = clip(xml.slice(detailStart, close));
        detailDepth = -1;
      }
      return;
    }
    if (depth === 2) {
      inFault = false;
      return;
    }
    const value = text.trim();
    capturing = false;
    const parent = stack[depth - 1]?.local;
    if (version === '1.1' && depth === 3) {
      if (tag.local === 'faultcode') {
        f.faultCode = value;
        faultCodeName = resolveQName(parser, value);
      } else if (tag.local === 'faultstring') f.reason = clip(value);
      else if (tag.local === 'faultactor') f.actor = value;
    } else if (version === '1.2') {
      if (tag.local === 'Value' && parent === 'Code' && depth === 4) {
        f.faultCode = value;
        faultCodeName = resolveQName(parser, value);
      } else if (tag.local === 'Value' && parent === 'Subcode') f.subcodes.push(value);
      else if (tag.local === 'Text' && parent === 'Reason') reasons.push({ lang: reasonLang, text: clip(value) });
      else if (tag.local === 'Node' && depth === 3) f.node = value;
      else if (tag.local === 'Role' && depth === 3) f.actor = value;
    }
  });
  try {
    parser.write(xml).close();
  } catch (cause) {
    if (cause instanceof Error && 'code' in cause && (cause as { code: unknown }).code === ErrorCodes.XML_DOCTYPE) throw cause;
    throw xopError(ErrorCodes.XML_MALFORMED, `the response envelope is not well-formed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  if (version === null) return null;
  const found = fault as SoapFault | null;
  if (found !== null) {
    found.faultCodeName = faultCodeName;
    if (version === '1.2') {
      const english = reasons.find((r) => r.lang !== null && /^en\b/i.test(r.lang));
      found.reason = (english ?? reasons[0])?.text ?? '';
    }
  }
  return { soapVersion: version, fault: found };
}

/** Resolves a QName in element content against the namespaces in scope. */
function resolveQName(parser: SaxesParser<{ xmlns: true; position: true }>, qname: string): string {
  const colon = qname.indexOf(':');
  const prefix = colon < 0 ? '' : qname.slice(0, colon);
  const local = colon < 0 ? qname : qname.slice(colon + 1);
  const uri = parser.resolve(prefix);
  return uri === undefined || uri === '' ? local : `{${uri}}${local}`;
}
