/**
 * Helpers shared by the SoapScanner structure tests: scan a document from
 * chunks (an XopError comes back as a value), the chunking matrix plus every
 * split in two, and the media type of each SOAP version.
 */
import assert from 'node:assert/strict';
import { isXopError, SoapScanner, type SoapScanResult, type XopError } from '../../src/index.js';
import { CHUNKINGS } from './corpus.js';

/** Scans `chunks`; an XopError is returned (anything else fails the test). */
export function scan(chunks: Uint8Array[], strict: boolean, contentType: string): SoapScanResult | XopError {
  const scanner = new SoapScanner({ contentType, strict });
  try {
    for (const c of chunks) scanner.write(c);
    return scanner.end();
  } catch (error) {
    assert.ok(isXopError(error), String(error));
    return error;
  }
}

/** The chunking matrix, and every split in two. */
export function splits(bytes: Buffer): Array<{ name: string; chunks: Uint8Array[] }> {
  const out = CHUNKINGS.map((c) => ({ name: c.name, chunks: c.split(bytes) }));
  for (let at = 0; at <= bytes.length; at++) out.push({ name: `split at ${at}`, chunks: [bytes.subarray(0, at), bytes.subarray(at)] });
  return out;
}

/** The media type a SOAP version travels under. */
export const contentTypeOf = (version: '1.1' | '1.2'): string => version === '1.1' ? 'text/xml; charset=utf-8' : 'application/soap+xml';

/**
 * The strict verdict on an Envelope structure problem: with no `problem`
 * the scan passes without warnings (returns the result for more checks);
 * else it is ERR_SOAP_NOT_ENVELOPE at `offset` whose message names the
 * problem (its lenient "; it is ignored" tail dropped) and no VersionMismatch.
 */
export function expectStrictVerdict(result: SoapScanResult | XopError, problem: string | null, offset: number | undefined,
  label: string): SoapScanResult | null {
  if (problem === null) {
    assert.ok(!isXopError(result), `${label}: ${String(result)}`);
    assert.deepEqual(result.warnings, [], label);
    return result;
  }
  assert.ok(isXopError(result), `${label}: no error`);
  assert.equal(result.code, 'ERR_SOAP_NOT_ENVELOPE', `${label}: ${result.message}`);
  assert.equal(result.offset, offset, `${label}: ${result.message}`);
  assert.ok(result.message.includes(problem.replace(/; (it is ignored|its blocks are recorded too)$/, '')), `${label}: ${result.message}`);
  assert.equal(result.details['faultCode'], undefined, 'a Client/Sender fault, not VersionMismatch');
  return null;
}
