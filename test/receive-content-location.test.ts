// receive() over SwA messages whose hrefs name attachments by Content-Location
// (SwA Note 2000 §3, RFC 2557 §4-5): corpus/swa-content-location*, written by
// corpus/swa-content-location-generate.mjs from how each message is built.
// Each runs over the whole chunking matrix and in strict mode and must give
// the exact root document, every attachment's bytes and properties, the
// referencedBy of the part each href names (and none of a part no href names),
// and the warning of an href naming no part. The base a part's relative
// Content-Location resolves against can also come from the HTTP request.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { MemoryCache, XopError, createReceiver, receive, type ReceivedMessage } from '../src/index.js';
import { CHUNKINGS } from './support/corpus.js';
import { checkReceived, listen, post, type ReceiveCase, receiveCasesNamed } from './support/receive.js';

interface LocationCase extends ReceiveCase {
  options: ReceiveCase['options'] & { baseUri?: string };
}

function locationCases(): LocationCase[] {
  return receiveCasesNamed<LocationCase>('swa-content-location');
}

describe('receive: hrefs naming attachments by Content-Location (corpus/swa-content-location*)', () => {
  const cases = locationCases();
  it('has the Note example and the relative, Content-Base, no-base, message-base and xml:base cases', () => {
    assert.deepEqual(cases.map((c) => c.name), [
      'swa-content-location', 'swa-content-location-content-base', 'swa-content-location-message-base',
      'swa-content-location-no-base', 'swa-content-location-relative', 'swa-content-location-xml-base',
    ]);
    const note = cases[0]!.message.toString('latin1');
    assert.ok(note.includes('<theSignedForm href="http://claiming-it.com/claim061400a.tiff"/>\r\n'), 'the Note\'s href, CRLF');
    assert.ok(note.includes('\r\nContent-Location: http://claiming-it.com/claim061400a.tiff\r\n\r\nII*\0'), 'the Note\'s TIFF part');
    for (const c of cases) {
      // Every case plants at least one Content-Location reference, which some attachment must show.
      assert.ok(c.result!.attachments.some((a) => a.contentLocation !== null && a.referencedBy.length > 0), c.name);
    }
  });
  for (const c of cases) {
    describe(`${c.name}: ${c.description}`, () => {
      for (const chunking of CHUNKINGS) {
        it(`MemoryCache, ${chunking.name}`, async () => {
          const cache = new MemoryCache();
          const rootId = randomUUID();
          const message = await receive(chunking.split(c.message), { contentType: c.contentType, cache, rootId, ...c.options });
          await checkReceived(c, message, cache, rootId);
        });
      }
      it('strict mode gives the same (an unmatched href is a warning, not a leniency strict mode refuses)', async () => {
        const cache = new MemoryCache();
        const rootId = randomUUID();
        const message = await receive([c.message], { contentType: c.contentType, cache, rootId, ...c.options, strict: true });
        await checkReceived(c, message, cache, rootId);
      });
    });
  }

  it('without the message base, the relative Content-Location does not match the absolute href (nothing is guessed)', async () => {
    const c = cases.find((x) => x.name === 'swa-content-location-message-base')!;
    const cache = new MemoryCache();
    const message = await receive([c.message], { contentType: c.contentType, cache });
    assert.deepEqual(message.attachments.map((d) => d.referencedBy), [[]]);
    assert.equal(message.warnings.length, 1, JSON.stringify(message.warnings));
    assert.match(message.warnings[0]!, /theSignedForm has href "http:\/\/claiming-it\.com\/claims\/claim061400a\.tiff" .*which no part's Content-Location names/);
  });

  it('rejects a baseUri that is not a string', async () => {
    const c = cases[0]!;
    await assert.rejects(receive([c.message], { contentType: c.contentType, cache: new MemoryCache(), baseUri: 42 as unknown as string }),
      (e: unknown) => e instanceof XopError && e.code === 'ERR_BAD_ARGUMENT');
  });
});

describe('the message base from the HTTP request given to receive() as its source', () => {
  const c = locationCases().find((x) => x.name === 'swa-content-location-message-base')!;
  for (const header of ['Content-Location', 'Content-Base']) {
    it(`a ${header} request header is the base of the parts' relative Content-Location`, async () => {
      const cache = new MemoryCache();
      let received: ReceivedMessage | null = null;
      const server = await listen(async (req, res) => {
        // No contentType and no baseUri: both come from the request's headers.
        received = await receive(req, { cache });
        res.end('ok');
      });
      try {
        const response = await post(server.url, c.message, c.contentType, { chunkSize: 500, headers: { [header]: c.options.baseUri! } });
        await server.idle();
        assert.equal(response.status, 200, response.body.toString('utf8'));
        const message = received as ReceivedMessage | null;
        assert.ok(message !== null, 'receive() resolved');
        await checkReceived(c, message, cache, message.rootDocument.properties.wss_root_document_id);
      } finally {
        await server.close();
      }
    });
  }
});

describe('the message base from the request, through createReceiver()', () => {
  const c = locationCases().find((x) => x.name === 'swa-content-location-message-base')!;
  for (const header of ['Content-Location', 'Content-Base']) {
    it(`a ${header} request header is the base of the parts' relative Content-Location`, async () => {
      const cache = new MemoryCache();
      let received: ReceivedMessage | null = null;
      const receiver = createReceiver({ cache, onMessage: (message) => { received = message; } });
      const server = await listen(async (req, res) => { await receiver(req, res); });
      try {
        const response = await post(server.url, c.message, c.contentType, { chunkSize: 500, headers: { [header]: c.options.baseUri! } });
        await server.idle();
        assert.equal(response.status, 200, response.body.toString('utf8'));
        const message = received as ReceivedMessage | null;
        assert.ok(message !== null, 'onMessage saw the message');
        await checkReceived(c, message, cache, message.rootDocument.properties.wss_root_document_id);
      } finally {
        await server.close();
      }
    });
  }
});

describe('Content-Location hrefs are compared, never fetched (SSRF)', () => {
  it('http:, file: and relative hrefs pointing at a local server name a part or nothing; the server sees no request', async () => {
    let hits = 0;
    const server = await listen(async (_req, res) => { hits++; res.end('<secret/>'); });
    try {
      const B = 'ssrf';
      const target = `${server.url}internal/secret.xml`;
      const root = '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:c xmlns:m="urn:m">' +
        `<m:a href="${target}"/><m:b href="file:///etc/passwd"/><m:d href="secret.xml" xml:base="${server.url}internal/"/>` +
        `<m:e href="${server.url}internal/other.xml"/></m:c></s:Body></s:Envelope>`;
      const message = Buffer.from(`--${B}\r\nContent-Type: text/xml\r\nContent-ID: <root@x>\r\n\r\n${root}\r\n` +
        `--${B}\r\nContent-Type: application/xml\r\nContent-Location: ${target}\r\n\r\n<mine/>\r\n--${B}--\r\n`);
      const cache = new MemoryCache();
      const received = await receive([message], { contentType: `multipart/related; type="text/xml"; start="<root@x>"; boundary=${B}`, cache });
      assert.deepEqual(received.attachments[0]!.referencedBy.map((r) => r.element), ['{urn:m}a', '{urn:m}d'],
        'the matching part\'s own bytes stand for the URL');
      assert.equal(received.warnings.filter((w) => w.includes('which no part\'s Content-Location names')).length, 2,
        JSON.stringify(received.warnings));
      assert.equal(hits, 0, 'no request reached the server');
    } finally {
      await server.close();
    }
  });
});
