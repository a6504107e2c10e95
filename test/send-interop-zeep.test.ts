// Interop with Debian's python3-zeep as a real SOAP client: zeep calls a
// loopback service whose answers xopstream composes (MTOM: zeep resolves the
// xop:Include into the base64Binary value; SwA: zeep returns a MessagePack of
// attachments), on the SOAP 1.1 and 1.2 ports. .ci/run installs python3-zeep;
// the test skips (saying so) only on a machine without it.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ownCorpusDir, sharedBinaryFiles } from './support/corpus.js';
import { FilesService, pseudoRandomBytes, sha256 } from './support/send.js';

/** The Python that has zeep: Debian's python3-zeep lives under /usr/bin/python3. */
const ZEEP_PYTHON = ['/usr/bin/python3', 'python3'].find((python) => spawnSync(python, ['-c', 'import zeep']).status === 0) ?? null;
const ZEEP_ABSENT = 'python3-zeep is not installed (apt-get install python3-zeep; .ci/run installs it): the zeep interop test is skipped';

/** Calls download on both ports and reports what zeep made of each answer. */
const SCRIPT = `
import sys, json, hashlib, zeep
from zeep.wsdl.attachments import MessagePack
def sha(b): return hashlib.sha256(b).hexdigest()
client = zeep.Client(sys.argv[1])
out = {}
for version, port in (('1.1', 'FilesSoap11'), ('1.2', 'FilesSoap12')):
    result = client.bind('Files', port).download(name='x')
    if isinstance(result, MessagePack):
        out[version] = {'kind': 'pack', 'name': result.root.name, 'attachments': [
            {'contentId': a.content_id, 'contentType': a.content_type, 'size': len(a.content), 'sha256': sha(a.content),
             'rawSize': len(a._part.content), 'rawSha256': sha(a._part.content)} for a in result.attachments]}
    else:
        out[version] = {'kind': 'value', 'name': result.name, 'size': len(result.data), 'sha256': sha(result.data)}
print(json.dumps(out))
`;

interface ZeepView {
  kind: 'pack' | 'value'; name: string; size?: number; sha256?: string;
  attachments?: Array<{ contentId: string; contentType: string; size: number; sha256: string; rawSize: number; rawSha256: string }>;
}

const service = new FilesService(fs.readFileSync(path.join(ownCorpusDir, 'send-interop', 'files.wsdl'), 'utf8'));
before(() => service.start());
after(() => service.stop());

function runZeep(): Promise<Record<'1.1' | '1.2', ZeepView>> {
  return new Promise((resolve, reject) => {
    const child = spawn(ZEEP_PYTHON!, ['-c', SCRIPT, `${service.base}/files?wsdl`], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`zeep exited ${code}: ${Buffer.concat(err).toString()}`));
      else resolve(JSON.parse(Buffer.concat(out).toString()));
    });
  });
}

function jpegOrRandom(): { contentId: string; contentType: string; bytes: Buffer } {
  const jpeg = sharedBinaryFiles('jpeg').find((f) => f.endsWith('grace_hopper.jpg'));
  return jpeg === undefined
    ? { contentId: 'random.bin', contentType: 'application/octet-stream', bytes: pseudoRandomBytes(200_000, 101) }
    : { contentId: 'grace_hopper.jpg', contentType: 'image/jpeg', bytes: fs.readFileSync(jpeg) };
}

describe('zeep reads answers composed by xopstream', () => {
  test('MTOM: the xop:Include resolves to the attachment bytes (SOAP 1.1 and 1.2)', async (t) => {
    if (ZEEP_PYTHON === null) {
      t.skip(ZEEP_ABSENT);
      return;
    }
    const first = jpegOrRandom();
    service.mode = 'mtom';
    service.attachments = [first, { contentId: 'tiny.bin', contentType: 'application/octet-stream',
      bytes: fs.readFileSync(path.join(ownCorpusDir, 'send-pack', 'tiny.bin')) }];
    const view = await runZeep();
    for (const version of ['1.1', '1.2'] as const) {
      assert.equal(view[version].kind, 'value', version);
      assert.equal(view[version].name, first.contentId);
      assert.equal(view[version].size, first.bytes.length, version);
      assert.equal(view[version].sha256, sha256(first.bytes), version);
    }
  });

  test('SwA: every attachment comes back in a MessagePack with its Content-ID and bytes', async (t) => {
    if (ZEEP_PYTHON === null) {
      t.skip(ZEEP_ABSENT);
      return;
    }
    const crlfEdged = Buffer.from('\r\nline one\r\nline two\r\n');
    service.mode = 'swa';
    service.dataText = () => 'AAAA';
    service.attachments = [jpegOrRandom(), { contentId: 'note.txt', contentType: 'text/plain', bytes: crlfEdged }];
    const view = await runZeep();
    for (const version of ['1.1', '1.2'] as const) {
      const pack = view[version];
      assert.equal(pack.kind, 'pack', version);
      assert.equal(pack.attachments!.length, 2);
      service.attachments.forEach((a, i) => {
        const got = pack.attachments![i]!;
        assert.equal(got.contentId, `<${a.contentId}>`);
        assert.equal(got.contentType, a.contentType);
        // requests_toolbelt's decoder (what zeep parses with) gets every byte…
        assert.equal(got.rawSha256, sha256(a.bytes), `${version} ${a.contentId} raw`);
      });
      assert.equal(pack.attachments![0]!.sha256, sha256(service.attachments[0]!.bytes));
      // …but zeep's Attachment.content strips CR/LF at both ends of a `binary` part (a zeep limitation).
      assert.equal(pack.attachments![1]!.sha256, sha256(Buffer.from('line one\r\nline two')));
    }
  });
});
