// Regression: bytes after a complete request on a connection that is to close
// (HTTP/1.0, or Connection: close) made Node's default clientError handler
// answer "400 Bad Request" and destroy the socket while the receiver was still
// answering that request, so the client never saw the receiver's answer.
// Found live with Apache Axis 1.4 + JavaMail 1.6 (test/interop-axis.test.ts):
// its HTTP/1.0 Content-Length is short of the body it writes, and Axis
// reported "(400)Bad Request" instead of the receiver's fault naming the
// truncated multipart. createReceiverServer now lets that answer finish, then
// closes; other client errors keep Node's answers (400, 431, 408).
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { MemoryCache, createReceiver, createReceiverServer, handleClientError } from '../src/index.js';

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const ENVELOPE = `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="${SOAP11}"><s:Body><m:upload xmlns:m="urn:m"/></s:Body></s:Envelope>`;

function multipart(boundary: string): Buffer {
  return Buffer.from(`--${boundary}\r\nContent-Type: text/xml; charset=UTF-8\r\nContent-Id: <root>\r\n\r\n${ENVELOPE}\r\n` +
    `--${boundary}\r\nContent-Type: application/octet-stream\r\nContent-Id: <a1>\r\n\r\n0123456789\r\n--${boundary}--\r\n`);
}

/** Writes `bytes` on a fresh connection and returns everything the server sent until it closed. */
function exchange(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    const got: Buffer[] = [];
    socket.on('data', (b: Buffer) => got.push(b));
    socket.on('close', () => resolve(Buffer.concat(got).toString('latin1')));
    socket.on('error', reject);
  });
}

function post(headers: string, body: Buffer, contentLength: number, trailing: string): Buffer {
  return Buffer.concat([
    Buffer.from(`POST / HTTP/1.0\r\nHost: x\r\n${headers}Content-Length: ${contentLength}\r\n\r\n`), body, Buffer.from(trailing),
  ]);
}

describe('createReceiverServer: a client error after a complete request', () => {
  const cache = new MemoryCache();
  const server = createReceiverServer({ cache, maxHeaderSize: 2048 });
  let port = 0;
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test('HTTP/1.0, Content-Length short of the close delimiter (as Axis 1.4 sends): the receiver\'s Client fault, not a bare 400', async () => {
    const body = multipart('b0');
    const tail = Buffer.byteLength('\r\n--b0--\r\n') - 3; // the announced body ends inside the close delimiter
    const answer = await exchange(port, post('Content-Type: multipart/related; type="text/xml"; boundary="b0"\r\n',
      body.subarray(0, body.length - tail), body.length - tail, body.subarray(body.length - tail).toString('latin1')));
    // The receiver's own answer (400 by default, with its fault naming the truncation), not Node's bare one.
    assert.match(answer, /^HTTP\/1\.1 400 /, answer);
    assert.match(answer, /<faultcode>soap:Client<\/faultcode>/);
    assert.match(answer, /close delimiter/);
  });

  test('HTTP/1.0 followed by a stray CRLF: the receiver\'s answer (200) arrives', async () => {
    const body = multipart('b1');
    const answer = await exchange(port, post('Content-Type: multipart/related; type="text/xml"; boundary="b1"\r\n', body, body.length, '\r\n'));
    assert.match(answer, /^HTTP\/1\.1 200 /, answer);
    assert.match(answer, /urn:xopstream:receiver:1/);
    assert.match(answer, /contentId="a1"/);
  });

  test('Connection: close on HTTP/1.1 with bytes after the body: the receiver\'s answer arrives', async () => {
    const body = Buffer.from(ENVELOPE);
    const request = Buffer.concat([Buffer.from(`POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: text/xml; charset=utf-8\r\n` +
      `Content-Length: ${body.length}\r\n\r\n`), body, Buffer.from('junk')]);
    const answer = await exchange(port, request);
    assert.match(answer, /^HTTP\/1\.1 200 /, answer);
    assert.match(answer, /urn:xopstream:receiver:1/);
  });

  test('no request in flight: garbage still gets Node\'s 400, a header block over maxHeaderSize its 431', async () => {
    assert.match(await exchange(port, Buffer.from('NOT HTTP AT ALL\r\n\r\n')), /^HTTP\/1\.1 400 Bad Request\r\nConnection: close\r\n\r\n$/);
    const big = await exchange(port, Buffer.from(`POST / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4096)}\r\n\r\n`));
    assert.match(big, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  });
});

describe('a plain http.createServer around createReceiver: handleClientError gives it the same behaviour', () => {
  /** The Axis-like request: HTTP/1.0, its Content-Length ends inside the close delimiter. */
  function axisLike(): Buffer {
    const body = multipart('b9');
    const tail = Buffer.byteLength('\r\n--b9--\r\n') - 3;
    return post('Content-Type: multipart/related; type="text/xml"; boundary="b9"\r\n',
      body.subarray(0, body.length - tail), body.length - tail, body.subarray(body.length - tail).toString('latin1'));
  }

  async function answerFrom(server: http.Server): Promise<string> {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      return await exchange((server.address() as AddressInfo).port, axisLike());
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }

  test('with server.on(\'clientError\', handleClientError): the receiver\'s Client fault arrives', async () => {
    const handler = createReceiver({ cache: new MemoryCache() });
    const server = http.createServer((req, res) => { void handler(req, res); });
    server.on('clientError', handleClientError);
    const answer = await answerFrom(server);
    assert.match(answer, /^HTTP\/1\.1 400 /, answer);
    assert.match(answer, /<faultcode>soap:Client<\/faultcode>/);
    assert.match(answer, /close delimiter/);
  });
});
