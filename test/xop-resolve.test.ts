/**
 * Resolving references to parts (RFC 2392 cid: URLs), and what media types
 * announce.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  XopResolver, cidUrlOf, contentIdFromCidUrl, contentIdMatches, describeRootMediaType, resolveXopReferences, isXopError,
  type XopInclude,
} from '../src/index.js';
import { parseContentType } from '../src/mime/content-type.js';
import { clarkName, mediaTypeOfSoapVersion, namespaceOfSoapVersion, soapVersionOfNamespace } from '../src/xop/names.js';

function include(cid: string, offset = 10): XopInclude {
  return { href: `cid:${cid}`, cid, element: '{urn:m}d', qname: 'm:d', path: '/m:d', contentType: null, offset, contentStart: offset, contentEnd: offset + 5 };
}

test('contentIdFromCidUrl: scheme case-insensitive, %-decoded, brackets stripped; other schemes refused', () => {
  assert.equal(contentIdFromCidUrl('cid:foo4*foo1@bar.net'), 'foo4*foo1@bar.net'); // RFC 2392 §2 example
  assert.equal(contentIdFromCidUrl('CID:a%20b@x'), 'a b@x');
  assert.equal(contentIdFromCidUrl(' cid:%3Ca@b%3E '), 'a@b');
  for (const bad of ['http://x/y', 'file:///etc/passwd', 'https://a', 'mid:a@b', 'cid:', 'cid:%', 'cid:%zz', 'ci', '']) {
    assert.throws(() => contentIdFromCidUrl(bad), (e: unknown) => isXopError(e) && e.code === 'ERR_XOP_BAD_HREF', bad);
  }
  assert.throws(() => contentIdFromCidUrl('http://x', { offset: 7, part: 0 }), (e: unknown) => isXopError(e) && e.offset === 7);
});

test('cidUrlOf round-trips through contentIdFromCidUrl and keeps @ : / readable', () => {
  for (const id of ['a@b', '1.urn:uuid:F02E@apache.org', 'a b%c@d', 'http://example.org/me.png', 'ü@x', '<x@y>']) {
    const url = cidUrlOf(id);
    assert.ok(!/[\s<>"]/.test(url), url);
    assert.equal(contentIdFromCidUrl(url), id.replace(/^<(.*)>$/, '$1'));
  }
  assert.equal(cidUrlOf('1.urn:uuid:x@apache.org'), 'cid:1.urn:uuid:x@apache.org');
  assert.ok(contentIdMatches('<a@b>', 'a@b'));
  assert.ok(contentIdMatches(' a@b ', 'a@b'));
  assert.ok(!contentIdMatches(null, 'a@b'));
  assert.ok(!contentIdMatches('<A@b>', 'a@b'));
});

test('XopResolver: parts by Content-ID, never %-decoding the Content-ID; duplicates and unreferenced parts reported', () => {
  const scan = {
    includes: [include('a@x'), include('b@x'), include('a@x')],
    swaRefs: [{ kind: 'text' as const, href: 'cid:c@x', cid: 'c@x', element: 'e', qname: 'e', path: '/e' },
      { kind: 'href' as const, href: 'cid:zz', cid: 'zz', element: 'f', qname: 'f', path: '/f' }],
  };
  const resolution = resolveXopReferences(scan, [
    { index: 0, contentId: '<root@x>' }, { index: 1, contentId: '<a@x>' }, { index: 2, contentId: 'b@x' },
    { index: 3, contentId: '<c@x>' }, { index: 4, contentId: null }, { index: 5, contentId: '<a%40x>' },
  ]);
  assert.deepEqual(resolution.includes.map((r) => r.part), [1, 2, 1]);
  assert.deepEqual(resolution.duplicates, [{ cid: 'a@x', part: 1, count: 2 }]);
  assert.deepEqual(resolution.swaRefs.map((r) => r.part), [3, null]);
  assert.deepEqual(resolution.unreferenced, [4, 5]);
  assert.equal(resolution.warnings.length, 2);
  assert.ok(resolution.warnings.some((w) => w.includes('referenced by 2')));
  assert.ok(resolution.warnings.some((w) => w.includes('cid:zz')));
});

test('XopResolver: a missing part is ERR_XOP_MISSING_PART with the include offset; the first of two equal Content-IDs wins', () => {
  const resolver = new XopResolver({ includes: [include('a@x'), include('gone@x', 99)] });
  resolver.addPart({ index: 1, contentId: 'a@x' });
  resolver.addPart({ index: 2, contentId: 'a@x' });
  assert.equal(resolver.partFor('a@x'), 1);
  assert.throws(() => resolver.finish(), (e: unknown) =>
    isXopError(e) && e.code === 'ERR_XOP_MISSING_PART' && e.offset === 99 && e.details['cid'] === 'gone@x');
});

test('XopResolver: Content-IDs differing only in case match as a fallback, with a warning, unless disabled', () => {
  const scan = { includes: [include('Part1@Example.ORG')] };
  const lenient = resolveXopReferences(scan, [{ index: 1, contentId: '<part1@example.org>' }]);
  assert.deepEqual(lenient.includes.map((r) => r.part), [1]);
  assert.equal(lenient.warnings.length, 1);
  assert.throws(() => resolveXopReferences(scan, [{ index: 1, contentId: '<part1@example.org>' }], { caseInsensitiveFallback: false }),
    { code: 'ERR_XOP_MISSING_PART' });
});

test('describeRootMediaType: SwA and MTOM announcements', () => {
  const d = describeRootMediaType;
  assert.deepEqual([d('text/xml; charset=UTF-8').announcedVersion, d('text/xml; charset=UTF-8').charset], ['1.1', 'UTF-8']);
  assert.equal(d('application/soap+xml; action="urn:x"').announcedVersion, '1.2');
  assert.equal(d('application/xop+xml; type="application/soap+xml"').announcedVersion, '1.2');
  assert.equal(d('application/xop+xml; type="text/xml"').xop, true);
  assert.equal(d('application/xop+xml; type="text/xml"').announcedVersion, '1.1');
  assert.equal(d('application/xop+xml', { startInfo: 'application/soap+xml; action="a"' }).announcedVersion, '1.2');
  assert.equal(d('application/xop+xml', { startInfo: 'text/xml' }).announcedBy?.includes('start-info'), true);
  assert.equal(d('application/xop+xml').announcedVersion, null);
  assert.equal(d('application/xml').announcedVersion, null);
  assert.equal(d(null, { type: 'application/xop+xml', startInfo: 'text/xml' }).announcedVersion, '1.1');
  assert.equal(d(null, { type: 'text/xml' }).announcedVersion, '1.1');
  assert.equal(d(undefined).mediaType, null);
  assert.equal(d('not a content type').mediaType, null, 'unparseable: announces nothing');
  assert.equal(d(parseContentType('text/xml')).announcedVersion, '1.1');
});

test('SOAP version ↔ namespace ↔ media type', () => {
  for (const version of ['1.1', '1.2'] as const) assert.equal(soapVersionOfNamespace(namespaceOfSoapVersion(version)), version);
  assert.equal(mediaTypeOfSoapVersion('1.1'), 'text/xml');
  assert.equal(mediaTypeOfSoapVersion('1.2'), 'application/soap+xml');
  assert.equal(soapVersionOfNamespace('urn:other'), null);
  assert.equal(clarkName('', 'a'), 'a');
  assert.equal(clarkName('urn:x', 'a'), '{urn:x}a');
});
