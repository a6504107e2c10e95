// The fuzzer's differential oracle (dicer as the reference) on headers named
// after Object.prototype members: dicer's HeaderParser keeps headers in a
// plain object and throws "self.header[h].push is not a function" for
// `__proto__` or `constructor` (dicer's bug; xopstream parses them as ordinary
// headers, corpus/proto-headers). The oracle must skip that input, not reject
// (a rejected differential would stop the fuzz worker and be reported as a
// finding). Other headers are still compared.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FuzzInput } from './fuzz/input.js';
import { dicerComparable, mimeTarget } from './fuzz/targets/index.js';
import { isDicerPrototypeHeaderCrash, runDicer, runMime } from './fuzz/targets/mime.js';

function inputWith(headerLines: string): FuzzInput {
  // decode: false makes the input one the oracle compares (dicer gives raw bodies).
  return {
    contentType: 'multipart/related; boundary="b"',
    bytes: Buffer.from(`--b\r\n${headerLines}\r\n\r\nbody\r\n--b\r\nContent-ID: <two>\r\n\r\nsecond\r\n--b--\r\n`, 'latin1'),
    options: { decode: false },
  };
}

test('dicer oracle: a header named __proto__ or constructor is skipped, not a rejection', async () => {
  for (const lines of ['__proto__: x', 'constructor: y', 'Content-ID: <a>\r\n__proto__: a\r\n__proto__: b', 'CONSTRUCTOR: z']) {
    const input = inputWith(lines);
    const outcome = await runMime(input, [input.bytes]);
    assert.ok(outcome.ok, lines);
    assert.equal(dicerComparable(input, outcome), 'b', `${lines}: the oracle does compare this input`);
    assert.equal(await runDicer(input.bytes, 'b'), null, `${lines}: dicer gives no answer`);
    assert.equal(await mimeTarget.differential!(input, outcome), null, lines);
  }
});

test('dicer oracle: other headers, toString and hasOwnProperty included, are still compared', async () => {
  for (const lines of ['toString: 1', 'hasOwnProperty: 2', 'Content-ID: <a>']) {
    const input = inputWith(lines);
    const outcome = await runMime(input, [input.bytes]);
    assert.ok(outcome.ok, lines);
    const theirs = await runDicer(input.bytes, 'b');
    assert.equal(theirs?.length, 2, `${lines}: dicer parses it`);
    assert.equal(await mimeTarget.differential!(input, outcome), null, lines);
  }
});

test('dicer oracle: only dicer\'s prototype-header TypeError is that crash class', () => {
  assert.equal(isDicerPrototypeHeaderCrash(new TypeError('self.header[h].push is not a function')), true);
  assert.equal(isDicerPrototypeHeaderCrash(new TypeError('something else')), false);
  assert.equal(isDicerPrototypeHeaderCrash(new Error('self.header[h].push is not a function')), false);
});
