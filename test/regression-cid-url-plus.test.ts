// Regression: cidUrlOf (src/xop/cid.ts) left '+' unescaped while the
// composer's cidUrl (src/send/cid.ts) escaped it, so the library's two halves
// disagreed about the same Content-ID, and a Metro or CXF receiver (Java's
// URLDecoder reads '+' as a space) could not find a part whose id has a '+'.
// Both now are one implementation; matching a reference to a Content-ID
// decodes %-escapes on both sides (WCF escapes every reserved character of
// its URI-shaped ids in the href, CXF escapes the header as well, a few
// senders repeat the scheme in the header: <cid:a@x>).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { XopResolver, cidUrlOf, contentIdFromCidUrl, contentIdMatches } from '../src/index.js';
import { cidUrl, contentIdOfUrl } from '../src/send/cid.js';
import { contentIdMatchKeys, contentIdOfCidUrl, isCidUrlSafe, percentDecode } from '../src/xop/cid.js';

/** Java's URLDecoder.decode(s, UTF-8): what Metro and CXF apply to an href. */
function javaUrlDecode(s: string): string {
  return decodeURIComponent(s.replace(/\+/g, ' '));
}

const IDS = [
  'a+b@x', 'uuid:0ca0e16e-feb1-426c-97d8-c4508ada5e82+id=1', 'http://tempuri.org/1/632618206521093670',
  'rootpart*5d3f@example.jaxws.sun.com', '1.urn:uuid:A3ADBAEE51A1A87B2A11443668160943@apache.org', 'a b@x',
  'ünï@x', "q'\"&<>#?%@x", 'SOAP-ENV:Envelope', 'report(1);v=2,$!.pdf',
];

test('send and receive make the same cid: URL, and + is always %2B', () => {
  for (const id of IDS) {
    assert.equal(cidUrl(id), cidUrlOf(id), id);
    assert.equal(cidUrlOf(`<${id}>`), cidUrlOf(id), 'angle brackets are not part of the URL');
    assert.ok(!cidUrlOf(id).includes('+'), id);
    // Every receiver decodes it back: RFC 3986 decoders, Java's URLDecoder, and ours.
    assert.equal(decodeURIComponent(cidUrlOf(id).slice(4)), id);
    assert.equal(javaUrlDecode(cidUrlOf(id).slice(4)), id);
    assert.equal(contentIdFromCidUrl(cidUrlOf(id)), id);
    assert.equal(contentIdOfUrl(cidUrl(id)), id);
  }
  assert.equal(cidUrlOf('a+b@x'), 'cid:a%2Bb@x');
  assert.equal(cidUrlOf('a b+c@x'), 'cid:a%20b%2Bc@x');
  // Ids made of URL-safe characters go out as they are, for receivers that never decode (old Axis2).
  assert.equal(cidUrlOf('1.urn:uuid:x@apache.org'), 'cid:1.urn:uuid:x@apache.org');
  assert.equal(cidUrlOf('http://tempuri.org/1/6326'), 'cid:http://tempuri.org/1/6326');
  assert.equal(cidUrlOf('foo4*foo1@bar.net'), 'cid:foo4*foo1@bar.net'); // RFC 2392 §2 example
  assert.equal(cidUrlOf("a&b'c@x"), 'cid:a%26b%27c@x');
  assert.equal(cidUrlOf('ü'), 'cid:%C3%BC');
  assert.equal(cidUrlOf('😀'), 'cid:%F0%9F%98%80');
  for (const c of '+&\'%#? "<>[]{}|\\^`') assert.equal(isCidUrlSafe(c.charCodeAt(0)), false, c);
  for (const c of 'aZ09-._~@:/!$()*,;=') assert.equal(isCidUrlSafe(c.charCodeAt(0)), true, c);
});

test('a decoded href matches the Content-ID as received or its own %-decoded form', () => {
  // WCF: raw header, escaped href.
  const wcfHref = 'cid:http%3A%2F%2Ftempuri.org%2F1%2F632618206521093670';
  assert.equal(contentIdFromCidUrl(wcfHref), 'http://tempuri.org/1/632618206521093670');
  assert.ok(contentIdMatches('<http://tempuri.org/1/632618206521093670>', contentIdFromCidUrl(wcfHref)));
  // Escaped header, raw href; and escaped on both sides.
  assert.ok(contentIdMatches('<http%3A%2F%2Ftempuri.org%2F1%2F6326>', contentIdFromCidUrl('cid:http://tempuri.org/1/6326')));
  assert.ok(contentIdMatches('<a%2Bb@x>', contentIdFromCidUrl('cid:a%2Bb@x')));
  assert.ok(contentIdMatches('<a+b@x>', contentIdFromCidUrl('cid:a+b@x')), 'a raw + in the href is a +');
  assert.ok(!contentIdMatches('<a b@x>', contentIdFromCidUrl('cid:a+b@x')));
  assert.ok(!contentIdMatches(null, 'a@x'));
  assert.ok(!contentIdMatches('<a%ZZ@x>', 'a?@x'), 'a malformed escape in the header only matches as it is');
  assert.ok(contentIdMatches('<a%ZZ@x>', 'a%ZZ@x'));
  assert.deepEqual(contentIdMatchKeys('<a%40x>'), ['a%40x', 'a@x']);
  assert.deepEqual(contentIdMatchKeys(' <a@x> '), ['a@x']);
  // A header that repeats the scheme (CXF's reader strips it too).
  assert.deepEqual(contentIdMatchKeys('<cid:a%40x>'), ['cid:a%40x', 'cid:a@x', 'a%40x', 'a@x']);
  assert.deepEqual(contentIdMatchKeys('<CID:<a@x>>'), ['CID:<a@x>', 'a@x']);
  assert.deepEqual(contentIdMatchKeys('<cid:>'), ['cid:']);
  assert.ok(contentIdMatches('<cid:a@x>', contentIdFromCidUrl('cid:a@x')));
  assert.ok(contentIdMatches('<cid:a@x>', 'cid:a@x'));
  assert.equal(percentDecode('a+b%20c'), 'a+b c');
  assert.equal(percentDecode('%E0%A4%A'), null);
  assert.equal(contentIdOfCidUrl(' CID:a%20b '), 'a b');
  assert.equal(contentIdOfCidUrl('http://x'), null);
  assert.equal(contentIdOfCidUrl('cid:%'), null);
});

test('XopResolver: exact ids first, then %-decoded header ids, then letter case', () => {
  const include = (cid: string) => ({
    href: `cid:${cid}`, cid, element: 'e', path: '/e', contentType: null, offset: 0, startOffset: 0, endOffset: 0,
  }) as never;
  const resolver = new XopResolver({
    includes: [include('http://tempuri.org/1/1'), include('a@x'), include('B@X'), include('a+b@x'), include('c@x')],
  });
  assert.equal(resolver.addPart({ index: 1, contentId: '<http%3A%2F%2Ftempuri.org%2F1%2F1>' }), null);
  assert.equal(resolver.addPart({ index: 2, contentId: '<a%40x>' }), null);
  assert.equal(resolver.addPart({ index: 3, contentId: '<a@x>' }), null);
  assert.equal(resolver.addPart({ index: 4, contentId: '<b@x>' }), null);
  assert.equal(resolver.addPart({ index: 5, contentId: 'a%2Bb@x' }), null);
  assert.equal(resolver.addPart({ index: 6, contentId: '<cid:c@x>' }), null);
  const { includes, warnings } = resolver.finish();
  // a@x: part 3 carries it exactly, so part 2 (whose id only decodes to it) loses.
  assert.deepEqual(includes.map((r) => r.part), [1, 3, 4, 5, 6]);
  assert.equal(warnings.filter((w) => w.includes('letter case')).length, 1, JSON.stringify(warnings));
  assert.equal(resolver.partFor('a@x'), 3);
  assert.equal(new XopResolver({ includes: [] }, { caseInsensitiveFallback: false }).partFor('x'), null);
});
