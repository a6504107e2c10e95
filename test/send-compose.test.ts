// The composer: SwA and MTOM messages, SOAP 1.1 and 1.2, checked by parsing
// them back with our own parser and by reading their Content-Types the way
// the peers do (WCF: root `type` === package `start-info`; Axis2/CXF: first
// `action=` of the HTTP Content-Type).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compose, parseContentType, isXopError } from '../src/index.js';
import type { ComposeOptions } from '../src/index.js';
import { cidUrl, contentIdOfUrl } from '../src/send/cid.js';
import { CHUNKINGS } from './support/corpus.js';
import { cacheWith, parseParts, pseudoRandomBytes, readAll, sha256 } from './support/send.js';

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isXopError(error), `expected an XopError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  });
}

/** Axis2's TransportUtils.processContentTypeForAction, transcribed: the first "action", up to ';', unquoted. */
function axis2Action(contentType: string): string | null {
  const index = contentType.indexOf('action');
  if (index < 0) return null;
  const rest = contentType.slice(index);
  const equal = rest.indexOf('=');
  const semi = rest.indexOf(';');
  let action = semi > -1 ? rest.slice(equal + 1, semi) : rest.slice(equal + 1);
  if (action.startsWith('"') && action.endsWith('"')) action = action.slice(1, -1);
  return action;
}

describe('Content-Types and headers', () => {
  const matrix: Array<{ mode: 'swa' | 'mtom'; soapVersion: '1.1' | '1.2'; soapAction?: string }> = [];
  for (const mode of ['swa', 'mtom'] as const) {
    for (const soapVersion of ['1.1', '1.2'] as const) {
      matrix.push({ mode, soapVersion }, { mode, soapVersion, soapAction: 'urn:example:Upload' });
    }
  }
  for (const c of matrix) {
    test(`${c.mode} SOAP ${c.soapVersion}${c.soapAction ? ' with action' : ''}`, async () => {
      const pdf = pseudoRandomBytes(5000, 7);
      const msg = await compose({
        xml: '<m:upload xmlns:m="urn:m"><m:file>cid:doc.pdf</m:file></m:upload>',
        attachments: [{ contentId: 'doc.pdf', contentType: 'application/pdf', body: pdf }],
        ...c,
      });
      const ct = parseContentType(msg.contentType);
      assert.equal(ct.mediaType, 'multipart/related');
      assert.equal(ct.parameters['boundary'], msg.boundary);
      assert.equal(ct.parameters['start'], `<${msg.rootContentId}>`);
      const soapType = c.soapVersion === '1.1' ? 'text/xml' : 'application/soap+xml';
      const parts = await parseParts([await readAll(msg.body)], msg.contentType);
      assert.equal(parts.length, 2);
      const [root, attachment] = parts as [typeof parts[0], typeof parts[0]];
      assert.equal(root.isRoot, true);
      assert.equal(root.contentId, msg.rootContentId);
      assert.equal(root.contentTransferEncoding, 'binary');
      const rootType = parseContentType(root.contentType!);
      assert.equal(rootType.parameters['charset'], 'UTF-8');
      const action12 = c.soapVersion === '1.2' && c.soapAction !== undefined;
      if (c.mode === 'swa') {
        assert.equal(ct.parameters['type'], soapType);
        assert.equal(rootType.mediaType, soapType);
        assert.equal(rootType.parameters['action'], action12 ? c.soapAction : undefined);
      } else {
        assert.equal(ct.parameters['type'], 'application/xop+xml');
        assert.equal(rootType.mediaType, 'application/xop+xml');
        // WCF XmlMtomReader: the root part's type must equal start-info, string for string.
        assert.equal(rootType.parameters['type'], ct.parameters['start-info']);
        const startInfo = parseContentType(ct.parameters['start-info']!);
        assert.equal(startInfo.mediaType, soapType);
        assert.equal(startInfo.parameters['action'], action12 ? c.soapAction : undefined);
      }
      // Top-level action (SoapUI, Axis2, SoapCore), found first by Axis2's and CXF's indexOf.
      assert.equal(ct.parameters['action'], action12 ? c.soapAction : undefined);
      assert.equal(axis2Action(msg.contentType), action12 ? c.soapAction : null);
      if (c.soapVersion === '1.1') assert.equal(msg.headers['SOAPAction'], `"${c.soapAction ?? ''}"`);
      else assert.equal('SOAPAction' in msg.headers, false);
      assert.equal(msg.headers['MIME-Version'], '1.0');
      assert.equal(msg.headers['Content-Type'], msg.contentType);
      const envelope = root.body.toString('utf8');
      assert.match(envelope, new RegExp(`xmlns:\\w+="${c.soapVersion === '1.1' ? SOAP11 : SOAP12}"`));
      assert.equal(attachment.contentId, 'doc.pdf');
      assert.equal(attachment.contentType, 'application/pdf');
      assert.equal(attachment.contentTransferEncoding, 'binary');
      assert.equal(sha256(attachment.body), sha256(pdf));
    });
  }

  test('Content-Length is exact when every size is known, absent otherwise', async () => {
    const known = await compose({ xml: '<a/>', mode: 'swa', attachments: [{ contentType: 'image/jpeg', body: pseudoRandomBytes(999, 1) }] });
    const bytes = await readAll(known.body);
    assert.equal(known.headers['Content-Length'], String(bytes.length));
    assert.equal(known.contentLength, bytes.length);
    async function* stream(): AsyncGenerator<Uint8Array> { yield Buffer.from('abc'); }
    const unknown = await compose({ xml: '<a/>', mode: 'swa', attachments: [{ contentType: 'text/plain', body: stream() }] });
    assert.equal(unknown.contentLength, null);
    assert.equal('Content-Length' in unknown.headers, false);
    const sized = await compose({ xml: '<a/>', mode: 'swa', attachments: [{ contentType: 'text/plain', body: stream(), size: 3 }] });
    assert.equal(sized.contentLength, (await readAll(sized.body)).length);
  });

  test('boundaries are random, 192 bits of hex, and unquoted-safe', async () => {
    const a = await compose({ xml: '<a/>', mode: 'swa' });
    const b = await compose({ xml: '<a/>', mode: 'swa' });
    assert.notEqual(a.boundary, b.boundary);
    assert.match(a.boundary, /^xopstream=_[0-9a-f]{48}$/);
    assert.ok(a.boundary.length <= 70);
    assert.equal(a.boundary.includes('action'), false);
  });

  test('a given boundary is used and checked', async () => {
    const msg = await compose({ xml: '<a/>', mode: 'swa', boundary: 'fixed-boundary' });
    assert.ok((await readAll(msg.body)).toString('latin1').startsWith('--fixed-boundary\r\n'));
    await rejectsWith(compose({ xml: '<a/>', mode: 'swa', boundary: 'x'.repeat(71) }), 'ERR_MIME_NO_BOUNDARY');
    await rejectsWith(compose({ xml: '<a/>', mode: 'swa', boundary: 'a"b' }), 'ERR_BAD_ARGUMENT');
  });
});

describe('the root part', () => {
  test('a full SOAP 1.2 Envelope given as UTF-8 bytes goes out byte for byte', async () => {
    const envelope = Buffer.from(`<?xml version="1.0" encoding="utf-8"?>\n<s:Envelope xmlns:s="${SOAP12}">` +
      '<s:Header><h:t xmlns:h="urn:h">é</h:t></s:Header><s:Body><m:x xmlns:m="urn:m"/></s:Body></s:Envelope>\n');
    const msg = await compose({ xml: envelope, mode: 'mtom' });
    assert.equal(msg.soapVersion, '1.2');
    const [root] = await parseParts([await readAll(msg.body)], msg.contentType);
    assert.deepEqual(root!.body, envelope);
  });

  test('an Envelope is recognised by namespace, not by name', async () => {
    const foreign = '<Envelope xmlns="urn:not-soap"><x/></Envelope>';
    const msg = await compose({ xml: foreign, mode: 'swa', soapVersion: '1.2' });
    const [root] = await parseParts([await readAll(msg.body)], msg.contentType);
    const text = root!.body.toString('utf8');
    assert.ok(text.includes(`<env:Envelope xmlns:env="${SOAP12}"><env:Body>${foreign}</env:Body></env:Envelope>`), text);
  });

  test('an Envelope of the other version than asked for is refused', async () => {
    await rejectsWith(compose({ xml: `<e:Envelope xmlns:e="${SOAP11}"><e:Body/></e:Envelope>`, mode: 'swa', soapVersion: '1.2' }),
      'ERR_SOAP_VERSION_MISMATCH');
  });

  test('an Envelope without Body is refused', async () => {
    await rejectsWith(compose({ xml: `<e:Envelope xmlns:e="${SOAP11}"><e:Header/></e:Envelope>`, mode: 'swa' }), 'ERR_SOAP_NO_BODY');
  });

  test('a payload loses its XML declaration and may hold several Body entries (RPC and document style alike)', async () => {
    const payload = '<?xml version="1.0" encoding="UTF-8"?><ns:op xmlns:ns="urn:rpc"><a href="cid:x"/></ns:op><ns:second xmlns:ns="urn:rpc"/>';
    const msg = await compose({ xml: payload, mode: 'swa', attachments: [{ contentId: 'x', contentType: 'text/plain', body: Buffer.from('x') }] });
    const [root] = await parseParts([await readAll(msg.body)], msg.contentType);
    const text = root!.body.toString('utf8');
    assert.equal(text, `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${SOAP11}"><soapenv:Body>` +
      '<ns:op xmlns:ns="urn:rpc"><a href="cid:x"/></ns:op><ns:second xmlns:ns="urn:rpc"/></soapenv:Body></soapenv:Envelope>');
  });

  test('UTF-16 XML is transcoded to UTF-8 and its declaration follows', async () => {
    const text = `<?xml version="1.0" encoding="UTF-16"?><s:Envelope xmlns:s="${SOAP11}"><s:Body><x>ü€</x></s:Body></s:Envelope>`;
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const msg = await compose({ xml: utf16, mode: 'swa' });
    const [root] = await parseParts([await readAll(msg.body)], msg.contentType);
    assert.equal(root!.body.toString('utf8'), text.replace('UTF-16', 'UTF-8'));
  });

  test('a declared legacy encoding is decoded', async () => {
    const latin1 = Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><x>\xe9</x>', 'latin1');
    const msg = await compose({ xml: latin1, mode: 'swa' });
    const [root] = await parseParts([await readAll(msg.body)], msg.contentType);
    assert.ok(root!.body.toString('utf8').includes('<x>é</x>'));
  });

  for (const [name, xml, code] of [
    ['DOCTYPE', '<!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>', 'ERR_XML_DOCTYPE'],
    ['malformed', '<x><y></x>', 'ERR_XML_MALFORMED'],
    ['unbound prefix', '<p:x/>', 'ERR_XML_MALFORMED'],
    ['text outside elements', '<x/>stray', 'ERR_XML_MALFORMED'],
    ['no element', '  ', 'ERR_XML_MALFORMED'],
    ['content after an Envelope', `<e:Envelope xmlns:e="${SOAP11}"><e:Body/></e:Envelope><x/>`, 'ERR_XML_MALFORMED'],
  ] as const) {
    test(`refuses XML with ${name}`, async () => {
      await rejectsWith(compose({ xml, mode: 'swa' }), code);
    });
  }

  test('refuses bytes that are not valid in their encoding', async () => {
    await rejectsWith(compose({ xml: Buffer.from([0x3c, 0x78, 0x3e, 0xff, 0x3c, 0x2f, 0x78, 0x3e]), mode: 'swa' }), 'ERR_XML_BAD_ENCODING');
    await rejectsWith(compose({ xml: Buffer.from('<?xml version="1.0" encoding="x-klingon"?><x/>'), mode: 'swa' }), 'ERR_XML_BAD_ENCODING');
  });
});

describe('Content-IDs and references', () => {
  test('integer-index attachments get generated Content-IDs and every reference follows', async () => {
    const xml = '<m:op xmlns:m="urn:m" xmlns:xop="http://www.w3.org/2004/08/xop/include">' +
      '<m:data><xop:Include href="cid:1"/></m:data>' + // MTOM reference
      '<m:ref> cid:2 </m:ref>' + // swaRef text
      '<m:rpcParam href=\'cid:2\'/>' + // RPC-style SwA href
      '<m:untouched>cid:3</m:untouched><!-- cid:1 --></m:op>';
    const a = pseudoRandomBytes(300, 3);
    const b = pseudoRandomBytes(400, 4);
    const msg = await compose({
      xml, mode: 'mtom', attachments: [
        { contentId: 1, contentType: 'application/octet-stream', body: a },
        { contentId: 2, contentType: 'image/jpeg', body: b },
      ],
    });
    const [root, p1, p2] = await parseParts([await readAll(msg.body)], msg.contentType);
    assert.match(p1!.contentId!, /^part1\.[0-9a-f]{32}@xopstream$/);
    assert.match(p2!.contentId!, /^part2\.[0-9a-f]{32}@xopstream$/);
    assert.deepEqual(msg.parts.map((p) => p.contentId), [p1!.contentId, p2!.contentId]);
    const text = root!.body.toString('utf8');
    assert.ok(text.includes(`<xop:Include href="${cidUrl(p1!.contentId!)}"/>`), text);
    assert.ok(text.includes(`<m:ref> ${cidUrl(p2!.contentId!)} </m:ref>`), text);
    assert.ok(text.includes(`<m:rpcParam href='${cidUrl(p2!.contentId!)}'/>`), text);
    assert.ok(text.includes('<m:untouched>cid:3</m:untouched><!-- cid:1 -->'), text);
    assert.equal(sha256(p1!.body), sha256(a));
    assert.equal(sha256(p2!.body), sha256(b));
  });

  test('cid: URLs are percent-encoded per RFC 2392 and decode back to the Content-ID', () => {
    for (const id of ['plain@example.org', 'a b+c%d@x', 'report(1).pdf', 'ünï@x', "q'\"&<>"]) {
      const url = cidUrl(id);
      assert.match(url, /^cid:[A-Za-z0-9\-._~@:\/!$()*,;=%]+$/); // the URL-safe set of src/xop/cid.ts
      assert.equal(contentIdOfUrl(url), id);
    }
    assert.equal(cidUrl('a b+c@x'), 'cid:a%20b%2Bc@x');
    assert.equal(contentIdOfUrl('http://x'), null);
    assert.equal(contentIdOfUrl('cid:%E0%A4%A'), null);
  });

  test('an xop:Include href is matched after percent-decoding', async () => {
    const msg = await compose({
      xml: '<x xmlns:xop="http://www.w3.org/2004/08/xop/include"><xop:Include href="cid:my%20file.pdf"/></x>',
      mode: 'mtom', attachments: [{ contentId: 'my file.pdf', contentType: 'application/pdf', body: Buffer.from('%PDF') }],
    });
    const parts = await parseParts([await readAll(msg.body)], msg.contentType);
    assert.equal(parts[1]!.contentId, 'my file.pdf');
  });

  test('MTOM refuses an xop:Include that names no part, or no cid: URL', async () => {
    const xop = 'xmlns:xop="http://www.w3.org/2004/08/xop/include"';
    await rejectsWith(compose({ xml: `<x ${xop}><xop:Include href="cid:nothing"/></x>`, mode: 'mtom' }), 'ERR_XOP_MISSING_PART');
    await rejectsWith(compose({ xml: `<x ${xop}><xop:Include href="http://evil/"/></x>`, mode: 'mtom' }), 'ERR_XOP_BAD_HREF');
    await rejectsWith(compose({ xml: `<x ${xop}><xop:Include/></x>`, mode: 'mtom' }), 'ERR_XOP_BAD_INCLUDE');
  });

  test('duplicate and malformed Content-IDs are refused', async () => {
    const body = Buffer.from('x');
    await rejectsWith(compose({ xml: '<a/>', mode: 'swa', attachments: [
      { contentId: 'same', contentType: 'text/plain', body }, { contentId: 'same', contentType: 'text/plain', body }] }), 'ERR_BAD_ARGUMENT');
    await rejectsWith(compose({ xml: '<a/>', mode: 'swa', rootContentId: 'r', attachments: [
      { contentId: 'r', contentType: 'text/plain', body }] }), 'ERR_BAD_ARGUMENT');
    for (const contentId of ['a>b', 'x\r\nInjected: yes', ' lead', '', 'é']) {
      await rejectsWith(compose({ xml: '<a/>', mode: 'swa', attachments: [{ contentId, contentType: 'text/plain', body }] }), 'ERR_BAD_ARGUMENT');
    }
    await rejectsWith(compose({ xml: '<a/>', mode: 'swa', attachments: [{ contentId: -1, contentType: 'text/plain', body }] }), 'ERR_BAD_ARGUMENT');
  });
});

describe('options', () => {
  const bad: Array<[string, Partial<ComposeOptions>, string]> = [
    ['mode', { mode: 'soap' as never }, 'ERR_BAD_ARGUMENT'],
    ['soapVersion', { soapVersion: '1.3' as never }, 'ERR_BAD_ARGUMENT'],
    ['soapAction with a quote', { soapAction: 'urn:"x' }, 'ERR_BAD_ARGUMENT'],
    ['soapAction with a space', { soapAction: 'urn: x' }, 'ERR_BAD_ARGUMENT'],
    ['rootId without cache', { rootId: 'r' }, 'ERR_BAD_ARGUMENT'],
    ['contentIds without cache', { contentIds: ['a'] }, 'ERR_BAD_ARGUMENT'],
    ['attachments not an array', { attachments: {} as never }, 'ERR_BAD_ARGUMENT'],
    ['a header-breaking contentType', { attachments: [{ contentType: 'text/plain\r\nX: y', body: Buffer.alloc(0) }] }, 'ERR_BAD_ARGUMENT'],
    ['an unparseable contentType', { attachments: [{ contentType: 'nonsense', body: Buffer.alloc(0) }] }, 'ERR_MIME_BAD_CONTENT_TYPE'],
    ['a body of the wrong kind', { attachments: [{ contentType: 'text/plain', body: 42 as never }] }, 'ERR_BAD_ARGUMENT'],
    ['a wrong size for bytes', { attachments: [{ contentType: 'text/plain', body: Buffer.from('ab'), size: 3 }] }, 'ERR_BAD_ARGUMENT'],
    ['a negative size', { attachments: [{ contentType: 'text/plain', body: (async function* () {})(), size: -1 }] }, 'ERR_BAD_ARGUMENT'],
    ['an xml of the wrong kind', { xml: 42 as never }, 'ERR_BAD_ARGUMENT'],
  ];
  for (const [name, options, code] of bad) {
    test(`refuses ${name}`, async () => {
      await rejectsWith(compose({ xml: '<a/>', mode: 'swa', ...options } as ComposeOptions), code);
    });
  }

  test('refuses a missing options object', async () => {
    await rejectsWith(compose(undefined as never), 'ERR_BAD_ARGUMENT');
  });

  test('a streamed attachment that yields another size than declared errors the body', async () => {
    async function* short(): AsyncGenerator<Uint8Array> { yield Buffer.from('ab'); }
    const msg = await compose({ xml: '<a/>', mode: 'swa', attachments: [{ contentType: 'text/plain', body: short(), size: 3 }] });
    await rejectsWith(readAll(msg.body), 'ERR_BAD_ARGUMENT');
    async function* long(): AsyncGenerator<Uint8Array> { yield Buffer.from('abcd'); }
    const msg2 = await compose({ xml: '<a/>', mode: 'swa', attachments: [{ contentType: 'text/plain', body: long(), size: 3 }] });
    await rejectsWith(readAll(msg2.body), 'ERR_BAD_ARGUMENT');
    async function* notBytes(): AsyncGenerator<unknown> { yield 'text'; }
    const msg3 = await compose({ xml: '<a/>', mode: 'swa', attachments: [{ contentType: 'text/plain', body: notBytes() as AsyncIterable<Uint8Array> }] });
    await rejectsWith(readAll(msg3.body), 'ERR_BAD_ARGUMENT');
  });

  test('recompose() replays byte arrays and cache documents, not once-only streams', async () => {
    const msg = await compose({ xml: '<a/>', mode: 'swa', attachments: [{ contentType: 'text/plain', body: Buffer.from('abc') }] });
    assert.equal(msg.replayable, true);
    const first = await readAll(msg.body);
    assert.deepEqual(await readAll(msg.recompose()), first);
    async function* once(): AsyncGenerator<Uint8Array> { yield Buffer.from('abc'); }
    const streamed = await compose({ xml: '<a/>', mode: 'swa', attachments: [{ contentType: 'text/plain', body: once() }] });
    assert.equal(streamed.replayable, false);
    assert.throws(() => streamed.recompose(), (e: unknown) => isXopError(e) && e.code === 'ERR_BAD_ARGUMENT');
  });

  test('a body function opens the bytes each time: replayable, and opened only when reached', async () => {
    let opens = 0;
    const msg = await compose({ xml: '<a/>', mode: 'swa', attachments: [{ contentType: 'text/plain', size: 3, body: () => {
      opens++;
      return (async function* () { yield Buffer.from('abc'); })();
    } }] });
    assert.equal(opens, 0);
    assert.equal(msg.replayable, true);
    assert.equal(msg.contentLength, (await readAll(msg.body)).length);
    assert.deepEqual(await readAll(msg.recompose()), await readAll(msg.recompose()));
    assert.equal(opens, 3);
    const bad = await compose({ xml: '<a/>', mode: 'swa', attachments: [{ contentType: 'text/plain', body: () => 42 as never }] });
    await rejectsWith(readAll(bad.body), 'ERR_BAD_ARGUMENT');
  });
});

describe('attachments from the document cache', () => {
  const rootId = '7b1c2a6e-1a7f-4c55-9d0e-3f2d2f0b9c11';
  const stored = [
    { contentId: 'invoice.pdf@peer', contentType: 'application/pdf', bytes: pseudoRandomBytes(70_000, 11) },
    { contentId: 2, contentType: 'image/jpeg', bytes: pseudoRandomBytes(130_000, 12) },
    { contentId: 'notes', contentType: 'text/plain; charset=UTF-8', bytes: Buffer.from('hello') },
  ];

  test('every document under the root id becomes a part, in part order, streamed from the cache', async () => {
    const cache = await cacheWith(rootId, stored);
    const msg = await compose({ xml: '<m:x xmlns:m="urn:m"><m:img>cid:2</m:img></m:x>', rootId, cache, mode: 'swa' });
    assert.equal(msg.contentLength, (await readAll(msg.recompose())).length);
    for (const { name, split } of CHUNKINGS.filter((c) => c.name !== 'byte-by-byte' && c.name !== '3-byte slices')) {
      const parts = await parseParts(split(await readAll(msg.recompose())), msg.contentType);
      assert.equal(parts.length, 4, name);
      assert.equal(parts[1]!.contentId, 'invoice.pdf@peer');
      assert.match(parts[2]!.contentId!, /^part2\./);
      assert.equal(parts[3]!.contentId, 'notes');
      for (let i = 0; i < stored.length; i++) {
        assert.equal(parts[i + 1]!.contentType, stored[i]!.contentType, name);
        assert.equal(sha256(parts[i + 1]!.body), sha256(stored[i]!.bytes), name);
      }
      assert.ok(parts[0]!.body.toString('utf8').includes(`<m:img>${cidUrl(parts[2]!.contentId!)}</m:img>`));
    }
    await cache.close();
  });

  test('the filter takes only the named documents; a name the cache lacks is an error', async () => {
    const cache = await cacheWith(rootId, stored);
    const msg = await compose({ xml: '<a/>', rootId, cache, mode: 'mtom', contentIds: ['notes', 2] });
    const parts = await parseParts([await readAll(msg.body)], msg.contentType);
    assert.equal(parts.length, 3);
    assert.deepEqual(parts.slice(1).map((p) => p.body.length), [130_000, 5]);
    await rejectsWith(compose({ xml: '<a/>', rootId, cache, mode: 'mtom', contentIds: ['missing'] }), 'ERR_CACHE_NOT_FOUND');
    await rejectsWith(compose({ xml: '<a/>', rootId: '', cache, mode: 'mtom' }), 'ERR_BAD_ARGUMENT');
    await cache.close();
  });

  test('an unknown root id composes a message without attachments', async () => {
    const cache = await cacheWith(rootId, stored);
    const msg = await compose({ xml: '<a/>', rootId: '00000000-0000-4000-8000-000000000000', cache, mode: 'swa' });
    assert.equal((await parseParts([await readAll(msg.body)], msg.contentType)).length, 1);
    await cache.close();
  });

  test('a document deleted after compose() errors the body with ERR_CACHE_NOT_FOUND', async () => {
    const cache = await cacheWith(rootId, stored);
    const msg = await compose({ xml: '<a/>', rootId, cache, mode: 'swa' });
    await cache.delete(rootId);
    await rejectsWith(readAll(msg.body), 'ERR_CACHE_NOT_FOUND');
    await cache.close();
  });
});

describe('streaming', () => {
  test('attachment sources are opened one at a time and pulled only as the body is read', async () => {
    const pulls: string[] = [] as string[];
    function source(name: string, chunks: number): AsyncIterable<Uint8Array> {
      return {
        async *[Symbol.asyncIterator]() {
          pulls.push(`${name}:open`);
          for (let i = 0; i < chunks; i++) {
            pulls.push(`${name}:${i}`);
            yield Buffer.alloc(64 * 1024, i);
          }
        },
      };
    }
    const msg = await compose({ xml: '<a/>', mode: 'swa', attachments: [
      { contentType: 'application/octet-stream', body: source('a', 64) },
      { contentType: 'application/octet-stream', body: source('b', 64) },
    ] });
    assert.deepEqual(pulls, [], 'compose() reads no attachment bytes');
    const iterator = msg.body[Symbol.asyncIterator]();
    await iterator.next();
    await new Promise((resolve) => setImmediate(resolve));
    // A 64 KiB highWaterMark: a few chunks ahead at most, and b is not even opened.
    assert.ok(pulls.length < 8, pulls.join(' '));
    assert.equal((pulls as string[]).includes('b:open'), false);
    await iterator.return?.();
  });
});
