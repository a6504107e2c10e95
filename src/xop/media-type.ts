/**
 * What the media types of a message say about its root part: the SOAP
 * version they announce, whether the root is an XOP package, and its charset.
 *
 * SwA (SOAP Messages with Attachments §3; SOAP 1.2 via RFC 3902): the root
 * is `text/xml` (SOAP 1.1) or `application/soap+xml` (SOAP 1.2).
 * MTOM (XOP 1.0 §4.1, SOAP 1.2 MTOM §4.3; SOAP 1.1 binding of MTOM): the root
 * is `application/xop+xml` whose `type` parameter names the SOAP media type;
 * the multipart's `start-info` parameter says the same.
 *
 * @module
 */

import { parseContentType, type ContentType } from '../mime/content-type.js';
import { SOAP11_MEDIA_TYPE, SOAP12_MEDIA_TYPE, XOP_MEDIA_TYPE, type SoapVersion } from './names.js';

/** What the media types announce. */
export interface RootMediaType {
  /** The root part's media type, lower-cased (null when it had no Content-Type). */
  mediaType: string | null;
  /** True when the root is `application/xop+xml` (or the multipart `type` says so). */
  xop: boolean;
  /** The SOAP version the media types announce, or null when they do not say. */
  announcedVersion: SoapVersion | null;
  /** Where {@link announcedVersion} came from, for messages (e.g. `type parameter "text/xml"`). */
  announcedBy: string | null;
  /**
   * An XOP root's multipart `start-info` when it names a SOAP media type and
   * did not decide {@link announcedVersion} (the root part's `type` parameter
   * did): XOP 1.0 §4.1 and MTOM §4.3 have both say the same, so the scanner
   * checks it against the envelope too. Null otherwise.
   */
  startInfo: { version: SoapVersion; mediaType: string } | null;
  /** The root part's `charset` parameter, or null. */
  charset: string | null;
}

/** Accepts a header string, a parsed value or nothing. */
export type ContentTypeInput = string | ContentType | null | undefined;

function parsed(value: ContentTypeInput): ContentType | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value !== 'string') return value;
  try {
    return parseContentType(value);
  } catch {
    return null; // An unparseable Content-Type announces nothing; the envelope decides.
  }
}

function versionOf(mediaType: string | undefined | null): SoapVersion | null {
  if (mediaType === SOAP11_MEDIA_TYPE) return '1.1';
  if (mediaType === SOAP12_MEDIA_TYPE) return '1.2';
  return null;
}

/**
 * Reads the root part's Content-Type and, for multipart messages, the
 * multipart's `type` and `start-info` parameters.
 */
export function describeRootMediaType(
  rootContentType: ContentTypeInput,
  multipart: { type?: string | null; startInfo?: string | null } = {},
): RootMediaType {
  const root = parsed(rootContentType);
  const multipartType = multipart.type === undefined || multipart.type === null ? null : multipart.type.trim().toLowerCase();
  const startInfo = parsed(multipart.startInfo);
  const mediaType = root?.mediaType ?? null;
  const xop = mediaType === XOP_MEDIA_TYPE || (mediaType === null && multipartType === XOP_MEDIA_TYPE);
  let announcedVersion: SoapVersion | null = null;
  let announcedBy: string | null = null;
  let startInfoCheck: RootMediaType['startInfo'] = null;
  if (mediaType === XOP_MEDIA_TYPE || (mediaType === null && xop)) {
    const typeParameter = root?.parameters['type'];
    const inner = parsed(typeParameter);
    if (inner !== null && versionOf(inner.mediaType) !== null) {
      announcedVersion = versionOf(inner.mediaType);
      announcedBy = `the root part's type parameter "${typeParameter}"`;
      const startInfoVersion = versionOf(startInfo?.mediaType);
      if (startInfoVersion !== null) startInfoCheck = { version: startInfoVersion, mediaType: startInfo!.mediaType };
    } else if (startInfo !== null && versionOf(startInfo.mediaType) !== null) {
      announcedVersion = versionOf(startInfo.mediaType);
      announcedBy = `the start-info parameter "${startInfo.mediaType}"`;
    }
  } else if (mediaType !== null) {
    announcedVersion = versionOf(mediaType);
    if (announcedVersion !== null) announcedBy = `the root part's media type ${mediaType}`;
  } else if (multipartType !== null) {
    announcedVersion = versionOf(multipartType);
    if (announcedVersion !== null) announcedBy = `the multipart type parameter ${multipartType}`;
  }
  const charset = root?.parameters['charset'];
  return {
    mediaType, xop, announcedVersion, announcedBy, startInfo: startInfoCheck,
    charset: charset === undefined || charset === '' ? null : charset,
  };
}
