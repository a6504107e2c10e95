// Streaming Content-Transfer-Encoding decoders (RFC 2045 §6.7, §6.8): the
// same output for every way of cutting the input, errors with offsets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { createTransferDecoder } from '../src/index.js';
import { CHUNKINGS } from './support/corpus.js';

function decodeAll(encoding: string | null, input: Uint8Array, split: (b: Uint8Array) => Uint8Array[], base = 0): Buffer {
  const decoder = createTransferDecoder(encoding, base);
  const out: Uint8Array[] = [];
  for (const c of split(input)) out.push(Uint8Array.from(decoder.push(c)));
  out.push(decoder.end());
  return Buffer.concat(out);
}

test('identity encodings pass views through unchanged (no copy)', () => {
  for (const name of [null, undefined, '', '7bit', '8BIT', ' binary ']) {
    const decoder = createTransferDecoder(name);
    const view = Buffer.from('abc');
    assert.equal(decoder.identity, true);
    assert.equal(decoder.push(view), view);
    assert.equal(decoder.end().length, 0);
  }
  assert.throws(() => createTransferDecoder('x-gzip'), { code: 'ERR_MIME_UNSUPPORTED_ENCODING' });
  assert.throws(() => createTransferDecoder('uuencode'), { code: 'ERR_MIME_UNSUPPORTED_ENCODING' });
});

test('base64: any bytes, any line length, any chunking', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 4, max: 80 }), (bytes, width) => {
    const encoded = Buffer.from(Buffer.from(bytes).toString('base64').replace(new RegExp(`.{${width}}`, 'g'), '$&\r\n'));
    for (const chunking of CHUNKINGS) {
      assert.deepEqual(decodeAll('base64', encoded, chunking.split), Buffer.from(bytes), chunking.name);
    }
  }), { seed: 20260401, numRuns: 200 });
});

test('base64: unpadded endings are tolerated; whitespace anywhere is skipped', () => {
  const whole = (b: Uint8Array): Uint8Array[] => [b];
  assert.equal(decodeAll('base64', Buffer.from('aGk'), whole).toString(), 'hi');
  assert.equal(decodeAll('base64', Buffer.from('aGVsbA'), whole).toString(), 'hell');
  assert.equal(decodeAll('base64', Buffer.from(' a G V s\tb G 8 = \r\n'), whole).toString(), 'hello');
  assert.equal(decodeAll('base64', Buffer.from(''), whole).length, 0);
});

test('base64: invalid input is ERR_MIME_BAD_ENCODING with the offset in the message', () => {
  const whole = (b: Uint8Array): Uint8Array[] => [b];
  const cases: Array<[string, number, RegExp]> = [
    ['aGVs*G8=', 4, /invalid byte 0x2a/],
    ['aGk=aGk=', 4, /after "=" padding/],
    ['a===', 1, /misplaced "="/],
    ['=aGk', 0, /misplaced "="/],
    ['aG===', 4, /misplaced "="/],
    ['aGVsb', 5, /ends inside a quantum/],
    ['aGk=\r\n=', 6, /misplaced/],
    ['aG=', 3, /ends inside a quantum/],
  ];
  for (const [text, at, message] of cases) {
    for (const chunking of CHUNKINGS.slice(0, 2)) {
      assert.throws(() => decodeAll('base64', Buffer.from(text), chunking === CHUNKINGS[0] ? whole : chunking.split, 1000), (e: unknown) => {
        assert.equal((e as { code: string }).code, 'ERR_MIME_BAD_ENCODING', text);
        assert.equal((e as { offset: number }).offset, 1000 + at, `${text} / ${chunking.name}`);
        assert.match((e as Error).message, message, text);
        return true;
      });
    }
  }
});

test('quoted-printable: escapes, soft breaks (CRLF, LF, with trailing whitespace), rule 3 whitespace', () => {
  const cases: Array<[string, string]> = [
    ['caf=E9', 'caf\xe9'],
    ['caf=e9', 'caf\xe9'],
    ['soft=\r\nbreak', 'softbreak'],
    ['soft=\nbreak', 'softbreak'],
    ['soft= \t\r\nbreak', 'softbreak'],
    ['soft=  \nbreak', 'softbreak'],
    ['trailing   \r\nnext', 'trailing\r\nnext'],
    ['trailing\t\nnext', 'trailing\nnext'],
    ['inner  space', 'inner  space'],
    ['end   ', 'end'],
    ['end=', 'end'],
    ['a=ZZ', 'a=ZZ'],
    ['a=4', 'a=4'],
    ['a=\rb', 'a=\rb'],
    ['a= b', 'a= b'],
    ['x=3D=3d', 'x=='],
    ['cr at end \r', 'cr at end'],
  ];
  for (const [input, expected] of cases) {
    for (const chunking of CHUNKINGS) {
      assert.equal(decodeAll('quoted-printable', Buffer.from(input, 'latin1'), chunking.split).toString('latin1'), expected,
        `${JSON.stringify(input)} / ${chunking.name}`);
    }
  }
  // A very long run of whitespace is passed on rather than carried without bound.
  const long = ' '.repeat(2000) + 'x';
  assert.equal(decodeAll('QUOTED-PRINTABLE', Buffer.from(long), (b) => [b.subarray(0, 1500), b.subarray(1500)]).toString(), long);
});

test('quoted-printable: chunking never changes the output (property)', () => {
  const alphabet = fc.constantFrom(...'ab =\r\n\t3D0Fz'.split(''));
  fc.assert(fc.property(fc.array(alphabet, { maxLength: 60 }), fc.integer({ min: 1, max: 7 }), (chars, size) => {
    const input = Buffer.from(chars.join(''), 'latin1');
    const whole = decodeAll('quoted-printable', input, (b) => [b]);
    const sliced = decodeAll('quoted-printable', input, (b) => {
      const out: Uint8Array[] = [];
      for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size));
      return out;
    });
    assert.deepEqual(sliced, whole, JSON.stringify(chars.join('')));
  }), { seed: 424242, numRuns: 500 });
});
