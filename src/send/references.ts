/**
 * Rewriting `cid:` references in the root XML.
 *
 * When an attachment's content id is an integer index (the part had no
 * Content-ID when it was received), the composer gives it a fresh Content-ID,
 * and every reference to the index must follow: an attribute value that is a
 * `cid:` URL (an `xop:Include` href, an SwA `href` on an RPC parameter) or a
 * text node that is one (a WS-I swaRef), compared after percent-decoding.
 *
 * The XML has been checked well-formed by the `saxes` pass in root-xml.ts, so
 * this lexer only needs to step over markup, not validate it. Values written
 * with character references (`cid:&#49;`) are left alone.
 *
 * @module
 */

import { contentIdOfUrl } from './cid.js';

/** Replaces references: given the Content-ID a URL names, returns the new URL, or null to keep it. */
export type CidReplacer = (contentId: string) => string | null;

/** The rewritten XML and how many references changed. */
export interface RewriteResult {
  xml: string;
  replaced: number;
}

/** Rewrites every whole-value `cid:` reference in attribute values and text nodes. */
export function rewriteCidReferences(xml: string, replace: CidReplacer): RewriteResult {
  const out: string[] = [];
  let copiedUpTo = 0;
  let replaced = 0;
  const length = xml.length;

  /** Replaces xml[start, end) when its trimmed content is a cid: URL the replacer maps. */
  const consider = (start: number, end: number): void => {
    const raw = xml.slice(start, end);
    if (!/cid:/i.test(raw) || raw.includes('&')) return;
    const trimmed = raw.trim();
    const id = contentIdOfUrl(trimmed);
    if (id === null) return;
    const url = replace(id);
    if (url === null) return;
    const lead = raw.length - raw.trimStart().length;
    out.push(xml.slice(copiedUpTo, start + lead), url);
    copiedUpTo = start + lead + trimmed.length;
    replaced++;
  };

  let pos = 0;
  while (pos < length) {
    const lt = xml.indexOf('<', pos);
    const textEnd = lt < 0 ? length : lt;
    if (textEnd > pos) consider(pos, textEnd);
    if (lt < 0) break;
    if (xml.startsWith('<!--', lt)) pos = skipPast(xml, '-->', lt + 4);
    else if (xml.startsWith('<![CDATA[', lt)) pos = skipPast(xml, ']]>', lt + 9);
    else if (xml.startsWith('<?', lt)) pos = skipPast(xml, '?>', lt + 2);
    else if (xml.startsWith('<!', lt) || xml.startsWith('</', lt)) pos = skipPast(xml, '>', lt + 2);
    else pos = scanStartTag(xml, lt + 1, consider);
  }
  if (replaced === 0) return { xml, replaced };
  out.push(xml.slice(copiedUpTo));
  return { xml: out.join(''), replaced };
}

function skipPast(xml: string, terminator: string, from: number): number {
  const at = xml.indexOf(terminator, from);
  return at < 0 ? xml.length : at + terminator.length;
}

/** Steps over a start tag from just after `<`, handing each attribute value's range to `consider`. */
function scanStartTag(xml: string, from: number, consider: (start: number, end: number) => void): number {
  let pos = from;
  const length = xml.length;
  while (pos < length) {
    const c = xml.charCodeAt(pos);
    if (c === 0x3e /* > */) return pos + 1;
    if (c === 0x22 /* " */ || c === 0x27 /* ' */) {
      const close = xml.indexOf(xml[pos]!, pos + 1);
      if (close < 0) return length;
      consider(pos + 1, close);
      pos = close + 1;
      continue;
    }
    pos++;
  }
  return length;
}
