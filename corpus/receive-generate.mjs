#!/usr/bin/env node
// Writes the receive-pipeline fixtures: corpus/receive-<case>/message.bin + expected.json.
//
// Run by hand (`node corpus/receive-generate.mjs`) after changing a case; the
// output is committed. Expected results are written down from how each
// message is *built* (the payload element we put in the Body, the bodies of
// the attachments, the references we planted), never from what receive()
// makes of it, so test/receive-pipeline.test.ts can fail.
//
// expected.json:
//   generatedBy   "corpus/receive-generate.mjs"
//   description   what the case shows
//   contentType   the message's Content-Type header
//   options       receive() options besides the cache (strict, limits, allowMissingCloseDelimiter)
//   result        { soap: {version, bodyElement, headerBlocks}, rootXml (exact root document),
//                   attachments: [{properties: {wss_attachment_content_id, wss_attachment_content_type},
//                                  index, size, sha256, contentLocation, contentTransferEncoding, referencedBy}],
//                   xopIncludes: [{cid, part, contentId}], warnings: [substrings, one per expected warning] }
//   error         { code } when receive() must reject (and leave nothing in the cache)

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const GENERATED_BY = 'corpus/receive-generate.mjs';
const S11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const S12 = 'http://www.w3.org/2003/05/soap-envelope';
const XOP = 'http://www.w3.org/2004/08/xop/include';

const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');

/** Deterministic bytes (xorshift32), so fixtures are reproducible; they include CR, LF and dashes. */
function randomBytes(length, seed) {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

function envelope(ns, payload, header = '') {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<s:Envelope xmlns:s="${ns}">${header}<s:Body>${payload}</s:Body></s:Envelope>`;
}

/** A part: header lines and the body as sent (`raw`) and as stored (`decoded`, default raw). */
function part(head, raw, decoded = raw) {
  return { head, raw: Buffer.from(raw), decoded: Buffer.from(decoded) };
}

function multipart(boundary, parts, close = true) {
  const chunks = [];
  for (const p of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\n${p.head.map((l) => l + '\r\n').join('')}\r\n`), p.raw, Buffer.from('\r\n'));
  }
  if (close) chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

/** The expected attachment document of a part. */
function doc(p, index, contentId, contentType, extra = {}) {
  return {
    properties: { wss_attachment_content_id: contentId, wss_attachment_content_type: contentType },
    index,
    size: p.decoded.length,
    sha256: sha256(p.decoded),
    contentLocation: extra.contentLocation ?? null,
    contentTransferEncoding: 'contentTransferEncoding' in extra ? extra.contentTransferEncoding : 'binary',
    referencedBy: extra.referencedBy ?? [],
  };
}

const cases = [];
function add(name, description, message, contentType, expected, options = {}) {
  cases.push({ name, message, expected: { generatedBy: GENERATED_BY, description, contentType, options, ...expected } });
}

// --- plain SOAP ---------------------------------------------------------------
{
  const payload = '<m:getQuote xmlns:m="urn:quotes"><m:symbol>ACME</m:symbol></m:getQuote>';
  add('receive-plain-soap11', 'plain SOAP 1.1 (text/xml, no MIME): a root document and no attachments',
    Buffer.from(envelope(S11, payload)), 'text/xml; charset=utf-8', {
      result: {
        soap: { version: '1.1', bodyElement: '{urn:quotes}getQuote', headerBlocks: [] },
        rootXml: payload, attachments: [], xopIncludes: [], warnings: [],
      },
    });
}
{
  const payload = '<m:ping xmlns:m="urn:ping">hello</m:ping>';
  const header = '<s:Header><a:To xmlns:a="http://www.w3.org/2005/08/addressing">urn:x</a:To><t:Trace xmlns:t="urn:trace"/></s:Header>';
  add('receive-plain-soap12', 'plain SOAP 1.2 (application/soap+xml) with two Header blocks',
    Buffer.from(envelope(S12, payload, header)), 'application/soap+xml; charset=utf-8; action="urn:ping"', {
      result: {
        soap: { version: '1.2', bodyElement: '{urn:ping}ping', headerBlocks: ['{http://www.w3.org/2005/08/addressing}To', '{urn:trace}Trace'] },
        rootXml: payload, attachments: [], xopIncludes: [], warnings: [],
      },
    });
}
{
  add('receive-empty-body', 'a SOAP envelope with an empty Body: an empty root document and a warning',
    Buffer.from(envelope(S11, '')), 'text/xml', {
      result: {
        soap: { version: '1.1', bodyElement: null, headerBlocks: [] },
        rootXml: '', attachments: [], xopIncludes: [], warnings: ['the SOAP Body is empty'],
      },
    });
}

// --- SwA ------------------------------------------------------------------------
{
  const boundary = '----=_Part_7_receive.swa';
  const payload = '<m:upload xmlns:m="urn:files"><m:doc>cid:report@example.org</m:doc><m:note>plain text</m:note></m:upload>';
  const pdfish = randomBytes(3000, 11);
  const text = Buffer.from('line one\r\n--not a boundary\r\nline three\r\n');
  const parts = [
    part(['Content-Type: text/xml; charset=UTF-8', 'Content-Transfer-Encoding: 8bit', 'Content-ID: <root@example.org>'], envelope(S11, payload)),
    part(['Content-Type: application/pdf', 'Content-Transfer-Encoding: binary', 'Content-ID: <report@example.org>', 'Content-Location: report.pdf'], pdfish),
    part(['Content-Type: text/plain; charset=us-ascii', 'Content-Transfer-Encoding: base64'], text.toString('base64').replace(/(.{20})/g, '$1\r\n'), text),
    part(['Content-ID: <raw@example.org>'], randomBytes(1, 3)),
  ];
  add('receive-swa-soap11', 'SwA SOAP 1.1: a swaRef to a PDF-like part, a base64 part without Content-ID (stored under its index), a part without Content-Type',
    multipart(boundary, parts), `multipart/related; type="text/xml"; start="<root@example.org>"; boundary="${boundary}"`, {
      result: {
        soap: { version: '1.1', bodyElement: '{urn:files}upload', headerBlocks: [] },
        rootXml: payload,
        attachments: [
          doc(parts[1], 1, 'report@example.org', 'application/pdf', {
            contentLocation: 'report.pdf', referencedBy: [{ element: '{urn:files}doc', path: '/s:Envelope/s:Body/m:upload/m:doc', kind: 'swaRef' }],
          }),
          doc(parts[2], 2, 2, 'text/plain; charset=us-ascii', { contentTransferEncoding: 'base64' }),
          doc(parts[3], 3, 'raw@example.org', 'application/octet-stream', { contentTransferEncoding: null }),
        ],
        xopIncludes: [], warnings: [],
      },
    });
}

// --- MTOM -----------------------------------------------------------------------
{
  const boundary = 'MIMEBoundary_receive_mtom';
  const payload = `<p:upload xmlns:p="urn:photos" xmlns:xop="${XOP}"><p:photo><xop:Include href="cid:photo%201@example.org"/></p:photo>` +
    `<p:sig><xop:Include href="cid:sig@example.org"/></p:sig></p:upload>`;
  const photo = randomBytes(5000, 21);
  const sig = randomBytes(64, 22);
  const parts = [
    part(['Content-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml"', 'Content-Transfer-Encoding: binary', 'Content-ID: <root.message@example.org>'], envelope(S12, payload)),
    part(['Content-Type: image/jpeg', 'Content-Transfer-Encoding: binary', 'Content-ID: <photo 1@example.org>'], photo),
    part(['Content-Type: application/octet-stream', 'Content-Transfer-Encoding: binary', 'Content-ID: <sig@example.org>'], sig),
  ];
  add('receive-mtom-soap12', 'MTOM SOAP 1.2: two xop:Includes (one percent-encoded) name the two parts; each document says which element referenced it',
    multipart(boundary, parts),
    `multipart/related; type="application/xop+xml"; start="<root.message@example.org>"; start-info="application/soap+xml"; boundary="${boundary}"`, {
      result: {
        soap: { version: '1.2', bodyElement: '{urn:photos}upload', headerBlocks: [] },
        rootXml: payload,
        attachments: [
          doc(parts[1], 1, 'photo 1@example.org', 'image/jpeg', { referencedBy: [{ element: '{urn:photos}photo', path: '/s:Envelope/s:Body/p:upload/p:photo', kind: 'xop' }] }),
          doc(parts[2], 2, 'sig@example.org', 'application/octet-stream', { referencedBy: [{ element: '{urn:photos}sig', path: '/s:Envelope/s:Body/p:upload/p:sig', kind: 'xop' }] }),
        ],
        xopIncludes: [{ cid: 'photo 1@example.org', part: 1, contentId: 'photo 1@example.org' }, { cid: 'sig@example.org', part: 2, contentId: 'sig@example.org' }],
        warnings: [],
      },
    });

  const missing = [parts[0], parts[1]];
  add('receive-mtom-missing-part', 'MTOM whose second xop:Include names no part: ERR_XOP_MISSING_PART, nothing stored',
    multipart(boundary, missing),
    `multipart/related; type="application/xop+xml"; start="<root.message@example.org>"; start-info="application/soap+xml"; boundary="${boundary}"`,
    { error: { code: 'ERR_XOP_MISSING_PART' } });

  add('receive-mtom-truncated', 'MTOM cut off inside the second attachment: ERR_MIME_TRUNCATED, nothing stored (the first attachment was already staged)',
    multipart(boundary, parts).subarray(0, multipart(boundary, parts).length - 40),
    `multipart/related; type="application/xop+xml"; start="<root.message@example.org>"; start-info="application/soap+xml"; boundary="${boundary}"`,
    { error: { code: 'ERR_MIME_TRUNCATED' } });
}

// --- framing: bodies ending in a bare LF (Axis 1.x capture) ------------------------
{
  // Delimiter lines and headers end in CRLF, as JavaMail writes them, but each body ends in a bare LF
  // before the next delimiter: CRLF-framed by RFC 2046, so by default the bare-LF delimiters are body
  // data and the message has no close delimiter; mimepull and JavaMail read two parts.
  const boundary = '----=_Part_4_axis1.1100000000000';
  const payload = '<ns1:echo xmlns:ns1="urn:echo"><data href="cid:8F1B2C3D4E5F60718293A4B5C6D7E8F9"/></ns1:echo>';
  const attachment = Buffer.from('abc123 attachment text\r\nsecond line');
  const parts = [
    part(['Content-Type: text/xml; charset=UTF-8', 'Content-Transfer-Encoding: binary', 'Content-Id: <5A6B7C8D9E0F1A2B3C4D5E6F7A8B9C0D>'], envelope(S11, payload)),
    part(['Content-Type: text/plain', 'Content-Transfer-Encoding: binary', 'Content-Id: <8F1B2C3D4E5F60718293A4B5C6D7E8F9>'], attachment),
  ];
  const message = Buffer.concat(parts.flatMap((p, i) => [
    Buffer.from(`${i === 0 ? '' : '\n'}--${boundary}\r\n${p.head.map((l) => l + '\r\n').join('')}\r\n`), p.raw,
  ]).concat([Buffer.from(`\n--${boundary}--\r\n`)]));
  const contentType = `multipart/related; type="text/xml"; start="<5A6B7C8D9E0F1A2B3C4D5E6F7A8B9C0D>"; boundary="${boundary}"`;
  add('receive-bare-lf-delimiters', 'CRLF-framed SwA whose bodies end in a bare LF before each delimiter (an Axis 1.x capture): ' +
    'by default (RFC 2046) the root part runs on past its Envelope, ERR_XML_MALFORMED, nothing stored',
    message, contentType, { error: { code: 'ERR_XML_MALFORMED' } });
  add('receive-bare-lf-delimiters-allowed', 'the same message with allowBareLfDelimiters: the root and the attachment its href names, as mimepull and JavaMail read it',
    message, contentType, {
      result: {
        soap: { version: '1.1', bodyElement: '{urn:echo}echo', headerBlocks: [] },
        rootXml: payload,
        attachments: [
          doc(parts[1], 1, '8F1B2C3D4E5F60718293A4B5C6D7E8F9', 'text/plain', {
            referencedBy: [{ element: 'data', path: '/s:Envelope/s:Body/ns1:echo/data', kind: 'swaRef' }],
          }),
        ],
        xopIncludes: [], warnings: [],
      },
    }, { allowBareLfDelimiters: true });
}

// --- the root elsewhere ---------------------------------------------------------
{
  const boundary = 'root-not-first';
  const payload = `<d:put xmlns:d="urn:docs" xmlns:xop="${XOP}"><d:a><xop:Include href="cid:a@x"/></d:a><d:b><xop:Include href="cid:b@x"/></d:b></d:put>`;
  const a = randomBytes(700, 31);
  const b = randomBytes(900, 32);
  const parts = [
    part(['Content-ID: <a@x>', 'Content-Type: application/octet-stream'], a),
    part(['Content-ID: <root@x>', 'Content-Type: application/xop+xml; type="text/xml"'], envelope(S11, payload)),
    part(['Content-ID: <b@x>', 'Content-Type: application/octet-stream'], b),
  ];
  add('receive-root-not-first', 'start names the second part: the first part is stored as it streams (before its reference is known), the third after',
    multipart(boundary, parts), `multipart/related; type="application/xop+xml"; start="<root@x>"; start-info="text/xml"; boundary=${boundary}`, {
      result: {
        soap: { version: '1.1', bodyElement: '{urn:docs}put', headerBlocks: [] },
        rootXml: payload,
        attachments: [
          doc(parts[0], 0, 'a@x', 'application/octet-stream', { contentTransferEncoding: null }),
          doc(parts[2], 2, 'b@x', 'application/octet-stream', { contentTransferEncoding: null, referencedBy: [{ element: '{urn:docs}b', path: '/s:Envelope/s:Body/d:put/d:b', kind: 'xop' }] }),
        ],
        xopIncludes: [{ cid: 'a@x', part: 0, contentId: 'a@x' }, { cid: 'b@x', part: 2, contentId: 'b@x' }],
        warnings: ['came before the root part'],
      },
    });
}
{
  const boundary = 'start-not-found';
  const payload = `<d:put xmlns:d="urn:docs" xmlns:xop="${XOP}"><d:a><xop:Include href="cid:att@x"/></d:a></d:put>`;
  const att = randomBytes(1200, 41);
  const parts = [
    part(['Content-ID: <soap.xml@xfire.codehaus.org>', 'Content-Type: application/xop+xml; charset=UTF-8; type="text/xml"'], envelope(S11, payload)),
    part(['Content-ID: <att@x>', 'Content-Type: image/png'], att),
  ];
  const contentType = `multipart/related; type="application/xop+xml"; start="<nowhere@x>"; start-info="text/xml"; boundary=${boundary}`;
  add('receive-start-not-found', 'start names no part (XFire-era peers): the first part is the root after all (scanned while it streamed, its references given to the parts after it); it is not left in the cache',
    multipart(boundary, parts), contentType, {
      result: {
        soap: { version: '1.1', bodyElement: '{urn:docs}put', headerBlocks: [] },
        rootXml: payload,
        attachments: [doc(parts[1], 1, 'att@x', 'image/png', {
          contentTransferEncoding: null, referencedBy: [{ element: '{urn:docs}a', path: '/s:Envelope/s:Body/d:put/d:a', kind: 'xop' }],
        })],
        xopIncludes: [{ cid: 'att@x', part: 1, contentId: 'att@x' }],
        warnings: ['start parameter names <nowhere@x>'],
      },
    });
  add('receive-start-not-found-strict', 'the same message with strict: ERR_MIME_START_NOT_FOUND, nothing stored',
    multipart(boundary, parts), contentType, { error: { code: 'ERR_MIME_START_NOT_FOUND' } }, { strict: true });

  const binaryFirst = [part(['Content-ID: <bin@x>', 'Content-Type: image/png'], randomBytes(2000, 42)), parts[0]];
  add('receive-start-not-found-binary-first', 'start names no part and the first part is binary: as the root it is not XML (ERR_XML_MALFORMED), nothing stored',
    multipart(boundary, binaryFirst), contentType, { error: { code: 'ERR_XML_MALFORMED' } });
}

{
  const boundary = 'envelope-first';
  const forwarded = `<o:x xmlns:o="urn:old" xmlns:xop="${XOP}"><xop:Include href="cid:b@x"/></o:x>`;
  const payload = `<n:y xmlns:n="urn:new" xmlns:xop="${XOP}"><xop:Include href="cid:b@x"/></n:y>`;
  const b = randomBytes(300, 61);
  const parts = [
    part(['Content-ID: <forwarded@x>', 'Content-Type: text/xml'], envelope(S11, forwarded)),
    part(['Content-ID: <b@x>', 'Content-Type: application/octet-stream'], b),
    part(['Content-ID: <root@x>', 'Content-Type: application/xop+xml; type="text/xml"'], envelope(S11, payload)),
  ];
  add('receive-envelope-first-root-later', 'the first part is a SOAP envelope (a forwarded message) but start names the third: the part between was matched against the first part\'s references, which a warning reports; xopIncludes has the true mapping',
    multipart(boundary, parts), `multipart/related; type="application/xop+xml"; start="<root@x>"; start-info="text/xml"; boundary=${boundary}`, {
      result: {
        soap: { version: '1.1', bodyElement: '{urn:new}y', headerBlocks: [] },
        rootXml: payload,
        attachments: [
          doc(parts[0], 0, 'forwarded@x', 'text/xml', { contentTransferEncoding: null }),
          doc(parts[1], 1, 'b@x', 'application/octet-stream', { contentTransferEncoding: null, referencedBy: [{ element: '{urn:old}x', path: '/s:Envelope/s:Body/o:x', kind: 'xop' }] }),
        ],
        xopIncludes: [{ cid: 'b@x', part: 1, contentId: 'b@x' }],
        warnings: ['the first part looked like a SOAP envelope but the root is a later part'],
      },
    });
}

// --- lenient vs strict ----------------------------------------------------------
{
  const boundary = 'dup-ids';
  const payload = '<m:two xmlns:m="urn:two"/>';
  const one = Buffer.from('first body');
  const two = Buffer.from('second body, same Content-ID');
  const parts = [
    part(['Content-Type: text/xml'], envelope(S11, payload)),
    part(['Content-ID: <same@x>', 'Content-Type: text/plain'], one),
    part(['Content-ID: <same@x>', 'Content-Type: text/plain'], two),
  ];
  const contentType = `multipart/related; type="text/xml"; boundary=${boundary}`;
  add('receive-duplicate-content-id', 'two parts share a Content-ID: the first keeps it, the second is stored under its index, with a warning',
    multipart(boundary, parts), contentType, {
      result: {
        soap: { version: '1.1', bodyElement: '{urn:two}two', headerBlocks: [] },
        rootXml: payload,
        attachments: [
          doc(parts[1], 1, 'same@x', 'text/plain', { contentTransferEncoding: null }),
          doc(parts[2], 2, 2, 'text/plain', { contentTransferEncoding: null }),
        ],
        xopIncludes: [], warnings: ['repeats the Content-ID <same@x>'],
      },
    });
  add('receive-duplicate-content-id-strict', 'the same with strict: ERR_CACHE_BAD_KEY, nothing stored (the first part was staged already)',
    multipart(boundary, parts), contentType, { error: { code: 'ERR_CACHE_BAD_KEY' } }, { strict: true });
}
{
  const payload = '<m:v xmlns:m="urn:v"/>';
  add('receive-version-mismatch', 'a SOAP 1.2 envelope labelled text/xml (node-soap does this): the envelope decides, with a warning',
    Buffer.from(envelope(S12, payload)), 'text/xml', {
      result: {
        soap: { version: '1.2', bodyElement: '{urn:v}v', headerBlocks: [] },
        rootXml: payload, attachments: [], xopIncludes: [], warnings: ['announces SOAP 1.1 but the envelope is SOAP 1.2'],
      },
    });
  add('receive-version-mismatch-strict', 'the same with strict: ERR_SOAP_VERSION_MISMATCH',
    Buffer.from(envelope(S12, payload)), 'text/xml', { error: { code: 'ERR_SOAP_VERSION_MISMATCH' } }, { strict: true });
}
{
  const boundary = 'limits';
  const parts = [
    part(['Content-Type: text/xml'], envelope(S11, '<m:big xmlns:m="urn:big"/>')),
    part(['Content-ID: <small@x>'], randomBytes(100, 51)),
    part(['Content-ID: <big@x>'], randomBytes(5000, 52)),
  ];
  add('receive-part-too-large', 'the second attachment exceeds limits.partBytes: ERR_MIME_PART_TOO_LARGE (a limit: 413), nothing stored',
    multipart(boundary, parts), `multipart/related; type="text/xml"; boundary=${boundary}`,
    { error: { code: 'ERR_MIME_PART_TOO_LARGE' } }, { limits: { partBytes: 4096 } });
  add('receive-root-too-large', 'the root part exceeds limits.rootBytes: ERR_XML_TOO_LARGE',
    multipart(boundary, parts), `multipart/related; type="text/xml"; boundary=${boundary}`,
    { error: { code: 'ERR_XML_TOO_LARGE' } }, { limits: { rootBytes: 64 } });
}
add('receive-not-envelope', 'a root part that is XML but not a SOAP envelope: ERR_SOAP_NOT_ENVELOPE',
  Buffer.from('<?xml version="1.0"?><order xmlns="urn:o"/>'), 'application/xml', { error: { code: 'ERR_SOAP_NOT_ENVELOPE' } });
add('receive-unsupported-media-type', 'a JSON body: ERR_MIME_UNSUPPORTED_MEDIA_TYPE (415)',
  Buffer.from('{"a":1}'), 'application/json', { error: { code: 'ERR_MIME_UNSUPPORTED_MEDIA_TYPE' } });

for (const c of cases) {
  const dir = path.join(here, c.name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'message.bin'), c.message);
  fs.writeFileSync(path.join(dir, 'expected.json'), JSON.stringify(c.expected, null, 2) + '\n');
}
process.stdout.write(`wrote ${cases.length} receive cases\n`);
