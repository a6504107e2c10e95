// Regression (interop/security, issue 3): SoapScanner checked the Envelope's
// children after the Body (regression-xop-header-after-body) but still accepted
// in silence, before the Body, a second Header (its blocks were just appended)
// and any element that is neither Header nor Body (foreign-namespace,
// unqualified, or another name in the envelope's namespace), and in SOAP 1.1 an
// unqualified element after the Body. SOAP 1.1 §4: an optional Header as the
// first child, then the Body, then only namespace-qualified elements; SOAP 1.2
// part 1 §5.1: an optional Header, then the Body, then nothing. Now each is a
// warning naming the byte offset of the offending start tag's '<' (lenient; a
// second Header's blocks are recorded too, the other elements are ignored), or
// ERR_SOAP_NOT_ENVELOPE at that offset (strict), the same under every chunking
// and every split in two. Header/Body names inside a Header block or inside the
// payload are not Envelope children and stay accepted, as do SOAP 1.1's
// namespace-qualified elements after the Body.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isXopError, SoapScanner, type XopError } from '../src/index.js';
import { contentTypeOf, expectStrictVerdict, scan, splits } from './support/soap-scan.js';
import { expectReceiveStructureVerdict } from './support/receive.js';

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';
/** A payload with SOAP- and unqualified Header/Body names inside it: payload, not Envelope children. */
const PAYLOAD = '<m:op xmlns:m="urn:m"><m:v>caf\u00e9 \u20ac</m:v><m:x><s:Body/><s:Header/><Body/><Header/></m:x></m:op>';

interface Case {
  name: string;
  version: '1.1' | '1.2';
  /** The envelope: each `@` marks where an offending start tag begins (removed before scanning), in order. */
  xml: string;
  /** The warnings' texts before " (at byte N)", one per `@`; empty when the envelope is fine in both modes. */
  warnings: string[];
  /** Header blocks expected in lenient mode. */
  headerBlocks: string[];
}

function envelope(ns: string, inner: string, prolog = '<?xml version="1.0" encoding="UTF-8"?>\n'): string {
  return `${prolog}<s:Envelope xmlns:s="${ns}">${inner}</s:Envelope>`;
}

const H = 'xmlns:h="urn:h"';
const CASES: Case[] = [];
for (const [version, ns] of [['1.1', SOAP11], ['1.2', SOAP12]] as const) {
  const body = `<s:Body>${PAYLOAD}</s:Body>`;
  const trailing = (what: string): string => version === '1.1'
    ? `the SOAP 1.1 envelope has unqualified ${what} after the Body; it is ignored`
    : `the SOAP 1.2 envelope has ${what} after the Body; it is ignored`;
  CASES.push(
    {
      name: `SOAP ${version}: a second Header`, version,
      xml: envelope(ns, `<s:Header><h:a ${H}/></s:Header>@<s:Header><h:b ${H}/><h:c ${H}>t</h:c></s:Header>${body}`),
      warnings: ['the envelope has a second Header; its blocks are recorded too'],
      headerBlocks: ['{urn:h}a', '{urn:h}b', '{urn:h}c'],
    },
    {
      name: `SOAP ${version}: a second, empty Header with another prefix, whitespace, a comment and a PI between`, version,
      xml: envelope(ns, `\n <s:Header><h:a ${H}/></s:Header>\n <!-- <s:Header> --><?pi <s:Header>?>\n @<e:Header xmlns:e="${ns}"\n  />\n ${body}\n`),
      warnings: ['the envelope has a second Header; its blocks are recorded too'],
      headerBlocks: ['{urn:h}a'],
    },
    {
      name: `SOAP ${version}: a foreign element before the Body (with a SOAP Body inside it)`, version,
      xml: envelope(ns, `@<t:x xmlns:t="urn:t"><s:Body><m:evil xmlns:m="urn:m"/></s:Body></t:x>${body}`),
      warnings: ['the envelope has t:x before the Body; it is ignored'], headerBlocks: [],
    },
    {
      name: `SOAP ${version}: a Header of another namespace between Header and Body; its children are not blocks`, version,
      xml: envelope(ns, `<s:Header><h:a ${H}/></s:Header>@<t:Header xmlns:t="urn:t"><h:z ${H}/></t:Header>${body}`, ''),
      warnings: ['the envelope has t:Header before the Body; it is ignored'], headerBlocks: ['{urn:h}a'],
    },
    {
      name: `SOAP ${version}: an unqualified element before the Header`, version,
      xml: envelope(ns, `@<foo><s:Header/></foo><s:Header><h:a ${H}/></s:Header>${body}`),
      warnings: ['the envelope has unqualified foo before the Body; it is ignored'], headerBlocks: ['{urn:h}a'],
    },
    {
      name: `SOAP ${version}: unqualified Header and Body names before the Body (xmlns="" undeclares a default)`, version,
      xml: envelope(ns, `@<Header/>@<x xmlns="urn:d"><Body xmlns=""/></x>${body}`, ''),
      warnings: ['the envelope has unqualified Header before the Body; it is ignored', 'the envelope has x before the Body; it is ignored'],
      headerBlocks: [],
    },
    {
      name: `SOAP ${version}: a default-namespace element and an envelope-namespace non-Header before the Body`, version,
      xml: envelope(ns, `@<x xmlns="urn:d"/>@<s:Fault/>${body}`, ''),
      warnings: ['the envelope has x before the Body; it is ignored', 'the envelope has s:Fault before the Body; it is ignored'],
      headerBlocks: [],
    },
    {
      name: `SOAP ${version}: three problems before and after the Body, each reported`, version,
      xml: envelope(ns, `<s:Header/>@<s:Header><h:b ${H}/></s:Header>@<t:x xmlns:t="urn:t"/>${body}@<trailer/>`),
      warnings: ['the envelope has a second Header; its blocks are recorded too',
        'the envelope has t:x before the Body; it is ignored', trailing('trailer')],
      headerBlocks: ['{urn:h}b'],
    },
    {
      name: `SOAP ${version}: an unqualified element after the Body`, version,
      xml: envelope(ns, `<s:Header><h:a ${H}/></s:Header>${body}\n@<trailer><t:q xmlns:t="urn:t"/></trailer>`),
      warnings: [trailing('trailer')], headerBlocks: ['{urn:h}a'],
    },
    {
      name: `SOAP ${version}: an element whose default namespace is undeclared after the Body`, version,
      xml: envelope(ns, `${body}${version === '1.2' ? '@' : ''}<t:ok xmlns:t="urn:t"/>@<trailer xmlns=""/>`, ''),
      warnings: version === '1.1' ? [trailing('trailer')] : [trailing('t:ok'), trailing('trailer')],
      headerBlocks: [],
    },
    {
      name: `SOAP ${version}: Header and Body names (SOAP and unqualified) inside a Header block are not Envelope children`, version,
      xml: envelope(ns, `<s:Header><h:a ${H}><s:Header/><s:Body/><Header/><Body/><foo/></h:a><h:b ${H}/></s:Header>${body}`),
      warnings: [], headerBlocks: ['{urn:h}a', '{urn:h}b'],
    },
    {
      name: `SOAP ${version}: just a Body, after whitespace, comments and PIs`, version,
      xml: envelope(ns, `\n <!-- <x/> --> <?pi <foo/>?>\n ${body}\n`),
      warnings: [], headerBlocks: [],
    },
  );
}
// SOAP 1.1 §4: namespace-qualified elements may follow the Body; SOAP 1.2 §5.1: nothing may.
for (const [what, trailer] of [['t:x', '<t:x xmlns:t="urn:t"><y/></t:x>'], ['x', '<x xmlns="urn:d"/>'], ['s:Extra', '<s:Extra/>']]) {
  CASES.push({
    name: `SOAP 1.1: a namespace-qualified element after the Body (${what}) is allowed`, version: '1.1',
    xml: envelope(SOAP11, `<s:Body>${PAYLOAD}</s:Body>${trailer}`), warnings: [], headerBlocks: [],
  }, {
    name: `SOAP 1.2: a namespace-qualified element after the Body (${what}) is not`, version: '1.2',
    xml: envelope(SOAP12, `<s:Body>${PAYLOAD}</s:Body>@${trailer}`),
    warnings: [`the SOAP 1.2 envelope has ${what} after the Body; it is ignored`], headerBlocks: [],
  });
}

function parse(c: Case): { bytes: Buffer; offsets: number[] } {
  const parts = c.xml.split('@');
  const offsets: number[] = [];
  let text = parts[0]!;
  for (const part of parts.slice(1)) {
    offsets.push(Buffer.byteLength(text, 'utf8'));
    text += part;
  }
  return { bytes: Buffer.from(text, 'utf8'), offsets };
}


test('the cases are well formed: one warning per marker', () => {
  for (const c of CASES) assert.equal(parse(c).offsets.length, c.warnings.length, c.name);
});

test('lenient: each warning names its start tag\'s byte offset; a second Header\'s blocks are recorded; the payload is intact', () => {
  for (const c of CASES) {
    const { bytes, offsets } = parse(c);
    const expected = c.warnings.map((warning, i) => `${warning} (at byte ${offsets[i]})`);
    for (const { name, chunks } of splits(bytes)) {
      const label = `${c.name} (${name})`;
      const result = scan(chunks, false, contentTypeOf(c.version));
      assert.ok(!isXopError(result), `${label}: ${String(result)}`);
      assert.equal(result.version, c.version, label);
      assert.deepEqual(result.warnings, expected, label);
      assert.deepEqual(result.headerBlocks, c.headerBlocks, label);
      assert.deepEqual(result.bodyElements, ['{urn:m}op'], label);
      const ns = c.version === '1.1' ? SOAP11 : SOAP12;
      assert.equal(result.rootDocument?.toString('utf8'), PAYLOAD.replace('<m:op ', `<m:op xmlns:s="${ns}" `), label);
    }
  }
});

test('strict: ERR_SOAP_NOT_ENVELOPE at the first offending start tag under every chunking; allowed envelopes pass', () => {
  for (const c of CASES) {
    const { bytes, offsets } = parse(c);
    for (const { name, chunks } of splits(bytes)) {
      const label = `${c.name} (${name})`;
      const result = scan(chunks, true, contentTypeOf(c.version));
      const clean = expectStrictVerdict(result, c.warnings[0] ?? null, offsets[0], label);
      if (clean !== null) {
        assert.deepEqual(clean.headerBlocks, c.headerBlocks, label);
        continue;
      }
      // The message also states the rule (what the Envelope may hold in this SOAP version).
      const message = (result as XopError).message;
      const problem = c.warnings[0]!.replace(/; (it is ignored|its blocks are recorded too)$/, '');
      assert.ok(message.includes(`: ${problem} (SOAP 1.1 §4, SOAP 1.2 part 1 §5: an optional Header, then exactly one Body`), `${label}: ${message}`);
      assert.ok(message.includes(c.version === '1.2' ? ', then nothing)' : ', then only namespace-qualified elements)'), `${label}: ${message}`);
    }
  }
});

test('offsets are in the UTF-8 space for a UTF-16 root part (transcoded: the BOM is not counted)', () => {
  const xml = envelope(SOAP12, `<s:Header/><s:Header/><t:x xmlns:t="urn:t\u20ac"/><s:Body>${PAYLOAD}</s:Body>`, '');
  const header = Buffer.byteLength(xml.slice(0, xml.indexOf('<s:Header/><t:x')), 'utf8');
  const foreign = Buffer.byteLength(xml.slice(0, xml.indexOf('<t:x')), 'utf8');
  for (const bytes of [Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(xml, 'utf16le').swap16()]), Buffer.from(xml, 'utf16le')]) {
    for (const { name, chunks } of splits(bytes)) {
      const lenient = scan(chunks, false, 'application/soap+xml; charset=utf-16');
      assert.ok(!isXopError(lenient), `${name}: ${String(lenient)}`);
      assert.deepEqual(lenient.warnings, [
        `the envelope has a second Header; its blocks are recorded too (at byte ${header})`,
        `the envelope has t:x before the Body; it is ignored (at byte ${foreign})`,
      ], name);
      const strict = scan(chunks, true, 'application/soap+xml; charset=utf-16');
      assert.ok(isXopError(strict), name);
      assert.equal(strict.code, 'ERR_SOAP_NOT_ENVELOPE', name);
      assert.equal(strict.offset, header, name);
    }
  }
});

test('requireEnvelope: false: a non-SOAP document\'s children are not Envelope children', () => {
  const bytes = Buffer.from('<r:root xmlns:r="urn:r"><Header/><Header/><x/><Body/><y/></r:root>', 'utf8');
  for (const { name, chunks } of splits(bytes)) {
    const scanner = new SoapScanner({ contentType: 'application/xml', strict: true, requireEnvelope: false });
    for (const c of chunks) scanner.write(c);
    const result = scanner.end();
    assert.equal(result.version, null, name);
    assert.deepEqual(result.warnings, [], name);
  }
});

test('receive(): the warnings reach the message; strict rejects with ERR_SOAP_NOT_ENVELOPE and stores nothing', async () => {
  const boundary = 'b-envelope-children';
  const root = envelope(SOAP11, `<s:Header><h:a ${H}/></s:Header><s:Header><h:b ${H}/></s:Header><wsa:To xmlns:wsa="urn:wsa">x</wsa:To>` +
    `<s:Body><m:op xmlns:m="urn:m">cid:att@x</m:op></s:Body><trailer/>`);
  const at = (needle: string): number => Buffer.byteLength(root.slice(0, root.indexOf(needle)), 'utf8');
  const expected = [
    `the envelope has a second Header; its blocks are recorded too (at byte ${at('<s:Header><h:b')})`,
    `the envelope has wsa:To before the Body; it is ignored (at byte ${at('<wsa:To')})`,
    `the SOAP 1.1 envelope has unqualified trailer after the Body; it is ignored (at byte ${at('<trailer/>')})`,
  ];
  const message = Buffer.from(
    `--${boundary}\r\nContent-Type: text/xml; charset=UTF-8\r\nContent-ID: <root@x>\r\n\r\n${root}\r\n` +
    `--${boundary}\r\nContent-Type: application/octet-stream\r\nContent-ID: <att@x>\r\n\r\nbinary\x00data\r\n--${boundary}--\r\n`, 'latin1');
  const contentType = `multipart/related; type="text/xml"; start="<root@x>"; boundary="${boundary}"`;
  await expectReceiveStructureVerdict(message, contentType, expected, at('<s:Header><h:b'));
});
