// PartHeaders looks a name up by scanning a few header lines and through a
// null-prototype dictionary past SCAN_LIMIT lines (built lazily: building it
// for every part cost more than the lookups, in the small-parts benchmark).
// Both paths answer alike, and no name reaches Object.prototype.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHeaderBlock } from '../src/index.js';

function block(lines: string[]): Buffer {
  return Buffer.from(lines.map((l) => `${l}\r\n`).join(''), 'latin1');
}

for (const filler of [0, 40]) {
  test(`lookups over ${3 + filler} header lines`, () => {
    const lines = ['Content-ID: <a@x>', 'content-type: application/pdf', 'X-Dup: one', '__proto__: p', 'Constructor: c'];
    for (let i = 0; i < filler; i++) lines.push(`X-Filler-${i}: ${i}`);
    lines.push('X-DUP: two');
    const headers = parseHeaderBlock(block(lines), 0, 1000);
    assert.equal(headers.size, lines.length);
    assert.equal(headers.get('CONTENT-ID'), '<a@x>');
    assert.equal(headers.get('Content-Type'), 'application/pdf');
    assert.equal(headers.get('x-dup'), 'one');
    assert.deepEqual(headers.getAll('X-Dup'), ['one', 'two']);
    assert.equal(headers.get('__proto__'), 'p');
    assert.equal(headers.get('constructor'), 'c');
    assert.equal(headers.get('toString'), null);
    assert.equal(headers.has('hasOwnProperty'), false);
    assert.deepEqual(headers.getAll('valueOf'), []);
    assert.equal(headers.has('x-dup'), true);
    assert.equal(headers.get('missing'), null);
    assert.deepEqual([...headers.keys()].slice(0, 3), ['content-id', 'content-type', 'x-dup']);
    assert.equal(headers.toJSON()['x-dup'], 'one');
    assert.equal(Object.getPrototypeOf(headers.toJSON()), Object.prototype);
    assert.deepEqual([...headers][5 + filler], ['x-dup', 'two']);
  });
}

test('an ASCII block sliced from one decoding and a UTF-8 value side by side', () => {
  const bytes = Buffer.concat([Buffer.from('Content-ID: <a@x>\r\nX-Name: ', 'latin1'), Buffer.from('Zoë ✓', 'utf8'),
    Buffer.from('\r\nX-Folded: one\r\n\t two\r\nContent-Type: text/plain\r\n', 'latin1')]);
  const headers = parseHeaderBlock(bytes, 0, 10);
  assert.equal(headers.get('x-name'), 'Zoë ✓');
  assert.equal(headers.get('x-folded'), 'one\t two');
  assert.equal(headers.get('content-type'), 'text/plain');
  assert.equal(headers.get('content-id'), '<a@x>');
});
