// Regression (found by the benchmark's verification, bench/cases/sax.ts): with
// retainEnvelope: false, SoapScanner's `size` stopped at the parser's last
// position and missed whitespace after the document element (a 10 MB envelope
// ending in a newline reported one byte short). It must equal the size the
// retaining scan reports: the part's size for UTF-8, the UTF-8 space otherwise.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SoapScanner } from '../src/index.js';

const ENVELOPE = '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:a xmlns:m="urn:m">x</m:a></s:Body></s:Envelope>';

function sizeOf(bytes: Uint8Array, retainEnvelope: boolean, chunk: number): number {
  const scanner = new SoapScanner({ contentType: 'text/xml', retainEnvelope });
  for (let i = 0; i < bytes.length; i += chunk) scanner.write(bytes.subarray(i, i + chunk));
  return scanner.end().size;
}

test('size without a retained envelope counts whitespace after the document element', () => {
  for (const tail of ['', '\n', '\r\n', '  \n\t', '\n\n\n']) {
    for (const [label, bytes, expected] of [
      ['utf-8', Buffer.from(ENVELOPE + tail), Buffer.byteLength(ENVELOPE + tail)],
      ['utf-8 with BOM', Buffer.from('\ufeff' + ENVELOPE + tail), 3 + Buffer.byteLength(ENVELOPE + tail)],
      ['utf-16le with BOM', Buffer.from('\ufeff' + ENVELOPE + tail, 'utf16le'), Buffer.byteLength(ENVELOPE + tail)],
    ] as const) {
      for (const chunk of [1, 5, 1 << 16]) {
        const kept = sizeOf(bytes, true, chunk);
        assert.equal(kept, expected, `${label} ${JSON.stringify(tail)} retained, chunks of ${chunk}`);
        assert.equal(sizeOf(bytes, false, chunk), kept, `${label} ${JSON.stringify(tail)} not retained, chunks of ${chunk}`);
      }
    }
  }
});
