/**
 * The SAX pass over project-owned fixtures (corpus/xop-<case>/): each root
 * part is scanned whole, over the chunking matrix and split in two at every
 * byte, and must give the same result, which must match expected.json.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SoapScanner, isXopError, type SoapScannerOptions } from '../src/index.js';
import { CHUNKINGS } from './support/corpus.js';
import { assertWellFormed, normalise, scanChunks, xopFixtures, type XopFixture } from './support/xop.js';

function optionsOf(fixture: XopFixture): SoapScannerOptions {
  return { contentType: fixture.contentType, ...fixture.options };
}

function errorOf(fn: () => unknown): { code: string; offset: number | undefined } {
  try {
    fn();
  } catch (error) {
    assert.ok(isXopError(error), `expected an XopError, got ${String(error)}`);
    return { code: error.code, offset: error.offset };
  }
  assert.fail('expected an error');
}

const fixtures = xopFixtures();

test('there are xop fixtures', () => {
  assert.ok(fixtures.length >= 40, `only ${fixtures.length} fixtures`);
});

for (const fixture of fixtures) {
  test(`${fixture.name}: ${fixture.description}`, () => {
    const options = optionsOf(fixture);
    if (fixture.error !== undefined) {
      const whole = errorOf(() => scanChunks([fixture.root], options));
      assert.equal(whole.code, fixture.error.code);
      if (fixture.error.offset !== undefined) assert.equal(whole.offset, fixture.error.offset);
      for (const chunking of CHUNKINGS) {
        const got = errorOf(() => scanChunks(chunking.split(fixture.root), options));
        assert.equal(got.code, fixture.error.code, chunking.name);
      }
      for (let i = 0; i <= fixture.root.length; i++) {
        const got = errorOf(() => scanChunks([fixture.root.subarray(0, i), fixture.root.subarray(i)], options));
        assert.equal(got.code, fixture.error.code, `split at ${i}`);
      }
      return;
    }
    const result = scanChunks([fixture.root], options);
    const expected = fixture.result!;
    assert.equal(result.version, expected['version']);
    assert.equal(result.bodyElement, expected['bodyElement']);
    assert.deepEqual(result.headerBlocks, expected['headerBlocks']);
    if (expected.bodyElements !== undefined) assert.deepEqual(result.bodyElements, expected.bodyElements);
    const includes = result.includes.map(({ cid, href, element, qname, path, contentType }) =>
      ({ cid, href, element, qname, path, contentType }));
    assert.deepEqual(includes, expected['includes']);
    const swaRefs = result.swaRefs.map(({ kind, cid, href, element, qname, path }) => ({ kind, cid, href, element, qname, path }));
    assert.deepEqual(swaRefs, expected['swaRefs']);
    assert.deepEqual(result.warnings, expected['warnings']);
    if (expected.encoding !== undefined) assert.equal(result.encoding, expected.encoding);
    const rootDocument = result.rootDocument;
    assert.equal(rootDocument === null ? null : rootDocument.toString('utf8'), expected.rootDocument);
    if (rootDocument !== null) assertWellFormed(rootDocument);
    // The include ranges cover exactly the xop:Include (and whitespace), inside the envelope.
    const envelope = result.envelope!;
    assert.equal(envelope.length, result.size);
    for (const include of result.includes) {
      const content = envelope.subarray(include.contentStart, include.contentEnd).toString('utf8');
      assert.match(content, /^\s*<[^>]*Include[\s\S]*>\s*$/, `content of ${include.path}`);
      assert.equal(envelope[include.offset], 0x3c);
      assert.ok(content.includes(include.href));
    }
    const reference = normalise(result);
    for (const chunking of CHUNKINGS) {
      assert.deepEqual(normalise(scanChunks(chunking.split(fixture.root), options)), reference, chunking.name);
    }
    for (let i = 0; i <= fixture.root.length; i++) {
      const got = normalise(scanChunks([fixture.root.subarray(0, i), fixture.root.subarray(i)], options));
      assert.deepEqual(got, reference, `split at ${i}`);
    }
  });
}

test('an error carries the part index and the scanner refuses more input after it', () => {
  const scanner = new SoapScanner({ contentType: 'text/xml', part: 3 });
  let first: unknown;
  try {
    scanner.write(Buffer.from('<a:b/>'));
  } catch (error) {
    first = error;
  }
  assert.ok(isXopError(first));
  assert.equal(first.code, 'ERR_XML_MALFORMED');
  assert.equal(first.details.part, 3);
  assert.throws(() => scanner.write(Buffer.from('x')), (e: unknown) => e === first);
  assert.throws(() => scanner.end(), (e: unknown) => e === first);
});

test('end() twice and write() after end() are ERR_PARSER_STATE', () => {
  const scanner = new SoapScanner({ requireEnvelope: false });
  scanner.write(Buffer.from('<a/>'));
  scanner.end();
  assert.throws(() => scanner.end(), { code: 'ERR_PARSER_STATE' });
  assert.throws(() => scanner.write(Buffer.from('x')), { code: 'ERR_PARSER_STATE' });
});

test('a limit error is a LimitError naming the limit', () => {
  const error = errorOf(() => scanChunks([Buffer.from('<a><b><c/></b></a>')], { requireEnvelope: false, limits: { depth: 2 } }));
  assert.equal(error.code, 'ERR_XML_TOO_DEEP');
  assert.throws(() => new SoapScanner({ limits: { depth: -1 } }), TypeError);
});

test('retainEnvelope: false keeps offsets but no bytes', () => {
  const xml = Buffer.from('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><m:a xmlns:m="urn:m"><m:d>' +
    '<xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:a@b"/></m:d></m:a></s:Body></s:Envelope>');
  const result = scanChunks([xml], { retainEnvelope: false, contentType: 'application/xop+xml; type="application/soap+xml"' });
  assert.equal(result.envelope, null);
  assert.equal(result.rootDocument, null);
  assert.equal(result.rootDocumentChunks(), null);
  assert.equal(result.envelopeChunks(), null);
  assert.equal(result.size, xml.length);
  const plan = result.rootDocumentPlan!;
  assert.equal(plan.element, '{urn:m}a');
  const piece = plan.pieces[0] as { start: number; end: number };
  assert.equal(xml.subarray(piece.start, piece.end).toString(), xml.toString().slice(piece.start, piece.end));
  assert.ok(xml.subarray(piece.start, piece.end).toString().startsWith('<m:a '));
  assert.equal(result.includes[0]!.cid, 'a@b');
});

test('the root document is views of the input when no declaration has to be added', () => {
  const xml = Buffer.from('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><m:a xmlns:m="urn:m">x</m:a></s:Body></s:Envelope>');
  const result = scanChunks([xml], {});
  const chunks = result.rootDocumentChunks()!;
  assert.equal(chunks.length, 1);
  assert.equal(chunks[0]!.buffer, xml.buffer, 'a view of the input, not a copy');
  assert.equal(result.envelope!.buffer, xml.buffer);
});

test('long inline text (base64) is not accumulated: the scan still finds the structure after it', () => {
  const big = 'QUJD'.repeat(50_000);
  const xml = '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:a xmlns:m="urn:m">' +
    `<m:blob>${big}</m:blob><m:ref>cid:x@y</m:ref></m:a></s:Body></s:Envelope>`;
  const result = scanChunks([Buffer.from(xml)].flatMap((b) => [b.subarray(0, 70_000), b.subarray(70_000)]), {});
  assert.equal(result.bodyElement, '{urn:m}a');
  assert.deepEqual(result.swaRefs.map((s) => s.cid), ['x@y']);
  // With the text probe off for the long text, an include after long text is still refused.
  const bad = '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:a xmlns:m="urn:m">' +
    `${big}<xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:a@b"/></m:a></s:Body></s:Envelope>`;
  const buffer = Buffer.from(bad);
  assert.equal(errorOf(() => scanChunks([buffer.subarray(0, 50_000), buffer.subarray(50_000)], {})).code, 'ERR_XOP_BAD_INCLUDE');
});
