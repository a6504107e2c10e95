// `xopstream inflate` and the soap/xopIncludes fields of `xopstream inspect --json`,
// run as a user runs them (`node bin/xopstream.js ...`; needs `npm run build`,
// which `npm test` does first).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ownCorpusDir, projectRoot, SHARED_CORPUS_ABSENT, sharedCorpusDir, sharedMimeMessages } from './support/corpus.js';
import { assertWellFormed, canonicalEvents } from './support/xop.js';

interface Run { code: number | null; stdout: Buffer; stderr: string }

function runCli(args: string[], stdin?: Uint8Array): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(projectRoot, 'bin', 'xopstream.js'), ...args],
      { cwd: projectRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout.push(d); });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(stdout), stderr }));
    child.stdin.end(stdin ?? Buffer.alloc(0));
  });
}

const dir = path.join(ownCorpusDir, 'xop-mtom-message');
const message = path.join(dir, 'message.bin');
const expected = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as {
  contentType: string; soap: unknown; xopIncludes: unknown;
};

test('inflate writes the envelope with each include replaced by the base64 of its part', async () => {
  const run = await runCli(['inflate', '--content-type', expected.contentType, message]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr, '');
  assert.equal(run.stdout.toString('utf8'), fs.readFileSync(path.join(dir, 'inflated.xml'), 'utf8'));
});

test('inflate --root-document writes the Body payload with its namespace declarations', async () => {
  const run = await runCli(['inflate', `--content-type=${expected.contentType}`, '--root-document', message]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.toString('utf8'), fs.readFileSync(path.join(dir, 'root-document.xml'), 'utf8'));
  assertWellFormed(run.stdout);
});

test('inflate reads standard input with a leading Content-Type header block', async () => {
  const input = Buffer.concat([Buffer.from(`POST /svc HTTP/1.1\r\nContent-Type: ${expected.contentType}\r\n\r\n`), fs.readFileSync(message)]);
  const run = await runCli(['inflate', '-'], input);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.toString('utf8'), fs.readFileSync(path.join(dir, 'inflated.xml'), 'utf8'));
});

test('inflate of a plain SOAP document writes it back unchanged', async () => {
  const root = fs.readFileSync(path.join(ownCorpusDir, 'xop-soap11-headers', 'root.xml'));
  const run = await runCli(['inflate', '--content-type', 'text/xml; charset=UTF-8', '-'], root);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(run.stdout, root);
});

test('inflate: a missing part, a bad href, a version mismatch under --strict are exit 1 with the code; usage errors exit 2', async () => {
  const text = fs.readFileSync(message, 'latin1').replace('<note@example.org>', '<other@example.org>');
  const missing = await runCli(['inflate', '--content-type', expected.contentType, '-'], Buffer.from(text, 'latin1'));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^ERR_XOP_MISSING_PART: .*cid:note@example\.org/);
  assert.equal(missing.stdout.length, 0, 'nothing is written before the message is known to be complete');
  const href = fs.readFileSync(path.join(ownCorpusDir, 'xop-href-http', 'root.xml'));
  const bad = await runCli(['inflate', '--content-type', 'text/xml', '-'], href);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^ERR_XOP_BAD_HREF/);
  const mismatch = fs.readFileSync(path.join(ownCorpusDir, 'xop-version-mismatch', 'root.xml'));
  const lenient = await runCli(['inflate', '--content-type', 'application/xop+xml; type="text/xml"', '-'], mismatch);
  assert.equal(lenient.code, 0);
  assert.match(lenient.stderr, /^warning: .*announces SOAP 1\.1 but the envelope is SOAP 1\.2/);
  const strict = await runCli(['inflate', '--strict', '--content-type', 'application/xop+xml; type="text/xml"', '-'], mismatch);
  assert.equal(strict.code, 1);
  assert.match(strict.stderr, /^ERR_SOAP_VERSION_MISMATCH/);
  assert.equal((await runCli(['inflate'])).code, 2);
  assert.equal((await runCli(['inflate', '--bogus', message])).code, 2);
  assert.equal((await runCli(['inflate', 'a', 'b'])).code, 2);
  assert.equal((await runCli(['inflate', '--content-type'])).code, 2);
  assert.equal((await runCli(['inflate', path.join(dir, 'no-such-file')])).code, 2);
  const help = await runCli(['inflate', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout.toString(), /^usage: xopstream inflate/);
});

test('inspect --json reports soap and xopIncludes', async () => {
  const run = await runCli(['inspect', '--json', '--content-type', expected.contentType, message]);
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout.toString('utf8')) as Record<string, unknown>;
  assert.deepEqual(report['soap'], expected.soap);
  assert.deepEqual(report['xopIncludes'], expected.xopIncludes);
  const text = await runCli(['inspect', '--content-type', expected.contentType, message]);
  assert.match(text.stdout.toString(), /SOAP 1\.2\n {2}Body: \{urn:photos\}upload\n {2}Header: \{urn:photos\}trace\n/);
  assert.match(text.stdout.toString(), /xop:Include cid:note@example\.org in \{urn:photos\}note → part 2/);
});

test('inspect --json on a non-XML root reports version null with the scan error', async () => {
  const body = Buffer.from('--b\r\nContent-Type: text/plain\r\n\r\nnot xml\r\n--b--\r\n');
  const run = await runCli(['inspect', '--json', '--content-type', 'multipart/related; boundary=b', '-'], body);
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout.toString('utf8')) as { soap: { version: unknown; error: { code: string } }; xopIncludes: unknown[] };
  assert.equal(report.soap.version, null);
  assert.equal(report.soap.error.code, 'ERR_XML_MALFORMED');
  assert.deepEqual(report.xopIncludes, []);
});

const shared = new Map(sharedMimeMessages().map((m) => [m.name, m]));

test('inspect --json and inflate over real MTOM messages', { skip: sharedCorpusDir === null ? SHARED_CORPUS_ABSENT : false }, async () => {
  const xopSpec = shared.get('ws-axiom__xop_spec-sample.msg')!;
  const report = JSON.parse((await runCli(['inspect', '--json', '--content-type', xopSpec.contentType, '-'], xopSpec.body)).stdout.toString()) as Record<string, unknown>;
  assert.deepEqual(report['soap'], { version: null, bodyElement: null, headerBlocks: [] });
  assert.deepEqual(report['xopIncludes'], [
    { cid: 'http://example.org/me.png', element: '{http://example.org/stuff}photo', part: 1 },
    { cid: 'http://example.org/my.hsh', element: '{http://example.org/stuff}sig', part: 2 },
  ]);
  const sample = shared.get('ws-axiom__mtom_sample1.msg')!;
  const sampleReport = JSON.parse((await runCli(['inspect', '--json', '--content-type', sample.contentType, '-'], sample.body)).stdout.toString()) as Record<string, unknown>;
  assert.deepEqual(sampleReport['soap'], { version: '1.2', bodyElement: '{urn://fakenamespace}mtomSample', headerBlocks: [] });
  assert.deepEqual((sampleReport['xopIncludes'] as Array<{ part: number }>).map((x) => x.part), [1, 2]);
  const inflated = await runCli(['inflate', '--content-type', sample.contentType, '-'], sample.body);
  assert.equal(inflated.code, 0, inflated.stderr);
  const events = canonicalEvents(inflated.stdout);
  const image1 = events.indexOf('S{urn://fakenamespace}image1 ');
  assert.ok(image1 >= 0);
  const parts = sampleReport['parts'] as Array<{ size: number }>;
  const b64 = events[image1 + 1]!.slice(1);
  assert.equal(Buffer.from(b64, 'base64').length, parts[1]!.size);
  // wmtom names cid:1.BBFC… while the part is <11.BBFC…>: a missing part.
  const wmtom = shared.get('axis2__mtom_wmtom.bin')!;
  const missing = await runCli(['inflate', '--content-type', wmtom.contentType, '-'], wmtom.body);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^ERR_XOP_MISSING_PART/);
  const wmtomReport = JSON.parse((await runCli(['inspect', '--json', '--content-type', wmtom.contentType, '-'], wmtom.body)).stdout.toString()) as Record<string, unknown>;
  assert.deepEqual((wmtomReport['xopIncludes'] as Array<{ part: number | null }>).map((x) => x.part), [null, 2]);
});
