// Regression: a message whose parts repeat a Content-ID must be reported
// with the index of the *earlier* part that carries it (strict: the error;
// lenient: the warning). The matching layer now says which part that is:
// XopResolver.addPart returns the index of the first part registered with
// the same Content-ID (compared without angle brackets, as received), and
// that first part keeps the id for every reference; receive()'s own
// duplicate check (#contentIdOf) names that part in its error and warning.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { XopResolver, resolveXopReferences } from '../src/index.js';
import { ReferenceIndex } from '../src/receive/references.js';
import type { SoapScanResult } from '../src/xop/scanner.js';

const include = (cid: string) => ({
  href: `cid:${cid}`, cid, element: 'e', path: '/e', contentType: null, offset: 0, startOffset: 0, endOffset: 0,
}) as never;

test('addPart names the earlier part with the same Content-ID, not the latest nor the first part', () => {
  const resolver = new XopResolver({ includes: [include('same@x')] });
  assert.equal(resolver.addPart({ index: 0, contentId: '<root@x>' }), null);
  assert.equal(resolver.addPart({ index: 1, contentId: '<other@x>' }), null);
  assert.equal(resolver.addPart({ index: 2, contentId: '<same@x>' }), null);
  assert.equal(resolver.addPart({ index: 3, contentId: null }), null);
  assert.equal(resolver.addPart({ index: 4, contentId: 'same@x' }), 2, 'brackets do not matter');
  assert.equal(resolver.addPart({ index: 5, contentId: ' <same@x> ' }), 2, 'the first holder, not part 4');
  assert.equal(resolver.addPart({ index: 6, contentId: '<SAME@x>' }), null, 'letter case makes another id');
  assert.equal(resolver.addPart({ index: 7, contentId: '<root@x>' }), 0, 'the root part counts too');
  assert.equal(resolver.firstPartWithId('same@x'), 2);
  assert.equal(resolver.firstPartWithId('none@x'), null);
  const { includes, unreferenced } = resolver.finish();
  assert.deepEqual(includes.map((r) => r.part), [2], 'the first holder keeps the id');
  assert.deepEqual(unreferenced, [1, 3, 4, 5, 6, 7]);
  assert.deepEqual(resolveXopReferences({ includes: [include('same@x')] },
    [{ index: 3, contentId: 'same@x' }, { index: 1, contentId: 'same@x' }]).includes.map((r) => r.part), [3]);
});

test('ReferenceIndex: only the first part with a repeated Content-ID claims its references', () => {
  const scan = {
    includes: [include('same@x')],
    swaRefs: [{ kind: 'text', href: 'cid:same@x', cid: 'same@x', element: 's', qname: 's', path: '/s' }],
  } as unknown as SoapScanResult;
  const resolver = new XopResolver(scan, { rootIndex: 0 });
  const references = new ReferenceIndex(scan, resolver);
  assert.deepEqual(references.claim({ index: 1, contentId: 'same@x' }).map((r) => r.kind), ['xop', 'swaRef']);
  assert.deepEqual(references.claim({ index: 2, contentId: 'same@x' }), []);
  assert.deepEqual(resolver.finish().includes.map((r) => r.part), [1]);
});

test('receive: the strict error and the lenient warning name the earlier part (not just "an earlier part")', async () => {
  const { MemoryCache, receive, XopError } = await import('../src/index.js');
  const B = 'dup-ids';
  const part = (head: string, body: string) => `--${B}\r\n${head}\r\n\r\n${body}\r\n`;
  const message = Buffer.from(part('Content-Type: text/xml',
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:two xmlns:m="urn:two"/></s:Body></s:Envelope>') +
    part('Content-ID: <other@x>', 'zero') + part('Content-ID: <same@x>', 'first') + part('Content-ID: <x@x>', 'x') +
    part('Content-ID: <same@x>', 'again') + `--${B}--\r\n`);
  const contentType = `multipart/related; type="text/xml"; boundary=${B}`;
  await assert.rejects(receive([message], { contentType, cache: new MemoryCache(), strict: true }), (e: unknown) =>
    e instanceof XopError && e.code === 'ERR_CACHE_BAD_KEY' && /part 4 repeats the Content-ID <same@x> of part 2\b/.test(e.message));
  const lenient = await receive([message], { contentType, cache: new MemoryCache() });
  assert.ok(lenient.warnings.some((w) => /part 4 repeats the Content-ID <same@x> of part 2;/.test(w)), JSON.stringify(lenient.warnings));
  assert.deepEqual(lenient.attachments.map((d) => d.properties.wss_attachment_content_id), ['other@x', 'same@x', 'x@x', 4]);
});
