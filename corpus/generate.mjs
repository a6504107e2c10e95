#!/usr/bin/env node
// Writes the project-owned MIME fixtures: corpus/<case>/message.bin + expected.json.
//
// Run by hand (`node corpus/generate.mjs`) after changing a case; the output is
// committed. The expected results are written down here from how each message
// is *built* (the bodies we put in, the error we planted), never from what the
// parser makes of it, so the tests that read them can fail.
//
// expected.json:
//   generatedBy      "corpus/generate.mjs" (the tests pick the MIME cases by it; re-running
//                    the script replaces exactly those and leaves other fixtures alone)
//   description      what the case shows
//   contentType      the Content-Type header to parse with
//   options          parseMultipart options (limits, allowMissingCloseDelimiter, allowBareLfDelimiters, requireStart, decode)
//   parts            [{index, contentId, contentType, contentTransferEncoding, headers: [[name, value]...],
//                      size, sha256 (decoded body), rawSize, rawSha256 (as received), isRoot}]
//   root             index of the root part
//   warnings         number of warnings parseMultipart records
//   error            {code, offset} when the parse must fail (offset null when none applies)
//   pushError        {code, offset} when MultipartParser itself fails (absent: it succeeds)

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');
const bytes = (value) => (typeof value === 'string' ? Buffer.from(value, 'latin1') : Buffer.from(value));

/** Deterministic bytes (xorshift32), so fixtures are reproducible. */
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

/** Header lines → expected [lower-case name, value] pairs (simple, unfolded lines only). */
function headerPairs(lines) {
  return lines.map((line) => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
  });
}

/**
 * A part spec: `head` (header lines), `raw` (body as sent), `decoded` (body as
 * parseMultipart yields it; default raw), `headers` (expected pairs; default
 * from head).
 */
function part(head, raw, extra = {}) {
  return { head, raw: bytes(raw), ...extra };
}

/** Serialises parts with RFC 2046 framing; every knob a case may need. */
function multipart(boundary, parts, o = {}) {
  const eol = o.eol ?? '\r\n';
  const padding = o.padding ?? '';
  let out = '';
  const chunks = [];
  if (o.preamble !== undefined) out += o.preamble + eol;
  for (const p of parts) {
    out += '--' + boundary + padding + eol;
    for (const line of p.head) out += line + eol;
    out += eol;
    chunks.push(bytes(out), p.raw);
    out = eol;
  }
  // Without a close delimiter the message ends right after the last body.
  if (o.close === false) out = '';
  else out += '--' + boundary + '--' + (o.closePadding ?? '');
  if (o.epilogue !== undefined) out += eol + o.epilogue;
  chunks.push(bytes(out));
  return Buffer.concat(chunks);
}

function expectParts(parts, root = 0) {
  return parts.map((p, index) => {
    const headers = p.headers ?? headerPairs(p.head);
    const get = (name) => headers.find(([n]) => n === name)?.[1] ?? null;
    const decoded = p.decoded === undefined ? p.raw : bytes(p.decoded);
    const contentId = get('content-id');
    return {
      index,
      contentId: contentId === null ? null : contentId.replace(/^<(.*)>$/, '$1'),
      contentType: get('content-type'),
      contentTransferEncoding: get('content-transfer-encoding'),
      headers,
      size: decoded.length,
      sha256: sha256(decoded),
      rawSize: p.raw.length,
      rawSha256: sha256(p.raw),
      isRoot: index === root,
    };
  });
}

const cases = [];
const GENERATED_BY = 'corpus/generate.mjs';
function add(name, description, message, contentType, expected, options = {}) {
  cases.push({ name, message: bytes(message), expected: { generatedBy: GENERATED_BY, description, contentType, options, ...expected } });
}
function ok(name, description, boundary, parts, framing = {}, extra = {}) {
  const message = framing.message ?? multipart(boundary, parts, framing);
  const contentType = extra.contentType ?? `multipart/related; boundary="${boundary}"`;
  const root = extra.root ?? 0;
  add(name, description, message, contentType, {
    parts: expectParts(parts, root), root, warnings: extra.warnings ?? 0,
    ...(extra.pushError ? { pushError: extra.pushError } : {}),
  }, extra.options ?? {});
}
function fail(name, description, message, contentType, error, options = {}, pushError = error) {
  add(name, description, message, contentType, { error, ...(pushError ? { pushError } : {}) }, options);
}

const B = 'MIME_boundary-1234';
const xml = '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body/></soap:Envelope>';
const rootHead = ['Content-Type: text/xml; charset=UTF-8', 'Content-Transfer-Encoding: 8bit', 'Content-ID: <root@x>'];
const binHead = (id) => ['Content-Type: application/octet-stream', 'Content-Transfer-Encoding: binary', `Content-ID: <${id}>`];

// --- mimepull's classic conformance cases, re-created ------------------------------

ok('boundary-in-body', 'mimepull testBoundaryInBody: "--boundary" inside a line, and at line start followed by other bytes, is data',
  B, [
    part(rootHead, `<a>--${B}</a> text --${B}-- more`),
    part(binHead('b'), `x\r\n--${B}X not a delimiter\r\n--${B}-x neither\r\n-${B}\n--${B}\tz`),
  ]);

ok('boundary-lwsp', 'mimepull testBoundaryWhiteSpace: transport padding (SP/HTAB) after every delimiter, also after the close delimiter',
  B, [part(['Content-ID: <a>'], 'A'), part(['Content-ID: <b>'], 'B')], { padding: ' \t  ', closePadding: ' \t \r\n' });

ok('empty-part', 'mimepull testEmptyPart: a part with headers and an empty body, then a normal part',
  B, [part(rootHead, ''), part(binHead('b'), 'second body')]);

{
  const message = bytes(`--${B}\nContent-Type: text/xml\nContent-Id: soapPart\n\n--${B}\nContent-ID: att\n\nbody\n--${B}--\n`);
  ok('empty-part-short-form', 'mimepull emptypart.txt form: the empty line after the headers is directly followed by the next delimiter',
    B, [part(['Content-Type: text/xml', 'Content-Id: soapPart'], ''), part(['Content-ID: att'], 'body')], { message });
}

ok('part-without-headers', 'mimepull testNoHeaders: a blank line right after the delimiter (no headers at all)',
  B, [part([], 'first body'), part([], 'second\r\nbody')]);

ok('one-byte-part', 'mimepull testOneByte: header-less parts with one-byte bodies, LF framing',
  'b', [part([], 'A'), part([], 'B')], { eol: '\n' });

ok('quoted-boundary', 'quoted boundary parameter with characters that need the quotes (space, "=", ":", "?", "(")',
  '=_Part (1):x?y z', [part(rootHead, xml), part(binHead('att'), randomBytes(300, 7))], {},
  { contentType: 'Multipart/Related; type="text/xml"; BOUNDARY="=_Part (1):x?y z"; start="<root@x>"' });

{
  const parts = [part(rootHead, xml), part(binHead('att'), 'attachment bytes')];
  const message = Buffer.concat([multipart(B, parts, { close: false }), bytes(`\r\n--${B}\r\n`)]);
  fail('invalid-close-delimiter', 'mimepull testMsgInvalidClosingBoundary: the last delimiter lacks "--"',
    message, `multipart/related; boundary=${B}`, { code: 'ERR_MIME_TRUNCATED', offset: message.length });
  ok('invalid-close-delimiter-lenient', 'the same message with allowMissingCloseDelimiter: two parts, the dangling delimiter opens none',
    B, parts, { message }, { options: { allowMissingCloseDelimiter: true } });
}
{
  const image = randomBytes(2000, 11);
  const message = Buffer.concat([multipart(B, [part(rootHead, xml), part(binHead('img'), image)], { close: false })]);
  fail('missing-close-delimiter', 'mimepull testMsgNoClosingBoundary: the message ends inside the last body',
    message, `multipart/related; boundary=${B}`, { code: 'ERR_MIME_TRUNCATED', offset: message.length });
  ok('missing-close-delimiter-lenient', 'the same message with allowMissingCloseDelimiter: the last part runs to the end (CXF)',
    B, [part(rootHead, xml), part(binHead('img'), image)], { message }, { options: { allowMissingCloseDelimiter: true } });
}

// --- line endings ------------------------------------------------------------------

ok('bare-lf-framing', 'delimiters and headers end in bare LF (SoapUI, PHP stacks); bodies keep their own CRLFs',
  B, [part(rootHead, `${xml}\r\nline two`), part(binHead('b'), 'x\r\ny\r\n')], { eol: '\n', preamble: '' });

{
  const message = bytes(
    `--${B}\r\nContent-ID: <a>\nContent-Type: text/plain\r\n\nfirst\n--${B}\n` +
    `Content-ID: <b>\r\n\r\nsecond\r\n--${B}--\n`);
  ok('mixed-crlf-lf', 'CRLF and bare LF mixed in delimiter lines and header blocks of one message',
    B, [part(['Content-ID: <a>', 'Content-Type: text/plain'], 'first'), part(['Content-ID: <b>'], 'second')], { message });
}

{
  // JavaMail writes CRLF delimiter lines and headers; an Axis 1.x capture's bodies end in a bare LF.
  const message = bytes(`--${B}\r\nContent-ID: <a>\r\n\r\nfirst\n--${B}\r\nContent-ID: <b>\r\n\r\nsecond\n--${B}--\r\n`);
  fail('bare-lf-delimiters-in-crlf-message', 'CRLF-framed (first delimiter line and headers) with bodies ending in bare LF: the bare-LF delimiters are data (RFC 2046), so no close delimiter',
    message, `multipart/related; boundary="${B}"`, { code: 'ERR_MIME_TRUNCATED', offset: message.length });
  ok('bare-lf-delimiters-allowed', 'the same message with allowBareLfDelimiters: two parts, as mimepull and JavaMail read it',
    B, [part(['Content-ID: <a>'], 'first'), part(['Content-ID: <b>'], 'second')], { message }, { options: { allowBareLfDelimiters: true } });
}

ok('preamble-epilogue', 'a preamble with near-miss delimiters before the first delimiter, an epilogue holding a whole fake part',
  B, [part(rootHead, xml), part(binHead('b'), 'body')],
  { preamble: `This is a preamble.\r\n--${B}x is not a delimiter\r\n-- ${B}\r\n`, epilogue: `--${B}\r\nContent-ID: <fake>\r\n\r\nignored\r\n--${B}--\r\n` });

// --- boundaries ----------------------------------------------------------------------

ok('boundary-1-char', 'the shortest boundary RFC 2046 allows (1 character), with bodies full of that character and dashes',
  'x', [part(['Content-ID: <a>'], 'x--x\r\n--xx\r\n-x\r\n--x-y'), part(['Content-ID: <b>'], 'y--x')]);

{
  const boundary = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRST'()+_,-./:=? Z";
  if (boundary.length !== 70) throw new Error('boundary-70 is ' + boundary.length);
  ok('boundary-70-chars', 'the longest boundary RFC 2046 allows (70 characters, every bchar class)',
    boundary, [part(rootHead, xml), part(binHead('b'), `--${boundary.slice(0, 69)}\r\n--${boundary.slice(0, 69)}`)]);
  const b71 = boundary + 'z';
  fail('boundary-71-chars', 'a 71-character boundary is rejected before anything is read',
    multipart(b71, [part([], 'x')]), `multipart/related; boundary="${b71}"`, { code: 'ERR_MIME_NO_BOUNDARY', offset: null },
    {}, null);
}
ok('boundary-starting-with-dashes', 'a boundary that itself begins with "--" (Axis2): delimiter lines start with four dashes',
  '--MIMEBoundary258DE2D1', [part(rootHead, xml), part(binHead('b'), '----MIMEBoundary258DE2D\r\n--MIMEBoundary258DE2D1x')],
  { eol: '\n' });

ok('body-crlf-dashes', 'bodies made of CR, LF, "--" and CRLF-- runs: all of it is data',
  B, [
    part(binHead('a'), '\r\n\r\n--\r\n--\r\r\r\n\n\n--\n--\r\n-\r\n--\r\n\r\n'),
    part(binHead('b'), '\r\r\r\r\n\n\n\n----------\r\n--\r\n--'),
    part(binHead('c'), '\r'),
  ]);

ok('boundary-minus-one-byte', 'bodies that contain the delimiter minus its last byte, at the end and in the middle',
  B, [
    part(binHead('a'), `data\r\n--${B.slice(0, -1)}`),
    part(binHead('b'), `\r\n--${B.slice(0, -1)}\r\n--${B.slice(0, -1)}Q\r\n`),
    part(binHead('c'), `\n--${B.slice(0, -1)}`),
  ]);

ok('binary-bodies', 'random binary bodies (every byte value) of various sizes, including 1 byte and 0 bytes',
  B, [part(binHead('a'), randomBytes(5000, 1)), part(binHead('b'), randomBytes(1, 2)), part(binHead('c'), ''),
    part(binHead('d'), randomBytes(70000, 3))]);

// --- headers -------------------------------------------------------------------------

ok('folded-headers', 'folded header lines (SP and HTAB continuations, RFC 5322 §2.2.3) are unfolded; names are case-insensitive',
  B, [part([
    'content-type: multipart/alternative;',
    '\tboundary="inner"',
    'Content-ID:',
    '   <folded@x>',
    'X-Long: one',
    ' two',
    '\tthree',
    'CONTENT-TRANSFER-ENCODING:binary',
  ], 'body', {
    headers: [['content-type', 'multipart/alternative;\tboundary="inner"'], ['content-id', '<folded@x>'],
      ['x-long', 'one two\tthree'], ['content-transfer-encoding', 'binary']],
  })]);

ok('repeated-headers', 'a header name that occurs twice keeps both values in order',
  B, [part(['X-Trace: one', 'Content-ID: <a>', 'x-trace: two'], 'body')]);

ok('proto-headers', 'headers named __proto__, constructor and toString are ordinary headers',
  B, [part(['__proto__: polluted', 'constructor: nope', 'toString: x', 'Content-ID: <a>'], 'body')]);

ok('missing-header-separator', 'no empty line after the headers: the first line that is not a header starts the body',
  B, [part(['Content-Type: text/xml', 'Content-ID: <a>'], '<root/>\r\nmore')], {
    message: `--${B}\r\nContent-Type: text/xml\r\nContent-ID: <a>\r\n<root/>\r\nmore\r\n--${B}--\r\n`,
  });

{
  const message = bytes(`--${B}\r\nContent-ID: <a>\rX-Injected: yes\r\n\r\nbody\r\n--${B}--\r\n`);
  fail('bare-cr-in-header', 'a bare CR inside a header line (header injection, the dicer CVE-2022-24434 class)',
    message, `multipart/related; boundary=${B}`, { code: 'ERR_MIME_BAD_HEADER', offset: message.indexOf('\r', 4 + B.length + 2) });
}
{
  const message = bytes(`--${B}\r\nConte\rnt-ID: <a>\r\n\r\nbody\r\n--${B}--\r\n`);
  fail('bare-cr-in-header-name', 'a bare CR inside a header name is an error too, not the start of a body',
    message, `multipart/related; boundary=${B}`, { code: 'ERR_MIME_BAD_HEADER', offset: message.indexOf('\r', 4 + B.length + 2) });
}
{
  const message = bytes(`--${B}\r\nContent-ID: <a\x00b>\r\n\r\nbody\r\n--${B}--\r\n`);
  fail('control-byte-in-header', 'a NUL byte inside a header value',
    message, `multipart/related; boundary=${B}`, { code: 'ERR_MIME_BAD_HEADER', offset: message.indexOf('\x00') });
}

// --- transfer encodings --------------------------------------------------------------

{
  const payload = randomBytes(1000, 5);
  const encoded = payload.toString('base64').replace(/.{76}/g, '$&\r\n');
  ok('base64-part', 'base64 bodies (76-column lines, and one unpadded) are decoded in streaming',
    B, [
      part(rootHead, xml),
      part([...binHead('b64').slice(0, 1), 'Content-Transfer-Encoding: base64', 'Content-ID: <b64>'], encoded, { decoded: payload }),
      part(['Content-Transfer-Encoding: BASE64', 'Content-ID: <short>'], 'aGk', { decoded: 'hi' }),
    ]);
  const bad = encoded.slice(0, 200) + '*' + encoded.slice(200);
  const message = multipart(B, [part(rootHead, xml), part(['Content-Transfer-Encoding: base64'], bad)]);
  fail('base64-invalid', 'a byte outside the base64 alphabet is ERR_MIME_BAD_ENCODING at its offset',
    message, `multipart/related; boundary=${B}`, { code: 'ERR_MIME_BAD_ENCODING', offset: message.indexOf('*') }, {}, null);
  const truncated = multipart(B, [part(['Content-Transfer-Encoding: base64'], 'QUJD\r\nR')]);
  fail('base64-truncated-quantum', 'base64 that ends one character into a quantum',
    truncated, `multipart/related; boundary=${B}`, { code: 'ERR_MIME_BAD_ENCODING', offset: truncated.indexOf('R\r\n--') + 1 }, {}, null);
}
ok('quoted-printable-part', 'quoted-printable: =XX escapes, soft line breaks (CRLF and bare LF), trailing whitespace dropped',
  B, [part(['Content-Type: text/plain; charset=iso-8859-1', 'Content-Transfer-Encoding: quoted-printable'],
    'caf=E9 =3D equals=\r\nsoft break  \r\nnext line\t\r\nlf soft=\nend=20',
    { decoded: bytes('caf\xe9 = equalssoft break\r\nnext line\r\nlf softend ') })]);
ok('quoted-printable-invalid', 'malformed quoted-printable escapes are kept literally (RFC 2045 §6.7 note 1)',
  B, [part(['Content-Transfer-Encoding: quoted-printable'], 'a=ZZb =4 c=\tx =',
    { decoded: 'a=ZZb =4 c=\tx ' })]);
fail('unsupported-encoding', 'a Content-Transfer-Encoding we do not decode',
  multipart(B, [part(['Content-Transfer-Encoding: x-uuencode'], 'begin 644')]), `multipart/related; boundary=${B}`,
  { code: 'ERR_MIME_UNSUPPORTED_ENCODING', offset: null }, {}, null);
ok('identity-encodings', '7bit, 8bit and binary pass through untouched (and undecoded with decode: false)',
  B, [part(['Content-Transfer-Encoding: 7bit'], 'seven'), part(['Content-Transfer-Encoding: 8bit'], 'eight \xe9'),
    part(['Content-Transfer-Encoding: base64'], 'aGk=')], {}, { options: { decode: false } });

// --- RFC 2387 start ------------------------------------------------------------------

const threeParts = () => [part(['Content-ID: <first@x>'], 'one'), part(['Content-ID: second@x'], 'two'), part(['Content-ID: <third@x>'], 'three')];
ok('start-with-angle-brackets', 'start="<second@x>" names a part whose Content-ID has no brackets',
  B, threeParts(), {}, { contentType: `multipart/related; boundary=${B}; start="<second@x>"`, root: 1 });
ok('start-without-angle-brackets', 'start=third@x (no brackets, unquoted) names the last part',
  B, threeParts(), {}, { contentType: `multipart/related; boundary=${B}; start=third@x; type="text/xml"`, root: 2 });
ok('start-names-first-part', 'start names the first part',
  B, threeParts(), {}, { contentType: `multipart/related; start="<first@x>"; boundary=${B}`, root: 0 });
ok('start-not-found', 'start names no part: the first part is the root and a warning says so (CXF/Axiom behaviour)',
  B, threeParts(), {}, { contentType: `multipart/related; boundary=${B}; start="<nowhere@x>"`, root: 0, warnings: 1 });
fail('start-not-found-required', 'start names no part and requireStart is set',
  multipart(B, threeParts()), `multipart/related; boundary=${B}; start="<nowhere@x>"`,
  { code: 'ERR_MIME_START_NOT_FOUND', offset: null }, { requireStart: true }, null);

// --- not multipart ---------------------------------------------------------------------

for (const [name, type] of [['single-text-xml', 'text/xml; charset=utf-8'], ['single-soap12', 'application/soap+xml; charset=utf-8; action="urn:x"']]) {
  add(name, `a ${type.split(';')[0]} body is one root part`, bytes(xml), type, {
    parts: [{
      index: 0, contentId: null, contentType: type, contentTransferEncoding: null, headers: [['content-type', type]],
      size: xml.length, sha256: sha256(bytes(xml)), rawSize: xml.length, rawSha256: sha256(bytes(xml)), isRoot: true,
    }], root: 0, warnings: 0,
  });
}

// --- structural errors ------------------------------------------------------------------

fail('no-parts', 'a close delimiter before any body part (RFC 2046 requires one)',
  bytes(`preamble\r\n--${B}--\r\n`), `multipart/related; boundary=${B}`, { code: 'ERR_MIME_NO_PARTS', offset: 10 + 2 + B.length + 2 });
fail('no-delimiter', 'a body without any delimiter',
  bytes('just some text\r\n'), `multipart/related; boundary=${B}`, { code: 'ERR_MIME_TRUNCATED', offset: 16 });
fail('empty-message', 'an empty body', bytes(''), `multipart/related; boundary=${B}`, { code: 'ERR_MIME_TRUNCATED', offset: 0 });
{
  const message = bytes(`--${B}\r\nContent-ID: <a>\r\n`);
  fail('truncated-in-headers', 'the input ends inside a header block', message, `multipart/related; boundary=${B}`,
    { code: 'ERR_MIME_TRUNCATED', offset: message.length }, { allowMissingCloseDelimiter: true });
}
{
  const message = bytes(`--${B}${' '.repeat(1025)}\r\n\r\nbody\r\n--${B}--`);
  fail('padding-too-long', 'more than 1024 bytes of transport padding after a boundary',
    message, `multipart/related; boundary=${B}`, { code: 'ERR_MIME_BAD_DELIMITER', offset: 2 + B.length + 1024 });
}

// --- limits --------------------------------------------------------------------------------

{
  const head = ['Content-ID: <a>', 'X-Pad: ' + 'p'.repeat(100)];
  const message = multipart(B, [part(head, 'body')]);
  const headerStart = 2 + B.length + 2;
  const blockBytes = head.join('\r\n').length + 2; // lines with their CRLFs, not the empty line
  fail('limit-header-bytes', 'a header block larger than limits.headerBytes',
    message, `multipart/related; boundary=${B}`, { code: 'ERR_MIME_HEADER_TOO_LARGE', offset: headerStart + 64 },
    { limits: { headerBytes: 64 } });
  ok('limit-header-bytes-exact', 'a header block of exactly limits.headerBytes bytes passes',
    B, [part(head, 'body')], {}, { options: { limits: { headerBytes: blockBytes } } });
  const many = Array.from({ length: 5 }, (_, i) => `X-H${i}: ${i}`);
  const manyMessage = multipart(B, [part(many, 'body')]);
  fail('limit-header-count', 'more header lines than limits.headerCount',
    manyMessage, `multipart/related; boundary=${B}`,
    { code: 'ERR_MIME_TOO_MANY_HEADERS', offset: manyMessage.indexOf('X-H4') }, { limits: { headerCount: 4 } });
  ok('limit-header-count-exact', 'exactly limits.headerCount header lines pass',
    B, [part(many, 'body')], {}, { options: { limits: { headerCount: 5 } } });
}
{
  const parts = [part([], 'a'), part([], 'b'), part([], 'c')];
  const message = multipart(B, parts);
  const third = message.indexOf(`--${B}`, message.indexOf('b\r\n--')) + 2 + B.length + 2;
  fail('limit-parts', 'more parts than limits.parts', message, `multipart/related; boundary=${B}`,
    { code: 'ERR_MIME_TOO_MANY_PARTS', offset: third }, { limits: { parts: 2 } });
  ok('limit-parts-exact', 'exactly limits.parts parts pass', B, parts, {}, { options: { limits: { parts: 3 } } });
}
{
  const body = randomBytes(1000, 9);
  const message = multipart(B, [part([], 'small'), part([], body)]);
  const bodyStart = message.indexOf(`--${B}\r\n\r\n`, 10) + 2 + B.length + 4;
  fail('limit-part-bytes', 'a part body larger than limits.partBytes', message, `multipart/related; boundary=${B}`,
    { code: 'ERR_MIME_PART_TOO_LARGE', offset: bodyStart + 999 }, { limits: { partBytes: 999 } });
  ok('limit-part-bytes-exact', 'a part body of exactly limits.partBytes bytes passes',
    B, [part([], 'small'), part([], body)], {}, { options: { limits: { partBytes: 1000 } } });
  fail('limit-total-bytes', 'a message larger than limits.totalBytes', message, `multipart/related; boundary=${B}`,
    { code: 'ERR_MIME_MESSAGE_TOO_LARGE', offset: 500 }, { limits: { totalBytes: 500 } });
  ok('limit-total-bytes-exact', 'a message of exactly limits.totalBytes bytes passes',
    B, [part([], 'small'), part([], body)], {}, { options: { limits: { totalBytes: message.length } } });
}
{
  const preamble = 'P'.repeat(99);
  const message = multipart(B, [part([], 'x')], { preamble });
  fail('limit-preamble-bytes', 'a preamble longer than limits.preambleBytes', message, `multipart/related; boundary=${B}`,
    { code: 'ERR_MIME_PREAMBLE_TOO_LARGE', offset: 50 }, { limits: { preambleBytes: 50 } });
  ok('limit-preamble-bytes-exact', 'a preamble of exactly limits.preambleBytes bytes passes (its line break is the delimiter\'s)',
    B, [part([], 'x')], { preamble }, { options: { limits: { preambleBytes: 99 } } });
}

// --- write -----------------------------------------------------------------------------

const root = here;
// Remove the cases this script wrote before (other fixtures in corpus/ are not ours to touch).
for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
  const file = path.join(root, entry.name, 'expected.json');
  if (entry.isDirectory() && fs.existsSync(file) && JSON.parse(fs.readFileSync(file, 'utf8')).generatedBy === GENERATED_BY) {
    fs.rmSync(path.join(root, entry.name), { recursive: true });
  }
}
for (const c of cases) {
  const dir = path.join(root, c.name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'message.bin'), c.message);
  fs.writeFileSync(path.join(dir, 'expected.json'), JSON.stringify(c.expected, null, 2) + '\n');
}
console.log(`wrote ${cases.length} cases under ${root}`);
