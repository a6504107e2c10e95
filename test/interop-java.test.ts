// Interop with the REAL Java SOAP stacks from Debian, run live: SAAJ RI 1.4.1
// (libsaaj-ri-java) and Metro = JAX-WS RI 2.3.0.2 (libjaxws-java) on the
// machine's Java (17). The programs under test/java/ are compiled with javac
// once per run into a temporary directory (classpath: the Debian jars in
// /usr/share/java) and run with real data:
//  1. SAAJ RI → receive(): SaajWrite builds a SwA SOAPMessage (SOAP 1.1 and
//     1.2) with three attachments — binary with a Content-Id, binary with only
//     a Content-Location, text/xml — and writes saveChanges()'s Content-Type
//     and writeTo()'s bytes; receive() parses them over several chunkings.
//     The same message is POSTed to createReceiver by Metro (a
//     Dispatch<SOAPMessage>, re-encoded by Metro's MIME codec) and by SAAJ's
//     SOAPConnection; both read the receiver's default answer.
//  2. Metro MTOM client → createReceiver(): MetroClient calls upload(name,
//     byte[]) through an SEI proxy with MTOMFeature(true, 0) on the receiver
//     (SOAP 1.1 and 1.2); the receiver answers with the digest of what it
//     stored, which Metro must unmarshal and return; faults too.
//  3. send() → Metro endpoints: MetroServer publishes the same service with
//     @MTOM on the JDK HTTP server (Endpoint.publish); xopstream sends MTOM
//     built from cached attachments (and from inline base64 with optimize)
//     and reads Metro's digest; echo() makes Metro answer MTOM, which send()
//     parses. SwA goes to a Provider<SOAPMessage> endpoint (SwaEndpoint) that
//     reports each AttachmentPart's Content-ID, type, size and sha256.
// Facts about these Debian versions that shape the Java side: a Metro SEI
// proxy needs WSDL metadata (Service.create(qname) + addPort + getPort fails
// with "WSDL Metadata not available to create the proxy"), so the client
// reads test/java/files.wsdl; Debian's jaxws-rt lacks the repackaged ASM
// Metro uses to generate wrapper beans at run time (NoClassDefFoundError
// com/sun/xml/ws/org/objectweb/asm/Type), so the wrappers are written by hand
// (test/java/xopstream/interop/jaxws/, as wsgen would).
// What the peers showed (asserted below, so a change shows up):
// - Metro reads a SOAP 1.1 fault only with HTTP 500 (SOAP 1.1 §6.2, WS-I BP
//   R1126). The receiver's default answers a SOAP 1.1 Client fault with 400,
//   which Metro reports as a ClientTransportException naming the status; with
//   faultStatus: 'soap' (src/receive/reply.ts) it goes with 500 and Metro gets
//   the fault.
// - Metro's MIME encoder writes `Content-Id:null` for an attachment that has
//   none and does not keep the attachments' order.
// .ci/run installs default-jdk-headless, libjaxws-java and libsaaj-ri-java;
// the tests skip (saying so) only on a machine without them.
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MemoryCache, compose, createReceiver, receive, send, xopError, ErrorCodes, type ReceivedMessage, type ReceiverOptions } from '../src/index.js';
import { chunk, projectRoot } from './support/corpus.js';
import { cachedBytes, inputFileIn, compileJava, killPeers, runJava, startListeningPeer, stopListeningPeer } from './support/peer-process.js';
import { listen, readAll, type TestServer } from './support/receive.js';
import { cacheWith, pseudoRandomBytes, sha256 } from './support/send.js';

const JAVA_DIR = path.join(projectRoot, 'test', 'java');
const JAR_DIR = '/usr/share/java';
const NS = 'urn:xopstream:interop';
const XOP_NS = 'http://www.w3.org/2004/08/xop/include';
/** Debian jars (names without version) the programs need: Metro, SAAJ RI and what they run on under Java 11+. */
const REQUIRED_JARS = [
  'jaxws-rt', 'jaxws-api', 'jws-api', 'saaj-impl', 'javax.xml.soap-api', 'jaxb-api', 'jaxb-runtime', 'jaxb-core',
  'javax.activation', 'istack-commons-runtime', 'stax-ex', 'streambuffer', 'mimepull', 'metro-policy',
];
/** Put on the classpath when present (jaxws-rt's manifest names them too). */
const OPTIONAL_JARS = [
  'jaxb-impl', 'gmbal', 'glassfish-management-api', 'FastInfoset', 'woodstox-core', 'stax2-api', 'txw2',
  'geronimo-annotation-1.3-spec',
];

/** Why the Java stacks cannot run here, or null when they can. */
const JAVA_ABSENT: string | null = (() => {
  const install = '(apt-get install default-jdk-headless libjaxws-java libsaaj-ri-java; .ci/run installs them): the Java interop tests are skipped';
  for (const tool of ['java', 'javac']) {
    if (spawnSync(tool, ['-version']).status !== 0) return `${tool} is not installed ${install}`;
  }
  const missing = REQUIRED_JARS.filter((jar) => !fs.existsSync(path.join(JAR_DIR, `${jar}.jar`)));
  return missing.length === 0 ? null : `${missing.map((j) => `${j}.jar`).join(', ')} not in ${JAR_DIR} ${install}`;
})();

const CLASSPATH_JARS = [...REQUIRED_JARS, ...OPTIONAL_JARS]
  .map((jar) => path.join(JAR_DIR, `${jar}.jar`)).filter((file) => fs.existsSync(file));

let workDir = '';
let classpath = '';
/** The JVM options of every run: quick start-up (no tiered C2) and the compiled classes on the classpath. */
function java(main: string, args: string[]): Promise<string> {
  return runJava(classpath, `xopstream.interop.${main}`, args);
}

before(async () => {
  if (JAVA_ABSENT !== null) return;
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xopstream-java-'));
  classpath = await compileJava(workDir, JAVA_DIR, CLASSPATH_JARS);
});

after(() => {
  killPeers();
  if (workDir !== '') fs.rmSync(workDir, { recursive: true, force: true });
});

/** A file in the work directory holding `bytes`. */
const inputFile = (name: string, bytes: Uint8Array): string => inputFileIn(workDir, name, bytes);

// --- 1. SAAJ RI → receive() ------------------------------------------------------------------

describe('SAAJ RI 1.4.1 writes SwA messages that receive() parses', () => {
  const photo = pseudoRandomBytes(70_000, 7); // over 64 KiB: the 64 KiB slices cut inside it
  // CRLF at both ends, and a line that starts like a delimiter.
  const notes = Buffer.from('\r\nfirst line\r\n--not-a-boundary\r\nlast line\r\n');
  const doc = Buffer.from('<?xml version="1.0" encoding="UTF-8"?><note lang="fr">café</note>');

  for (const version of ['1.1', '1.2'] as const) {
    test(`SOAP ${version}: root, three attachments (Content-Id, Content-Location only, text/xml), references`, async (t) => {
      if (JAVA_ABSENT !== null) {
        t.skip(JAVA_ABSENT);
        return;
      }
      const out = fs.mkdtempSync(path.join(workDir, `saaj-${version}-`));
      await java('SaajWrite', [out, version, inputFile('photo.bin', photo), inputFile('notes.bin', notes), inputFile('doc.xml', doc)]);
      const contentType = fs.readFileSync(path.join(out, 'content-type.txt'), 'utf8');
      const bytes = fs.readFileSync(path.join(out, 'message.bin'));
      const soapType = version === '1.1' ? 'text/xml' : 'application/soap+xml';
      // What SAAJ wrote: JavaMail framing, no start parameter.
      assert.match(contentType, new RegExp(`^multipart/related;.*type="${soapType.replace('+', '\\+')}"`));
      assert.match(contentType, /boundary="----=_Part_/);

      const chunkings: Array<[string, Uint8Array[]]> = [
        ['whole', [bytes]], ['byte by byte', chunk(bytes, 1)], ['7-byte slices', chunk(bytes, 7)], ['64 KiB slices', chunk(bytes, 65536)],
      ];
      for (const [name, chunks] of chunkings) {
        const cache = new MemoryCache();
        const rootId = randomUUID();
        const message = await receive(chunks, { contentType, cache, rootId });
        assert.equal(message.soap.version, version, name);
        assert.equal(message.soap.bodyElement, `{${NS}}upload`);
        assert.deepEqual(message.soap.headerBlocks, []);
        assert.deepEqual(message.warnings, [], name);
        assert.deepEqual(message.xopIncludes, []);
        const xml = message.rootDocument.xml.toString('utf8');
        assert.match(xml, /^<m:upload xmlns:m="urn:xopstream:interop"><m:title>three attachments from SAAJ<\/m:title>/);
        assert.match(xml, /<m:photo href="cid:photo@xopstream\.test"\/>/);
        assert.equal(message.rootDocument.properties.wss_root_document_id, rootId);

        const got = message.attachments.map((a) => ({
          contentId: a.properties.wss_attachment_content_id, contentType: a.properties.wss_attachment_content_type,
          index: a.index, size: a.size, contentLocation: a.contentLocation, referencedBy: a.referencedBy,
        }));
        assert.deepEqual(got, [
          { contentId: 'photo@xopstream.test', contentType: 'application/octet-stream', index: 1, size: photo.length,
            contentLocation: null,
            referencedBy: [{ element: `{${NS}}photo`, path: `/${version === '1.1' ? 'SOAP-ENV' : 'env'}:Envelope/${version === '1.1' ? 'SOAP-ENV' : 'env'}:Body/m:upload/m:photo`, kind: 'swaRef' }] },
          // No Content-Id: stored under its index; the http: href names it by its Content-Location (SwA Note §3).
          { contentId: 2, contentType: 'application/octet-stream', index: 2, size: notes.length,
            contentLocation: 'http://example.org/notes.bin',
            referencedBy: [{ element: `{${NS}}notes`, path: `/${version === '1.1' ? 'SOAP-ENV' : 'env'}:Envelope/${version === '1.1' ? 'SOAP-ENV' : 'env'}:Body/m:upload/m:notes`, kind: 'location' }] },
          { contentId: 'doc.xml@xopstream.test', contentType: 'text/xml; charset=utf-8', index: 3, size: doc.length,
            contentLocation: null,
            referencedBy: [{ element: `{${NS}}doc`, path: `/${version === '1.1' ? 'SOAP-ENV' : 'env'}:Envelope/${version === '1.1' ? 'SOAP-ENV' : 'env'}:Body/m:upload/m:doc`, kind: 'swaRef' }] },
        ], name);
        assert.equal(sha256(await cachedBytes(cache, rootId, 'photo@xopstream.test')), sha256(photo), name);
        assert.equal(sha256(await cachedBytes(cache, rootId, 2)), sha256(notes), name);
        assert.equal(sha256(await cachedBytes(cache, rootId, 'doc.xml@xopstream.test')), sha256(doc), name);
      }
    });
  }
});

// --- 1b. the same SwA message POSTed by Metro (Dispatch) and by SAAJ (SOAPConnection) ----------

describe('Metro Dispatch and SAAJ SOAPConnection POST SwA to the xopstream receiver and read its answer', () => {
  const photo = pseudoRandomBytes(120_000, 8);
  const notes = Buffer.from('\r\n--\r\nnotes\r\n');
  const doc = Buffer.from('<?xml version="1.0" encoding="UTF-8"?><note/>');
  const cache = new MemoryCache();
  let server: TestServer | null = null;
  const seen: Array<{ message: ReceivedMessage; contentType: string; bytes: Buffer[] }> = [];

  before(async () => {
    if (JAVA_ABSENT !== null) return;
    server = await listen(createReceiver({
      cache,
      onMessage: async (message, context) => {
        const bytes = await Promise.all(message.attachments.map((a) =>
          cachedBytes(cache, context.rootId, a.properties.wss_attachment_content_id)));
        seen.push({ message, contentType: String(context.req.headers['content-type']), bytes });
        // No answer: the receiver's default one, which the Java side reads.
      },
    }));
  });
  after(() => server?.close());

  for (const transport of ['metro', 'saaj'] as const) {
    for (const version of ['1.1', '1.2'] as const) {
      test(`${transport === 'metro' ? 'Metro Dispatch<SOAPMessage>' : 'SAAJ SOAPConnection'}, SOAP ${version}: exact bytes stored, our answer read`, async (t) => {
        if (JAVA_ABSENT !== null) {
          t.skip(JAVA_ABSENT);
          return;
        }
        seen.length = 0;
        const stdout = await java('SwaClient', [transport, server!.url, version, inputFile('swa-photo.bin', photo),
          inputFile('swa-notes.bin', notes), inputFile('swa-doc.xml', doc)]);
        await server!.idle();
        assert.equal(seen.length, 1);
        const { message, contentType, bytes } = seen[0]!;
        assert.match(contentType, new RegExp(`^multipart/related;.*type="${version === '1.1' ? 'text/xml' : 'application/soap\\+xml'}"`));
        assert.equal(message.soap.version, version);
        assert.equal(message.soap.bodyElement, `{${NS}}upload`);
        assert.deepEqual(message.warnings, []);
        // SAAJ sends its own multipart as built. Metro re-encodes it (MimeCodec): attachments in the order of its
        // attachment set, and an attachment without Content-ID gets the header `Content-Id:null` (Metro writes
        // the null reference), so it is stored under the content id "null" instead of its index.
        const noId = transport === 'saaj' ? 2 : 'null';
        const sent = new Map<string | number, { contentType: string; contentLocation: string | null; bytes: Buffer }>([
          ['photo@xopstream.test', { contentType: 'application/octet-stream', contentLocation: null, bytes: photo }],
          [noId, { contentType: 'application/octet-stream', contentLocation: 'http://example.org/notes.bin', bytes: notes }],
          ['doc.xml@xopstream.test', { contentType: 'text/xml; charset=utf-8', contentLocation: null, bytes: doc }],
        ]);
        const ids = message.attachments.map((a) => a.properties.wss_attachment_content_id);
        if (transport === 'saaj') assert.deepEqual(ids, ['photo@xopstream.test', 2, 'doc.xml@xopstream.test'], 'SAAJ keeps the order');
        assert.deepEqual([...ids].sort(), [...sent.keys()].sort());
        message.attachments.forEach((a, i) => {
          const expected = sent.get(a.properties.wss_attachment_content_id)!;
          assert.equal(a.properties.wss_attachment_content_type, expected.contentType);
          assert.equal(a.contentLocation, expected.contentLocation);
          assert.equal(sha256(bytes[i]!), sha256(expected.bytes), String(a.properties.wss_attachment_content_id));
        });
        // The Java side read the receiver's default answer.
        const rootId = message.rootDocument.properties.wss_root_document_id;
        assert.deepEqual(stdout.trim().split('\n'), [
          `RECEIVED ${rootId} 3`,
          ...message.attachments.map((a) => {
            const expected = sent.get(a.properties.wss_attachment_content_id)!;
            return `ATTACHMENT ${a.properties.wss_attachment_content_id} ${expected.contentType.replace(' ', '')} ${expected.bytes.length}`;
          }),
        ]);
      });
    }
  }
});

// --- 2. Metro MTOM client → createReceiver() -------------------------------------------------

describe('Metro (JAX-WS RI 2.3.0.2) MTOM client calls the xopstream receiver', () => {
  const cache = new MemoryCache();
  let server: TestServer | null = null;
  const seen: Array<{ message: ReceivedMessage; contentType: string; bytes: Buffer }> = [];

  before(async () => {
    if (JAVA_ABSENT !== null) return;
    const options: ReceiverOptions = {
      cache,
      onMessage: async (message, context) => {
        const attachment = message.attachments[0];
        const bytes = attachment === undefined ? Buffer.alloc(0)
          : await cachedBytes(cache, context.rootId, attachment.properties.wss_attachment_content_id);
        seen.push({ message, contentType: String(context.req.headers['content-type']), bytes });
        const name = /<name>([^<]*)<\/name>/.exec(message.rootDocument.xml.toString('utf8'))?.[1] ?? '';
        if (name === 'refuse me') throw xopError(ErrorCodes.BAD_ARGUMENT, 'uploads named "refuse me" are refused');
        if (name === 'fail me') throw new Error('a handler failure with private details');
        return { xml: `<i:uploadResponse xmlns:i="${NS}"><digest>${name} ${bytes.length} ${sha256(bytes)}</digest></i:uploadResponse>` };
      },
    };
    // The default fault statuses at /, the SOAP binding's (faultStatus: 'soap') at /soap.
    const plain = createReceiver(options);
    const soap = createReceiver({ ...options, faultStatus: 'soap' });
    server = await listen((req, res) => (req.url?.startsWith('/soap') === true ? soap : plain)(req, res));
  });
  after(() => server?.close());

  for (const version of ['1.1', '1.2'] as const) {
    test(`SOAP ${version}: the xop:Include resolves to the exact bytes, and Metro returns our answer`, async (t) => {
      if (JAVA_ABSENT !== null) {
        t.skip(JAVA_ABSENT);
        return;
      }
      const data = pseudoRandomBytes(250_000, version === '1.1' ? 11 : 12);
      seen.length = 0;
      const stdout = await java('MetroClient', [path.join(JAVA_DIR, 'files.wsdl'), server!.url, version,
        inputFile(`upload-${version}.bin`, data), `photo ${version}`]);
      await server!.idle();
      // Metro unmarshalled the receiver's SOAP answer and returned its digest.
      assert.equal(stdout.trim(), `RESULT photo ${version} ${data.length} ${sha256(data)}`);

      assert.equal(seen.length, 1);
      const { message, contentType, bytes } = seen[0]!;
      assert.match(contentType, /^multipart\/related;/);
      assert.match(contentType, /type="application\/xop\+xml"/);
      assert.match(contentType, version === '1.1' ? /start-info="text\/xml"/ : /start-info="application\/soap\+xml/);
      assert.equal(message.soap.version, version);
      assert.equal(message.soap.bodyElement, `{${NS}}upload`);
      assert.deepEqual(message.warnings, []);
      assert.equal(message.attachments.length, 1);
      const attachment = message.attachments[0]!;
      assert.equal(attachment.size, data.length);
      assert.equal(sha256(bytes), sha256(data));
      assert.equal(message.xopIncludes.length, 1);
      const include = message.xopIncludes[0]!;
      assert.equal(include.part, attachment.index);
      assert.equal(include.contentId, attachment.properties.wss_attachment_content_id);
      assert.equal(include.element, 'data'); // unqualified, as the wrapper bean says
      assert.deepEqual(attachment.referencedBy.map((r) => r.kind), ['xop']);
      const xml = message.rootDocument.xml.toString('utf8');
      assert.ok(xml.includes(`<xop:Include xmlns:xop="${XOP_NS}" href="cid:`) || xml.includes(XOP_NS), xml);
    });
  }

  // Faults as Metro's HttpTransportPipe.checkStatusCode reads them: SOAP 1.2 with
  // 4xx or 5xx, SOAP 1.1 only with 500 (SOAP 1.1 §6.2 and WS-I BP 1.1 R1126 say a
  // Fault goes with 500). The receiver's default answers a SOAP 1.1 Client fault
  // with 400 (the receiver's contract: 400 malformed), which Metro does not read;
  // with faultStatus: 'soap' it goes with 500 and Metro reads it.
  const faults = [
    { path: '', version: '1.1', name: 'refuse me', expected: 'TRANSPORT The server sent HTTP status code 400: Bad Request', what: 'by default, a Client fault sent with 400 is not read' },
    { path: 'soap', version: '1.1', name: 'refuse me', expected: 'FAULT uploads named "refuse me" are refused', what: "with faultStatus 'soap', a Client fault (500, as SOAP 1.1 requires) with our reason" },
    { path: '', version: '1.2', name: 'refuse me', expected: 'FAULT uploads named "refuse me" are refused', what: 'a Sender fault (400) with our reason' },
    { path: '', version: '1.1', name: 'fail me', expected: 'FAULT the message could not be processed', what: 'a Server fault (500) that hides the cause' },
    { path: '', version: '1.2', name: 'fail me', expected: 'FAULT the message could not be processed', what: 'a Receiver fault (500) that hides the cause' },
  ] as const;
  for (const f of faults) {
    test(`SOAP ${f.version}: ${f.what}${f.expected.startsWith('FAULT') ? ' reaches Metro as a SOAPFaultException' : ' by Metro'}`, async (t) => {
      if (JAVA_ABSENT !== null) {
        t.skip(JAVA_ABSENT);
        return;
      }
      seen.length = 0;
      const stdout = await java('MetroClient', [path.join(JAVA_DIR, 'files.wsdl'), server!.url + f.path, f.version,
        inputFile('refused.bin', pseudoRandomBytes(5000, 3)), f.name]);
      await server!.idle();
      assert.equal(stdout.trim(), f.expected);
      assert.equal(seen.length, 1, 'the message was received before onMessage refused it');
      assert.deepEqual(await cache.list(seen[0]!.message.rootDocument.properties.wss_root_document_id), [],
        'the refused message\'s documents are deleted');
    });
  }
});

// --- 3. send() → Metro endpoint --------------------------------------------------------------

describe('xopstream send() calls a Metro (JAX-WS RI) @MTOM endpoint', () => {
  let metro: ChildProcess | null = null;
  let base = '';

  before(async () => {
    if (JAVA_ABSENT !== null) return;
    const started = await startListeningPeer('java', ['-XX:TieredStopAtLevel=1', '-cp', classpath, 'xopstream.interop.MetroServer'], 'MetroServer');
    metro = started.child;
    base = `http://127.0.0.1:${started.port}`;
  });

  after(() => stopListeningPeer(metro)); // MetroServer stops when stdin closes

  for (const version of ['1.1', '1.2'] as const) {
    const endpoint = () => `${base}/${version === '1.1' ? 'files' : 'files12'}`;

    test(`SOAP ${version}: MTOM from cached attachments; Metro's digest equals ours`, async (t) => {
      if (JAVA_ABSENT !== null) {
        t.skip(JAVA_ABSENT);
        return;
      }
      const data = pseudoRandomBytes(400_000, version === '1.1' ? 21 : 22);
      const rootId = randomUUID();
      const cache = await cacheWith(rootId, [{ contentId: 'scan@xopstream.test', contentType: 'application/octet-stream', bytes: data }]);
      const response = await send(endpoint(), {
        mode: 'mtom', soapVersion: version, rootId, cache,
        xml: `<i:upload xmlns:i="${NS}"><name>scan</name><data><xop:Include xmlns:xop="${XOP_NS}" href="cid:scan@xopstream.test"/></data></i:upload>`,
      });
      assert.equal(response.status, 200);
      assert.equal(response.soap.version, version);
      assert.equal(response.soap.bodyElement, `{${NS}}uploadResponse`);
      assert.match(response.rootDocument.xml.toString('utf8'), new RegExp(`<digest>scan ${data.length} ${sha256(data)}</digest>`));
    });

    test(`SOAP ${version}: MTOM optimized from inline base64; Metro's digest equals ours`, async (t) => {
      if (JAVA_ABSENT !== null) {
        t.skip(JAVA_ABSENT);
        return;
      }
      const data = pseudoRandomBytes(100_000, version === '1.1' ? 31 : 32);
      const response = await send(endpoint(), {
        mode: 'mtom', soapVersion: version, optimize: true,
        xml: `<i:upload xmlns:i="${NS}"><name>inline</name><data>${data.toString('base64')}</data></i:upload>`,
      });
      assert.equal(response.status, 200);
      assert.match(response.rootDocument.xml.toString('utf8'), new RegExp(`<digest>inline ${data.length} ${sha256(data)}</digest>`));
    });

    test(`SOAP ${version}: SwA from cached attachments to a Metro Provider<SOAPMessage>: every part's id, type and digest`, async (t) => {
      if (JAVA_ABSENT !== null) {
        t.skip(JAVA_ABSENT);
        return;
      }
      const rootId = randomUUID();
      const stored = [
        { contentId: 'photo@xopstream.test', contentType: 'image/jpeg', bytes: pseudoRandomBytes(150_000, version === '1.1' ? 51 : 52) },
        { contentId: 'note.txt', contentType: 'text/plain; charset=utf-8', bytes: Buffer.from('\r\nline one\r\n--line two\r\n') },
        // Stored under its index (it had no Content-ID): the composer gives it one and rewrites cid:3.
        { contentId: 3, contentType: 'application/xml', bytes: Buffer.from('<?xml version="1.0"?><a>ü</a>') },
      ];
      const cache = await cacheWith(rootId, stored);
      const composed = await compose({
        mode: 'swa', soapVersion: version, rootId, cache,
        xml: `<i:upload xmlns:i="${NS}"><i:photo href="cid:photo@xopstream.test"/><i:note>cid:note.txt</i:note><i:doc href="cid:3"/></i:upload>`,
      });
      const response = await send(`${base}/${version === '1.1' ? 'swa' : 'swa12'}`, composed);
      assert.equal(response.status, 200);
      assert.equal(response.soap.version, version);
      const xml = response.rootDocument.xml.toString('utf8');
      assert.match(xml, new RegExp(`body="\\{${NS}\\}upload"`));
      // What SAAJ's getContentId() gave, with the brackets; Metro's attachment set does not keep the part order.
      const items = new Map([...xml.matchAll(/<i:attachment (.*?)\/>/g)].map((m) => {
        const attributes = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!]));
        return [attributes['contentId']!.replace('&lt;', '<'), attributes] as const;
      }));
      assert.equal(items.size, stored.length, xml);
      assert.deepEqual(composed.parts.map((p) => p.contentId).slice(0, 2), ['photo@xopstream.test', 'note.txt']);
      stored.forEach((a, i) => {
        const item = items.get(`<${composed.parts[i]!.contentId}>`);
        assert.ok(item !== undefined, `${composed.parts[i]!.contentId} reached Metro: ${xml}`);
        assert.equal(item['contentType'], a.contentType);
        assert.equal(item['size'], String(a.bytes.length));
        assert.equal(item['sha256'], sha256(a.bytes), String(a.contentId));
      });
    });

    test(`SOAP ${version}: Metro's MTOM answer (echo) parses into an attachment with the exact bytes`, async (t) => {
      if (JAVA_ABSENT !== null) {
        t.skip(JAVA_ABSENT);
        return;
      }
      const data = pseudoRandomBytes(200_000, version === '1.1' ? 41 : 42);
      const rootId = randomUUID();
      const cache = await cacheWith(rootId, [{ contentId: 'echo@xopstream.test', contentType: 'application/octet-stream', bytes: data }]);
      const response = await send(endpoint(), {
        mode: 'mtom', soapVersion: version, rootId, cache,
        xml: `<i:echo xmlns:i="${NS}"><data><xop:Include xmlns:xop="${XOP_NS}" href="cid:echo@xopstream.test"/></data></i:echo>`,
      });
      assert.equal(response.status, 200);
      assert.match(String(response.contentType), /^multipart\/related;.*type="application\/xop\+xml"/);
      assert.equal(response.soap.bodyElement, `{${NS}}echoResponse`);
      assert.deepEqual(response.warnings, []);
      assert.equal(response.attachments.length, 1);
      assert.equal(response.xopIncludes.length, 1);
      const attachment = response.attachments[0]!;
      assert.equal(response.xopIncludes[0]!.contentId, attachment.properties.wss_attachment_content_id);
      const id = response.rootDocument.properties.wss_root_document_id;
      assert.equal(sha256(await readAll(await response.cache.open(id, attachment.properties.wss_attachment_content_id))), sha256(data));
    });
  }
});
