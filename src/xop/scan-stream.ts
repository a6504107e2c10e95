/**
 * Thin async wrapper: runs {@link SoapScanner} over a stream of bytes.
 *
 * @module
 */

import { toAsyncIterator, type ByteSource } from '../mime/stream.js';
import { SoapScanner, type SoapScanResult, type SoapScannerOptions } from './scanner.js';

/**
 * Scans a whole root part from a Node `Readable`, a Web `ReadableStream`, an
 * (async) iterable of chunks, or a single buffer.
 *
 * @example
 * const scan = await scanSoap(fs.createReadStream('envelope.xml'), { contentType: 'text/xml' });
 */
export async function scanSoap(source: ByteSource | Uint8Array, options: SoapScannerOptions = {}): Promise<SoapScanResult> {
  const scanner = new SoapScanner(options);
  if (source instanceof Uint8Array) {
    scanner.write(source);
    return scanner.end();
  }
  const iterator = toAsyncIterator(source);
  let done = false;
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) break;
      scanner.write(next.value);
    }
    done = true;
  } finally {
    if (!done) await iterator.return?.();
  }
  return scanner.end();
}
