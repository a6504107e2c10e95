/**
 * The SAX pass over every SOAP message (SwA and MTOM) of the shared corpus:
 * SOAP version, Body element, Header blocks, includes and swaRefs with the
 * parts they name, as a table of values read from the files; the root part
 * split at every byte gives the same result; inflate restores the base64 of
 * each part in place of each xop:Include.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  SoapScanner, XopResolver, inflate, isXopError, parseMultipart, type SoapScanResult, type SoapScannerOptions,
} from '../src/index.js';
import { SHARED_CORPUS_ABSENT, sharedCorpusDir, sharedMimeMessages, type CorpusMessage } from './support/corpus.js';
import { assertWellFormed, canonicalEvents, normalise, scanChunks } from './support/xop.js';

const WSA2004 = '{http://schemas.xmlsoap.org/ws/2004/08/addressing}';
const WSA2004_03 = '{http://schemas.xmlsoap.org/ws/2004/03/addressing}';
const MTOM_DATA = '{http://example.org/mtom/data}';
const STUFF = '{http://www.example.org/stuff}';
const TESTCASE = '{http://schema.testcase}';
const CATALOG = '{http://www.ws-i.org/SampleApplications/SupplyChainManagement/2003-07/Catalog.xsd}';

/** What a message holds. Include rows: [cid, element, part index or null]. */
interface Row {
  version: '1.1' | '1.2' | null;
  body: string | null;
  headers?: string[];
  includes?: Array<[string, string, number | null]>;
  swaRefs?: Array<[string, number | null]>;
  /** The resolver's error code (a referenced part is missing). */
  resolveError?: string;
  /** A substring each of the warnings must contain, in order. */
  warnings?: string[];
  options?: Partial<SoapScannerOptions>;
  bodyElements?: number;
}

const TABLE: Record<string, Row> = {
  'BeSimpleSoap__AttachmentsAndLowerCaseHeaders.request.mimepart.message': {
    version: '1.1', body: `${TESTCASE}dummyServiceMethodWithAttachments`, headers: [`${TESTCASE}SoapHeader`],
  },
  'BeSimpleSoap__IncomingLargeSwaAndMixedCrLf.request.mimepart.message': {
    version: '1.2', body: `${TESTCASE}dummyServiceMethodWithIncomingLargeSwa`,
  },
  // The root part says application/soap+xml but holds a SOAP 1.1 envelope.
  'BeSimpleSoap__OutgoingLargeSwa.response.mimepart.message': {
    version: '1.1', body: `${TESTCASE}dummyServiceMethodWithOutgoingLargeSwaResponse`,
    warnings: ['application/soap+xml announces SOAP 1.2 but the envelope is SOAP 1.1'],
  },
  'BeSimpleSoap__soapCallWithSwaAttachmentsOnResponse.response.message': {
    version: '1.2', body: `${TESTCASE}generateTestResponse`,
  },
  // Includes name cid:1.BBFC…, the part is <11.BBFC…>: Axis2's fault-report test expects a failure.
  'axis2__mtom_wmtom.bin': {
    version: '1.2', body: `${MTOM_DATA}EchoTest`, headers: [`${WSA2004}To`],
    includes: [['1.BBFC8D48A21258EBBD@apache.org', `${MTOM_DATA}Data`, null], ['2.CB365E36E21BD6491A@apache.org', `${MTOM_DATA}Data`, 2]],
    resolveError: 'ERR_XOP_MISSING_PART',
  },
  'axis2__mime_message.txt': {
    version: '1.2', body: `${MTOM_DATA}EchoTest`, headers: [`${WSA2004}To`],
    includes: [['1.BBFC8D48A21258EBBD@apache.org', `${MTOM_DATA}Data`, null], ['2.CB365E36E21BD6491A@apache.org', `${MTOM_DATA}Data`, 2]],
    resolveError: 'ERR_XOP_MISSING_PART', warnings: ['its media type is text/plain, not application/xop+xml'],
  },
  'axis2__saaj_SwAmessage.bin': { version: '1.1', body: '{http://services.samples}uploadFileUsingSwA' },
  'axis2__saaj_message.bin': {
    version: '1.1', body: '{ns-uri}Body1', headers: ['{ns-uri}Header1', '{ns-uri}Header2', '{ns-uri}Header3', '{ns-uri}Header4'],
    includes: [['1.urn:uuid:F02ECC18873CFB73E211412748909349@apache.org', 'text', 1]],
    warnings: ['the Body has 2 child elements'], bodyElements: 2,
  },
  'axis2__swa_swainput.http': { version: '1.1', body: 'echoAttachment', swaRefs: [['3936AE19FBED55AE4620B81C73BDD76E', 1]] },
  'cxf__attachment_axis2_mimedata': { version: '1.1', body: '{urn:Echo}echo' },
  'cxf__attachment_cxf3383.data': {
    version: '1.1', body: '{http://jaxb.systest.cxf.apache.org/}getHashMapDataResponse',
    includes: Array.from({ length: 49 }, (_, i) => [`1882f79d-e20a-4b36-a222-7a75518cf395-${i + 1}@cxf.apache.org`, 'entry', i + 1]),
  },
  'cxf__attachment_cxf3582.http': {
    version: '1.1', body: '{http://apache.org/camel/cxf/mtom_feature/types}Detail',
    includes: [
      ['1a66bb35-67fc-4e89-9f33-48af417bf9fe-1@apache.org', '{http://apache.org/camel/cxf/mtom_feature/types}photo', 1],
      ['1a66bb35-67fc-4e89-9f33-48af417bf9fe-2@apache.org', '{http://apache.org/camel/cxf/mtom_feature/types}image', 2],
    ],
  },
  'cxf__attachment_mimedata': { version: '1.1', body: '{urn:Echo}echo' },
  'cxf__attachment_mimedata2': { version: '1.1', body: '{urn:Echo}echo' },
  'cxf__attachment_swadata': { version: '1.1', body: 'echoData', swaRefs: [['02506EC1DE5431C3D3BF8E780FC4A65A', 1]] },
  'cxf__attachment_swareq.http': { version: '1.1', body: 'echoData', swaRefs: [['02506EC1DE5431C3D3BF8E780FC4A65A', 1]] },
  // cid:http://localhost:9036/policy.xsd names no part: never fetched, a missing part.
  'cxf__mtom_request-url-attachment': {
    version: '1.1', body: '{http://mtom.systest.cxf.apache.org}echo',
    includes: [['http://localhost:9036/policy.xsd', '{http://mtom.systest.cxf.apache.org}someData', null]],
    resolveError: 'ERR_XOP_MISSING_PART', warnings: ['its media type is text/xml, not application/xop+xml'],
  },
  'metro-mimepull__message1.txt': { version: '1.1', body: '{http://wombat.ztrade.com}GetLastTradePrice' },
  'metro-mimepull__noheaders.txt': { version: '1.1', body: '{http://wombat.ztrade.com}GetLastTradePrice' },
  // WS-I SwA sample: three Body children, href references to parts this capture does not carry.
  'metro-mimepull__msg.txt': {
    version: '1.1', body: `${CATALOG}ProductDetails`, bodyElements: 3, warnings: ['the Body has 3 child elements'],
    swaRefs: [['1371339872796.1065629194743.IBM.WEBSERVICES@ibm-7pr28r4m35k', null], ['1381257592348.1065629194743.IBM.WEBSERVICES@ibm-7pr28r4m35k', null]],
  },
  'metro-mimepull__msg-invalid-closing-boundary.txt': {
    version: '1.1', body: `${CATALOG}ProductDetails`, bodyElements: 3, warnings: ['the Body has 3 child elements'],
    swaRefs: [['1371339872796.1065629194743.IBM.WEBSERVICES@ibm-7pr28r4m35k', null], ['1381257592348.1065629194743.IBM.WEBSERVICES@ibm-7pr28r4m35k', null]],
  },
  'metro-mimepull__msg-no-closing-boundary.txt': {
    version: '1.1', body: `${CATALOG}ProductDetails`, bodyElements: 3, warnings: ['the Body has 3 child elements'],
    swaRefs: [['1371339872796.1065629194743.IBM.WEBSERVICES@ibm-7pr28r4m35k', null], ['1381257592348.1065629194743.IBM.WEBSERVICES@ibm-7pr28r4m35k', null]],
  },
  'metro-mimepull__msg2.txt': {
    version: '1.1', body: `${CATALOG}ProductCatalog`,
    swaRefs: [
      '971223732136.1066069460266', '981213279144.1066069460317', '991207987112.1066069460317', '1001274260392.1066069460327',
      '1011270475688.1066069460327', '1021265331112.1066069460327', '1031255254952.1066069460327', '1041252076456.1066069460327',
      '1051248816040.1066069460327', '1061306454952.1066069460327',
    ].map((id) => [`${id}.IBM.WEBSERVICES@ibm-7pr28r4m35k`, null]),
  },
  'metro-mimepull__quoted.txt': { version: '1.1', body: '{http://ip6.sgpf.PruebaOracleSR}ecoXML', swaRefs: [['531309647604', 1]] },
  // node-soap's MTOM sample: swaRef-like text, but the parts carry no Content-ID.
  'node-soap__getAttachments_MTOM_response.xml': {
    version: '1.1', body: '{urn:examples:MTOMService}getAttachmentsResponse', swaRefs: [['1186818862128', null], ['536857424511', null]],
  },
  'ws-axiom__mtom_ImageMTOMOut.bin': {
    version: '1.1', body: `${STUFF}data`, includes: [['-4737226364955758283', `${STUFF}data`, 1]],
  },
  'ws-axiom__mtom_MTOMBuilderTestIn_LF-only_2009.txt': {
    version: '1.2', body: `${STUFF}data`, includes: [['-1609420109260943731', `${STUFF}name`, 1]],
  },
  'ws-axiom__mtom_sample2.msg': {
    version: '1.2', body: `${STUFF}data`, includes: [['-1609420109260943731', `${STUFF}name`, 1]],
  },
  'ws-axiom__mtom_msg-soap-wls81.txt': {
    version: '1.1', body: 'Message',
    headers: ['MessageID', 'To', 'From', 'RelatesTo', 'Action'].map((n) => `${WSA2004_03}${n}`),
  },
  'ws-axiom__mtom_quoted-printable.msg': {
    version: '1.2', body: '{http://services.test.wsstack.softwareag.com}receive',
    includes: [['SDESS_COREP_00000_KO_SNG.xml', '{http://services.test.wsstack.softwareag.com}data', 1]],
  },
  'ws-axiom__mtom_sample1.msg': {
    version: '1.2', body: '{urn://fakenamespace}mtomSample',
    includes: [
      ['1.urn:uuid:A3ADBAEE51A1A87B2A11443668160943@apache.org', '{urn://fakenamespace}image1', 1],
      ['2.urn:uuid:A3ADBAEE51A1A87B2A11443668160994@apache.org', '{urn://fakenamespace}image2', 2],
    ],
  },
  'ws-axiom__mtom_zero-length-attachment.bin': {
    version: '1.2', body: '{urn:test}test', includes: [['1.urn:uuid:0549F3F826EC3041861188639371827@apache.org', 'data', 1]],
  },
  // type="text/xml" but a SOAP 1.2 envelope.
  'ws-axiom__swa_sample1.msg': {
    version: '1.2', body: '{urn://fakenamespace}swaSample', warnings: ['text/xml announces SOAP 1.1 but the envelope is SOAP 1.2'],
  },
  // Not SOAP: the W3C XOP spec example.
  'ws-axiom__xop_spec-sample.msg': {
    version: null, body: null, options: { requireEnvelope: false },
    includes: [['http://example.org/me.png', '{http://example.org/stuff}photo', 1], ['http://example.org/my.hsh', '{http://example.org/stuff}sig', 2]],
  },
};

interface LoadedMessage {
  root: Buffer;
  rootIndex: number;
  rootContentType: string | null;
  multipartType: string | null;
  startInfo: string | null;
  parts: Array<{ index: number; contentId: string | null; body: Buffer }>;
}

async function load(message: CorpusMessage): Promise<LoadedMessage> {
  const parsed = parseMultipart([message.body], message.contentType, { allowMissingCloseDelimiter: true });
  const parts: LoadedMessage['parts'] = [];
  const types: Array<string | null> = [];
  for await (const part of parsed) {
    const chunks: Uint8Array[] = [];
    for await (const view of part.body) chunks.push(view);
    parts.push({ index: part.index, contentId: part.contentId, body: Buffer.concat(chunks) });
    types.push(part.contentType);
  }
  const rootIndex = parsed.rootIndex ?? 0;
  const p = parsed.info.contentType.parameters;
  return {
    root: parts[rootIndex]!.body, rootIndex, rootContentType: types[rootIndex]!, parts,
    multipartType: p['type'] ?? null, startInfo: p['start-info'] ?? null,
  };
}

function optionsFor(loaded: LoadedMessage, row: Row): SoapScannerOptions {
  return {
    contentType: loaded.rootContentType, multipartType: loaded.multipartType, startInfo: loaded.startInfo,
    part: loaded.rootIndex, ...row.options,
  };
}

const messages = new Map(sharedMimeMessages().map((m) => [m.name, m]));

test('every SOAP message of the shared corpus is in the table', { skip: sharedCorpusDir === null ? SHARED_CORPUS_ABSENT : false }, () => {
  for (const name of Object.keys(TABLE)) assert.ok(messages.has(name), `${name} is not in the shared corpus`);
  // Every corpus message whose root part is a SOAP envelope has a row.
  const soapLike = [...messages.values()].filter((m) => /Envelope/.test(m.body.subarray(0, 4096).toString('latin1')));
  for (const m of soapLike) {
    if (m.name === 'metro-mimepull__emptypart.txt') continue; // the envelope is in the second part; the root is empty
    assert.ok(m.name in TABLE, `${m.name} holds an Envelope but has no row`);
  }
});

for (const [name, row] of Object.entries(TABLE)) {
  test(`shared corpus ${name}`, { skip: sharedCorpusDir === null ? SHARED_CORPUS_ABSENT : false }, async () => {
    const loaded = await load(messages.get(name)!);
    const options = optionsFor(loaded, row);
    const result = scanChunks([loaded.root], options);
    assert.equal(result.version, row.version);
    assert.equal(result.bodyElement, row.body);
    assert.deepEqual(result.headerBlocks, row.headers ?? []);
    assert.equal(result.bodyElements.length, row.bodyElements ?? (row.body === null ? 0 : 1));
    const warnings = row.warnings ?? [];
    assert.equal(result.warnings.length, warnings.length, JSON.stringify(result.warnings));
    warnings.forEach((w, i) => assert.ok(result.warnings[i]!.includes(w), result.warnings[i]));

    // Includes and swaRefs, and the parts they name.
    const resolver = new XopResolver(result, { rootIndex: loaded.rootIndex });
    for (const part of loaded.parts) resolver.addPart(part);
    const expectedIncludes = row.includes ?? [];
    assert.deepEqual(result.includes.map((i) => [i.cid, i.element]), expectedIncludes.map(([cid, element]) => [cid, element]));
    expectedIncludes.forEach(([cid, , part]) => assert.equal(resolver.partFor(cid), part, cid));
    assert.deepEqual(result.swaRefs.map((s) => [s.cid, resolver.partFor(s.cid)]), row.swaRefs ?? []);
    if (row.resolveError !== undefined) {
      assert.throws(() => resolver.finish(), (e: unknown) => isXopError(e) && e.code === row.resolveError);
    } else {
      const resolution = resolver.finish();
      assert.deepEqual(resolution.includes.map((r) => r.part), expectedIncludes.map(([, , part]) => part));
      assert.deepEqual(resolution.duplicates, []);
      await checkInflate(result, loaded, resolution.includes.map((r) => r.part));
    }

    // The root document is well-formed on its own.
    if (result.rootDocument !== null) assertWellFormed(result.rootDocument);

    // Split at every byte: the same result.
    const reference = normalise(result);
    for (let i = 1; i < loaded.root.length; i++) {
      const got = normalise(scanChunks([loaded.root.subarray(0, i), loaded.root.subarray(i)], options));
      assert.deepEqual(got, reference, `split at ${i}`);
    }
  });
}

/** Inflates from the loaded parts; checks each include became the base64 of its part. */
async function checkInflate(result: SoapScanResult, loaded: LoadedMessage, partOfInclude: number[]): Promise<void> {
  if (result.includes.length === 0) return;
  const byCid = new Map(result.includes.map((inc, i) => [inc.cid, loaded.parts[partOfInclude[i]!]!.body]));
  const out: Uint8Array[] = [];
  // Attachments delivered in 5-byte pieces: the base64 must not depend on how they arrive.
  const pieces = (b: Buffer): Buffer[] => Array.from({ length: Math.ceil(b.length / 5) }, (_, i) => b.subarray(i * 5, i * 5 + 5));
  for await (const piece of inflate(result, { attachment: (cid) => pieces(byCid.get(cid)!) })) out.push(piece);
  const inflated = Buffer.concat(out).toString('utf8');
  const events = canonicalEvents(inflated);
  assert.ok(!events.some((e) => e.startsWith('S{http://www.w3.org/2004/08/xop/include}Include ')), 'no xop:Include left');
  for (const [i, include] of result.includes.entries()) {
    const expected = loaded.parts[partOfInclude[i]!]!.body.toString('base64');
    const [ns, local] = include.element.startsWith('{') ? include.element.slice(1).split('}') : ['', include.element];
    const start = events.findIndex((e, k) => e.startsWith(`S{${ns}}${local} `) &&
      (expected === '' ? events[k + 1] === `E{${ns}}${local}` : events[k + 1] === `T${expected}`));
    assert.ok(start >= 0, `${include.path} holds the base64 of its part`);
  }
}

test('shared corpus: strict mode turns a media type / envelope mismatch into ERR_SOAP_VERSION_MISMATCH', { skip: sharedCorpusDir === null ? SHARED_CORPUS_ABSENT : false }, async () => {
  for (const name of ['ws-axiom__swa_sample1.msg', 'BeSimpleSoap__OutgoingLargeSwa.response.mimepart.message']) {
    const loaded = await load(messages.get(name)!);
    const scanner = new SoapScanner({ ...optionsFor(loaded, TABLE[name]!), strict: true });
    assert.throws(() => { scanner.write(loaded.root); scanner.end(); }, { code: 'ERR_SOAP_VERSION_MISMATCH' }, name);
  }
});

test('shared corpus: non-SOAP root parts are ERR_SOAP_NOT_ENVELOPE, or scanned as plain XML when allowed', { skip: sharedCorpusDir === null ? SHARED_CORPUS_ABSENT : false }, async () => {
  for (const name of ['cxf__jaxrs_attachmentData', 'cxf__jaxws_attachmentBinaryData']) {
    const loaded = await load(messages.get(name)!);
    assert.throws(() => scanChunks([loaded.root], optionsFor(loaded, { version: null, body: null })), { code: 'ERR_SOAP_NOT_ENVELOPE' });
    const plain = scanChunks([loaded.root], { ...optionsFor(loaded, { version: null, body: null }), requireEnvelope: false });
    assert.equal(plain.version, null);
    assertWellFormed(plain.rootDocument!);
  }
});
