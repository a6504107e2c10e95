#!/usr/bin/env node
// Writes the Content-Location reference fixtures: corpus/swa-content-location*/message.bin + expected.json
// (the receive fixture format of corpus/receive-generate.mjs, read by test/receive-content-location.test.ts).
//
// SwA (W3C Note "SOAP Messages with Attachments", 2000-12-11) §3 lets an href name an attachment by its
// Content-Location as well as by its Content-ID, resolved per RFC 2557 §4-5 (the part's own base, else the
// multipart's, else "thismessage:/"). The first case is the Note's own example (a claim whose signed form is
// `<theSignedForm href="http://claiming-it.com/claim061400a.tiff"/>`, the TIFF part carrying
// `Content-Location: http://claiming-it.com/claim061400a.tiff`), framed byte for byte as the Note shows it
// (CRLF, `boundary=MIME_boundary`, 8bit root, binary TIFF); the others vary the base. Expected results are
// written from how each message is built (which href names which part), never from what receive() makes of it.
//
// Run by hand (`node corpus/swa-content-location-generate.mjs`) after changing a case; the output is committed.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const GENERATED_BY = 'corpus/swa-content-location-generate.mjs';
const S11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const CLAIM = 'http://schemas.risky-stuff.com/Auto-Claim';
const CRLF = '\r\n';
const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');

/** Deterministic bytes (xorshift32) with CR, LF and dashes; `magic` first (a TIFF or JPEG signature). */
function bytes(length, seed, magic) {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  Buffer.from(magic, 'latin1').copy(out);
  return out;
}

const TIFF = bytes(3000, 2000, 'II*\u0000');
const JPEG = bytes(2000, 611, '\u00ff\u00d8\u00ff\u00e0');
const TEXT = Buffer.from(`claim 061400a, page 1${CRLF}--MIME_boundary is not a delimiter here${CRLF}`);

/** The Note's envelope: XML declaration with single quotes, the claim in the Body, one reference per line. */
function envelope(refs, extra) {
  return `<?xml version='1.0' ?>${CRLF}<SOAP-ENV:Envelope${CRLF}xmlns:SOAP-ENV="${S11}">${CRLF}<SOAP-ENV:Body>${CRLF}` +
    claim(refs, extra) + `${CRLF}</SOAP-ENV:Body>${CRLF}</SOAP-ENV:Envelope>`;
}
function claim(refs, extra = '') {
  return `<claim:insurance_claim_auto id="insurance_claim_document_id"${extra}${CRLF}xmlns:claim="${CLAIM}">${CRLF}` +
    refs.map((r) => r + CRLF).join('') + `<!-- ... more claim details go here... -->${CRLF}</claim:insurance_claim_auto>`;
}

/** A message: parts as { head: [header lines], body: Buffer } joined with the Note's framing. */
function multipart(parts, boundary = 'MIME_boundary') {
  const chunks = [];
  for (const p of parts) chunks.push(Buffer.from(`--${boundary}${CRLF}${p.head.join(CRLF)}${CRLF}${CRLF}`, 'latin1'), p.body, Buffer.from(CRLF));
  chunks.push(Buffer.from(`--${boundary}--${CRLF}`));
  return Buffer.concat(chunks);
}

const ROOT_HEAD = ['Content-Type: text/xml; charset=UTF-8', 'Content-Transfer-Encoding: 8bit', 'Content-ID: <claim061400a.xml@claiming-it.com>'];
const CONTENT_TYPE = 'Multipart/Related; boundary=MIME_boundary; type=text/xml; start="<claim061400a.xml@claiming-it.com>"';
const SOAP = { version: '1.1', bodyElement: `{${CLAIM}}insurance_claim_auto`, headerBlocks: [] };
const PATH = '/SOAP-ENV:Envelope/SOAP-ENV:Body/claim:insurance_claim_auto/';

/** Expected document of an attachment part. */
function doc(body, index, contentId, contentType, contentLocation, referencedBy, contentTransferEncoding = 'binary') {
  return {
    properties: { wss_attachment_content_id: contentId, wss_attachment_content_type: contentType },
    index, size: body.length, sha256: sha256(body), contentLocation, contentTransferEncoding,
    referencedBy: referencedBy.map((name) => ({ element: name, path: PATH + name, kind: 'swaRef' })),
  };
}

const cases = [];
function add(name, description, { rootHead = ROOT_HEAD, parts, refs, attachments, warnings = [], options = {}, contentType = CONTENT_TYPE, claimAttributes = '' }) {
  const message = multipart([{ head: rootHead, body: Buffer.from(envelope(refs, claimAttributes), 'utf8') }, ...parts]);
  // A reference by cid: is stored as kind 'swaRef', one by Content-Location as 'location'.
  const written = refs.join('');
  const kindOf = (element) => (/^cid:/i.test(written.match(new RegExp(`<${element} href="([^"]*)"`))?.[1] ?? 'cid:') ? 'swaRef' : 'location');
  attachments = attachments.map((a) => ({ ...a, referencedBy: a.referencedBy.map((r) => ({ ...r, kind: kindOf(r.element) })) }));
  // The Body's child as sent: it declares the only prefix it uses, so nothing is re-declared.
  const rootXml = claim(refs, claimAttributes);
  cases.push({ name, message, expected: {
    generatedBy: GENERATED_BY, description, contentType, options,
    result: { soap: SOAP, rootXml, attachments, xopIncludes: [], warnings },
  } });
}

// 1. The Note's example: an absolute href and the same absolute Content-Location; next to it a cid: href (the Note's
//    first form) to show both kinds resolve side by side.
add('swa-content-location', 'SwA Note 2000 §3 example: theSignedForm href="http://claiming-it.com/claim061400a.tiff" ' +
  'names the TIFF part by its Content-Location (no Content-ID: stored under its index); theCrashPhoto by cid:', {
  refs: ['<theSignedForm href="http://claiming-it.com/claim061400a.tiff"/>', '<theCrashPhoto href="cid:claim061400a.jpeg@claiming-it.com"/>'],
  parts: [
    { head: ['Content-Type: image/tiff', 'Content-Transfer-Encoding: binary', 'Content-Location: http://claiming-it.com/claim061400a.tiff'], body: TIFF },
    { head: ['Content-Type: image/jpeg', 'Content-Transfer-Encoding: binary', 'Content-ID: <claim061400a.jpeg@claiming-it.com>'], body: JPEG },
  ],
  attachments: [
    doc(TIFF, 1, 1, 'image/tiff', 'http://claiming-it.com/claim061400a.tiff', ['theSignedForm']),
    doc(JPEG, 2, 'claim061400a.jpeg@claiming-it.com', 'image/jpeg', null, ['theCrashPhoto']),
  ],
});

// 2. Relative hrefs against the root part's absolute Content-Location (RFC 2557 §5 (a)); the parts' Content-Location
//    values differ from the resolved hrefs only as RFC 3986 §6.2.2 allows (host case, %7E, dot segments, port 80).
{
  const parts = [
    { head: ['Content-Type: image/tiff', 'Content-Transfer-Encoding: binary', 'Content-Location: HTTP://Claiming-IT.com:80/claims/claim061400a.tiff'], body: TIFF },
    { head: ['Content-Type: image/jpeg', 'Content-Transfer-Encoding: binary', 'Content-Location: http://claiming-it.com/photos/crash~1.jpeg'], body: JPEG },
  ];
  add('swa-content-location-relative', 'relative hrefs resolved against the root part\'s Content-Location ' +
    '(http://claiming-it.com/claims/claim061400a.xml) match absolute Content-Locations equal after RFC 3986 normalization', {
    refs: ['<theSignedForm href="claim061400a.tiff"/>', '<theCrashPhoto href="./../photos/crash%7e1.jpeg#full"/>'],
    rootHead: [...ROOT_HEAD, 'Content-Location: http://claiming-it.com/claims/claim061400a.xml'],
    parts,
    attachments: [
      doc(TIFF, 1, 1, 'image/tiff', 'HTTP://Claiming-IT.com:80/claims/claim061400a.tiff', ['theSignedForm']),
      doc(JPEG, 2, 2, 'image/jpeg', 'http://claiming-it.com/photos/crash~1.jpeg', ['theCrashPhoto']),
    ],
  });
}

// 3. Content-Base (RFC 2110, still sent by old stacks): the root's Content-Base is the base of its hrefs (before its
//    Content-Location); an attachment's own Content-Base resolves its relative Content-Location.
{
  const parts = [
    { head: ['Content-Type: image/tiff', 'Content-Transfer-Encoding: binary', 'Content-Location: http://claiming-it.com/base/claim061400a.tiff'], body: TIFF },
    { head: ['Content-Type: text/plain', 'Content-Base: http://claiming-it.com/base/', 'Content-Location: notes/page1.txt'], body: TEXT },
  ];
  add('swa-content-location-content-base', 'the root\'s Content-Base (not its Content-Location) is the base of its hrefs; ' +
    'a part\'s Content-Base resolves its relative Content-Location', {
    refs: ['<theSignedForm href="claim061400a.tiff"/>', '<theNotes href="notes/page1.txt"/>'],
    rootHead: [...ROOT_HEAD, 'Content-Base: http://claiming-it.com/base/', 'Content-Location: http://elsewhere.example/soap.xml'],
    parts,
    attachments: [
      doc(TIFF, 1, 1, 'image/tiff', 'http://claiming-it.com/base/claim061400a.tiff', ['theSignedForm']),
      doc(TEXT, 2, 2, 'text/plain', 'notes/page1.txt', ['theNotes'], null),
    ],
  });
}

// 4. No base anywhere (RFC 2557 §5: "thismessage:/"): relative hrefs match relative Content-Locations as they are.
//    An href naming no part is a warning; a same-document href (SOAP encoding's "#id") is no reference at all.
{
  const parts = [
    { head: ['Content-Type: image/tiff', 'Content-Transfer-Encoding: binary', 'Content-Location: claim061400a.tiff'], body: TIFF },
    { head: ['Content-Type: image/jpeg', 'Content-Transfer-Encoding: binary', 'Content-Location: photos/unreferenced.jpeg'], body: JPEG },
  ];
  add('swa-content-location-no-base', 'no base: relative href and relative Content-Location match as written; ' +
    'an href naming no part is a warning (the other part is stored unreferenced); href="#id0" is not a reference', {
    refs: ['<theSignedForm href="claim061400a.tiff"/>', '<theCrashPhoto href="photos/crash.jpeg"/>', '<theEstimate href="#id0"/>'],
    parts,
    attachments: [
      doc(TIFF, 1, 1, 'image/tiff', 'claim061400a.tiff', ['theSignedForm']),
      doc(JPEG, 2, 2, 'image/jpeg', 'photos/unreferenced.jpeg', []),
    ],
    warnings: ['theCrashPhoto has href "photos/crash.jpeg" (thismessage:/photos/crash.jpeg), which no part\'s Content-Location names'],
  });
}

// 5. The message's own base (RFC 2557 §5 (b): the multipart's Content-Location, carried outside it: receive()'s
//    baseUri, or the HTTP request's Content-Location header) resolves a part's relative Content-Location.
{
  const parts = [
    { head: ['Content-Type: image/tiff', 'Content-Transfer-Encoding: binary', 'Content-Location: claim061400a.tiff'], body: TIFF },
  ];
  add('swa-content-location-message-base', 'the message base http://claiming-it.com/claims/ (receive() baseUri) resolves ' +
    'the part\'s relative Content-Location to the absolute URI of the href', {
    refs: ['<theSignedForm href="http://claiming-it.com/claims/claim061400a.tiff"/>'],
    parts,
    options: { baseUri: 'http://claiming-it.com/claims/' },
    attachments: [doc(TIFF, 1, 1, 'image/tiff', 'claim061400a.tiff', ['theSignedForm'])],
  });
}

// 6. xml:base (XML Base §4.2; the SwA Note resolves hrefs with it too) in scope at the href, nested, over the root's
//    Content-Location.
{
  const parts = [
    { head: ['Content-Type: image/tiff', 'Content-Transfer-Encoding: binary', 'Content-Location: http://claiming-it.com/forms/claim061400a.tiff'], body: TIFF },
    { head: ['Content-Type: image/jpeg', 'Content-Transfer-Encoding: binary', 'Content-Location: http://claiming-it.com/forms/photos/crash.jpeg'], body: JPEG },
  ];
  add('swa-content-location-xml-base', 'xml:base="/forms/" on the claim (resolved against the root\'s Content-Location) ' +
    'and a nested xml:base="photos/" are the base of the hrefs inside them', {
    claimAttributes: ' xml:base="/forms/"',
    refs: ['<theSignedForm href="claim061400a.tiff"/>', '<photos xml:base="photos/"><theCrashPhoto href="crash.jpeg"/></photos>'],
    rootHead: [...ROOT_HEAD, 'Content-Location: http://claiming-it.com/claims/claim061400a.xml'],
    parts,
    attachments: [
      doc(TIFF, 1, 1, 'image/tiff', 'http://claiming-it.com/forms/claim061400a.tiff', ['theSignedForm']),
      { ...doc(JPEG, 2, 2, 'image/jpeg', 'http://claiming-it.com/forms/photos/crash.jpeg', []),
        referencedBy: [{ element: 'theCrashPhoto', path: PATH + 'photos/theCrashPhoto', kind: 'swaRef' }] },
    ],
  });
}

for (const c of cases) {
  const dir = path.join(here, c.name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'message.bin'), c.message);
  fs.writeFileSync(path.join(dir, 'expected.json'), JSON.stringify(c.expected, null, 2) + '\n');
}
process.stdout.write(`wrote ${cases.length} Content-Location cases\n`);
