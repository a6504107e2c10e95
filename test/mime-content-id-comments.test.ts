// RFC 822 comments in structured headers. Content-ID and `start` values are
// RFC 5322 msg-ids, which may carry CFWS comments around the angle brackets
// (`Content-ID: <a@x> (photo)`): the comments are not part of the id, so an
// xop:Include naming cid:a@x must find that part, stored under "a@x". Ids
// without brackets keep their parentheses (`report(1).pdf`, common in SwA).
// Content-Type values may carry comments after a token (RFC 2045 §5.1:
// `boundary=abc (generated)`): the boundary is `abc`.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryCache, parseContentType, receive, stripAngleBrackets } from '../src/index.js';

test('stripAngleBrackets drops comments around a bracketed msg-id and nothing else', () => {
  assert.equal(stripAngleBrackets('<a@x> (photo)'), 'a@x');
  assert.equal(stripAngleBrackets('(first) <a@x>'), 'a@x');
  assert.equal(stripAngleBrackets(' (a (nested) \\) x)  <a@x>\t(b) (c) '), 'a@x');
  assert.equal(stripAngleBrackets('<a@x> (x>y)'), 'a@x');
  // Not a commented msg-id: left as it is (trimmed).
  assert.equal(stripAngleBrackets('report(1).pdf'), 'report(1).pdf');
  assert.equal(stripAngleBrackets('(x)'), '(x)');
  assert.equal(stripAngleBrackets('(only) a@x'), '(only) a@x');
  assert.equal(stripAngleBrackets('(unclosed <a@x>'), '(unclosed <a@x>');
  assert.equal(stripAngleBrackets('<a@x> (unclosed'), '<a@x> (unclosed');
  assert.equal(stripAngleBrackets('<a@x> junk (c)'), '<a@x> junk (c)');
  assert.equal(stripAngleBrackets('(c) x <a@x>'), '(c) x <a@x>');
  assert.equal(stripAngleBrackets('(c) <a@x'), '(c) <a@x');
});

test('receive: a commented Content-ID and start parameter still name their parts', async () => {
  const B = 'MIMEBoundary_comments';
  const env = '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:x xmlns:m="urn:m">' +
    '<xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:a@x"/></m:x></s:Body></s:Envelope>';
  const message = Buffer.from(`--${B}\r\nContent-ID: (root part) <r@x>\r\nContent-Type: application/xop+xml; type="text/xml"\r\n\r\n${env}\r\n` +
    `--${B}\r\nContent-ID: <a@x> (photo)\r\nContent-Type: image/png\r\n\r\nPNGDATA\r\n--${B}--\r\n`);
  const cache = new MemoryCache();
  const received = await receive([message], {
    contentType: `multipart/related; boundary=${B}; type="application/xop+xml"; start="<r@x> (the envelope)"; start-info="text/xml"`,
    cache, strict: true,
  });
  assert.deepEqual(received.warnings, []);
  assert.deepEqual(received.xopIncludes.map((x) => [x.cid, x.part, x.contentId]), [['a@x', 1, 'a@x']]);
  assert.equal(received.attachments.length, 1);
  assert.equal(received.attachments[0]!.properties.wss_attachment_content_id, 'a@x');
  assert.equal(received.attachments[0]!.properties.wss_attachment_content_type, 'image/png');
});

test('parseContentType drops comments after a token, and only those', () => {
  const parsed = parseContentType('multipart/related (SwA); boundary=abc (generated) ; type="text/xml" (root)');
  assert.equal(parsed.mediaType, 'multipart/related');
  assert.deepEqual({ ...parsed.parameters }, { boundary: 'abc', type: 'text/xml' });
  assert.deepEqual({ ...parseContentType('text/xml; charset=utf-8 (a) (b)').parameters }, { charset: 'utf-8' });
  // Parentheses that are part of a sloppy unquoted value, or inside quotes, stay.
  assert.deepEqual({ ...parseContentType('multipart/related; start=<report(1).pdf>; boundary=b(1)').parameters },
    { start: '<report(1).pdf>', boundary: 'b(1)' });
  assert.deepEqual({ ...parseContentType('multipart/related; boundary="a (b)"').parameters }, { boundary: 'a (b)' });
  // A comment that is the whole value, or a nested one, is not taken off (no peer sends them; the value stays whole).
  assert.deepEqual({ ...parseContentType('a/b; x=(only); y=v (c (d))').parameters }, { x: '(only)', y: 'v (c (d))' });
});

test('receive: a boundary followed by a comment in the Content-Type', async () => {
  const B = 'MIMEBoundary_commented';
  const env = '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:x xmlns:m="urn:m">cid:a@x</m:x></s:Body></s:Envelope>';
  const message = Buffer.from(`--${B}\r\nContent-Type: text/xml\r\n\r\n${env}\r\n--${B}\r\nContent-ID: <a@x>\r\n\r\nDATA\r\n--${B}--\r\n`);
  const received = await receive([message], { contentType: `multipart/related; boundary=${B} (generated); type="text/xml"`, cache: new MemoryCache() });
  assert.deepEqual(received.attachments.map((d) => [d.properties.wss_attachment_content_id, d.size, d.referencedBy.length]), [['a@x', 4, 1]]);
});
