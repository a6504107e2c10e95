// limits.references bounds what a root part can make the scanner keep: every
// xop:Include, cid: href and swaRef is an object with its element path until
// the message ends, so a Body of tiny `<a href="cid:x"/>` elements must not
// grow memory with the root part's size. Hrefs by Content-Location are capped
// the same way but tolerated (a payload may be full of ordinary links), and
// warnings are listed up to a fixed number.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_XML_LIMITS, ErrorCodes, isLimitCode, isXopError, SoapScanner, type SoapScanResult } from '../src/index.js';
import { CHUNKINGS } from './support/corpus.js';

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';

function envelope(body: string): Buffer {
  return Buffer.from(`<s:Envelope xmlns:s="${SOAP11}"><s:Body><m:op xmlns:m="urn:m">${body}</m:op></s:Body></s:Envelope>`);
}

function scanWith(bytes: Buffer, chunks: Uint8Array[], limits: { references?: number } = {}, contentType = 'text/xml'): SoapScanResult {
  const scanner = new SoapScanner({ contentType, limits });
  for (const chunk of chunks) scanner.write(chunk);
  return scanner.end();
}

describe('limits.references', () => {
  it('defaults to 10,000', () => {
    assert.equal(DEFAULT_XML_LIMITS.references, 10_000);
  });

  it('one reference too many is ERR_XML_TOO_MANY_REFERENCES (a limit: 413) at the element that crosses it, under every chunking', () => {
    const refs = (n: number) => Array.from({ length: n }, (_, i) => `<m:a href="cid:p${i}@x"/>`).join('');
    const atLimit = envelope(`${refs(2)}<m:t>cid:t@x</m:t>`);
    const over = envelope(`${refs(2)}<m:t>cid:t@x</m:t><m:a href="cid:last@x"/>`);
    const crossing = over.indexOf('<m:a href="cid:last@x"/>');
    for (const chunking of CHUNKINGS) {
      const ok = scanWith(atLimit, chunking.split(atLimit), { references: 3 });
      assert.equal(ok.swaRefs.length, 3, chunking.name);
      assert.throws(() => scanWith(over, chunking.split(over), { references: 3 }), (error: unknown) => {
        assert.ok(isXopError(error));
        assert.equal(error.code, ErrorCodes.XML_TOO_MANY_REFERENCES);
        assert.ok(isLimitCode(error.code));
        assert.equal(error.details.limit, 3);
        assert.ok(error.offset! >= crossing && error.offset! <= over.length, `${chunking.name}: offset ${error.offset} (element at ${crossing})`);
        return true;
      }, chunking.name);
    }
  });

  it('xop:Includes count too', () => {
    const include = (i: number) => `<m:d><xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:d${i}@x"/></m:d>`;
    const bytes = envelope([0, 1, 2].map(include).join(''));
    const contentType = 'application/xop+xml; type="text/xml"';
    assert.equal(scanWith(bytes, [bytes], { references: 3 }, contentType).includes.length, 3);
    assert.throws(() => scanWith(bytes, [bytes], { references: 2 }, contentType),
      (error: unknown) => isXopError(error) && error.code === ErrorCodes.XML_TOO_MANY_REFERENCES);
  });

  it('hrefs by Content-Location past the limit are not kept, with one warning, and are no error', () => {
    const links = Array.from({ length: 8 }, (_, i) => `<m:link href="http://example.com/doc${i}"/>`).join('');
    const bytes = envelope(links);
    for (const chunking of CHUNKINGS) {
      const result = scanWith(bytes, chunking.split(bytes), { references: 5 });
      assert.deepEqual(result.swaRefs.map((r) => r.href), [0, 1, 2, 3, 4].map((i) => `http://example.com/doc${i}`), chunking.name);
      assert.equal(result.warnings.filter((w) => w.includes('limits.references')).length, 1, chunking.name);
    }
  });
});

describe('warnings are bounded', () => {
  it('past 100, warnings are counted in one last line, not listed', () => {
    // Each of these hrefs is a cid: URL with broken percent-encoding: one warning per element.
    const bytes = envelope(Array.from({ length: 250 }, (_, i) => `<m:a href="cid:bad%zz${i}"/>`).join(''));
    const result = scanWith(bytes, [bytes]);
    const invalid = result.warnings.filter((w) => w.includes('not a valid cid: URL'));
    assert.equal(invalid.length, 100);
    assert.ok(result.warnings.includes('150 more warnings like the above are not listed'), result.warnings.at(-1));
    assert.equal(result.swaRefs.length, 0);
  });
});

describe('receive() and limits.references', () => {
  it('a root part over limits.references fails the receive with a 413-class error and leaves nothing in the cache', async () => {
    const { MemoryCache, receive } = await import('../src/index.js');
    const root = envelope('<m:a href="cid:one@x"/><m:a href="cid:two@x"/>').toString();
    const body = Buffer.from(`--b\r\nContent-Type: text/xml\r\n\r\n${root}\r\n--b\r\nContent-ID: <one@x>\r\n\r\n1\r\n--b\r\nContent-ID: <two@x>\r\n\r\n2\r\n--b--\r\n`);
    const cache = new MemoryCache();
    await assert.rejects(receive([body], { contentType: 'multipart/related; boundary=b; type="text/xml"', cache, limits: { references: 1 }, rootId: 'refs-limit' }),
      (error: unknown) => isXopError(error) && error.code === ErrorCodes.XML_TOO_MANY_REFERENCES);
    assert.deepEqual(await cache.list('refs-limit'), []);
    const ok = await receive([body], { contentType: 'multipart/related; boundary=b; type="text/xml"', cache, limits: { references: 2 } });
    assert.equal(ok.attachments.length, 2);
    assert.deepEqual(ok.attachments.map((a) => a.referencedBy.length), [1, 1]);
  });
});
