// parseSoapResponse and readResponseEnvelope on hand-made answers: the
// corners the loopback client tests do not reach (charsets, start fallback,
// unreadable error bodies, DOCTYPE, long fault texts), and the cid: reference
// rewriter over every kind of markup.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compose, isXopError, parseSoapResponse, readResponseEnvelope } from '../src/index.js';
import type { HttpResponseLike } from '../src/index.js';
import { MemoryCache } from '../src/cache/memory.js';
import { MAX_FAULT_TEXT } from '../src/send/fault.js';
import { rewriteCidReferences } from '../src/send/references.js';
import { readAll } from './support/send.js';

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';

function response(status: number, contentType: string | null, body: Buffer | string): HttpResponseLike {
  return { status, statusText: '', headers: contentType === null ? {} : { 'content-type': contentType }, body: [Buffer.from(body)] as never };
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(isXopError(e), String(e));
    assert.equal(e.code, code, e.message);
    return true;
  });
}

const envelope11 = (body: string): string => `<s:Envelope xmlns:s="${SOAP11}"><s:Body>${body}</s:Body></s:Envelope>`;

describe('parseSoapResponse', () => {
  test('the root part is decoded with its charset', async () => {
    const xml = envelope11('<x>äöü €</x>');
    const utf16 = Buffer.from(xml, 'utf16le');
    const result = await parseSoapResponse(response(200, 'text/xml; charset=utf-16le', utf16));
    assert.equal(result.soap.version, '1.1');
    assert.ok(result.rootDocument.envelope.toString('utf8').includes('<x>äöü €</x>'), 'the envelope comes out as UTF-8');
    await rejectsWith(parseSoapResponse(response(200, 'text/xml; charset=utf-8', Buffer.from([0x3c, 0xff, 0xfe]))), 'ERR_XML_BAD_ENCODING');
    await rejectsWith(parseSoapResponse(response(200, 'text/xml; charset=x-martian', xml)), 'ERR_XML_BAD_ENCODING');
  });

  test('start naming no part: the first part is the root (the receive machinery\'s fallback)', async () => {
    const body = `--b\r\nContent-Type: text/xml\r\n\r\n${envelope11('<ok/>')}\r\n--b\r\nContent-ID: <a>\r\n\r\nbytes\r\n--b--\r\n`;
    const ct = 'multipart/related; type="text/xml"; start="<nowhere>"; boundary=b';
    const result = await parseSoapResponse(response(200, ct, body));
    assert.equal(result.soap.version, '1.1');
    assert.equal(result.rootDocument.xml.toString(), '<ok/>');
    assert.deepEqual(result.attachments.map((a) => a.properties.wss_attachment_content_id), ['a']);
    assert.equal((await readAll(await result.cache.open(result.rootDocument.properties.wss_root_document_id, 'a'))).toString(), 'bytes');
    assert.ok(result.warnings.length > 0);
  });

  test('framing options: an Axis 1.x answer whose bodies end in a bare LF needs allowBareLfDelimiters; a missing close delimiter needs allowMissingCloseDelimiter', async () => {
    const ct = 'multipart/related; type="text/xml"; boundary=b';
    // CRLF delimiter lines and headers, bare LF before each following delimiter.
    const bareLf = `--b\r\nContent-Type: text/xml\r\n\r\n${envelope11('<ok/>')}\n--b\r\nContent-ID: <a>\r\n\r\nbytes\n--b--\r\n`;
    await rejectsWith(parseSoapResponse(response(200, ct, bareLf)), 'ERR_XML_MALFORMED'); // the root runs on past its Envelope
    const result = await parseSoapResponse(response(200, ct, bareLf), { allowBareLfDelimiters: true });
    assert.equal(result.rootDocument.xml.toString(), '<ok/>');
    assert.equal((await readAll(await result.cache.open(result.rootDocument.properties.wss_root_document_id, 'a'))).toString(), 'bytes');
    const unclosed = `--b\r\nContent-Type: text/xml\r\n\r\n${envelope11('<ok/>')}\r\n--b\r\nContent-ID: <a>\r\n\r\nbytes`;
    await rejectsWith(parseSoapResponse(response(200, ct, unclosed)), 'ERR_MIME_TRUNCATED');
    const lenient = await parseSoapResponse(response(200, ct, unclosed), { allowMissingCloseDelimiter: true });
    assert.equal((await readAll(await lenient.cache.open(lenient.rootDocument.properties.wss_root_document_id, 'a'))).toString(), 'bytes');
    // An error answer's fault is read with the same framing.
    const fault = envelope11('<s:Fault><faultcode>s:Server</faultcode><faultstring>boom</faultstring></s:Fault>');
    const faultAnswer = `--b\r\nContent-Type: text/xml\r\n\r\n${fault}\n--b--\r\n`;
    await rejectsWith(parseSoapResponse(response(500, ct, faultAnswer)), 'ERR_HTTP_STATUS');
    await assert.rejects(parseSoapResponse(response(500, ct, faultAnswer), { allowBareLfDelimiters: true }),
      (e: unknown) => isXopError(e) && e.code === 'ERR_SOAP_FAULT' && e.message.includes('boom'));
  });

  test('attachments without Content-ID or Content-Type are stored under their index, as octet-stream', async () => {
    const body = `--b\r\n\r\n${envelope11('<ok/>')}\r\n--b\r\n\r\nraw\r\n--b--\r\n`;
    const cache = new MemoryCache();
    const result = await parseSoapResponse(response(200, 'multipart/related; boundary=b', body), { cache });
    const rootId = result.rootDocument.properties.wss_root_document_id;
    const [doc] = await cache.list(rootId);
    assert.equal(doc!.properties.wss_attachment_content_id, 1);
    assert.equal(doc!.properties.wss_attachment_content_type, 'application/octet-stream');
    assert.equal((await readAll(await cache.open(rootId, 1))).toString(), 'raw');
    await cache.close();
  });

  test('a fault in a cached multipart answer leaves nothing in the cache', async () => {
    const fault = envelope11('<s:Fault><faultcode>s:Server</faultcode><faultstring>x</faultstring></s:Fault>');
    const msg = await compose({ xml: fault, mode: 'swa', attachments: [{ contentId: 'a', contentType: 'text/plain', body: Buffer.from('a') }] });
    const cache = new MemoryCache();
    await rejectsWith(parseSoapResponse(response(200, msg.contentType, await readAll(msg.body)), { cache }), 'ERR_SOAP_FAULT');
    assert.equal(cache.usedBytes, 0);
    await cache.close();
  });

  test('error statuses: unreadable bodies stay ERR_HTTP_STATUS with the body', async () => {
    await rejectsWith(parseSoapResponse(response(500, 'not a type', 'x')), 'ERR_HTTP_STATUS');
    await rejectsWith(parseSoapResponse(response(500, 'text/xml', '<broken')), 'ERR_HTTP_STATUS');
    await rejectsWith(parseSoapResponse(response(502, null, 'gateway')), 'ERR_HTTP_STATUS');
    await rejectsWith(parseSoapResponse(response(500, 'multipart/related; boundary=b', '--b\r\n\r\n<x/>')), 'ERR_HTTP_STATUS');
    await rejectsWith(parseSoapResponse(response(500, 'text/xml; charset=utf-8', Buffer.from([0x3c, 0xff]))), 'ERR_HTTP_STATUS');
    // A fault whose root part has an unreadable Content-Type is still read as UTF-8.
    const fault = envelope11('<s:Fault><faultcode>s:Server</faultcode><faultstring>x</faultstring></s:Fault>');
    await rejectsWith(parseSoapResponse(response(500, 'multipart/related; boundary=b',
      `--b\r\nContent-Type: garbage\r\n\r\n${fault}\r\n--b--\r\n`)), 'ERR_SOAP_FAULT');
  });

  test('204 with a body, and a multipart answer without a root part, are refused', async () => {
    await rejectsWith(parseSoapResponse(response(204, 'text/xml', 'x')), 'ERR_MIME_UNSUPPORTED_MEDIA_TYPE');
    const empty = await parseSoapResponse(response(204, null, ''));
    assert.equal(empty.rootDocument.envelope.length, 0);
    await rejectsWith(parseSoapResponse(response(200, 'text/xml', '<notsoap/>')), 'ERR_SOAP_NOT_ENVELOPE');
  });
});

describe('readResponseEnvelope', () => {
  test('DOCTYPE, malformed XML and non-envelopes', () => {
    assert.throws(() => readResponseEnvelope(`<!DOCTYPE x><s:Envelope xmlns:s="${SOAP11}"/>`), (e: unknown) => isXopError(e) && e.code === 'ERR_XML_DOCTYPE');
    assert.throws(() => readResponseEnvelope('<a><b></a>'), (e: unknown) => isXopError(e) && e.code === 'ERR_XML_MALFORMED');
    assert.equal(readResponseEnvelope('<Envelope><Body/></Envelope>'), null);
    assert.deepEqual(readResponseEnvelope(envelope11('<ok/>')), { soapVersion: '1.1', fault: null });
  });

  test('a Fault that is not the first Body child is not the answer\'s fault; long texts are clipped', () => {
    const later = envelope11(`<ok/><s:Fault><faultcode>s:Server</faultcode></s:Fault>`);
    assert.equal(readResponseEnvelope(later)!.fault, null);
    const long = 'x'.repeat(MAX_FAULT_TEXT + 10);
    const fault = readResponseEnvelope(envelope11(`<s:Fault><faultcode>s:Server</faultcode><faultstring>${long}</faultstring><detail>${long}</detail></s:Fault>`))!.fault!;
    assert.equal(fault.reason.length, MAX_FAULT_TEXT);
    assert.equal(fault.detail!.length, MAX_FAULT_TEXT);
  });

  test('SOAP 1.2: Reason without English takes the first text; nested subcodes in order', () => {
    const xml = `<e:Envelope xmlns:e="${SOAP12}" xmlns:a="urn:a"><e:Body><e:Fault><e:Code><e:Value>e:Receiver</e:Value>` +
      '<e:Subcode><e:Value>a:One</e:Value><e:Subcode><e:Value>a:Two</e:Value></e:Subcode></e:Subcode></e:Code>' +
      '<e:Reason><e:Text xml:lang="fr">Erreur</e:Text><e:Text xml:lang="de">Fehler</e:Text></e:Reason></e:Fault></e:Body></e:Envelope>';
    const fault = readResponseEnvelope(xml)!.fault!;
    assert.equal(fault.faultCodeName, `{${SOAP12}}Receiver`);
    assert.deepEqual(fault.subcodes, ['a:One', 'a:Two']);
    assert.equal(fault.reason, 'Erreur');
    assert.equal(fault.detail, null);
  });
});

describe('rewriteCidReferences', () => {
  const replace = (id: string): string | null => (id === '1' ? 'cid:new@x' : null);
  test('rewrites whole-value references in text and attributes, nowhere else', () => {
    const xml = '<?pi cid:1?><!-- cid:1 --><a x="cid:1" y=\'CID:1\' z="a cid:1" w="cid:1>"><![CDATA[cid:1]]>' +
      '<b>cid:1</b><c>cid:&#49;</c><d> cid:2 </d><e>cid:%31</e></a>';
    const { xml: out, replaced } = rewriteCidReferences(xml, replace);
    assert.equal(out, '<?pi cid:1?><!-- cid:1 --><a x="cid:new@x" y=\'cid:new@x\' z="a cid:1" w="cid:1>"><![CDATA[cid:1]]>' +
      '<b>cid:new@x</b><c>cid:&#49;</c><d> cid:2 </d><e>cid:new@x</e></a>');
    assert.equal(replaced, 4);
  });

  test('leaves the text alone when nothing matches', () => {
    const xml = '<a>cid:9</a>';
    assert.equal(rewriteCidReferences(xml, replace).xml, xml);
  });
});
