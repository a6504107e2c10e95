// Part headers (RFC 2045 §3, RFC 5322 §2.2) and Content-Type parameters
// (RFC 2045 §5.1, RFC 2387 §3).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PartHeaders, boundaryOf, parseContentType, parseHeaderBlock, stripAngleBrackets } from '../src/index.js';

const block = (text: string): Uint8Array => Buffer.from(text, 'latin1');

test('PartHeaders: case-insensitive get, getAll in order, has, size, keys, entries, toJSON', () => {
  const h = parseHeaderBlock(block('Content-Type: text/xml\r\nX-A: 1\r\ncontent-ID: <a@b>\r\nx-a: 2\r\n'), 0, 64);
  assert.equal(h.get('CONTENT-TYPE'), 'text/xml');
  assert.equal(h.get('content-id'), '<a@b>');
  assert.equal(h.get('x-a'), '1');
  assert.deepEqual(h.getAll('X-A'), ['1', '2']);
  assert.deepEqual(h.getAll('missing'), []);
  assert.equal(h.get('missing'), null);
  assert.equal(h.has('Content-Id'), true);
  assert.equal(h.has('nope'), false);
  assert.equal(h.size, 4);
  assert.deepEqual([...h.keys()], ['content-type', 'x-a', 'content-id']);
  assert.deepEqual([...h], [['content-type', 'text/xml'], ['x-a', '1'], ['content-id', '<a@b>'], ['x-a', '2']]);
  assert.deepEqual(h.toJSON(), { 'content-type': 'text/xml', 'x-a': '1', 'content-id': '<a@b>' });
  // entries() hands out copies: mutating them does not change the headers.
  const first = h.entries().next().value!;
  first[1] = 'changed';
  assert.equal(h.get('content-type'), 'text/xml');
});

test('PartHeaders: __proto__, constructor and friends are plain headers (null-prototype map)', () => {
  const h = parseHeaderBlock(block('__proto__: polluted\r\nconstructor: c\r\ntoString: t\r\nhasOwnProperty: h\r\n'), 0, 64);
  assert.equal(h.get('__proto__'), 'polluted');
  assert.equal(h.get('constructor'), 'c');
  assert.equal(h.get('tostring'), 't');
  assert.equal(h.get('valueOf'), null, 'nothing inherited from Object.prototype');
  assert.equal(h.has('isPrototypeOf'), false);
  assert.deepEqual(h.getAll('__PROTO__'), ['polluted']);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  assert.equal(Object.getPrototypeOf(h.toJSON()), Object.prototype);
  assert.equal(h.toJSON()['constructor'], 'c');
  const built = PartHeaders.from({ __proto__: 'x', 'Content-ID': '<id>' } as unknown as Record<string, string>);
  assert.equal(built.get('content-id'), '<id>');
  const fromPairs = PartHeaders.from([['__proto__', 'y'], ['A', 'b']]);
  assert.equal(fromPairs.get('__proto__'), 'y');
  assert.equal(fromPairs.get('a'), 'b');
});

test('parseHeaderBlock: unfolding, trimming, LF or CRLF, obsolete space before the colon, UTF-8 values', () => {
  const h = parseHeaderBlock(block('A:  one\r\n two\n\tthree  \r\nB : spaced\nC:\r\n  late\r\nD: caf\xc3\xa9\r\n'), 0, 64);
  assert.equal(h.get('a'), 'one two\tthree');
  assert.equal(h.get('b'), 'spaced');
  assert.equal(h.get('c'), 'late');
  assert.equal(h.get('d'), 'café');
  assert.equal(parseHeaderBlock(block(''), 0, 64).size, 0);
  assert.equal(parseHeaderBlock(block('X: no final line break'), 0, 64).get('x'), 'no final line break');
});

test('parseHeaderBlock: malformed lines are ERR_MIME_BAD_HEADER at their offset', () => {
  const cases: Array<[string, number, RegExp]> = [
    ['A: b\rc\r\n', 4, /bare CR/],
    ['A: b\x00c\r\n', 4, /control byte 0x00/],
    ['A: b\x7fc\r\n', 4, /control byte 0x7f/],
    [' folded first\r\n', 0, /continuation/],
    ['no colon here\r\n', 0, /without a colon/],
    [': empty name\r\n', 0, /empty name/],
    ['Bad Name: x\r\n', 3, /invalid character/],
    ['A: ok\r\nB\x01: x\r\n', 8, /control byte/],
  ];
  for (const [text, at, message] of cases) {
    assert.throws(() => parseHeaderBlock(block(text), 100, 64), (e: unknown) => {
      assert.equal((e as { code: string }).code, 'ERR_MIME_BAD_HEADER', JSON.stringify(text));
      assert.equal((e as { offset: number }).offset, 100 + at, JSON.stringify(text));
      assert.match((e as Error).message, message);
      return true;
    });
  }
});

test('parseHeaderBlock: the header count limit counts fields, not continuation lines', () => {
  const text = 'A: 1\r\n more\r\n more\r\nB: 2\r\n';
  assert.equal(parseHeaderBlock(block(text), 0, 2).size, 2);
  assert.throws(() => parseHeaderBlock(block(text + 'C: 3\r\n'), 0, 2), { code: 'ERR_MIME_TOO_MANY_HEADERS', offset: text.length });
});

test('parseContentType: media type and parameters, lower-cased names, unquoted values', () => {
  assert.deepEqual(parseContentType('Multipart/Related; boundary="b1"; Type="application/xop+xml"; start="<root>"; start-info="text/xml"'), {
    mediaType: 'multipart/related',
    parameters: Object.assign(Object.create(null), { boundary: 'b1', type: 'application/xop+xml', start: '<root>', 'start-info': 'text/xml' }),
  });
  const p = parseContentType('multipart/related;\tboundary=----=_Part_0_1.2 ; charset=UTF-8;action="urn:x";');
  assert.equal(p.parameters['boundary'], '----=_Part_0_1.2');
  assert.equal(p.parameters['charset'], 'UTF-8');
  assert.equal(p.parameters['action'], 'urn:x');
  // Quoted-pair, text after the closing quote, a first occurrence that wins, a token without '='.
  const q = parseContentType('text/plain; a="x\\"y\\\\z" junk; a=second; flag; b=<c:d>');
  assert.equal(q.parameters['a'], 'x"y\\z');
  assert.equal(q.parameters['b'], '<c:d>');
  assert.equal('flag' in q.parameters, false);
  assert.equal(parseContentType('text/plain; a="unterminated').parameters['a'], 'unterminated');
  assert.equal(parseContentType('  TEXT/XML  ').mediaType, 'text/xml');
  assert.equal(parseContentType('text/xml; =novalue; x=').parameters['x'], '');
  assert.equal(Object.getPrototypeOf(parseContentType('a/b; __proto__=x').parameters), null);
  for (const bad of ['', 'text', '/xml', 'text/', 'text/x ml', 'te"xt/xml', 42 as unknown as string]) {
    assert.throws(() => parseContentType(bad), { code: 'ERR_MIME_BAD_CONTENT_TYPE' }, String(bad));
  }
});

test('boundaryOf: 1 to 70 printable characters, not ending in a space', () => {
  const of = (value: string): string => boundaryOf(parseContentType(value));
  assert.equal(of('multipart/related; boundary=a'), 'a');
  assert.equal(of(`multipart/related; boundary="${'b'.repeat(70)}"`), 'b'.repeat(70));
  assert.equal(of('multipart/related; boundary="with space"'), 'with space');
  for (const bad of ['multipart/related', 'multipart/related; boundary=""', `multipart/related; boundary=${'c'.repeat(71)}`,
    'multipart/related; boundary="trailing "', 'multipart/related; boundary="caf\u00e9"']) {
    assert.throws(() => of(bad), { code: 'ERR_MIME_NO_BOUNDARY' }, bad);
  }
  assert.equal(boundaryOf(parseContentType(`multipart/related; boundary=${'d'.repeat(100)}`), 100), 'd'.repeat(100));
});

test('stripAngleBrackets: one pair, with surrounding whitespace', () => {
  assert.equal(stripAngleBrackets('<a@b>'), 'a@b');
  assert.equal(stripAngleBrackets('  < a@b >  '), 'a@b');
  assert.equal(stripAngleBrackets('a@b'), 'a@b');
  assert.equal(stripAngleBrackets('<<a>>'), '<a>');
  assert.equal(stripAngleBrackets('<'), '<');
  assert.equal(stripAngleBrackets('<a'), '<a');
});
