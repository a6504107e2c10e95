// Regression (interop/security, issue 3): SoapScanner stopped looking at the
// Envelope's children once the Body had closed, so a Header after the Body or
// a second Body went unnoticed: the warnings "a Header follows the Body" and
// "second Body" could never fire, strict mode accepted the envelope, and that
// Header's blocks were not recorded. SOAP 1.1 §4 / SOAP 1.2 part 1 §5.1: an
// optional Header, then exactly one Body (SOAP 1.1 lets other elements follow
// the Body, SOAP 1.2 allows none). Now each is a warning naming the byte offset
// of the offending start tag's '<' (lenient), or ERR_SOAP_NOT_ENVELOPE at that
// offset (strict), the same under every chunking and every split in two.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isXopError } from '../src/index.js';
import { contentTypeOf, expectStrictVerdict, scan, splits } from './support/soap-scan.js';
import { expectReceiveStructureVerdict } from './support/receive.js';

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';
const PAYLOAD = '<m:op xmlns:m="urn:m"><m:v>caf\u00e9 \u20ac</m:v><m:x><s:Body/><s:Header/></m:x></m:op>';

interface Case {
  name: string;
  version: '1.1' | '1.2';
  /** The envelope: `@` marks where the offending start tag begins (removed before scanning). */
  xml: string;
  /** The warning's text before " (at byte N)", or null when the envelope is fine in both modes. */
  warning: string | null;
  /** Header blocks expected in lenient mode. */
  headerBlocks: string[];
}

function envelope(ns: string, inner: string, prolog = '<?xml version="1.0" encoding="UTF-8"?>\n'): string {
  return `${prolog}<s:Envelope xmlns:s="${ns}">${inner}</s:Envelope>`;
}

const CASES: Case[] = [];
for (const [version, ns] of [['1.1', SOAP11], ['1.2', SOAP12]] as const) {
  const body = `<s:Body>${PAYLOAD}</s:Body>`;
  CASES.push(
    {
      name: `SOAP ${version}: a Header after the Body`, version,
      xml: envelope(ns, `${body}@<s:Header><h:a xmlns:h="urn:h"/><h:b xmlns:h="urn:h">t</h:b></s:Header>`),
      warning: 'a Header follows the Body', headerBlocks: ['{urn:h}a', '{urn:h}b'],
    },
    {
      name: `SOAP ${version}: a Header before and after the Body, whitespace and a comment between`, version,
      xml: envelope(ns, `\n <s:Header><h:first xmlns:h="urn:h"/></s:Header>\n ${body}\n <!-- <s:Header> -->\n @<s:Header\n  >` +
        '<h:late xmlns:h="urn:h"/></s:Header>\n'),
      warning: 'a Header follows the Body', headerBlocks: ['{urn:h}first', '{urn:h}late'],
    },
    {
      name: `SOAP ${version}: a second Body`, version,
      xml: envelope(ns, `<s:Header><h:a xmlns:h="urn:h"/></s:Header>${body}@<s:Body><m:evil xmlns:m="urn:m"/></s:Body>`),
      warning: 'the envelope has a second Body; it is ignored', headerBlocks: ['{urn:h}a'],
    },
    {
      name: `SOAP ${version}: a second, empty Body with another prefix`, version,
      xml: envelope(ns, `${body}@<e:Body xmlns:e="${ns}"/>`, ''),
      warning: 'the envelope has a second Body; it is ignored', headerBlocks: [],
    },
    {
      name: `SOAP ${version}: Body, Header and Body names of another namespace after the Body are not SOAP's`, version,
      xml: envelope(ns, `${body}@<t:Header xmlns:t="urn:t"/>`, ''),
      warning: version === '1.2' ? 'the SOAP 1.2 envelope has t:Header after the Body; it is ignored' : null,
      headerBlocks: [],
    },
    {
      name: `SOAP ${version}: a namespace-qualified element after the Body`, version,
      xml: envelope(ns, `${body}@<t:trailer xmlns:t="urn:t"><s:Header/></t:trailer>`),
      warning: version === '1.2' ? 'the SOAP 1.2 envelope has t:trailer after the Body; it is ignored' : null,
      headerBlocks: [],
    },
    {
      name: `SOAP ${version}: Header and Body inside the payload are payload`, version,
      xml: envelope(ns, `<s:Header><h:a xmlns:h="urn:h"><s:Body/></h:a></s:Header>${body}`),
      warning: null, headerBlocks: ['{urn:h}a'],
    },
  );
}

function parse(c: Case): { bytes: Buffer; offset: number } {
  const at = c.xml.indexOf('@');
  const xml = at < 0 ? c.xml : c.xml.slice(0, at) + c.xml.slice(at + 1);
  return { bytes: Buffer.from(xml, 'utf8'), offset: at < 0 ? -1 : Buffer.byteLength(c.xml.slice(0, at), 'utf8') };
}


test('lenient: the warning names the offending start tag\'s byte offset; Header blocks recorded; the root document is the first Body\'s', () => {
  for (const c of CASES) {
    const { bytes, offset } = parse(c);
    for (const { name, chunks } of splits(bytes)) {
      const label = `${c.name} (${name})`;
      const result = scan(chunks, false, contentTypeOf(c.version));
      assert.ok(!isXopError(result), `${label}: ${String(result)}`);
      assert.equal(result.version, c.version, label);
      assert.deepEqual(result.warnings, c.warning === null ? [] : [`${c.warning} (at byte ${offset})`], label);
      assert.deepEqual(result.headerBlocks, c.headerBlocks, label);
      assert.deepEqual(result.bodyElements, ['{urn:m}op'], label);
      // The payload's s:Body and s:Header use the Envelope's prefix, re-declared on the root document.
      const ns = c.version === '1.1' ? SOAP11 : SOAP12;
      assert.equal(result.rootDocument?.toString('utf8'), PAYLOAD.replace('<m:op ', `<m:op xmlns:s="${ns}" `), label);
    }
  }
});

test('strict: ERR_SOAP_NOT_ENVELOPE at the offending start tag under every chunking; allowed envelopes still pass', () => {
  for (const c of CASES) {
    const { bytes, offset } = parse(c);
    for (const { name, chunks } of splits(bytes)) {
      const label = `${c.name} (${name})`;
      expectStrictVerdict(scan(chunks, true, contentTypeOf(c.version)), c.warning, offset, label);
    }
  }
});

test('offsets are in the UTF-8 space for a UTF-16 root part (transcoded: the BOM is not counted)', () => {
  const xml = envelope(SOAP11, `<s:Body>${PAYLOAD}</s:Body><s:Header/>`, '');
  const offset = Buffer.byteLength(xml.slice(0, xml.lastIndexOf('<s:Header/>')), 'utf8');
  for (const bytes of [Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml, 'utf16le')]), Buffer.from(xml, 'utf16le')]) {
    for (const { name, chunks } of splits(bytes)) {
      const lenient = scan(chunks, false, 'text/xml; charset=utf-16');
      assert.ok(!isXopError(lenient), `${name}: ${String(lenient)}`);
      assert.deepEqual(lenient.warnings, [`a Header follows the Body (at byte ${offset})`], name);
      const strict = scan(chunks, true, 'text/xml; charset=utf-16');
      assert.ok(isXopError(strict), name);
      assert.equal(strict.code, 'ERR_SOAP_NOT_ENVELOPE', name);
      assert.equal(strict.offset, offset, name);
    }
  }
});

test('receive(): the warning reaches the message; strict rejects with ERR_SOAP_NOT_ENVELOPE and stores nothing', async () => {
  const boundary = 'b-header-after-body';
  const root = envelope(SOAP11, `<s:Body><m:op xmlns:m="urn:m">cid:att@x</m:op></s:Body><s:Header><h:late xmlns:h="urn:h"/></s:Header>`);
  const offset = Buffer.byteLength(root.slice(0, root.lastIndexOf('<s:Header>')), 'utf8');
  const message = Buffer.from(
    `--${boundary}\r\nContent-Type: text/xml; charset=UTF-8\r\nContent-ID: <root@x>\r\n\r\n${root}\r\n` +
    `--${boundary}\r\nContent-Type: application/octet-stream\r\nContent-ID: <att@x>\r\n\r\nbinary\x00data\r\n--${boundary}--\r\n`, 'latin1');
  const contentType = `multipart/related; type="text/xml"; start="<root@x>"; boundary="${boundary}"`;
  await expectReceiveStructureVerdict(message, contentType, [`a Header follows the Body (at byte ${offset})`]);
});
