/**
 * Namespace URIs, media types and name helpers of the SOAP/XOP layer.
 *
 * Element names are reported in Clark notation, `{namespace}localName`
 * (`{}localName` never appears: a name without a namespace is just `localName`).
 *
 * @module
 */

/** SOAP 1.1 envelope namespace (SOAP 1.1 §4). */
export const SOAP11_NAMESPACE = 'http://schemas.xmlsoap.org/soap/envelope/';
/** SOAP 1.2 envelope namespace (SOAP 1.2 part 1 §5). */
export const SOAP12_NAMESPACE = 'http://www.w3.org/2003/05/soap-envelope';
/** The XOP include namespace (XOP 1.0 §2.1). */
export const XOP_NAMESPACE = 'http://www.w3.org/2004/08/xop/include';
/** The xmime namespace of `xmime:contentType` (W3C Describing Media Content of Binary Data). */
export const XMIME_NAMESPACE = 'http://www.w3.org/2005/05/xmlmime';
/** The namespace of `xmlns` attributes. */
export const XMLNS_NAMESPACE = 'http://www.w3.org/2000/xmlns/';
/** The namespace bound to the `xml` prefix. */
export const XML_NAMESPACE = 'http://www.w3.org/XML/1998/namespace';

/** Media type of a SOAP 1.1 envelope (SOAP 1.1 §6.1.1, SwA). */
export const SOAP11_MEDIA_TYPE = 'text/xml';
/** Media type of a SOAP 1.2 envelope (RFC 3902). */
export const SOAP12_MEDIA_TYPE = 'application/soap+xml';
/** Media type of an XOP root part (XOP 1.0 §A / RFC 7303). */
export const XOP_MEDIA_TYPE = 'application/xop+xml';

/** A SOAP version, or null for a document that is not a SOAP envelope. */
export type SoapVersion = '1.1' | '1.2';

/** `{namespace}local`, or `local` when there is no namespace. */
export function clarkName(namespace: string, local: string): string {
  return namespace === '' ? local : `{${namespace}}${local}`;
}

/** The SOAP version an envelope namespace stands for, or null. */
export function soapVersionOfNamespace(namespace: string): SoapVersion | null {
  if (namespace === SOAP11_NAMESPACE) return '1.1';
  if (namespace === SOAP12_NAMESPACE) return '1.2';
  return null;
}

/** The envelope namespace of a SOAP version. */
export function namespaceOfSoapVersion(version: SoapVersion): string {
  return version === '1.1' ? SOAP11_NAMESPACE : SOAP12_NAMESPACE;
}

/** The media type of a SOAP version's envelope. */
export function mediaTypeOfSoapVersion(version: SoapVersion): string {
  return version === '1.1' ? SOAP11_MEDIA_TYPE : SOAP12_MEDIA_TYPE;
}

/** Escapes text for use inside a double-quoted XML attribute value. */
export function escapeAttribute(value: string): string {
  return value.replace(/[&<"\t\n\r]/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '"' ? '&quot;' : `&#${c.charCodeAt(0)};`);
}

/** The value of an element's `xmime:contentType` attribute (whatever its prefix), or null. */
export function xmimeContentType(tag: { attributes: Record<string, { uri: string; local: string; value: string }> }): string | null {
  for (const name in tag.attributes) {
    const attribute = tag.attributes[name]!;
    if (attribute.local === 'contentType' && attribute.uri === XMIME_NAMESPACE) return attribute.value;
  }
  return null;
}
