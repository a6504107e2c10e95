// Interop with the REAL Apache Axis 1.4 from Debian (libaxis-java), run live
// on the machine's Java (17). The programs under test/java-axis/ (kept apart
// from test/java/: Axis brings its own javax.xml.soap (axis-saaj.jar) and
// JAX-RPC, which must not meet Metro's SAAJ RI on one classpath) are compiled
// with javac once per run into a temporary directory and run with real data:
//  1. Axis client → createReceiver(): AxisClient is a dynamic
//     org.apache.axis.client.Call (no WSDL, RPC/encoded, SOAP 1.1) of
//     upload(name, photo, notes) whose photo and notes are DataHandler
//     parameters — Axis writes them as href="cid:..." elements and MIME parts
//     of their own — plus one attachment added with Call.addAttachmentPart,
//     referenced from nowhere. The receiver stores them and answers an
//     xsd:string with the id, size and sha256 of every part, which Axis
//     deserializes and prints; a refused upload comes back to Axis as our
//     SOAP 1.1 Client fault (HTTP 500), a failing handler as a Server fault.
//  2. Axis-built message → receive(): what AxisClient POSTs in Axis's default
//     transport mode, captured off a loopback socket (request line, headers,
//     every body byte), parsed by receive() over several chunkings.
//  3. send() → an Axis endpoint: AxisServer runs Axis's standalone
//     SimpleAxisServer (no servlet container) with a java:MSG service deployed
//     from WSDD. upload reports every AttachmentPart Axis parsed (Content-Id,
//     type, size, sha256) and what Axis resolves each href="cid:..." to; echo
//     sends the attachments back in an Axis-built SwA response, which send()
//     parses; a refused echo comes back as Axis's fault (SOAP 1.1 and 1.2).
// What Axis 1.4 showed with Debian's JavaMail 1.6.5 (asserted below, so a
// change shows up): Axis writes the multipart with JavaMail's
// MimeMessage.writeTo, leaving out the Message-ID, Mime-Version and
// Content-Type headers; JavaMail 1.6 also sets a `Date:` header there (1.4,
// which Axis was written against, did not), so the body starts with a
// "Date: ...\r\n\r\n" preamble (legal MIME: a preamble is ignored). But Axis's
// default HTTPSender (HTTP/1.0) computes Content-Length without that line:
// the header announces exactly len("Date: ...\r\n") bytes fewer than Axis
// sends, and the close delimiter falls outside the announced body. A server
// that honours Content-Length sees a truncated multipart (receive() rejects
// it: ERR_MIME_TRUNCATED), and Node's HTTP parser takes the leftover bytes
// for a next request: its default clientError handler answers 400 Bad
// Request and destroys the socket while the receiver is still answering, so
// Axis reported "(400)Bad Request". createReceiverServer now finishes the
// answer to a complete request first (src/receive/receiver.ts,
// test/regression-client-error-after-complete-request.test.ts): Axis reads
// our Client fault naming the truncation. With HTTP/1.1 chunked transfer (Axis's
// HTTPConstants.REQUEST_HEADERS Transfer-Encoding: chunked) no length is
// computed and the message arrives whole: that is how AxisClient talks to
// createReceiver in part 1.
// Axis also folds its Content-Type header (JavaMail's ContentType.toString):
// the value reaches Node as `...start="<...>"; \tboundary="..."`, a tab
// inside it, which the receiver reads as whitespace.
// .ci/run installs default-jdk-headless, libaxis-java and libactivation-java; the tests skip
// (saying so) only on a machine without them.
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  MemoryCache, SoapFaultError, compose, createReceiver, createReceiverServer, receive, send, xopError, ErrorCodes, isXopError, type ReceivedMessage, type ReceiverOptions,
} from '../src/index.js';
import { chunk, projectRoot } from './support/corpus.js';
import { inputFileIn, compileJava, killPeers, runJava, startListeningPeer, stopListeningPeer } from './support/peer-process.js';
import { listen, readAll, type TestServer } from './support/receive.js';
import { cacheWith, pseudoRandomBytes, sha256 } from './support/send.js';

const JAVA_DIR = path.join(projectRoot, 'test', 'java-axis');
const JAR_DIR = '/usr/share/java';
const NS = 'urn:xopstream:interop';
const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
/** Debian jars (names without version): Axis 1.4, its JAX-RPC and SAAJ 1.2, and what they run on. */
const REQUIRED_JARS = [
  'axis', 'axis-jaxrpc', 'axis-saaj', 'commons-discovery', 'commons-logging', 'wsdl4j', 'javax.activation', 'javax.mail',
];

/** Why Axis cannot run here, or null when it can. */
const AXIS_ABSENT: string | null = (() => {
  const install = '(apt-get install default-jdk-headless libaxis-java libactivation-java; .ci/run installs them): the Axis 1.4 interop tests are skipped';
  for (const tool of ['java', 'javac']) {
    if (spawnSync(tool, ['-version']).status !== 0) return `${tool} is not installed ${install}`;
  }
  const missing = REQUIRED_JARS.filter((jar) => !fs.existsSync(path.join(JAR_DIR, `${jar}.jar`)));
  return missing.length === 0 ? null : `${missing.map((j) => `${j}.jar`).join(', ')} not in ${JAR_DIR} ${install}`;
})();

const CLASSPATH_JARS = REQUIRED_JARS.map((jar) => path.join(JAR_DIR, `${jar}.jar`));

let workDir = '';
let classpath = '';

function java(main: string, args: string[]): Promise<string> {
  return runJava(classpath, `xopstream.interop.axis.${main}`, args);
}

before(async () => {
  if (AXIS_ABSENT !== null) return;
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xopstream-axis-'));
  classpath = await compileJava(workDir, JAVA_DIR, CLASSPATH_JARS);
});

after(() => {
  killPeers();
  if (workDir !== '') fs.rmSync(workDir, { recursive: true, force: true });
});

/** A file in the work directory holding `bytes`. */
const inputFile = (name: string, bytes: Uint8Array): string => inputFileIn(workDir, name, bytes);

/** What AxisClient sends: photo and notes as DataHandler parameters, extra through addAttachmentPart. */
interface Upload { photo: Buffer; notes: Buffer; extra: Buffer }

function axisUpload(url: string, transport: 'http10' | 'chunked', name: string, upload: Upload, tag: string): Promise<string> {
  return java('AxisClient', [url, transport, name, inputFile(`${tag}-photo.bin`, upload.photo),
    inputFile(`${tag}-notes.txt`, upload.notes), inputFile(`${tag}-extra.bin`, upload.extra)]);
}

/** The RPC/encoded request body Axis writes, with the two cid: ids it generated. */
const AXIS_BODY = new RegExp(
  `^<ns1:upload xmlns:soapenv="${SOAP11}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ` +
  'xmlns:xsd="http://www.w3.org/2001/XMLSchema" ' +
  `soapenv:encodingStyle="http://schemas\\.xmlsoap\\.org/soap/encoding/" xmlns:ns1="${NS}">` +
  '<name xsi:type="xsd:string">([^<]*)</name>' +
  '<photo href="cid:([0-9A-F]{32})" xsi:type="ns1:DataHandler"/>' +
  '<notes href="cid:([0-9A-F]{32})" xsi:type="ns1:DataHandler"/></ns1:upload>$');

/**
 * Checks a message Axis sent against what it was given: Axis puts the
 * addAttachmentPart attachment first, then the parameters' parts in
 * serialization order; every Content-Id is 32 upper-case hex digits; the
 * hrefs name the photo and notes parts; types and bytes as given.
 */
async function checkAxisMessage(message: ReceivedMessage, cache: MemoryCache, name: string, upload: Upload, what: string): Promise<void> {
  assert.equal(message.soap.version, '1.1', what);
  assert.equal(message.soap.bodyElement, `{${NS}}upload`, what);
  assert.deepEqual(message.soap.headerBlocks, [], what);
  assert.deepEqual(message.warnings, [], what);
  assert.deepEqual(message.xopIncludes, [], what);
  const body = AXIS_BODY.exec(message.rootDocument.xml.toString('utf8'));
  assert.ok(body !== null, `${what}: ${message.rootDocument.xml.toString('utf8')}`);
  const [, sentName, photoId, notesId] = body;
  assert.equal(sentName, name, what);
  assert.equal(message.attachments.length, 3, what);
  const [extraPart, photoPart, notesPart] = message.attachments;
  const got = message.attachments.map((a) => ({
    contentId: a.properties.wss_attachment_content_id, contentType: a.properties.wss_attachment_content_type,
    size: a.size, referencedBy: a.referencedBy,
  }));
  const path11 = (element: string) => `/soapenv:Envelope/soapenv:Body/ns1:upload/${element}`;
  assert.deepEqual(got, [
    { contentId: extraPart!.properties.wss_attachment_content_id, contentType: 'application/octet-stream', size: upload.extra.length, referencedBy: [] },
    { contentId: photoId, contentType: 'image/jpeg', size: upload.photo.length,
      referencedBy: [{ element: 'photo', path: path11('photo'), kind: 'swaRef' }] },
    { contentId: notesId, contentType: 'text/plain', size: upload.notes.length,
      referencedBy: [{ element: 'notes', path: path11('notes'), kind: 'swaRef' }] },
  ], what);
  assert.match(String(extraPart!.properties.wss_attachment_content_id), /^[0-9A-F]{32}$/, what);
  const rootId = message.rootDocument.properties.wss_root_document_id;
  for (const [part, bytes] of [[extraPart!, upload.extra], [photoPart!, upload.photo], [notesPart!, upload.notes]] as const) {
    const stored = await readAll(await cache.open(rootId, part.properties.wss_attachment_content_id));
    assert.equal(sha256(stored), sha256(bytes), `${what}: ${part.properties.wss_attachment_content_id}`);
  }
}

// --- 1. Axis 1.4 client → createReceiver() ---------------------------------------------------

describe('Apache Axis 1.4 dynamic Call sends SwA (DataHandler parameters, addAttachmentPart) to the xopstream receiver', () => {
  const cache = new MemoryCache();
  let server: TestServer | null = null;
  const seen: Array<{ message: ReceivedMessage; headers: Record<string, string | string[] | undefined>; answer: string }> = [];

  before(async () => {
    if (AXIS_ABSENT !== null) return;
    const options: ReceiverOptions = {
      cache,
      onMessage: async (message, context) => {
        const name = /<name[^>]*>([^<]*)<\/name>/.exec(message.rootDocument.xml.toString('utf8'))?.[1] ?? '';
        const parts = await Promise.all(message.attachments.map(async (a) => {
          const bytes = await readAll(await cache.open(context.rootId, a.properties.wss_attachment_content_id));
          return `${a.properties.wss_attachment_content_id}:${bytes.length}:${sha256(bytes)}`;
        }));
        const answer = `${name} ${parts.join(' ')}`;
        seen.push({ message, headers: context.req.headers, answer });
        if (name === 'refuse me') throw xopError(ErrorCodes.BAD_ARGUMENT, 'uploads named "refuse me" are refused');
        if (name === 'fail me') throw new Error('a handler failure with private details');
        // RPC/encoded answer: Axis reads the first child of the response wrapper as the xsd:string return value.
        return { xml: `<i:uploadResponse xmlns:i="${NS}"><return>${answer}</return></i:uploadResponse>` };
      },
    };
    // The default fault statuses at /, the SOAP binding's (faultStatus: 'soap') at /soap:
    // Axis 1.4 reads a SOAP 1.1 fault only from a 500 answer.
    const plain = createReceiver(options);
    const soap = createReceiver({ ...options, faultStatus: 'soap' });
    server = await listen((req, res) => (req.url?.startsWith('/soap') === true ? soap : plain)(req, res));
  });
  after(() => server?.close());

  test('HTTP/1.1 chunked: Content-Ids as Axis wrote them, hrefs resolved, exact bytes stored; Axis returns our answer', async (t) => {
    if (AXIS_ABSENT !== null) {
      t.skip(AXIS_ABSENT);
      return;
    }
    // Photo a few hundred KB; notes with CRLFs and a line that starts like a delimiter.
    const upload = {
      photo: pseudoRandomBytes(300_000, 61), notes: Buffer.from('first\r\n--not-a-boundary\r\nlast\r\n'),
      extra: pseudoRandomBytes(70_000, 62),
    };
    seen.length = 0;
    const stdout = await axisUpload(server!.url, 'chunked', 'holiday', upload, 'chunked');
    await server!.idle();
    assert.equal(seen.length, 1);
    const { message, headers, answer } = seen[0]!;
    assert.equal(headers['transfer-encoding'], 'chunked');
    assert.equal(headers['user-agent'], 'Axis/1.4');
    assert.equal(headers['soapaction'], `"${NS}/upload"`);
    // The folded header: a tab before boundary; start names the root part.
    assert.match(String(headers['content-type']),
      /^multipart\/related; type="text\/xml"; start="<[0-9A-F]{32}>"; \tboundary="----=_Part_\d+_[\d.]+"$/);
    await checkAxisMessage(message, cache, 'holiday', upload, 'chunked');
    // Axis deserialized the xsd:string of our answer: every id, size and digest as we stored them.
    assert.equal(stdout.trim(), `RESULT ${answer}`);
    const expected = [upload.extra, upload.photo, upload.notes].map((b, i) =>
      `${message.attachments[i]!.properties.wss_attachment_content_id}:${b.length}:${sha256(b)}`);
    assert.equal(answer, `holiday ${expected.join(' ')}`);
  });

  test('Axis\'s default HTTP/1.0 request (Content-Length short of its body) to createReceiverServer with faultStatus \'soap\': Axis reads our Client fault naming the truncation', async (t) => {
    if (AXIS_ABSENT !== null) {
      t.skip(AXIS_ABSENT);
      return;
    }
    const errors: Array<{ code: string; status: number }> = [];
    const receiverServer = createReceiverServer({
      cache: new MemoryCache(),
      faultStatus: 'soap',
      onMessage: () => { throw new Error('a truncated message never reaches onMessage'); },
      onError: (error, context) => { errors.push({ code: String((error as { code?: unknown }).code), status: context.status }); },
    });
    await new Promise<void>((resolve) => receiverServer.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = receiverServer.address() as net.AddressInfo;
      const upload = { photo: pseudoRandomBytes(20_000, 65), notes: Buffer.from('n'), extra: pseudoRandomBytes(100, 66) };
      const stdout = await axisUpload(`http://127.0.0.1:${port}/`, 'http10', 'short', upload, 'short');
      // The announced body ends inside the close delimiter: "input ended before the close delimiter (at byte N)".
      assert.match(stdout.trim(), /^FAULT Client input ended before the close delimiter \(at byte \d+\)$/);
      assert.deepEqual(errors, [{ code: ErrorCodes.MIME_TRUNCATED, status: 500 }]);
    } finally {
      receiverServer.closeAllConnections();
      await new Promise((resolve) => receiverServer.close(resolve));
    }
  });

  const faults = [
    { path: 'soap', name: 'refuse me', expected: 'FAULT Client uploads named "refuse me" are refused', what: "with faultStatus 'soap', a refused upload: our SOAP 1.1 Client fault (HTTP 500)" },
    { path: '', name: 'fail me', expected: 'FAULT Server the message could not be processed', what: 'a failing handler: our Server fault (500), the cause hidden,' },
  ] as const;
  for (const f of faults) {
    test(`${f.what} reaches Axis as an AxisFault with our code and reason`, async (t) => {
      if (AXIS_ABSENT !== null) {
        t.skip(AXIS_ABSENT);
        return;
      }
      seen.length = 0;
      const upload = { photo: pseudoRandomBytes(5000, 63), notes: Buffer.from('n'), extra: pseudoRandomBytes(10, 64) };
      const stdout = await axisUpload(server!.url + f.path, 'chunked', f.name, upload, 'fault');
      await server!.idle();
      assert.equal(stdout.trim(), f.expected);
      assert.equal(seen.length, 1, 'the message was received before onMessage refused it');
      assert.deepEqual(await cache.list(seen[0]!.message.rootDocument.properties.wss_root_document_id), [],
        'the refused message\'s documents are deleted');
    });
  }

  test('by default a refused upload goes with 400, which Axis 1.4 reports as an HTTP error, not as our fault', async (t) => {
    if (AXIS_ABSENT !== null) {
      t.skip(AXIS_ABSENT);
      return;
    }
    seen.length = 0;
    const upload = { photo: pseudoRandomBytes(5000, 63), notes: Buffer.from('n'), extra: pseudoRandomBytes(10, 64) };
    const stdout = await axisUpload(server!.url, 'chunked', 'refuse me', upload, 'fault');
    await server!.idle();
    assert.equal(stdout.trim(), 'FAULT HTTP (400)Bad Request');
    assert.equal(seen.length, 1);
  });
});

// --- 2. Axis-built message (captured off the socket) → receive() -----------------------------

/** One HTTP request as it came off the socket. */
interface Captured { requestLine: string; headers: Map<string, string>; body: Buffer }

/**
 * A loopback TCP server that takes one HTTP/1.0 request with a multipart body,
 * reads until the close delimiter of the boundary the Content-Type names
 * (Content-Length is not trusted: that is what is being looked at), and
 * answers an RPC/encoded uploadResponse.
 */
async function captureOnce(): Promise<{ url: string; captured: Promise<Captured>; close: () => void }> {
  let resolveCaptured!: (c: Captured) => void;
  let rejectCaptured!: (e: Error) => void;
  const captured = new Promise<Captured>((resolve, reject) => { resolveCaptured = resolve; rejectCaptured = reject; });
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const chunks: Buffer[] = [];
    socket.on('data', (b: Buffer) => {
      chunks.push(b);
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [requestLine, ...lines] = all.subarray(0, end).toString('latin1').split('\r\n');
      const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      const boundary = /boundary="([^"]+)"/.exec(headers.get('content-type') ?? '')?.[1];
      if (boundary === undefined) {
        rejectCaptured(new Error(`no boundary in ${all.subarray(0, end).toString('latin1')}`));
        socket.destroy();
        return;
      }
      const body = all.subarray(end + 4);
      if (!body.subarray(-(boundary.length + 6)).equals(Buffer.from(`--${boundary}--\r\n`))) return;
      resolveCaptured({ requestLine: requestLine!, headers, body });
      const answer = `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${SOAP11}"><soapenv:Body>` +
        `<i:uploadResponse xmlns:i="${NS}"><return>captured</return></i:uploadResponse></soapenv:Body></soapenv:Envelope>`;
      socket.end(`HTTP/1.0 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(answer)}\r\n\r\n${answer}`);
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/axis`,
    captured,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

describe('Apache Axis 1.4 SwA messages (captured off the wire) parse with receive()', () => {
  const sizes = [
    { what: 'small (photo 3 KB)', photo: 3000, extra: 100, chunkings: ['whole', 'byte by byte', '7-byte slices'] },
    { what: 'large (photo 300 KB, extra 70 KB)', photo: 300_000, extra: 70_000, chunkings: ['whole', '7-byte slices', '64 KiB slices'] },
  ] as const;
  for (const size of sizes) {
    test(`${size.what}: Axis's default HTTP/1.0 request; every id, type, href and byte over ${size.chunkings.join(', ')}`, async (t) => {
      if (AXIS_ABSENT !== null) {
        t.skip(AXIS_ABSENT);
        return;
      }
      const upload = {
        photo: pseudoRandomBytes(size.photo, 71), notes: Buffer.from('\r\n--\r\nnotes\r\n'), extra: pseudoRandomBytes(size.extra, 72),
      };
      const capture = await captureOnce();
      let got: Captured;
      try {
        const stdout = await axisUpload(capture.url, 'http10', 'captured', upload, 'captured');
        assert.equal(stdout.trim(), 'RESULT captured', 'Axis read the capturing server\'s answer');
        got = await capture.captured;
      } finally {
        capture.close();
      }
      assert.equal(got.requestLine, 'POST /axis HTTP/1.0');
      const contentType = got.headers.get('content-type')!;
      assert.match(contentType, /^multipart\/related; type="text\/xml"; start="<[0-9A-F]{32}>"; \tboundary="----=_Part_/);
      assert.equal(got.headers.get('transfer-encoding'), undefined);

      // JavaMail 1.6's Date header as a preamble, which Axis's Content-Length leaves out.
      const preamble = /^(Date: [^\r\n]+\r\n)\r\n--/.exec(got.body.toString('latin1'));
      assert.ok(preamble !== null, got.body.subarray(0, 80).toString('latin1'));
      const contentLength = Number(got.headers.get('content-length'));
      assert.equal(got.body.length - contentLength, Buffer.byteLength(preamble[1]!),
        'Content-Length is short by exactly the Date line');

      const chunkings: Record<string, () => Uint8Array[]> = {
        'whole': () => [got.body], 'byte by byte': () => chunk(got.body, 1), '7-byte slices': () => chunk(got.body, 7),
        '64 KiB slices': () => chunk(got.body, 65536),
      };
      for (const name of size.chunkings) {
        const cache = new MemoryCache();
        const message = await receive(chunkings[name]!(), { contentType, cache, rootId: randomUUID() });
        await checkAxisMessage(message, cache, 'captured', upload, name);
      }

      // What a server honouring the Content-Length gets: no close delimiter.
      const cache = new MemoryCache();
      const rootId = randomUUID();
      await assert.rejects(receive([got.body.subarray(0, contentLength)], { contentType, cache, rootId }),
        (error: unknown) => isXopError(error) && error.code === ErrorCodes.MIME_TRUNCATED);
      assert.deepEqual(await cache.list(rootId), [], 'nothing of the truncated message is stored');
    });
  }
});

// --- 3. send() SwA → Axis's SimpleAxisServer -------------------------------------------------

describe('xopstream send() posts SwA to an Axis 1.4 endpoint (SimpleAxisServer, java:MSG service)', () => {
  let axis: ChildProcess | null = null;
  let endpoint = '';

  before(async () => {
    if (AXIS_ABSENT !== null) return;
    const started = await startListeningPeer('java', ['-XX:TieredStopAtLevel=1', '-cp', classpath, 'xopstream.interop.axis.AxisServer'], 'AxisServer');
    axis = started.child;
    const port = started.port;
    endpoint = `http://127.0.0.1:${port}/axis/services/Attachments`;
  });

  after(() => stopListeningPeer(axis)); // AxisServer stops when stdin closes

  /** Attributes of every `<i:NAME .../>` in `xml`. */
  function items(xml: string, name: string): Array<Record<string, string>> {
    return [...xml.matchAll(new RegExp(`<i:${name} (.*?)/>`, 'g'))].map((m) =>
      Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!])));
  }

  for (const version of ['1.1', '1.2'] as const) {
    test(`SOAP ${version}: Axis parses every part (id, type, size, sha256) and resolves every href to its part`, async (t) => {
      if (AXIS_ABSENT !== null) {
        t.skip(AXIS_ABSENT);
        return;
      }
      const rootId = randomUUID();
      const stored = [
        { contentId: 'photo@xopstream.test', contentType: 'image/jpeg', bytes: pseudoRandomBytes(300_000, version === '1.1' ? 81 : 82) },
        { contentId: 'note.txt', contentType: 'text/plain; charset=utf-8', bytes: Buffer.from('\r\nline one\r\n--line two\r\n') },
        // Stored under its index (it had no Content-ID): the composer gives it one and rewrites cid:3.
        { contentId: 3, contentType: 'application/xml', bytes: Buffer.from('<?xml version="1.0"?><a>ü</a>') },
      ];
      const cache = await cacheWith(rootId, stored);
      const composed = await compose({
        mode: 'swa', soapVersion: version, rootId, cache,
        xml: `<i:upload xmlns:i="${NS}"><i:photo href="cid:photo@xopstream.test"/><i:note href="cid:note.txt"/><i:doc href="cid:3"/></i:upload>`,
      });
      const ids = composed.parts.map((p) => p.contentId);
      assert.deepEqual(ids.slice(0, 2), ['photo@xopstream.test', 'note.txt']);
      const response = await send(endpoint, composed);
      assert.equal(response.status, 200);
      assert.equal(response.soap.version, version);
      assert.equal(response.soap.bodyElement, `{${NS}}uploadResponse`);
      const xml = response.rootDocument.xml.toString('utf8');
      assert.match(xml, new RegExp(`body="\\{${NS}\\}upload"`));
      // AttachmentPart.getContentId() without the angle brackets, in part order.
      assert.deepEqual(items(xml, 'attachment'), stored.map((a, i) => ({
        contentId: ids[i]!, contentType: a.contentType, sha256: sha256(a.bytes), size: String(a.bytes.length),
      })), xml);
      assert.deepEqual(items(xml, 'ref'), [
        { contentId: ids[0]!, element: 'photo', href: `cid:${ids[0]!}` },
        { contentId: ids[1]!, element: 'note', href: `cid:${ids[1]!}` },
        { contentId: ids[2]!, element: 'doc', href: `cid:${ids[2]!}` },
      ], xml);
    });

    test(`SOAP ${version}: Axis's SwA answer (echo) parses into attachments with Axis's Content-Ids and the exact bytes`, async (t) => {
      if (AXIS_ABSENT !== null) {
        t.skip(AXIS_ABSENT);
        return;
      }
      const rootId = randomUUID();
      const stored = [
        { contentId: 'photo@xopstream.test', contentType: 'image/jpeg', bytes: pseudoRandomBytes(200_000, version === '1.1' ? 91 : 92) },
        { contentId: 'note.txt', contentType: 'text/plain; charset=utf-8', bytes: Buffer.from('\r\n--\r\nnote\r\n') },
      ];
      const cache = await cacheWith(rootId, stored);
      const response = await send(endpoint, {
        mode: 'swa', soapVersion: version, rootId, cache,
        xml: `<i:echo xmlns:i="${NS}"><i:photo href="cid:photo@xopstream.test"/><i:note href="cid:note.txt"/></i:echo>`,
      });
      assert.equal(response.status, 200);
      // Axis 1.4 announces type="text/xml" on its multipart answer even in SOAP 1.2: the envelope decides.
      assert.match(String(response.contentType), /^multipart\/related; type="text\/xml"; start="<[0-9A-F]{32}>"; \tboundary="----=_Part_/);
      assert.equal(response.soap.version, version);
      assert.equal(response.soap.bodyElement, `{${NS}}echoResponse`);
      assert.deepEqual(response.warnings, version === '1.1' ? []
        : ['the root part\'s media type text/xml announces SOAP 1.1 but the envelope is SOAP 1.2; the envelope\'s namespace decides']);
      assert.deepEqual(response.attachments.map((a) => ({
        contentId: a.properties.wss_attachment_content_id, contentType: a.properties.wss_attachment_content_type,
        size: a.size, referencedBy: a.referencedBy,
      })), stored.map((a) => ({
        contentId: `echo-${a.contentId}`, contentType: a.contentType, size: a.bytes.length,
        referencedBy: [{ element: `{${NS}}part`, path: '/soapenv:Envelope/soapenv:Body/i:echoResponse/i:part', kind: 'swaRef' }],
      })));
      const id = response.rootDocument.properties.wss_root_document_id;
      for (const a of stored) {
        assert.equal(sha256(await readAll(await response.cache.open(id, `echo-${a.contentId}`))), sha256(a.bytes), String(a.contentId));
      }
    });

    test(`SOAP ${version}: Axis's fault (HTTP 500) becomes a SoapFaultError with Axis's code and reason`, async (t) => {
      if (AXIS_ABSENT !== null) {
        t.skip(AXIS_ABSENT);
        return;
      }
      const rootId = randomUUID();
      const cache = await cacheWith(rootId, [{ contentId: 'photo@xopstream.test', contentType: 'image/jpeg', bytes: pseudoRandomBytes(1000, 93) }]);
      await assert.rejects(send(endpoint, {
        mode: 'swa', soapVersion: version, rootId, cache,
        xml: `<i:echo xmlns:i="${NS}" refuse="not today"><i:photo href="cid:photo@xopstream.test"/></i:echo>`,
      }), (error: unknown) => {
        assert.ok(error instanceof SoapFaultError, String(error));
        assert.equal(error.details.status, 500);
        assert.equal(error.details['soapVersion'], version);
        assert.equal(error.details['reason'], 'echo refused: not today');
        // Axis 1.4 writes its 1.1 code (Server.generalException) in SOAP 1.2 faults too, in the 1.2 namespace.
        assert.equal(error.details['faultCode'], 'soapenv:Server.generalException');
        assert.equal(error.details['faultCodeName'],
          `{${version === '1.1' ? SOAP11 : 'http://www.w3.org/2003/05/soap-envelope'}}Server.generalException`);
        assert.match(String(error.details['detail']), /<ns1:stackTrace xmlns:ns1="http:\/\/xml\.apache\.org\/axis\/">echo refused: not today/);
        return true;
      });
    });
  }
});
