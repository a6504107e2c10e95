// `xopstream send URL --root FILE.xml ATTACHMENT...`, spawned as a user runs
// it, against a loopback node:http endpoint: the endpoint checks what
// arrived (sha256 of each file), answers with an MTOM message of its own, a
// SOAP Fault, or nothing at all; the command prints the parsed answer.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { compose } from '../src/index.js';
import { ownCorpusDir, projectRoot } from './support/corpus.js';
import { parseParts, readAll, sha256 } from './support/send.js';

const fixtures = path.join(ownCorpusDir, 'send-pack');
const bin = path.join(projectRoot, 'bin', 'xopstream.js');
const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';

let answer: (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse) => Promise<void> = async (_q, _b, res) => { res.end(); };
const seen: Array<{ headers: http.IncomingHttpHeaders; body: Buffer }> = [];
const server = http.createServer((req, res) => {
  void (async () => {
    const body = await readAll(req);
    seen.push({ headers: req.headers, body });
    await answer(req, body, res);
  })();
});
let url = '';
before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/endpoint`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function xopstream(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const fileSha = (f: string): string => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');

describe('xopstream send', () => {
  test('sends the files and prints the parsed MTOM answer (--json)', async () => {
    const back = Buffer.from('receipt bytes \r\n--');
    answer = async (_req, body, res) => {
      const parts = await parseParts([body], _req.headers['content-type']!);
      const digest = parts.slice(1).map((p) => `${p.contentId}=${sha256(p.body)}`).join(',');
      const reply = await compose({ xml: `<r:received xmlns:r="urn:r">${digest}</r:received>`, mode: 'mtom',
        attachments: [{ contentId: 'receipt.txt', contentType: 'text/plain', body: back }] });
      res.writeHead(200, reply.headers);
      reply.body.pipe(res);
    };
    const files = [path.join(fixtures, 'tiny.bin'), path.join(fixtures, 'hello.txt')];
    const run = await xopstream(['send', url, '--root', path.join(fixtures, 'payload-swa.xml'), '--mtom', '--soap', '1.2',
      '--action', 'urn:example:submit', '--header', 'X-Trace: cli-1', '--json', ...files]);
    assert.equal(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout);
    assert.equal(out.status, 200);
    assert.equal(out.soapVersion, '1.1');
    assert.ok(out.envelope.includes(`tiny.bin=${fileSha(files[0]!)},hello.txt=${fileSha(files[1]!)}`), out.envelope);
    assert.equal(out.attachments.length, 1);
    const { xxh64, ...rest } = out.attachments[0];
    assert.match(xxh64, /^[0-9a-f]{16}$/);
    assert.deepEqual(rest, { index: 1, contentId: 'receipt.txt', contentType: 'text/plain', size: back.length, sha256: sha256(back) });
    assert.match(out.rootId, /^[0-9a-f-]{36}$/);
    assert.equal(out.bodyElement, '{urn:r}received');
    const request = seen[seen.length - 1]!;
    assert.equal(request.headers['x-trace'], 'cli-1');
    assert.match(request.headers['content-type']!, /; action="urn:example:submit";/);
    assert.equal(request.headers['content-length'], String(request.body.length));
  });

  test('prints a readable answer without --json', async () => {
    answer = async (_req, _body, res) => {
      res.writeHead(200, { 'Content-Type': 'text/xml' });
      res.end(`<s:Envelope xmlns:s="${SOAP11}"><s:Body><ok/></s:Body></s:Envelope>`);
    };
    const run = await xopstream(['send', url, '--root', path.join(fixtures, 'payload-swa.xml'), path.join(fixtures, 'hello.txt')]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^HTTP 200 OK\nSOAP 1\.1, 0 attachment\(s\), root id [0-9a-f-]{36}\n<s:Envelope/);
  });

  test('a SOAP Fault exits 1 and prints the fault', async () => {
    answer = async (_req, _body, res) => {
      res.writeHead(500, { 'Content-Type': 'text/xml' });
      res.end(`<s:Envelope xmlns:s="${SOAP11}"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>bad invoice</faultstring></s:Fault></s:Body></s:Envelope>`);
    };
    const json = await xopstream(['send', url, '--root', path.join(fixtures, 'payload-swa.xml'), '--json']);
    assert.equal(json.code, 1);
    const out = JSON.parse(json.stdout);
    assert.equal(out.fault.code, 'ERR_SOAP_FAULT');
    assert.equal(out.fault.faultCode, 's:Client');
    assert.equal(out.fault.reason, 'bad invoice');
    assert.equal(out.fault.status, 500);
    const text = await xopstream(['send', url, '--root', path.join(fixtures, 'payload-swa.xml')]);
    assert.equal(text.code, 1);
    assert.match(text.stderr, /^ERR_SOAP_FAULT: SOAP 1\.1 fault s:Client: bad invoice/);
  });

  test('timeouts, unreachable endpoints and usage errors', async () => {
    answer = async () => undefined; // never answers
    const slow = await xopstream(['send', url, '--root', path.join(fixtures, 'payload-swa.xml'), '--timeout', '300']);
    assert.equal(slow.code, 1);
    assert.match(slow.stderr, /^ERR_TIMEOUT/);
    const unreachable = await xopstream(['send', 'http://127.0.0.1:1/', '--root', path.join(fixtures, 'payload-swa.xml'), '--retries', '1']);
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /^ERR_NETWORK: could not connect/);
    for (const args of [[], ['--root', 'x.xml'], [url], [url, '--root', path.join(fixtures, 'payload-swa.xml'), '--timeout', '0'],
      [url, '--root', path.join(fixtures, 'payload-swa.xml'), '--header', 'nocolon'], [url, '--root', path.join(fixtures, 'payload-swa.xml'), '--retries', 'x']]) {
      const run = await xopstream(['send', ...args]);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /usage: xopstream send/);
    }
    assert.equal((await xopstream(['send', '--help'])).code, 0);
  });
});
