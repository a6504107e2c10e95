// Interop with the REAL gSOAP 2.8.124 from Debian (packages gsoap: soapcpp2;
// libgsoap-dev: stdsoap2.h and libgsoap++), run live. Once per run, soapcpp2
// generates the stubs for test/gsoap/files.h into a temporary directory and
// g++ builds test/gsoap/xopgsoap.cpp against them and libgsoap++ (the flags
// of pkg-config gsoap++: the library is built with WITH_IPV6 and WITH_DOM,
// and struct soap's layout depends on them). The one program is an MTOM
// client, a SwA client and a server; it prints what gSOAP made of each call,
// with sizes and SHA-256 digests computed in C (test/gsoap/sha256.h).
//  1. gSOAP MTOM client → createReceiver(): soap_new1(SOAP_ENC_MTOM) calls
//     upload(name, data) whose data member is gSOAP's _xop__Include (with an
//     xmime5:contentType attribute), 300 KB of fixed-seed bytes, SOAP 1.1
//     and 1.2; the receiver stores the attachment and answers with a digest
//     that gSOAP must deserialize and print; once with Content-Length (gSOAP
//     counts the message first, its default) and once streamed chunked
//     (SOAP_IO_CHUNK), and two calls on one kept-alive connection
//     (SOAP_IO_KEEPALIVE). Two refusals: an onMessage that throws (gSOAP reads
//     the SOAP fault: SOAP 1.1 Client, SOAP 1.2 Sender, both with HTTP 400 by
//     default; the connection stays usable for the next call) and a receiver
//     limit (partBytes) that the upload exceeds (see below; with faultStatus:
//     'soap' it goes with 500 / 400 and gSOAP reads the fault).
//  2. gSOAP SwA client → receive(): soap_set_mime + soap_set_mime_attachment
//     (three attachments: binary with a bracketed Content-ID, text with a
//     bare one, binary with only Content-Location); a loopback server takes
//     the bytes and Content-Type as gSOAP sent them and answers swa; receive()
//     parses them whole, byte by byte, in 64 KiB slices and in strict mode.
//     The same client also POSTs to createReceiver, whose answer (computed
//     from the cache) gSOAP prints.
//  3. send() → gSOAP server (soap_bind/soap_accept/soap_serve on 127.0.0.1,
//     a spawned process): MTOM from cached attachments and optimized from
//     inline base64, SwA with three parts, SOAP 1.1 and 1.2; gSOAP reports
//     the size and SHA-256 of what it got. echo makes gSOAP answer MTOM
//     (soap_set_omode SOAP_ENC_MTOM), and swa with name "echo" makes it
//     answer SwA (soap_set_mime_attachment); send() parses both; a gSOAP fault
//     (soap_sender_fault) is thrown by send() as ERR_SOAP_FAULT.
// What the peer showed (asserted below, so a change shows up):
// - gSOAP's client reads a SOAP fault only from a 2xx, 400 or 500 answer. The
//   receiver answers a limit (here limits.partBytes) with 413 and a SOAP
//   fault; gSOAP reports that as "HTTP Error" 413 (soap->error 413) and keeps
//   our whole fault envelope as the fault detail text, so the faultstring is
//   there, unparsed. 413 is the receiver's deliberate HTTP-level refusal
//   (src/receive/reply.ts), unchanged here. (gSOAP writes the whole request
//   before it reads the answer: an upload more than the receiver's
//   lingerBytes (1 MiB) past the limit meets the lingering close, and gSOAP
//   reports "Broken pipe" or the 413 depending on socket buffering, so the
//   test stays one byte over the limit. The program ignores SIGPIPE, as
//   gSOAP's documentation asks; without that the client is killed.)
// - gSOAP writes a SwA Content-ID exactly as the application passes it
//   (brackets or not; an empty or missing id gives an empty or no header);
//   its boundary is `==` + 60 base64 characters + `==` (here the same in
//   every run: not asserted); the root part's Content-ID is
//   <SOAP-ENV:Envelope>, and the final delimiter has no CRLF after it.
// - gSOAP's server lists the root part too in soap->mime.list (content
//   already consumed: size 0) and keeps the attachments' Content-IDs with
//   their brackets; the _xop__Include id it hands the service is the href
//   (cid:…), not the Content-ID; its MTOM answer reuses the request's start
//   Content-ID for its own root part.
// .ci/run installs gsoap, libgsoap-dev and g++; the tests skip (saying so)
// only on a machine without them.
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MemoryCache, compose, createReceiver, receive, send, xopError, ErrorCodes, type ReceivedMessage, type ReceiverOptions } from '../src/index.js';
import { chunk, projectRoot } from './support/corpus.js';
import { cachedBytes, inputFileIn, killPeers, runPeer, startListeningPeer, stopListeningPeer, type PeerRun } from './support/peer-process.js';
import { listen, readAll, type TestServer } from './support/receive.js';
import { cacheWith, pseudoRandomBytes, sha256 } from './support/send.js';

const GSOAP_DIR = path.join(projectRoot, 'test', 'gsoap');
const IMPORT_DIR = '/usr/share/gsoap/import';
const NS = 'urn:xopstream:interop';
const XOP_NS = 'http://www.w3.org/2004/08/xop/include';
const XMIME_NS = 'http://www.w3.org/2005/05/xmlmime';

/** Why gSOAP cannot be built here, or null when it can. */
const GSOAP_ABSENT: string | null = (() => {
  const install = '(apt-get install gsoap libgsoap-dev g++; .ci/run installs them): the gSOAP interop tests are skipped';
  if (spawnSync('soapcpp2', ['-V']).status !== 0) return `soapcpp2 is not installed ${install}`;
  if (spawnSync('g++', ['--version']).status !== 0) return `g++ is not installed ${install}`;
  if (!fs.existsSync(path.join(IMPORT_DIR, 'xop.h'))) return `${IMPORT_DIR}/xop.h is missing ${install}`;
  if (!fs.existsSync('/usr/include/stdsoap2.h')) return `/usr/include/stdsoap2.h is missing ${install}`;
  const lib = spawnSync('g++', ['-print-file-name=libgsoap++.so'], { encoding: 'utf8' }).stdout.trim();
  if (!path.isAbsolute(lib)) return `libgsoap++.so is missing ${install}`;
  return null;
})();

let workDir = '';
let program = '';

/** Runs a build step; rejects with its output unless it exits 0. */
async function build(command: string, args: string[]): Promise<void> {
  const result = await runPeer(command, args, { cwd: workDir });
  if (result.code !== 0) throw new Error(`${command} exited ${result.code}:\n${result.stdout}${result.stderr}`);
}

/** The compiler flags of Debian's libgsoap++ (pkg-config), or the ones its gsoap++.pc names. */
function gsoapFlags(): { cflags: string[]; libs: string[] } {
  const cflags = spawnSync('pkg-config', ['--cflags', 'gsoap++'], { encoding: 'utf8' });
  const libs = spawnSync('pkg-config', ['--libs', 'gsoap++'], { encoding: 'utf8' });
  if (cflags.status === 0 && libs.status === 0) {
    return { cflags: cflags.stdout.trim().split(/\s+/).filter(Boolean), libs: libs.stdout.trim().split(/\s+/).filter(Boolean) };
  }
  return { cflags: ['-DWITH_IPV6', '-DWITH_DOM'], libs: ['-lgsoap++'] };
}

before(async () => {
  if (GSOAP_ABSENT !== null) return;
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xopstream-gsoap-'));
  await build('soapcpp2', ['-L', '-x', '-w', `-I${IMPORT_DIR}`, '-d', workDir, path.join(GSOAP_DIR, 'files.h')]);
  const { cflags, libs } = gsoapFlags();
  program = path.join(workDir, 'xopgsoap');
  // Each file takes about as long (stdsoap2.h dominates): compiled side by side, then linked.
  const sources = [path.join(GSOAP_DIR, 'xopgsoap.cpp'), 'soapC.cpp', 'soapClient.cpp', 'soapServer.cpp'];
  const objects = sources.map((source) => `${path.basename(source, '.cpp')}.o`);
  await Promise.all(sources.map((source, i) =>
    build('g++', ['-O0', '-w', ...cflags, `-I${workDir}`, `-I${GSOAP_DIR}`, '-c', source, '-o', objects[i]!])));
  await build('g++', ['-o', program, ...objects, ...libs]);
});

after(() => {
  killPeers();
  if (workDir !== '') fs.rmSync(workDir, { recursive: true, force: true });
});

/** A file in the work directory holding `bytes`. */
const inputFile = (name: string, bytes: Uint8Array): string => inputFileIn(workDir, name, bytes);

function gsoap(args: string[]): Promise<PeerRun> {
  return runPeer(program, args);
}

/** The lines a failed gSOAP call printed, by their first word. */
function failure(result: PeerRun): Record<string, string> {
  return Object.fromEntries(result.stdout.trim().split('\n').map((line) => {
    const space = line.indexOf(' ');
    return space === -1 ? [line, ''] : [line.slice(0, space), line.slice(space + 1)];
  }));
}


// --- 1. gSOAP MTOM client → createReceiver() -------------------------------------------------

describe('gSOAP 2.8.124 MTOM client (SOAP_ENC_MTOM, _xop__Include) calls the xopstream receiver', () => {
  const cache = new MemoryCache();
  const PART_LIMIT = 400_000;
  let server: TestServer | null = null;
  const seen: Array<{ message: ReceivedMessage; contentType: string; headers: http.IncomingHttpHeaders; port: number | undefined; bytes: Buffer }> = [];
  const errors: Array<{ status: number; code: unknown }> = [];

  before(async () => {
    if (GSOAP_ABSENT !== null) return;
    const options: ReceiverOptions = {
      cache,
      limits: { partBytes: PART_LIMIT },
      onMessage: async (message, context) => {
        const attachment = message.attachments[0];
        const bytes = attachment === undefined ? Buffer.alloc(0)
          : await cachedBytes(cache, context.rootId, attachment.properties.wss_attachment_content_id);
        seen.push({ message, contentType: String(context.req.headers['content-type']), headers: context.req.headers,
          port: context.req.socket.remotePort, bytes });
        const name = /<name>([^<]*)<\/name>/.exec(message.rootDocument.xml.toString('utf8'))?.[1] ?? '';
        if (name === 'refuse me' || (name === 'refuse once' && seen.length === 1)) {
          throw xopError(ErrorCodes.BAD_ARGUMENT, `uploads named "${name}" are refused`);
        }
        return { xml: `<i:uploadResponse xmlns:i="${NS}"><digest>${name} ${bytes.length} ${sha256(bytes)}</digest></i:uploadResponse>` };
      },
      onError: (error, context) => { errors.push({ status: context.status, code: (error as { code?: unknown }).code }); },
    };
    // The default fault statuses at /, the SOAP binding's (faultStatus: 'soap') at /soap.
    const plain = createReceiver(options);
    const soap = createReceiver({ ...options, faultStatus: 'soap' });
    server = await listen((req, res) => (req.url?.startsWith('/soap') === true ? soap : plain)(req, res));
  });
  after(() => server?.close());

  for (const version of ['1.1', '1.2'] as const) {
    test(`SOAP ${version}: one attachment with the exact bytes, the xop:Include resolved to it, and gSOAP reads our answer`, async (t) => {
      if (GSOAP_ABSENT !== null) {
        t.skip(GSOAP_ABSENT);
        return;
      }
      const data = pseudoRandomBytes(300_000, version === '1.1' ? 61 : 62);
      seen.length = 0;
      const result = await gsoap(['mtom', server!.url, version, inputFile(`mtom-${version}.bin`, data), `photo ${version}`, 'image/png']);
      await server!.idle();
      // gSOAP deserialized the receiver's answer and printed its digest.
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.equal(result.stdout.trim(), `RESULT photo ${version} ${data.length} ${sha256(data)}`);

      assert.equal(seen.length, 1);
      const { message, contentType, headers, bytes } = seen[0]!;
      assert.match(String(headers['content-length']), /^\d+$/, 'gSOAP counts the length first');
      assert.equal(headers['transfer-encoding'], undefined);
      assert.match(contentType, /^multipart\/related;/);
      assert.match(contentType, /type="application\/xop\+xml"/);
      assert.match(contentType, /start="<SOAP-ENV:Envelope>"/);
      assert.match(contentType, version === '1.1' ? /start-info="text\/xml"/ : /start-info="application\/soap\+xml"/);
      assert.equal(message.soap.version, version);
      assert.equal(message.soap.bodyElement, `{${NS}}upload`);
      assert.deepEqual(message.warnings, []);
      assert.equal(message.attachments.length, 1);
      const attachment = message.attachments[0]!;
      const id = attachment.properties.wss_attachment_content_id;
      assert.equal(typeof id, 'string');
      assert.equal(attachment.properties.wss_attachment_content_type, 'image/png');
      assert.equal(attachment.contentTransferEncoding, 'binary');
      assert.equal(attachment.size, data.length);
      assert.equal(sha256(bytes), sha256(data));
      assert.equal(message.xopIncludes.length, 1);
      const include = message.xopIncludes[0]!;
      assert.equal(include.part, attachment.index);
      assert.equal(include.contentId, id);
      assert.equal(include.element, 'data');
      assert.equal(include.contentType, 'image/png', 'the xmime5:contentType attribute');
      assert.deepEqual(attachment.referencedBy.map((r) => r.kind), ['xop']);
      const xml = message.rootDocument.xml.toString('utf8');
      assert.ok(xml.includes(`<data xmime5:contentType="image/png"><xop:Include href="cid:${String(id)}"/></data>`), xml);
      assert.ok(xml.includes(`xmlns:xop="${XOP_NS}"`) && xml.includes(`xmlns:xmime5="${XMIME_NS}"`), 'namespaces carried down from the Envelope');
    });

    test(`SOAP ${version}: the same upload streamed with chunked transfer coding (SOAP_IO_CHUNK)`, async (t) => {
      if (GSOAP_ABSENT !== null) {
        t.skip(GSOAP_ABSENT);
        return;
      }
      const data = pseudoRandomBytes(300_000, version === '1.1' ? 63 : 64);
      seen.length = 0;
      const result = await gsoap(['mtom', server!.url, version, inputFile(`mtom-chunked-${version}.bin`, data), 'chunked', 'image/png', 'chunked']);
      await server!.idle();
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.equal(result.stdout.trim(), `RESULT chunked ${data.length} ${sha256(data)}`);
      assert.equal(seen.length, 1);
      const { message, headers, bytes } = seen[0]!;
      assert.equal(headers['transfer-encoding'], 'chunked');
      assert.equal(headers['content-length'], undefined);
      assert.equal(message.soap.version, version);
      assert.deepEqual(message.warnings, []);
      assert.equal(message.attachments.length, 1);
      assert.equal(message.xopIncludes[0]!.contentId, message.attachments[0]!.properties.wss_attachment_content_id);
      assert.equal(sha256(bytes), sha256(data));
    });

    test(`SOAP ${version}: two calls on one kept-alive connection (SOAP_IO_KEEPALIVE)`, async (t) => {
      if (GSOAP_ABSENT !== null) {
        t.skip(GSOAP_ABSENT);
        return;
      }
      const data = pseudoRandomBytes(120_000, version === '1.1' ? 65 : 66);
      seen.length = 0;
      const result = await gsoap(['mtom', server!.url, version, inputFile(`mtom-keepalive-${version}.bin`, data), 'twice', 'image/png', 'keepalive']);
      await server!.idle();
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.deepEqual(result.stdout.trim().split('\n'), Array(2).fill(`RESULT twice ${data.length} ${sha256(data)}`));
      assert.equal(seen.length, 2);
      assert.deepEqual(seen.map((s) => s.headers['connection']), ['keep-alive', 'keep-alive']);
      assert.equal(seen[0]!.port, seen[1]!.port, 'the second call came on the same connection');
      for (const { message, bytes } of seen) {
        assert.deepEqual(message.warnings, []);
        assert.equal(message.attachments.length, 1);
        assert.equal(sha256(bytes), sha256(data));
      }
    });

    test(`SOAP ${version}: an onMessage refusal reaches gSOAP as a SOAP fault (${version === '1.1' ? 'Client' : 'Sender'}, HTTP 400 by default)`, async (t) => {
      if (GSOAP_ABSENT !== null) {
        t.skip(GSOAP_ABSENT);
        return;
      }
      seen.length = 0;
      const result = await gsoap(['mtom', server!.url, version, inputFile('refused.bin', pseudoRandomBytes(5000, 3)), 'refuse me', 'image/png']);
      await server!.idle();
      assert.equal(result.code, 3, result.stdout + result.stderr);
      const printed = failure(result);
      // soap->error SOAP_FAULT (12): gSOAP parsed the Fault (it reads one under 400 or 500).
      assert.equal(printed['ERROR'], '12 HTTP 400');
      assert.equal(printed['FAULTCODE'], version === '1.1' ? 'SOAP-ENV:Client' : 'SOAP-ENV:Sender');
      assert.equal(printed['FAULTSTRING'], 'uploads named "refuse me" are refused');
      assert.equal(printed['FAULTDETAIL'], '<x:error xmlns:x="urn:xopstream:receiver:1" code="ERR_BAD_ARGUMENT"/>');
      assert.equal(seen.length, 1, 'the message was received before onMessage refused it');
      assert.deepEqual(await cache.list(seen[0]!.message.rootDocument.properties.wss_root_document_id), [],
        'the refused message\'s documents are deleted');
    });

    test(`SOAP ${version}: after a refusal, the next call on the kept-alive connection succeeds`, async (t) => {
      if (GSOAP_ABSENT !== null) {
        t.skip(GSOAP_ABSENT);
        return;
      }
      const data = pseudoRandomBytes(50_000, version === '1.1' ? 67 : 68);
      seen.length = 0;
      const result = await gsoap(['mtom', server!.url, version, inputFile('refuse-once.bin', data), 'refuse once', 'image/png', 'keepalive']);
      await server!.idle();
      assert.equal(result.code, 3, result.stdout + result.stderr);
      const lines = result.stdout.trim().split('\n');
      assert.equal(lines[0], 'ERROR 12 HTTP 400');
      assert.equal(lines[2], 'FAULTSTRING uploads named "refuse once" are refused');
      assert.equal(lines.at(-1), `RESULT refuse once ${data.length} ${sha256(data)}`);
      assert.equal(seen.length, 2);
      assert.equal(seen[0]!.port, seen[1]!.port, 'the receiver kept the connection after the fault');
    });

    test(`SOAP ${version}: a limit refusal (413) is an HTTP error to gSOAP, our fault envelope its detail`, async (t) => {
      if (GSOAP_ABSENT !== null) {
        t.skip(GSOAP_ABSENT);
        return;
      }
      seen.length = 0;
      errors.length = 0;
      const result = await gsoap(['mtom', server!.url, version, inputFile('too-large.bin', pseudoRandomBytes(PART_LIMIT + 1, 4)), 'too large', 'image/png']);
      await server!.idle();
      assert.equal(result.code, 3, result.stdout + result.stderr);
      assert.deepEqual(seen, [], 'onMessage is not called');
      assert.deepEqual(errors, [{ status: 413, code: ErrorCodes.MIME_PART_TOO_LARGE }]);
      const printed = failure(result);
      // gSOAP reads a SOAP fault from 2xx, 400 and 500 only: 413 is soap->error 413, "HTTP Error".
      assert.equal(printed['ERROR'], '413 HTTP 413');
      assert.equal(printed['FAULTSTRING'], 'HTTP Error');
      const detail = printed['FAULTDETAIL']!;
      assert.match(detail, new RegExp(`<soap:Envelope xmlns:soap="${version === '1.1' ? 'http://schemas.xmlsoap.org/soap/envelope/' : 'http://www.w3.org/2003/05/soap-envelope'}">`));
      assert.match(detail, new RegExp(`part 1 exceeds limits\\.partBytes \\(${PART_LIMIT}\\)`));
      assert.match(detail, /code="ERR_MIME_PART_TOO_LARGE"/);
    });

    test(`SOAP ${version}: with faultStatus 'soap' the same limit refusal goes with ${version === '1.1' ? 500 : 400} and gSOAP reads it as a SOAP fault`, async (t) => {
      if (GSOAP_ABSENT !== null) {
        t.skip(GSOAP_ABSENT);
        return;
      }
      seen.length = 0;
      errors.length = 0;
      const result = await gsoap(['mtom', `${server!.url}soap`, version, inputFile('too-large.bin', pseudoRandomBytes(PART_LIMIT + 1, 4)), 'too large', 'image/png']);
      await server!.idle();
      assert.equal(result.code, 3, result.stdout + result.stderr);
      assert.deepEqual(seen, [], 'onMessage is not called');
      const status = version === '1.1' ? 500 : 400;
      assert.deepEqual(errors, [{ status, code: ErrorCodes.MIME_PART_TOO_LARGE }]);
      const printed = failure(result);
      assert.equal(printed['ERROR'], `12 HTTP ${status}`);
      assert.equal(printed['FAULTCODE'], version === '1.1' ? 'SOAP-ENV:Client' : 'SOAP-ENV:Sender');
      assert.match(printed['FAULTSTRING']!, new RegExp(`^part 1 exceeds limits\\.partBytes \\(${PART_LIMIT}\\)`));
      assert.match(printed['FAULTDETAIL']!, /code="ERR_MIME_PART_TOO_LARGE"/);
    });
  }
});

// --- 2. gSOAP SwA client → receive() ----------------------------------------------------------

describe('gSOAP 2.8.124 SwA client (soap_set_mime_attachment) writes messages that receive() parses', () => {
  let server: http.Server | null = null;
  let url = '';
  const captured: Array<{ contentType: string; body: Buffer }> = [];

  before(async () => {
    if (GSOAP_ABSENT !== null) return;
    // Takes the message as gSOAP sent it and answers swa, so that gSOAP ends its call normally.
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        captured.push({ contentType: String(req.headers['content-type']), body });
        const soap12 = /application\/soap\+xml/.test(String(req.headers['content-type']));
        const envelope = soap12 ? 'http://www.w3.org/2003/05/soap-envelope' : 'http://schemas.xmlsoap.org/soap/envelope/';
        res.writeHead(200, { 'Content-Type': soap12 ? 'application/soap+xml; charset=utf-8' : 'text/xml; charset=utf-8' });
        res.end(`<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="${envelope}"><s:Body>` +
          `<i:swaResponse xmlns:i="${NS}"><report>captured ${body.length}</report></i:swaResponse></s:Body></s:Envelope>`);
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => {
    if (server === null) return;
    server.closeAllConnections();
    server.close();
  });

  const photo = pseudoRandomBytes(100_000, 71); // over 64 KiB: the 64 KiB slices cut inside it
  // CRLF at both ends, and a line that starts like a delimiter.
  const notes = Buffer.from('\r\nfirst line\r\n--not-a-boundary\r\nlast line\r\n');
  const blob = pseudoRandomBytes(1500, 72);

  for (const version of ['1.1', '1.2'] as const) {
    test(`SOAP ${version}: every attachment's id, type, location and bytes as gSOAP sent them, over three chunkings and strict`, async (t) => {
      if (GSOAP_ABSENT !== null) {
        t.skip(GSOAP_ABSENT);
        return;
      }
      captured.length = 0;
      const result = await gsoap(['swa', url, version, 'cid:photo@gsoap.test',
        inputFile('swa-photo.bin', photo), 'image/png', '<photo@gsoap.test>', '-',
        inputFile('swa-notes.txt', notes), 'text/plain; charset=utf-8', 'notes', '-',
        inputFile('swa-blob.bin', blob), 'application/octet-stream', '-', 'http://example.org/blob.bin']);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.equal(captured.length, 1);
      const { contentType, body } = captured[0]!;
      assert.equal(result.stdout.trim(), `RESULT captured ${body.length}`);
      const soapType = version === '1.1' ? 'text/xml' : 'application/soap+xml';
      assert.match(contentType, new RegExp(`^multipart/related; charset=utf-8; boundary="==[A-Za-z0-9+/]{60}=="; type="${soapType.replace('+', '\\+')}"; start="<SOAP-ENV:Envelope>"$`));
      // gSOAP writes the ids as given, and no header for a missing one; no CRLF after the close delimiter.
      const text = body.toString('latin1');
      assert.match(text, /\r\nContent-ID: <photo@gsoap\.test>\r\n/);
      assert.match(text, /\r\nContent-ID: notes\r\n/);
      assert.match(text, /\r\nContent-Location: http:\/\/example\.org\/blob\.bin\r\n\r\n/);
      assert.match(text, /--==[A-Za-z0-9+/]{60}==--$/);

      const chunkings: Array<[string, Uint8Array[], boolean]> = [
        ['whole', [body], false], ['byte by byte', chunk(body, 1), false], ['64 KiB slices', chunk(body, 65536), false],
        ['whole, strict', [body], true],
      ];
      const path_ = `/SOAP-ENV:Envelope/SOAP-ENV:Body/ns:swa/name`;
      for (const [name, chunks, strict] of chunkings) {
        const cache = new MemoryCache();
        const rootId = randomUUID();
        const message = await receive(chunks, { contentType, cache, rootId, strict });
        assert.equal(message.soap.version, version, name);
        assert.equal(message.soap.bodyElement, `{${NS}}swa`);
        assert.deepEqual(message.warnings, [], name);
        assert.deepEqual(message.xopIncludes, []);
        assert.equal(message.rootDocument.xml.toString('utf8'), `<ns:swa xmlns:ns="${NS}"><name>cid:photo@gsoap.test</name></ns:swa>`);
        const got = message.attachments.map((a) => ({
          contentId: a.properties.wss_attachment_content_id, contentType: a.properties.wss_attachment_content_type,
          index: a.index, size: a.size, contentLocation: a.contentLocation, contentTransferEncoding: a.contentTransferEncoding,
          referencedBy: a.referencedBy,
        }));
        assert.deepEqual(got, [
          { contentId: 'photo@gsoap.test', contentType: 'image/png', index: 1, size: photo.length, contentLocation: null,
            contentTransferEncoding: 'binary', referencedBy: [{ element: 'name', path: path_, kind: 'swaRef' }] },
          // A bare Content-ID (no brackets) is taken as it is.
          { contentId: 'notes', contentType: 'text/plain; charset=utf-8', index: 2, size: notes.length, contentLocation: null,
            contentTransferEncoding: 'binary', referencedBy: [] },
          // No Content-ID: stored under its index.
          { contentId: 3, contentType: 'application/octet-stream', index: 3, size: blob.length,
            contentLocation: 'http://example.org/blob.bin', contentTransferEncoding: 'binary', referencedBy: [] },
        ], name);
        assert.equal(sha256(await cachedBytes(cache, rootId, 'photo@gsoap.test')), sha256(photo), name);
        assert.equal(sha256(await cachedBytes(cache, rootId, 'notes')), sha256(notes), name);
        assert.equal(sha256(await cachedBytes(cache, rootId, 3)), sha256(blob), name);
      }
    });
  }
});

describe('gSOAP 2.8.124 SwA client POSTs to the xopstream receiver and reads its answer', () => {
  const cache = new MemoryCache();
  let server: TestServer | null = null;
  const seen: ReceivedMessage[] = [];

  before(async () => {
    if (GSOAP_ABSENT !== null) return;
    server = await listen(createReceiver({
      cache,
      onMessage: async (message, context) => {
        seen.push(message);
        // One line per stored attachment, computed from the cache, for gSOAP to print.
        const lines = await Promise.all(message.attachments.map(async (a) => {
          const id = a.properties.wss_attachment_content_id;
          return `${String(id)} ${a.properties.wss_attachment_content_type} ${a.size} ${sha256(await cachedBytes(cache, context.rootId, id))}`;
        }));
        return { xml: `<i:swaResponse xmlns:i="${NS}"><report>${lines.join(' | ')}</report></i:swaResponse>` };
      },
    }));
  });
  after(() => server?.close());

  const photo = pseudoRandomBytes(250_000, 73);
  const notes = Buffer.from('\r\n--\r\nnotes\r\n');

  for (const version of ['1.1', '1.2'] as const) {
    test(`SOAP ${version}: every attachment stored with its id, type and bytes; gSOAP prints our answer`, async (t) => {
      if (GSOAP_ABSENT !== null) {
        t.skip(GSOAP_ABSENT);
        return;
      }
      seen.length = 0;
      const result = await gsoap(['swa', server!.url, version, 'cid:photo@gsoap.test',
        inputFile('post-photo.bin', photo), 'image/jpeg', '<photo@gsoap.test>', '-',
        inputFile('post-notes.txt', notes), 'text/plain', '<notes@gsoap.test>', '-']);
      await server!.idle();
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.equal(result.stdout.trim(), `RESULT photo@gsoap.test image/jpeg ${photo.length} ${sha256(photo)}` +
        ` | notes@gsoap.test text/plain ${notes.length} ${sha256(notes)}`);
      assert.equal(seen.length, 1);
      const message = seen[0]!;
      assert.equal(message.soap.version, version);
      assert.equal(message.soap.bodyElement, `{${NS}}swa`);
      assert.deepEqual(message.warnings, []);
      assert.deepEqual(message.attachments.map((a) => a.referencedBy.map((r) => r.kind)), [['swaRef'], []]);
    });
  }
});

// --- 3. send() → gSOAP server -----------------------------------------------------------------

describe('xopstream send() calls a gSOAP 2.8.124 server (soap_serve)', () => {
  let child: ChildProcess | null = null;
  let url = '';

  before(async () => {
    if (GSOAP_ABSENT !== null) return;
    const started = await startListeningPeer(program, ['server'], 'the gSOAP server', 30_000);
    child = started.child;
    url = `http://127.0.0.1:${started.port}/`;
  });

  after(() => stopListeningPeer(child)); // the server stops when stdin closes

  for (const version of ['1.1', '1.2'] as const) {
    test(`SOAP ${version}: MTOM from cached attachments; gSOAP's size and sha256 equal ours`, async (t) => {
      if (GSOAP_ABSENT !== null) {
        t.skip(GSOAP_ABSENT);
        return;
      }
      const data = pseudoRandomBytes(300_000, version === '1.1' ? 81 : 82);
      const rootId = randomUUID();
      const cache = await cacheWith(rootId, [{ contentId: 'scan@xopstream.test', contentType: 'image/png', bytes: data }]);
      const response = await send(url, {
        mode: 'mtom', soapVersion: version, rootId, cache,
        xml: `<i:upload xmlns:i="${NS}"><name>scan</name><data xmlns:xm="${XMIME_NS}" xm:contentType="image/png">` +
          `<xop:Include xmlns:xop="${XOP_NS}" href="cid:scan@xopstream.test"/></data></i:upload>`,
      });
      assert.equal(response.status, 200);
      assert.equal(response.soap.version, version);
      assert.equal(response.soap.bodyElement, `{${NS}}uploadResponse`);
      // What gSOAP's _xop__Include held: the bytes, the part's type, and the href as its id.
      assert.equal(response.rootDocument.xml.toString('utf8'), `<ns:uploadResponse xmlns:ns="${NS}"><digest>scan ${data.length} ${sha256(data)}` +
        ' type=image/png id=cid:scan@xopstream.test contentType=image/png</digest></ns:uploadResponse>');
    });

    test(`SOAP ${version}: MTOM optimized from inline base64; gSOAP's size and sha256 equal ours`, async (t) => {
      if (GSOAP_ABSENT !== null) {
        t.skip(GSOAP_ABSENT);
        return;
      }
      const data = pseudoRandomBytes(100_000, version === '1.1' ? 83 : 84);
      const response = await send(url, {
        mode: 'mtom', soapVersion: version, optimize: true,
        xml: `<i:upload xmlns:i="${NS}"><name>inline</name><data>${data.toString('base64')}</data></i:upload>`,
      });
      assert.equal(response.status, 200);
      assert.match(response.rootDocument.xml.toString('utf8'), new RegExp(`<digest>inline ${data.length} ${sha256(data)} type=application/octet-stream id=cid:`));
    });

    test(`SOAP ${version}: SwA from cached attachments; gSOAP lists every part's id, type, size and sha256`, async (t) => {
      if (GSOAP_ABSENT !== null) {
        t.skip(GSOAP_ABSENT);
        return;
      }
      const rootId = randomUUID();
      const stored = [
        { contentId: 'photo@xopstream.test', contentType: 'image/jpeg', bytes: pseudoRandomBytes(150_000, version === '1.1' ? 85 : 86) },
        { contentId: 'note.txt', contentType: 'text/plain; charset=utf-8', bytes: Buffer.from('\r\nline one\r\n--line two\r\n') },
        // Stored under its index (it had no Content-ID): the composer gives it one.
        { contentId: 3, contentType: 'application/xml', bytes: Buffer.from('<?xml version="1.0"?><a>ü</a>') },
      ];
      const cache = await cacheWith(rootId, stored);
      const composed = await compose({
        mode: 'swa', soapVersion: version, rootId, cache,
        xml: `<i:swa xmlns:i="${NS}"><name>three</name><i:photo href="cid:photo@xopstream.test"/></i:swa>`,
      });
      const response = await send(url, composed);
      assert.equal(response.status, 200);
      assert.equal(response.soap.version, version);
      const report = /<report>([^<]*)<\/report>/.exec(response.rootDocument.xml.toString('utf8'))?.[1]?.replace(/&lt;/g, '<').replace(/&gt;/g, '>');
      assert.ok(report !== undefined, response.rootDocument.xml.toString('utf8'));
      const [name, rootPart, ...rest] = report.split(' | ');
      assert.equal(name, 'three');
      // gSOAP lists the root part first, its content already consumed by the XML parser.
      assert.match(rootPart!, new RegExp(`^id=<${composed.rootContentId.replace(/[.]/g, '\\.')}> type=${version === '1.1' ? 'text/xml' : 'application/soap\\+xml'}; charset=UTF-8 location= 0 `));
      assert.equal(rest.pop(), 'parts=4');
      assert.deepEqual(rest, stored.map((a, i) =>
        `id=<${composed.parts[i]!.contentId}> type=${a.contentType} location= ${a.bytes.length} ${sha256(a.bytes)}`));
      assert.deepEqual(composed.parts.slice(0, 2).map((p) => p.contentId), ['photo@xopstream.test', 'note.txt']);
    });

    test(`SOAP ${version}: gSOAP's SwA answer (soap_set_mime_attachment) parses into every attachment with its id, type and bytes`, async (t) => {
      if (GSOAP_ABSENT !== null) {
        t.skip(GSOAP_ABSENT);
        return;
      }
      const rootId = randomUUID();
      const stored = [
        { contentId: 'photo@xopstream.test', contentType: 'image/jpeg', bytes: pseudoRandomBytes(200_000, version === '1.1' ? 89 : 90) },
        { contentId: 'note.txt', contentType: 'text/plain; charset=utf-8', bytes: Buffer.from('\r\nline one\r\n--line two\r\n') },
      ];
      const cache = await cacheWith(rootId, stored);
      // name "echo": the service sends every attachment it got back with soap_set_mime_attachment.
      const response = await send(url, { mode: 'swa', soapVersion: version, rootId, cache, xml: `<i:swa xmlns:i="${NS}"><name>echo</name></i:swa>` });
      assert.equal(response.status, 200);
      assert.match(String(response.contentType), new RegExp(`^multipart/related; charset=utf-8; boundary="==[A-Za-z0-9+/]{60}=="; ` +
        `type="${version === '1.1' ? 'text/xml' : 'application/soap\\+xml'}"; start="<SOAP-ENV:Envelope>"$`));
      assert.equal(response.soap.version, version);
      assert.equal(response.soap.bodyElement, `{${NS}}swaResponse`);
      assert.deepEqual(response.warnings, []);
      const id = response.rootDocument.properties.wss_root_document_id;
      assert.deepEqual(response.attachments.map((a) => [a.properties.wss_attachment_content_id, a.properties.wss_attachment_content_type, a.size]),
        stored.map((a) => [a.contentId, a.contentType, a.bytes.length]));
      for (const a of stored) {
        assert.equal(sha256(await readAll(await response.cache.open(id, a.contentId))), sha256(a.bytes), a.contentId);
      }
    });

    test(`SOAP ${version}: a gSOAP fault (${version === '1.1' ? 'Client, HTTP 500' : 'Sender, HTTP 400'}) is thrown by send() as ERR_SOAP_FAULT`, async (t) => {
      if (GSOAP_ABSENT !== null) {
        t.skip(GSOAP_ABSENT);
        return;
      }
      // No data element: the service answers soap_sender_fault.
      await assert.rejects(send(url, { mode: 'mtom', soapVersion: version, xml: `<i:upload xmlns:i="${NS}"><name>none</name></i:upload>` }),
        (error: Error & { code?: string; details?: Record<string, unknown> }) => {
          assert.equal(error.code, ErrorCodes.SOAP_FAULT);
          assert.equal(error.details!['status'], version === '1.1' ? 500 : 400);
          assert.equal(error.details!['faultCodeName'], version === '1.1'
            ? '{http://schemas.xmlsoap.org/soap/envelope/}Client' : '{http://www.w3.org/2003/05/soap-envelope}Sender');
          assert.equal(error.details!['reason'], 'no data element');
          assert.equal(error.details!['soapVersion'], version);
          return true;
        });
    });

    test(`SOAP ${version}: gSOAP's MTOM answer (echo) parses into an attachment with the exact bytes`, async (t) => {
      if (GSOAP_ABSENT !== null) {
        t.skip(GSOAP_ABSENT);
        return;
      }
      const data = pseudoRandomBytes(200_000, version === '1.1' ? 87 : 88);
      const rootId = randomUUID();
      const cache = await cacheWith(rootId, [{ contentId: 'echo@xopstream.test', contentType: 'image/png', bytes: data }]);
      const composed = await compose({
        mode: 'mtom', soapVersion: version, rootId, cache,
        xml: `<i:echo xmlns:i="${NS}"><data xmlns:xm="${XMIME_NS}" xm:contentType="image/png">` +
          `<xop:Include xmlns:xop="${XOP_NS}" href="cid:echo@xopstream.test"/></data></i:echo>`,
      });
      const response = await send(url, composed);
      assert.equal(response.status, 200);
      // gSOAP's root part takes the Content-ID of our request's root part.
      assert.equal(String(response.contentType), `multipart/related; charset=utf-8; boundary="${/boundary="([^"]+)"/.exec(String(response.contentType))?.[1]}"; ` +
        `type="application/xop+xml"; start="<${composed.rootContentId}>"; start-info="${version === '1.1' ? 'text/xml' : 'application/soap+xml'}"`);
      assert.equal(response.soap.version, version);
      assert.equal(response.soap.bodyElement, `{${NS}}echoResponse`);
      assert.deepEqual(response.warnings, []);
      assert.equal(response.attachments.length, 1);
      const attachment = response.attachments[0]!;
      assert.equal(attachment.properties.wss_attachment_content_id, 'echo@xopstream.test', 'gSOAP keeps the id');
      assert.equal(attachment.properties.wss_attachment_content_type, 'image/png');
      assert.equal(response.xopIncludes.length, 1);
      assert.equal(response.xopIncludes[0]!.contentId, 'echo@xopstream.test');
      assert.equal(response.xopIncludes[0]!.contentType, 'image/png');
      const id = response.rootDocument.properties.wss_root_document_id;
      assert.equal(sha256(await readAll(await response.cache.open(id, 'echo@xopstream.test'))), sha256(data));
    });
  }
});
