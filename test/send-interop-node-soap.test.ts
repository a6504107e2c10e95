// Interop with node-soap (the `soap` npm package) as a real peer:
// - its client, with parseResponseAttachments, reads MTOM and SwA answers
//   composed by xopstream (SOAP 1.1 and 1.2 ports): every attachment comes
//   back with its Content-ID, Content-Type and the same bytes;
// - its client sends attachments (MTOM, forceMTOM) and our parser reads them
//   byte for byte.
// What node-soap cannot do is asserted too, so a change in the peer shows up.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import soap from 'soap';
import type { AddressInfo } from 'node:net';
import { MemoryCache, createReceiverServer, parseContentType } from '../src/index.js';
import type { ReceivedMessage } from '../src/index.js';
import { ownCorpusDir, sharedBinaryFiles } from './support/corpus.js';
import { FilesService, parseParts, pseudoRandomBytes, readAll, sha256 } from './support/send.js';

const wsdlTemplate = fs.readFileSync(path.join(ownCorpusDir, 'send-interop', 'files.wsdl'), 'utf8');

const service = new FilesService(wsdlTemplate);
before(() => service.start());
after(() => service.stop());

type Callback = (err: Error | null, result: unknown, raw: unknown, header: unknown, rawRequest: unknown,
  attachments?: { parts: Array<{ headers: Record<string, string>; body: Buffer }> }) => void;
type Method = (args: unknown, callback: Callback, options?: Record<string, unknown>) => void;

function call(method: Method, args: unknown, options?: Record<string, unknown>): Promise<{ result: unknown; parts: Array<{ headers: Record<string, string>; body: Buffer }> }> {
  return new Promise((resolve, reject) => {
    method(args, (err, result, _raw, _header, _rawRequest, attachments) => {
      if (err) reject(err);
      else resolve({ result, parts: attachments?.parts ?? [] });
    }, options);
  });
}

function realFiles(): Array<{ contentId: string; contentType: string; bytes: Buffer }> {
  const files = [
    { contentId: 'tiny.bin', contentType: 'application/octet-stream', bytes: fs.readFileSync(path.join(ownCorpusDir, 'send-pack', 'tiny.bin')) },
    { contentId: 'random.bin', contentType: 'application/octet-stream', bytes: pseudoRandomBytes(300_000, 91) },
  ];
  const jpeg = sharedBinaryFiles('jpeg').find((f) => f.endsWith('grace_hopper.jpg'));
  const pdf = sharedBinaryFiles('pdf').find((f) => f.endsWith('python-matplotlib-data__matplotlib.pdf'));
  if (jpeg !== undefined) files.unshift({ contentId: 'grace_hopper.jpg', contentType: 'image/jpeg', bytes: fs.readFileSync(jpeg) });
  if (pdf !== undefined) files.push({ contentId: 'matplotlib.pdf', contentType: 'application/pdf', bytes: fs.readFileSync(pdf) });
  return files;
}

describe('node-soap reads messages composed by xopstream', () => {
  for (const mode of ['mtom', 'swa'] as const) {
    for (const port of ['FilesSoap11', 'FilesSoap12'] as const) {
      test(`${mode} answer on the ${port} port`, async () => {
        service.mode = mode;
        service.attachments = realFiles();
        const client = await soap.createClientAsync(`${service.base}/files?wsdl`, {
          parseResponseAttachments: true, ...(port === 'FilesSoap12' ? { forceSoap12Headers: true } : {}),
        });
        const files = (client as unknown as Record<string, Record<string, Record<string, Method>>>)['Files']!;
        const { result, parts } = await call(files[port]!['download']!, { name: 'x' });
        assert.equal(parts.length, service.attachments.length, 'node-soap returns every attachment (the root shifted out)');
        service.attachments.forEach((a, i) => {
          assert.equal(parts[i]!.headers['content-id'], `<${a.contentId}>`);
          assert.equal(parts[i]!.headers['content-type'], a.contentType);
          assert.equal(parts[i]!.headers['content-transfer-encoding'], 'binary');
          assert.equal(sha256(parts[i]!.body), sha256(a.bytes), a.contentId);
        });
        // Limitation kept visible: node-soap does not resolve xop:Include into the base64Binary value.
        const data = (result as { data: unknown }).data;
        if (mode === 'mtom') assert.deepEqual(data, { Include: { attributes: { href: `cid:${service.attachments[0]!.contentId}` } } });
        else assert.equal(data, `cid:${service.attachments[0]!.contentId}`);
        // What node-soap sent for each port.
        const request = service.received[service.received.length - 1]!;
        const sentType = parseContentType(request.headers['content-type']!);
        if (port === 'FilesSoap12') {
          assert.equal(sentType.mediaType, 'application/soap+xml');
        } else {
          assert.equal(sentType.mediaType, 'text/xml');
          assert.equal(request.headers['soapaction'], '"urn:example:files:download"');
        }
      });
    }
  }
});

describe('xopstream reads attachments node-soap sends', () => {
  test('MTOM upload with two attachments: our parser gets the same bytes', async () => {
    service.mode = 'mtom';
    service.attachments = [{ contentId: 'ack', contentType: 'text/plain', bytes: Buffer.from('ok') }];
    const files = realFiles();
    const client = await soap.createClientAsync(`${service.base}/files?wsdl`);
    const port = (client as unknown as Record<string, Record<string, Record<string, Method>>>)['Files']!['FilesSoap11']!;
    await call(port['upload']!, { name: 'batch', data: 'AA==' }, {
      attachments: files.map((f) => ({ mimetype: f.contentType, contentId: f.contentId, name: f.contentId, body: f.bytes })),
    });
    const request = service.received[service.received.length - 1]!;
    const contentType = request.headers['content-type']!;
    const ct = parseContentType(contentType);
    assert.equal(ct.mediaType, 'multipart/related');
    assert.equal(ct.parameters['type'], 'application/xop+xml');
    assert.equal(ct.parameters['start-info'], 'text/xml');
    const parts = await parseParts([request.body], contentType);
    assert.equal(parts.length, files.length + 1);
    assert.equal(parts[0]!.isRoot, true);
    assert.match(parts[0]!.contentType!, /^application\/xop\+xml; charset=UTF-8; type="text\/xml"$/);
    assert.ok(parts[0]!.body.toString().includes('<name>batch</name>'));
    files.forEach((f, i) => {
      assert.equal(parts[i + 1]!.contentId, f.contentId);
      assert.equal(parts[i + 1]!.contentType, f.contentType);
      assert.equal(sha256(parts[i + 1]!.body), sha256(f.bytes), f.contentId);
    });
  });
});

describe('node-soap sends attachments to the xopstream HTTP receiver', () => {
  for (const port of ['FilesSoap11', 'FilesSoap12'] as const) {
    test(`MTOM upload on the ${port} port: stored in the receiver's cache byte for byte`, async () => {
      const cache = new MemoryCache();
      const seen: ReceivedMessage[] = [];
      const receiver = createReceiverServer({
        cache,
        onMessage: (message, context) => {
          seen.push(message);
          return { xml: `<f:uploadResponse xmlns:f="urn:example:files"><f:received>${context.rootId}</f:received></f:uploadResponse>` };
        },
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      try {
        const files = realFiles();
        const client = await soap.createClientAsync(`${service.base}/files?wsdl`, port === 'FilesSoap12' ? { forceSoap12Headers: true } : {});
        client.setEndpoint(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}/upload`);
        const method = (client as unknown as Record<string, Record<string, Record<string, Method>>>)['Files']![port]!['upload']!;
        const { result } = await call(method, { name: 'batch', data: 'AA==' }, {
          attachments: files.map((f) => ({ mimetype: f.contentType, contentId: f.contentId, name: f.contentId, body: f.bytes })),
        });
        const message = seen[0]!;
        const rootId = message.rootDocument.properties.wss_root_document_id;
        assert.deepEqual(result, { received: rootId }, 'node-soap read the receiver\'s answer');
        assert.equal(message.soap.version, port === 'FilesSoap11' ? '1.1' : '1.2');
        assert.equal(message.soap.bodyElement, '{urn:example:files}upload');
        assert.equal(message.attachments.length, files.length);
        for (let i = 0; i < files.length; i++) {
          const doc = message.attachments[i]!;
          assert.equal(doc.properties.wss_attachment_content_id, files[i]!.contentId);
          assert.equal(doc.properties.wss_attachment_content_type, files[i]!.contentType);
          assert.equal(sha256(await readAll(await cache.open(rootId, files[i]!.contentId))), sha256(files[i]!.bytes));
        }
        // node-soap labels a SOAP 1.2 MTOM root type="text/xml": the receiver goes by the Envelope and says so.
        if (port === 'FilesSoap12') assert.ok(message.warnings.some((w) => /1\.2|version|media type/i.test(w)), message.warnings.join('; '));
      } finally {
        receiver.closeAllConnections();
        await new Promise<void>((resolve) => receiver.close(() => resolve()));
        await cache.close();
      }
    });
  }
});
