/**
 * The resolution rules of Content-Location references (SwA Note 2000 §3,
 * RFC 2557 §4-5, RFC 3986 §5.2 and §6.2.2): what an href resolves to, which
 * base applies, what the scanner records as a `location` reference, and
 * which part the resolver gives it (or the warning when none).
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SoapScanner, XopResolver, resolveXopReferences, type SwaReference } from '../src/index.js';
import { THIS_MESSAGE_BASE, isLocationReference, locationBase, resolveLocation } from '../src/xop/cid.js';
import type { PartIdentity, XopResolverOptions } from '../src/xop/resolve.js';
import { CHUNKINGS } from './support/corpus.js';

const S11 = 'http://schemas.xmlsoap.org/soap/envelope/';

function location(href: string, qname = 'm:f'): SwaReference {
  return { kind: 'location', href, cid: '', element: `{urn:m}${qname.slice(2)}`, qname, path: `/s:Envelope/s:Body/${qname}` };
}

/** Resolves `refs` against the parts (root 0 carries nothing), one-shot. */
function resolve(refs: SwaReference[], parts: Array<Omit<PartIdentity, 'contentId'> & { contentId?: string | null }>,
  options: XopResolverOptions = {}) {
  return resolveXopReferences({ includes: [], swaRefs: refs }, parts.map((p) => ({ contentId: null, ...p })), options);
}

describe('resolveLocation: RFC 3986 resolution and normalization', () => {
  it('keeps an absolute URI absolute, whatever the base', () => {
    assert.equal(resolveLocation('http://claiming-it.com/claim061400a.tiff'), 'http://claiming-it.com/claim061400a.tiff');
    assert.equal(resolveLocation('http://claiming-it.com/claim061400a.tiff', 'http://other.example/x/'),
      'http://claiming-it.com/claim061400a.tiff');
    assert.equal(resolveLocation('urn:uuid:0C4A-11'), 'urn:uuid:0C4A-11');
  });
  it('resolves a relative reference against the base (RFC 3986 §5.2), and against thismessage:/ without one', () => {
    assert.equal(resolveLocation('claim.tiff', 'http://claiming-it.com/claims/msg.xml'), 'http://claiming-it.com/claims/claim.tiff');
    assert.equal(resolveLocation('../photos/a.jpeg', 'http://claiming-it.com/claims/msg.xml'), 'http://claiming-it.com/photos/a.jpeg');
    assert.equal(resolveLocation('/root.tiff', 'http://claiming-it.com/claims/msg.xml'), 'http://claiming-it.com/root.tiff');
    assert.equal(THIS_MESSAGE_BASE, 'thismessage:/');
    assert.equal(resolveLocation('claim.tiff'), 'thismessage:/claim.tiff');
    assert.equal(resolveLocation('dir/./x/../claim.tiff'), 'thismessage:/dir/claim.tiff');
  });
  it('normalizes case (scheme, host, %-escape hex) and percent-encoding; drops the fragment and a default port', () => {
    assert.equal(resolveLocation('HTTP://Claiming-IT.COM:80/A.tiff#page2'), 'http://claiming-it.com/A.tiff');
    assert.equal(resolveLocation('foo://Host.Example/P'), 'foo://host.example/P', 'a host is case-insensitive in every scheme');
    assert.equal(resolveLocation('http://x/a%7eb%2fc%2Dd%c3%a9'), 'http://x/a~b%2Fc-d%C3%A9');
    assert.equal(resolveLocation('http://x/a b é'), 'http://x/a%20b%20%C3%A9', 'what a URI cannot hold is %-encoded (UTF-8)');
    assert.equal(resolveLocation('http://x/a#'), 'http://x/a');
    assert.equal(resolveLocation('  http://x/a\r\n '), 'http://x/a', 'folding whitespace of a header value');
    // Two spellings of one URI meet; different paths do not.
    assert.equal(resolveLocation('a%7E.tiff', 'http://X.example/d/'), resolveLocation('HTTP://x.example/d/a~.tiff'));
    assert.notEqual(resolveLocation('A.tiff'), resolveLocation('a.tiff'), 'the path stays case-sensitive');
  });
  it('is null for what is not a URI reference, or cannot be resolved against its base', () => {
    assert.equal(resolveLocation('http://[bad'), null);
    assert.equal(resolveLocation('x.tiff', 'urn:a:b'), null, 'urn: cannot be a base');
  });
});

describe('locationBase and isLocationReference', () => {
  it('takes Content-Base, else Content-Location, resolved against the outer base; else the outer base', () => {
    assert.equal(locationBase('http://a.example/m.xml', 'http://b.example/base/'), 'http://b.example/base/');
    assert.equal(locationBase('http://a.example/m.xml', null), 'http://a.example/m.xml');
    assert.equal(locationBase('sub/m.xml', undefined, 'http://a.example/d/'), 'http://a.example/d/sub/m.xml');
    assert.equal(locationBase(null, null, 'http://a.example/d/'), 'http://a.example/d/');
    assert.equal(locationBase(' ', 'http://[bad', 'http://a.example/'), 'http://a.example/', 'blank and invalid values are skipped');
    assert.equal(locationBase(null, null), THIS_MESSAGE_BASE);
  });
  it('counts any href but a cid: URL, an empty one and a same-document #fragment', () => {
    for (const yes of ['http://x/a', 'a.tiff', '../a', 'urn:x:y', 'file:///etc/passwd']) assert.ok(isLocationReference(yes), yes);
    for (const no of ['cid:a@b', 'CID:a@b', ' cid:x ', '#id0', ' #id0', '', '  ']) assert.ok(!isLocationReference(no), JSON.stringify(no));
  });
});

describe('SoapScanner: hrefs that are not cid: URLs are location references', () => {
  const xml = `<s:Envelope xmlns:s="${S11}"><s:Body><m:c xmlns:m="urn:m">` +
    '<m:a href="http://claiming-it.com/claim061400a.tiff"/><m:b href="cid:b@x"/><m:e href="#id0"/><m:d href=" rel/d.txt "/>' +
    '<m:g href="http://[bad"/><m:x xlink:href="http://x/y" xmlns:xlink="http://www.w3.org/1999/xlink"/>' +
    '<m:h href="cid:%zz"/><m:i href="cid:"/><m:j href=""/></m:c></s:Body></s:Envelope>';
  for (const chunking of CHUNKINGS) {
    it(`records them in document order next to cid: hrefs (${chunking.name})`, () => {
      const scanner = new SoapScanner({ contentType: 'text/xml' });
      for (const chunk of chunking.split(Buffer.from(xml))) scanner.write(chunk);
      const result = scanner.end();
      assert.deepEqual(result.swaRefs.map((r) => [r.kind, r.href, r.cid, r.qname, r.path]), [
        ['location', 'http://claiming-it.com/claim061400a.tiff', '', 'm:a', '/s:Envelope/s:Body/m:c/m:a'],
        ['href', 'cid:b@x', 'b@x', 'm:b', '/s:Envelope/s:Body/m:c/m:b'],
        ['location', 'rel/d.txt', '', 'm:d', '/s:Envelope/s:Body/m:c/m:d'],
      ]);
      // "#id0" and "" are same-document references, xlink:href is not SwA's href, a bare "cid:" names nothing:
      // none is noted. A broken URI or cid: URL is a warning, not a location reference.
      assert.deepEqual(result.warnings, [
        'm:g has href "http://[bad", which is not a URI reference; ignored',
        'm:h has href "cid:%zz", which is not a valid cid: URL; ignored',
      ]);
    });
  }
});

describe('xml:base in scope at a location href (XML Base §4.2)', () => {
  const xml = `<s:Envelope xmlns:s="${S11}"><s:Body><m:c xmlns:m="urn:m" xml:base="http://b.example/dir/">` +
    '<m:a href="a.tiff"/><m:n xml:base="sub/"><m:b href="b.tiff" xml:base="own/"/><m:x href="cid:x@y"/></m:n><m:d href="d.tiff"/></m:c>' +
    '<m:e xmlns:m="urn:m" href="e.tiff"/></s:Body></s:Envelope>';
  for (const chunking of CHUNKINGS) {
    it(`the scanner records the values in scope, outermost first, the element's own included (${chunking.name})`, () => {
      const scanner = new SoapScanner({ contentType: 'text/xml' });
      for (const chunk of chunking.split(Buffer.from(xml))) scanner.write(chunk);
      assert.deepEqual(scanner.end().swaRefs.map((r) => [r.qname, r.xmlBase]), [
        ['m:a', ['http://b.example/dir/']],
        ['m:b', ['http://b.example/dir/', 'sub/', 'own/']],
        ['m:x', undefined],
        ['m:d', ['http://b.example/dir/']],
        ['m:e', undefined],
      ]);
    });
  }
  it('the resolver resolves each value against the one outside it, the first against the root\'s base', () => {
    const ref = (href: string, xmlBase: string[]): SwaReference => ({ ...location(href), xmlBase });
    const resolver = new XopResolver({ includes: [], swaRefs: [] });
    assert.equal(resolver.locationOf(location('x')), null, 'not a reference of its scan');
    const refs = [ref('a.tiff', ['/forms/', 'photos/']), ref('b.tiff', ['http://[bad', 'x/']), ref('c.tiff', [])];
    const r = new XopResolver({ includes: [], swaRefs: refs }, { root: { contentLocation: 'http://r.example/claims/m.xml' } });
    assert.deepEqual(refs.map((x) => r.locationOf(x)),
      ['http://r.example/forms/photos/a.tiff', 'http://r.example/claims/x/b.tiff', 'http://r.example/claims/c.tiff']);
  });
});

describe('XopResolver: which part a location reference names', () => {
  it('an absolute href names the part with that Content-Location (not listed unreferenced)', () => {
    const r = resolve([location('http://claiming-it.com/claim061400a.tiff')], [
      { index: 0 }, { index: 1, contentId: 'x@y' }, { index: 2, contentLocation: 'http://claiming-it.com/claim061400a.tiff' },
    ]);
    assert.deepEqual(r.swaRefs.map((s) => [s.part, s.location]), [[2, 'http://claiming-it.com/claim061400a.tiff']]);
    assert.deepEqual(r.unreferenced, [1]);
    assert.deepEqual(r.warnings, []);
  });
  it('a relative href resolves against the root\'s Content-Location; its Content-Base comes first', () => {
    const parts = [{ index: 0 }, { index: 1, contentLocation: 'http://claiming-it.com/claims/a.tiff' },
      { index: 2, contentLocation: 'http://base.example/a.tiff' }];
    const byLocation = resolve([location('a.tiff')], parts, { root: { contentLocation: 'http://claiming-it.com/claims/m.xml' } });
    assert.equal(byLocation.swaRefs[0]!.part, 1);
    const byBase = resolve([location('a.tiff')], parts,
      { root: { contentLocation: 'http://claiming-it.com/claims/m.xml', contentBase: 'http://base.example/' } });
    assert.equal(byBase.swaRefs[0]!.part, 2);
  });
  it('without any base, a relative href matches a relative Content-Location as written (both against thismessage:/)', () => {
    const r = resolve([location('claim.tiff'), location('./dir/../claim.tiff', 'm:g')], [{ index: 0 }, { index: 1, contentLocation: 'claim.tiff' }]);
    assert.deepEqual(r.swaRefs.map((s) => [s.part, s.location]), [[1, 'thismessage:/claim.tiff'], [1, 'thismessage:/claim.tiff']]);
  });
  it('a relative root base resolves under thismessage:/ like the parts\' relative Content-Locations', () => {
    const r = resolve([location('a.tiff')], [{ index: 0 }, { index: 1, contentLocation: 'dir/a.tiff' }],
      { root: { contentLocation: 'dir/m.xml' } });
    assert.equal(r.swaRefs[0]!.part, 1);
  });
  it('the message base resolves parts\' relative Content-Locations; a part\'s own Content-Base wins over it', () => {
    const refs = [location('http://m.example/d/a.tiff'), location('http://own.example/b.tiff', 'm:g')];
    const parts = [{ index: 0 }, { index: 1, contentLocation: 'a.tiff' }, { index: 2, contentLocation: 'b.tiff', contentBase: 'http://own.example/' }];
    assert.deepEqual(resolve(refs, parts, { messageBase: 'http://m.example/d/' }).swaRefs.map((s) => s.part), [1, 2]);
    // Without it the relative value stays under thismessage:/ and the absolute href names nothing.
    assert.deepEqual(resolve(refs, parts).swaRefs.map((s) => s.part), [null, 2]);
  });
  it('a relative href against an absolute root base does not meet a relative Content-Location (RFC 2557 §5: no guessing)', () => {
    const r = resolve([location('a.tiff')], [{ index: 0 }, { index: 1, contentLocation: 'a.tiff' }],
      { root: { contentLocation: 'http://claiming-it.com/m.xml' } });
    assert.equal(r.swaRefs[0]!.part, null);
  });
  it('normalization: host case, %7E and a default port do not matter; path case does', () => {
    const r = resolve([location('http://CLAIMING-it.com/%7ea.tiff'), location('http://claiming-it.com/A.TIFF', 'm:g')],
      [{ index: 0 }, { index: 1, contentLocation: 'http://claiming-it.com:80/~a.tiff' }, { index: 2, contentLocation: 'http://claiming-it.com/a.tiff' }]);
    assert.deepEqual(r.swaRefs.map((s) => s.part), [1, null]);
    assert.deepEqual(r.unreferenced, [2]);
  });
  it('the first part with a Content-Location wins, as for Content-IDs', () => {
    const r = resolve([location('a.tiff')], [{ index: 0 }, { index: 1, contentLocation: 'a.tiff' }, { index: 2, contentLocation: './a.tiff' }]);
    assert.equal(r.swaRefs[0]!.part, 1);
    assert.deepEqual(r.unreferenced, [2]);
  });
  it('an href naming no part is a warning (not an error); none when the message has no attachment at all', () => {
    const r = resolve([location('missing.tiff'), location('x.tiff', 'm:g')], [{ index: 0 }, { index: 1, contentLocation: 'other.tiff' }],
      { root: { contentLocation: 'urn:uuid:root' } });
    assert.deepEqual(r.swaRefs.map((s) => s.part), [null, null]);
    assert.deepEqual(r.unreferenced, [1]);
    assert.deepEqual(r.warnings, [
      'm:f has href "missing.tiff", which cannot be resolved against urn:uuid:root; ignored',
      'm:g has href "x.tiff", which cannot be resolved against urn:uuid:root; ignored',
    ]);
    const unmatched = resolve([location('http://x/missing.tiff')], [{ index: 0 }, { index: 1, contentLocation: 'http://x/other.tiff' }]);
    assert.deepEqual(unmatched.warnings,
      ['m:f has href "http://x/missing.tiff" (http://x/missing.tiff), which no part\'s Content-Location names; ignored']);
    assert.deepEqual(resolve([location('http://x/missing.tiff')], [{ index: 0 }]).warnings, []);
  });
  it('a payload full of unmatched links gives ten warnings and one counting the rest', () => {
    const refs = Array.from({ length: 25 }, (_, i) => location(`http://example.org/page${i}.html`));
    const r = resolve(refs, [{ index: 0 }, { index: 1, contentLocation: 'http://example.org/page3.html' }]);
    assert.deepEqual(r.swaRefs.map((s) => s.part).filter((p) => p !== null), [1]);
    assert.equal(r.warnings.length, 11);
    assert.ok(r.warnings[9]!.includes('page10.html'), r.warnings[9]);
    assert.equal(r.warnings[10], '14 more hrefs name no part\'s Content-Location; ignored');
  });
  it('cid: references resolve as before, and a Content-Location never answers a cid: href', () => {
    const cid: SwaReference = { kind: 'href', href: 'cid:a.tiff', cid: 'a.tiff', element: '{urn:m}f', qname: 'm:f', path: '/m:f' };
    const r = resolve([cid, location('a.tiff', 'm:g')], [{ index: 0 }, { index: 1, contentLocation: 'a.tiff' }, { index: 2, contentId: '<a.tiff>' }]);
    assert.deepEqual(r.swaRefs.map((s) => s.part), [2, 1]);
    assert.equal(r.swaRefs[0]!.location, undefined);
  });
  it('partForReference and locationOfPart answer incrementally, as parts arrive', () => {
    const ref = location('a.tiff');
    const resolver = new XopResolver({ includes: [], swaRefs: [ref] }, { messageBase: 'http://m.example/' });
    assert.equal(resolver.locationOf(ref), 'http://m.example/a.tiff');
    assert.equal(resolver.partForReference(ref), null);
    assert.equal(resolver.locationOfPart({ index: 1, contentId: null, contentLocation: 'a.tiff' }), 'http://m.example/a.tiff');
    assert.equal(resolver.locationOfPart({ index: 1, contentId: null }), null);
    resolver.addPart({ index: 1, contentId: null, contentLocation: 'http://M.example/a.tiff' });
    assert.equal(resolver.partForReference(ref), 1);
  });
});
