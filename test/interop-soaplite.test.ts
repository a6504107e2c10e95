// Interop with the REAL Perl SOAP::Lite 1.27 and MIME-tools 5.510 from Debian
// (libsoap-lite-perl, libmime-tools-perl), run live: test/perl/soaplite-client.pl
// calls upload(name, photo href="cid:photo@soaplite.test") on the xopstream
// receiver with SOAP::Lite->parts([MIME::Entity, ...]), which makes
// SOAP::Packager::MIME send a Multipart/Related SwA message: the RPC/encoded
// envelope (Content-ID <main_envelope>, Content-Location /main_envelope), the
// photo (image/jpeg, a few hundred KB) and a text/plain note. The receiver
// stores the parts and answers an xsd:string with every id, size and sha256,
// which SOAP::Lite deserializes and prints; a refused upload comes back as our
// SOAP 1.1 Client fault (HTTP 500), which SOAP::Lite reads as a fault.
// What SOAP::Lite showed (asserted below, so a change shows up): its HTTP
// transport runs Encode::encode('utf-8', ...) over the whole packaged message
// (SOAP::Transport::HTTP::Client::send_receive), attachments included, so a
// part sent with Content-Transfer-Encoding: binary arrives with every byte
// 0x80-0xFF turned into its two-byte UTF-8 form — the attachment is
// corrupted on the sending side, and xopstream stores what was sent. With
// Encoding => 'base64' on the MIME::Entity the part is ASCII, survives the
// encode, and the receiver decodes it to the exact bytes. The message also
// carries a preamble ("This is a multi-part message in MIME format...") and
// a charset parameter on Multipart/Related (capitalized), both read as usual.
// .ci/run installs libsoap-lite-perl and libmime-tools-perl; the tests skip
// (saying so) only on a machine without them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MemoryCache, createReceiver, xopError, ErrorCodes, type ReceivedMessage } from '../src/index.js';
import { projectRoot } from './support/corpus.js';
import { inputFileIn, killPeers, runPeerOk } from './support/peer-process.js';
import { listen, readAll, type TestServer } from './support/receive.js';
import { pseudoRandomBytes, sha256 } from './support/send.js';

const CLIENT = path.join(projectRoot, 'test', 'perl', 'soaplite-client.pl');
const NS = 'urn:xopstream:interop';
const NOTE = Buffer.from('first\r\n--not-a-boundary\r\nlast\r\n');

/** Why SOAP::Lite cannot run here, or null when it can. */
const SOAPLITE_ABSENT: string | null = (() => {
  const check = spawnSync('perl', ['-MSOAP::Lite', '-MMIME::Entity', '-e', '1']);
  if (check.error !== undefined) return 'perl is not installed (apt-get install perl libsoap-lite-perl libmime-tools-perl; .ci/run installs them): the SOAP::Lite interop tests are skipped';
  return check.status === 0 ? null
    : `perl cannot load SOAP::Lite and MIME::Entity (apt-get install libsoap-lite-perl libmime-tools-perl; .ci/run installs them): the SOAP::Lite interop tests are skipped`;
})();

let workDir = '';

before(() => {
  if (SOAPLITE_ABSENT === null) workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xopstream-soaplite-'));
});

after(() => {
  killPeers();
  if (workDir !== '') fs.rmSync(workDir, { recursive: true, force: true });
});

/** Runs the Perl client to its end; resolves with stdout, rejects with its output on a non-zero exit (or after 60 s). */
function soapLite(url: string, name: string, photo: Buffer, encoding: 'binary' | 'base64'): Promise<string> {
  const file = inputFileIn(workDir, `photo-${encoding}.bin`, photo);
  return runPeerOk('perl', [CLIENT, url, name, file, encoding], 'perl soaplite-client.pl');
}

describe('Perl SOAP::Lite 1.27 sends SwA (SOAP::Lite->parts with MIME::Entity) to the xopstream receiver', () => {
  const cache = new MemoryCache();
  let server: TestServer | null = null;
  const seen: Array<{ message: ReceivedMessage; contentType: string; bytes: Buffer[]; answer: string }> = [];

  before(async () => {
    if (SOAPLITE_ABSENT !== null) return;
    server = await listen(createReceiver({
      cache,
      onMessage: async (message, context) => {
        const name = /<name[^>]*>([^<]*)<\/name>/.exec(message.rootDocument.xml.toString('utf8'))?.[1] ?? '';
        const bytes = await Promise.all(message.attachments.map(async (a) =>
          readAll(await cache.open(context.rootId, a.properties.wss_attachment_content_id))));
        const answer = `${name} ${message.attachments.map((a, i) =>
          `${a.properties.wss_attachment_content_id}:${bytes[i]!.length}:${sha256(bytes[i]!)}`).join(' ')}`;
        seen.push({ message, contentType: String(context.req.headers['content-type']), bytes, answer });
        if (name === 'refuse me') throw xopError(ErrorCodes.BAD_ARGUMENT, 'uploads named "refuse me" are refused');
        return { xml: `<i:uploadResponse xmlns:i="${NS}"><return>${answer}</return></i:uploadResponse>` };
      },
    }));
  });
  after(() => server?.close());

  const cases = [
    { encoding: 'base64', what: 'base64 part: the receiver decodes it to the exact bytes',
      // What arrives is what was sent.
      expected: (photo: Buffer) => photo },
    { encoding: 'binary', what: 'binary part: SOAP::Lite UTF-8-encodes it on the way out, and we store what it sent',
      // Each byte taken as a Latin-1 character and written as UTF-8 by SOAP::Lite's transport.
      expected: (photo: Buffer) => Buffer.from(photo.toString('latin1'), 'utf8') },
  ] as const;
  for (const c of cases) {
    test(`${c.what}; ids, href and note as sent; SOAP::Lite returns our answer`, async (t) => {
      if (SOAPLITE_ABSENT !== null) {
        t.skip(SOAPLITE_ABSENT);
        return;
      }
      const photo = pseudoRandomBytes(300_000, c.encoding === 'base64' ? 101 : 102);
      seen.length = 0;
      const stdout = await soapLite(server!.url, 'holiday', photo, c.encoding);
      await server!.idle();
      assert.equal(seen.length, 1);
      const { message, contentType, bytes, answer } = seen[0]!;
      assert.match(contentType, /^Multipart\/Related; type="text\/xml"; start="<main_envelope>"; boundary="----------=_[\d-]+"; charset=utf-8$/);
      assert.equal(message.soap.version, '1.1');
      assert.equal(message.soap.bodyElement, `{${NS}}upload`);
      assert.deepEqual(message.warnings, []);
      assert.equal(message.rootDocument.xml.toString('utf8'),
        '<upload xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" ' +
        `xmlns="${NS}"><name xsi:type="xsd:string">holiday</name><photo href="cid:photo@soaplite.test" /></upload>`);
      const stored = c.expected(photo);
      if (c.encoding === 'binary') assert.ok(stored.length > photo.length, 'the UTF-8 form is longer');
      assert.deepEqual(message.attachments.map((a) => ({
        contentId: a.properties.wss_attachment_content_id, contentType: a.properties.wss_attachment_content_type,
        size: a.size, referencedBy: a.referencedBy,
      })), [
        { contentId: 'photo@soaplite.test', contentType: 'image/jpeg', size: stored.length,
          referencedBy: [{ element: `{${NS}}photo`, path: '/soap:Envelope/soap:Body/upload/photo', kind: 'swaRef' }] },
        { contentId: 'note@soaplite.test', contentType: 'text/plain', size: NOTE.length, referencedBy: [] },
      ]);
      assert.equal(sha256(bytes[0]!), sha256(stored));
      assert.equal(sha256(bytes[1]!), sha256(NOTE));
      // SOAP::Lite deserialized the xsd:string of our answer.
      assert.equal(stdout.trim(), `RESULT ${answer}`);
      assert.equal(answer, `holiday photo@soaplite.test:${stored.length}:${sha256(stored)} note@soaplite.test:${NOTE.length}:${sha256(NOTE)}`);
    });
  }

  test('a refused upload: our SOAP 1.1 Client fault (HTTP 500) reaches SOAP::Lite as a fault with our code and reason', async (t) => {
    if (SOAPLITE_ABSENT !== null) {
      t.skip(SOAPLITE_ABSENT);
      return;
    }
    seen.length = 0;
    const stdout = await soapLite(server!.url, 'refuse me', pseudoRandomBytes(5000, 103), 'base64');
    await server!.idle();
    assert.equal(stdout.trim(), 'FAULT soap:Client uploads named "refuse me" are refused');
    assert.equal(seen.length, 1, 'the message was received before onMessage refused it');
    assert.deepEqual(await cache.list(seen[0]!.message.rootDocument.properties.wss_root_document_id), [],
      'the refused message\'s documents are deleted');
  });
});
