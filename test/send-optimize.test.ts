// compose({ mode: 'mtom', optimize }) moves large inline base64Binary content
// out into binary parts (the XOP layer's optimize); inflating the composed
// message with the XOP layer gives back the original envelope.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { compose, inflate, isXopError, scanSoap } from '../src/index.js';
import { contentIdOfUrl } from '../src/send/cid.js';
import { sharedBinaryFiles, sharedCorpusDir, SHARED_CORPUS_ABSENT } from './support/corpus.js';
import { parseParts, pseudoRandomBytes, readAll, sha256 } from './support/send.js';

const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';
const XMIME = 'http://www.w3.org/2005/05/xmlmime';

function envelopeWith(big: Buffer, small: Buffer): string {
  return `<?xml version="1.0" encoding="UTF-8"?><e:Envelope xmlns:e="${SOAP12}"><e:Header><t:token xmlns:t="urn:t">${big.toString('base64')}</t:token></e:Header>` +
    `<e:Body><m:upload xmlns:m="urn:m" xmlns:xmime="${XMIME}"><m:photo xmime:contentType="image/jpeg">${big.toString('base64')}</m:photo>` +
    `<m:thumb>${small.toString('base64')}</m:thumb></m:upload></e:Body></e:Envelope>`;
}

test('large base64Binary in the Body becomes a binary part; small content and Header blocks stay inline', async () => {
  const big = pseudoRandomBytes(100_000, 61);
  const small = pseudoRandomBytes(100, 62);
  const original = envelopeWith(big, small);
  const msg = await compose({ xml: original, mode: 'mtom', optimize: { threshold: 1024 },
    attachments: [{ contentId: 'extra@x', contentType: 'text/plain', body: Buffer.from('extra') }] });
  const wire = await readAll(msg.body);
  assert.equal(msg.contentLength, wire.length);
  const parts = await parseParts([wire], msg.contentType);
  assert.equal(parts.length, 3);
  const root = parts[0]!.body.toString('utf8');
  const href = /<m:photo xmime:contentType="image\/jpeg"><xop:Include xmlns:xop="http:\/\/www.w3.org\/2004\/08\/xop\/include" href="([^"]+)"\/><\/m:photo>/.exec(root);
  assert.ok(href, root.slice(0, 2000));
  assert.equal(contentIdOfUrl(href[1]!), parts[1]!.contentId);
  assert.match(parts[1]!.contentId!, /^xop1\.[0-9a-f]{32}@xopstream$/);
  assert.equal(parts[1]!.contentType, 'image/jpeg');
  assert.equal(sha256(parts[1]!.body), sha256(big));
  assert.equal(parts[2]!.contentId, 'extra@x');
  assert.ok(root.includes(`<m:thumb>${small.toString('base64')}</m:thumb>`));
  assert.ok(root.includes(`<t:token xmlns:t="urn:t">${big.toString('base64')}</t:token>`), 'Header blocks stay inline');
  assert.deepEqual(msg.parts.map((p) => p.contentId), [parts[1]!.contentId, 'extra@x']);

  // The XOP layer's inflate turns the package back into the original envelope.
  const scan = await scanSoap(parts[0]!.body, { contentType: parts[0]!.contentType! });
  const byId = new Map(parts.slice(1).map((p) => [p.contentId!, p.body]));
  const inflated = await readAll(inflate(scan, { attachment: (cid) => byId.get(cid)! }));
  assert.equal(inflated.toString('utf8'), original);
});

test('optimize needs MTOM', async () => {
  await assert.rejects(compose({ xml: '<a/>', mode: 'swa', optimize: true }),
    (e: unknown) => isXopError(e) && e.code === 'ERR_BAD_ARGUMENT');
});

test('optimize: true on a payload with a real JPEG (shared corpus)', async (t) => {
  if (sharedCorpusDir === null) {
    t.skip(SHARED_CORPUS_ABSENT);
    return;
  }
  const jpegPath = sharedBinaryFiles('jpeg').find((p) => p.endsWith('grace_hopper.jpg'))!;
  const jpeg = fs.readFileSync(jpegPath);
  const msg = await compose({
    xml: `<m:photo xmlns:m="urn:m">${jpeg.toString('base64')}</m:photo>`, mode: 'mtom', soapVersion: '1.2', optimize: true,
  });
  const parts = await parseParts([await readAll(msg.body)], msg.contentType);
  assert.equal(parts.length, 2);
  assert.equal(sha256(parts[1]!.body), sha256(jpeg));
  assert.ok(parts[0]!.body.length < 1000, 'the root part no longer carries the base64');
});
