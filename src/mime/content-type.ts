/**
 * Content-Type parsing (RFC 2045 §5.1) and the multipart/related parameters
 * of RFC 2387 §3.
 *
 * Lenient where real peers are sloppy (a trailing `;`, a TAB before a
 * parameter, unquoted values with `:` or `<>` in them, upper-case names),
 * strict where it matters for safety (the boundary).
 *
 * @module
 */

import { ErrorCodes, xopError } from '../errors.js';

/** A parsed Content-Type value. */
export interface ContentType {
  /** `type/subtype`, lower-cased, e.g. `multipart/related`. */
  readonly mediaType: string;
  /** Parameters by lower-cased name, values unquoted. The first occurrence of a name wins. */
  readonly parameters: Readonly<Record<string, string>>;
}

const HTAB = 0x09;
const SPACE = 0x20;
const DQUOTE = 0x22;
const SEMICOLON = 0x3b;
const BACKSLASH = 0x5c;

function isWhitespace(code: number): boolean {
  return code === SPACE || code === HTAB || code === 0x0d || code === 0x0a;
}

/**
 * Parses a Content-Type header value.
 *
 * @example
 * parseContentType('Multipart/Related; boundary="b1"; type="application/xop+xml"')
 * // → { mediaType: 'multipart/related', parameters: { boundary: 'b1', type: 'application/xop+xml' } }
 *
 * @throws XopError `ERR_MIME_BAD_CONTENT_TYPE` when there is no `type/subtype`.
 */
export function parseContentType(value: string): ContentType {
  if (typeof value !== 'string') {
    throw xopError(ErrorCodes.MIME_BAD_CONTENT_TYPE, 'Content-Type must be a string');
  }
  const length = value.length;
  let pos = 0;
  while (pos < length && isWhitespace(value.charCodeAt(pos))) pos++;
  const typeStart = pos;
  while (pos < length && value.charCodeAt(pos) !== SEMICOLON) pos++;
  const mediaType = withoutTrailingComments(value.slice(typeStart, pos)).toLowerCase();
  const slash = mediaType.indexOf('/');
  if (slash <= 0 || slash === mediaType.length - 1 || /[\s"(),:;<=>?@[\\\]{}]/.test(mediaType)) {
    throw xopError(ErrorCodes.MIME_BAD_CONTENT_TYPE, `Content-Type ${JSON.stringify(value)} has no valid type/subtype`);
  }
  const parameters: Record<string, string> = Object.create(null);
  while (pos < length) {
    // At a ';' (or the end): skip it and any whitespace.
    pos++;
    while (pos < length && isWhitespace(value.charCodeAt(pos))) pos++;
    if (pos >= length) break;
    const nameStart = pos;
    while (pos < length) {
      const c = value.charCodeAt(pos);
      if (c === 0x3d /* = */ || c === SEMICOLON) break;
      pos++;
    }
    const name = value.slice(nameStart, pos).trim().toLowerCase();
    if (pos >= length || value.charCodeAt(pos) === SEMICOLON) {
      // A parameter without '=' (e.g. a stray token): ignore it, as browsers and mimepull do.
      continue;
    }
    pos++; // '='
    while (pos < length && (value.charCodeAt(pos) === SPACE || value.charCodeAt(pos) === HTAB)) pos++;
    let parameterValue: string;
    if (pos < length && value.charCodeAt(pos) === DQUOTE) {
      // quoted-string (RFC 822 §3.3): backslash quotes the next character.
      pos++;
      let text = '';
      let segmentStart = pos;
      let closed = false;
      while (pos < length) {
        const c = value.charCodeAt(pos);
        if (c === BACKSLASH && pos + 1 < length) {
          text += value.slice(segmentStart, pos) + value[pos + 1];
          pos += 2;
          segmentStart = pos;
          continue;
        }
        if (c === DQUOTE) {
          closed = true;
          break;
        }
        pos++;
      }
      text += value.slice(segmentStart, pos);
      if (closed) pos++;
      parameterValue = text;
      // Skip anything between the closing quote and the next ';'.
      while (pos < length && value.charCodeAt(pos) !== SEMICOLON) pos++;
    } else {
      const valueStart = pos;
      while (pos < length && value.charCodeAt(pos) !== SEMICOLON) pos++;
      parameterValue = withoutTrailingComments(value.slice(valueStart, pos));
    }
    if (name.length > 0 && !(name in parameters)) parameters[name] = parameterValue;
  }
  return { mediaType, parameters };
}

/**
 * A token without the RFC 822 comments that follow it (`abc (generated)` →
 * `abc`; RFC 2045 §5.1 allows comments in the header). Only comments set
 * off by whitespace at the end are removed, so sloppy unquoted values keep
 * any parentheses inside them.
 */
function withoutTrailingComments(token: string): string {
  let text = token.trim();
  while (text.length > 0 && text.charCodeAt(text.length - 1) === 0x29 /* ) */) {
    const open = text.lastIndexOf('(');
    if (open <= 0 || !isWhitespace(text.charCodeAt(open - 1)) || text.indexOf(')', open) !== text.length - 1) break;
    text = text.slice(0, open).trim();
  }
  return text;
}

/** Longest boundary RFC 2046 §5.1.1 allows. */
export const MAX_BOUNDARY_LENGTH = 70;

/**
 * Returns the `boundary` parameter of a multipart Content-Type, checked
 * against RFC 2046 §5.1.1: 1–70 characters (the maximum can be raised for
 * peers that exceed it), printable US-ASCII, not ending in a space.
 *
 * @throws XopError `ERR_MIME_NO_BOUNDARY`
 */
export function boundaryOf(contentType: ContentType, maxLength: number = MAX_BOUNDARY_LENGTH): string {
  const boundary = contentType.parameters['boundary'];
  if (boundary === undefined || boundary.length === 0) {
    throw xopError(ErrorCodes.MIME_NO_BOUNDARY, `${contentType.mediaType} has no boundary parameter`);
  }
  if (boundary.length > maxLength) {
    throw xopError(ErrorCodes.MIME_NO_BOUNDARY,
      `boundary is ${boundary.length} characters long; RFC 2046 §5.1.1 allows at most ${maxLength}`);
  }
  for (let i = 0; i < boundary.length; i++) {
    const c = boundary.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) {
      throw xopError(ErrorCodes.MIME_NO_BOUNDARY, `boundary contains the non-printable character code ${c}`);
    }
  }
  if (boundary.charCodeAt(boundary.length - 1) === SPACE) {
    throw xopError(ErrorCodes.MIME_NO_BOUNDARY, 'boundary ends with a space (RFC 2046 §5.1.1)');
  }
  return boundary;
}

/**
 * Strips one pair of surrounding angle brackets and whitespace from a
 * Content-ID or `start` value. A bracketed msg-id may carry RFC 5322 comments
 * before or after it (`<a@x> (photo)`, CFWS of §3.6.4): they are dropped too.
 * A value without brackets is only trimmed (ids such as `report(1).pdf` keep
 * their parentheses).
 */
export function stripAngleBrackets(value: string): string {
  const trimmed = value.trim();
  const length = trimmed.length;
  if (length >= 2 && trimmed.charCodeAt(0) === 0x3c && trimmed.charCodeAt(length - 1) === 0x3e) {
    return trimmed.slice(1, -1).trim();
  }
  // Only when comments surround a bracketed id; anything else is returned as it is.
  if (length > 0 && (trimmed.charCodeAt(0) === 0x28 || trimmed.charCodeAt(length - 1) === 0x29)) {
    const core = withoutComments(trimmed);
    if (core !== null && core.length >= 2 && core.charCodeAt(0) === 0x3c && core.charCodeAt(core.length - 1) === 0x3e) {
      return core.slice(1, -1).trim();
    }
  }
  return trimmed;
}

/** A `(comment) <id> (comment)` value without its leading and trailing comments, or null when they do not balance. */
function withoutComments(value: string): string | null {
  let start = 0;
  let end = value.length;
  while (start < end && value.charCodeAt(start) === 0x28) {
    const close = commentEnd(value, start);
    if (close < 0) return null;
    start = close;
    while (start < end && isWhitespace(value.charCodeAt(start))) start++;
  }
  const lt = value.indexOf('<', start);
  const gt = lt < 0 ? -1 : value.indexOf('>', lt);
  if (lt !== start || gt < 0) return null;
  let pos = gt + 1;
  while (pos < end) {
    const c = value.charCodeAt(pos);
    if (isWhitespace(c)) {
      pos++;
    } else if (c === 0x28) {
      pos = commentEnd(value, pos);
      if (pos < 0) return null;
    } else {
      return null;
    }
  }
  end = gt + 1;
  return value.slice(start, end);
}

/** Index just past the comment that opens at `open` (nested, with quoted-pairs), or -1 when it does not close. */
function commentEnd(value: string, open: number): number {
  let depth = 0;
  for (let i = open; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === 0x28) depth++;
    else if (c === 0x29 && --depth === 0) return i + 1;
  }
  return -1;
}

/** Media types that travel as a single SOAP/XML document rather than multipart. */
export function isXmlMediaType(mediaType: string): boolean {
  return mediaType === 'text/xml' || mediaType === 'application/xml' || mediaType === 'application/soap+xml' ||
    mediaType === 'application/xop+xml' || mediaType.endsWith('+xml');
}
