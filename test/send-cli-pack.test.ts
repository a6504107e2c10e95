// `xopstream pack`, spawned as a user runs it (node bin/xopstream.js), on
// real PDFs and JPEGs from the shared corpus and the project's own
// corpus/send-pack fixtures; the output is checked with parseMultipart and
// with `xopstream inspect --json` (sha256 of every part).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseContentType } from '../src/index.js';
import { contentIdOfUrl } from '../src/send/cid.js';
import { ownCorpusDir, projectRoot, sharedBinaryFiles, sharedCorpusDir, SHARED_CORPUS_ABSENT } from './support/corpus.js';
import { parseParts, sha256 } from './support/send.js';

const fixtures = path.join(ownCorpusDir, 'send-pack');
const bin = path.join(projectRoot, 'bin', 'xopstream.js');
let tmp = '';
before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xopstream-pack-')); });
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Run { code: number | null; stdout: Buffer; stderr: string }

function xopstream(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() }));
  });
}

function fileSha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Checks the message with `xopstream inspect --json`: part Content-IDs and sha256s. */
async function inspectJson(file: string, contentType: string): Promise<{ root: number; parts: Array<{ contentId: string; sha256: string; size: number }> }> {
  const run = await xopstream(['inspect', '--content-type', contentType, '--json', file]);
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout.toString());
}

describe('pack', () => {
  test('SwA, SOAP 1.1 payload with real PDFs and JPEGs: files out, parts byte-exact', async (t) => {
    if (sharedCorpusDir === null) {
      t.skip(SHARED_CORPUS_ABSENT);
      return;
    }
    const pdfs = sharedBinaryFiles('pdf').filter((f) => fs.statSync(f).size < 3_000_000).slice(0, 2);
    const jpegs = sharedBinaryFiles('jpeg').filter((f) => fs.statSync(f).size < 3_000_000).slice(0, 2);
    const files = [...pdfs, ...jpegs, path.join(fixtures, 'tiny.bin'), path.join(fixtures, 'hello.txt')];
    const out = path.join(tmp, 'swa.msg');
    const ctFile = path.join(tmp, 'swa.ct');
    const run = await xopstream(['pack', '--root', path.join(fixtures, 'payload-swa.xml'), '--swa', '--soap', '1.1',
      '--content-type-out', ctFile, '--out', out, ...files]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.length, 0);
    const contentType = fs.readFileSync(ctFile, 'utf8');
    assert.equal(parseContentType(contentType).parameters['type'], 'text/xml');
    const parts = await parseParts(fs.createReadStream(out), contentType);
    assert.equal(parts.length, files.length + 1);
    assert.ok(parts[0]!.body.toString().includes('<inv:scan>cid:tiny.bin</inv:scan>'));
    assert.match(parts[0]!.body.toString(), /^<\?xml version="1.0" encoding="UTF-8"\?><soapenv:Envelope xmlns:soapenv="http:\/\/schemas.xmlsoap.org\/soap\/envelope\/">/);
    files.forEach((file, i) => {
      assert.equal(parts[i + 1]!.contentId, path.basename(file));
      assert.equal(sha256(parts[i + 1]!.body), fileSha256(file), file);
    });
    assert.equal(parts[1]!.contentType, 'application/pdf');
    assert.equal(parts[3]!.contentType, 'image/jpeg');
    const report = await inspectJson(out, contentType);
    assert.equal(report.root, 0);
    assert.deepEqual(report.parts.slice(1).map((p) => [p.contentId, p.sha256]), files.map((f) => [path.basename(f), fileSha256(f)]));
  });

  test('MTOM, SOAP 1.2 Envelope to standard output, Content-Type to standard error, inline base64 optimized', async () => {
    const files = [path.join(fixtures, 'tiny.bin'), path.join(fixtures, 'hello.txt')];
    const run = await xopstream(['pack', '--root', path.join(fixtures, 'envelope12-mtom.xml'), '--mtom', '--action', 'urn:example:upload', ...files]);
    assert.equal(run.code, 0, run.stderr);
    const contentType = run.stderr.trim();
    const ct = parseContentType(contentType);
    assert.equal(ct.parameters['type'], 'application/xop+xml');
    assert.equal(ct.parameters['action'], 'urn:example:upload');
    assert.equal(ct.parameters['start-info'], 'application/soap+xml;action="urn:example:upload"');
    const parts = await parseParts([run.stdout], contentType);
    // root, the optimized up:inline, then the two files.
    assert.equal(parts.length, 4);
    const root = parts[0]!.body.toString();
    const include = /<up:inline xmime:contentType="application\/octet-stream"><xop:Include [^>]*href="([^"]+)"\/><\/up:inline>/.exec(root);
    assert.ok(include, root);
    assert.equal(contentIdOfUrl(include[1]!), parts[1]!.contentId);
    assert.equal(sha256(parts[1]!.body), fileSha256(path.join(fixtures, 'tiny.bin')), 'the inline base64 decodes to tiny.bin');
    assert.ok(root.includes('<up:file><xop:Include href="cid:tiny.bin"/></up:file>'));
    assert.ok(root.includes(`<up:small>${Buffer.from('small').toString('base64')}</up:small>`), 'under the threshold stays inline');
    assert.equal(parts[2]!.contentId, 'tiny.bin');
    assert.equal(parts[3]!.contentId, 'hello.txt');
    assert.equal(sha256(parts[2]!.body), fileSha256(files[0]!));
    assert.equal(sha256(parts[3]!.body), fileSha256(files[1]!));
  });

  test('--no-optimize keeps inline base64; --threshold moves only larger content', async () => {
    const root = path.join(fixtures, 'envelope12-mtom.xml');
    const tiny = path.join(fixtures, 'tiny.bin');
    const kept = await xopstream(['pack', '--root', root, '--mtom', '--no-optimize', tiny]);
    assert.equal(kept.code, 0, kept.stderr);
    assert.equal((await parseParts([kept.stdout], kept.stderr.trim())).length, 2);
    const high = await xopstream(['pack', '--root', root, '--mtom', '--threshold=2000', tiny]);
    assert.equal((await parseParts([high.stdout], high.stderr.trim())).length, 2);
    const low = await xopstream(['pack', '--root', root, '--mtom', '--threshold', '1', tiny]);
    assert.equal((await parseParts([low.stdout], low.stderr.trim())).length, 4, 'both base64 values move out');
  });

  test('usage errors exit 2, bad inputs exit 1 with a typed code, and no partial output is left', async () => {
    const root = path.join(fixtures, 'payload-swa.xml');
    for (const args of [[], ['--mtom', '--swa', '--root', root], ['--root', root, '--soap', '2'], ['--root'], ['--root', root, '--bogus'],
      ['--root', root, '--threshold', '0']]) {
      const run = await xopstream(['pack', ...args]);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /usage: xopstream pack/);
    }
    const help = await xopstream(['pack', '--help']);
    assert.equal(help.code, 0);
    const missing = await xopstream(['pack', '--root', root, path.join(tmp, 'nope.pdf')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^ERR_BAD_ARGUMENT: cannot read the attachment/);
    const odd = path.join(tmp, 'résumé.pdf');
    fs.writeFileSync(odd, 'x');
    const badName = await xopstream(['pack', '--root', root, odd]);
    assert.equal(badName.code, 1);
    assert.match(badName.stderr, /cannot be a Content-ID/);
    const dup = path.join(tmp, 'sub');
    fs.mkdirSync(dup, { recursive: true });
    fs.writeFileSync(path.join(dup, 'hello.txt'), 'other');
    const twice = await xopstream(['pack', '--root', root, path.join(fixtures, 'hello.txt'), path.join(dup, 'hello.txt')]);
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /two attachments are named hello.txt/);
    const badXml = path.join(tmp, 'bad.xml');
    fs.writeFileSync(badXml, '<a><b></a>');
    const out = path.join(tmp, 'never.msg');
    const malformed = await xopstream(['pack', '--root', badXml, '--out', out]);
    assert.equal(malformed.code, 1);
    assert.match(malformed.stderr, /^ERR_XML_MALFORMED/);
    assert.equal(fs.existsSync(out), false);
    const noRoot = await xopstream(['pack', '--root', path.join(tmp, 'missing.xml')]);
    assert.equal(noRoot.code, 1);
    assert.match(noRoot.stderr, /cannot read the root file/);
  });
});
