// Interop: Python's standard `email` package parses messages composed by
// xopstream — same parts, same headers, same bytes (sha256), no defects.
// Skips (with a message) only when python3 is not installed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { compose } from '../src/index.js';
import type { AttachmentInput } from '../src/index.js';
import { ownCorpusDir, sharedBinaryFiles } from './support/corpus.js';
import { pseudoRandomBytes, readAll, sha256 } from './support/send.js';

const PYTHON = 'python3';
const pythonMissing = spawnSync(PYTHON, ['--version']).status !== 0;
const PYTHON_ABSENT = 'python3 is not installed: the Python email interop test is skipped';

/** Parses MESSAGE with email.message_from_bytes (CONTENT-TYPE given as an outer header) and prints what it saw. */
const SCRIPT = `
import sys, json, hashlib, email, email.policy
data = open(sys.argv[1], 'rb').read()
ct = open(sys.argv[2], 'r').read()
msg = email.message_from_bytes(b'Content-Type: ' + ct.encode('ascii') + b'\\r\\nMIME-Version: 1.0\\r\\n\\r\\n' + data,
                               policy=email.policy.compat32)
out = {'multipart': msg.is_multipart(), 'type': msg.get_param('type'), 'start': msg.get_param('start'),
       'startInfo': msg.get_param('start-info'), 'action': msg.get_param('action'),
       'defects': [type(d).__name__ for d in msg.defects], 'parts': []}
for part in msg.get_payload():
    body = part.get_payload(decode=True)
    out['parts'].append({'contentId': part.get('Content-ID'), 'contentType': part.get('Content-Type'),
                         'cte': part.get('Content-Transfer-Encoding'), 'size': len(body),
                         'sha256': hashlib.sha256(body).hexdigest(), 'defects': [type(d).__name__ for d in part.defects]})
print(json.dumps(out))
`;

let tmp = '';
before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xopstream-pyemail-')); });
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface PythonView {
  multipart: boolean; type: string; start: string; startInfo: string | null; action: string | null; defects: string[];
  parts: Array<{ contentId: string; contentType: string; cte: string; size: number; sha256: string; defects: string[] }>;
}

function pythonParse(message: Buffer, contentType: string, name: string): PythonView {
  const file = path.join(tmp, `${name}.msg`);
  const ctFile = path.join(tmp, `${name}.ct`);
  fs.writeFileSync(file, message);
  fs.writeFileSync(ctFile, contentType);
  const run = spawnSync(PYTHON, ['-c', SCRIPT, file, ctFile], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as PythonView;
}

function attachmentsToSend(): Array<AttachmentInput & { bytes: Buffer }> {
  const list: Array<{ contentId?: string; contentType: string; bytes: Buffer }> = [
    { contentId: 'tiny.bin', contentType: 'application/octet-stream', bytes: fs.readFileSync(path.join(ownCorpusDir, 'send-pack', 'tiny.bin')) },
    { contentType: 'text/plain', bytes: Buffer.from('\r\rA\n\nB\r\n\r\n--\r\n\r') }, // line-break look-alikes at both ends
    { contentType: 'application/octet-stream', bytes: Buffer.alloc(0) },
    { contentType: 'application/octet-stream', bytes: pseudoRandomBytes(100_000, 77) },
  ];
  // Real files when the shared corpus is there (a PDF that ends in a line break, a JPEG).
  const pdf = sharedBinaryFiles('pdf').find((f) => f.endsWith('lilypond-doc-pdf__theory.pdf'));
  const jpeg = sharedBinaryFiles('jpeg').find((f) => f.endsWith('python-matplotlib-data__grace_hopper.jpg'));
  if (pdf !== undefined) list.push({ contentId: 'theory.pdf', contentType: 'application/pdf', bytes: fs.readFileSync(pdf) });
  if (jpeg !== undefined) list.push({ contentId: 'grace hopper.jpg', contentType: 'image/jpeg', bytes: fs.readFileSync(jpeg) });
  return list.map((a) => ({ ...a, body: a.bytes }));
}

describe('Python email parses composed messages', () => {
  for (const mode of ['swa', 'mtom'] as const) {
    for (const soapVersion of ['1.1', '1.2'] as const) {
      test(`${mode} SOAP ${soapVersion}`, async (t) => {
        if (pythonMissing) {
          t.skip(PYTHON_ABSENT);
          return;
        }
        const attachments = attachmentsToSend();
        const msg = await compose({ xml: '<m:x xmlns:m="urn:m">é</m:x>', mode, soapVersion, soapAction: 'urn:example:act', attachments });
        const wire = await readAll(msg.body);
        const view = pythonParse(wire, msg.contentType, `${mode}-${soapVersion}`);
        assert.equal(view.multipart, true);
        assert.deepEqual(view.defects, []);
        assert.equal(view.start, `<${msg.rootContentId}>`);
        assert.equal(view.type, mode === 'swa' ? (soapVersion === '1.1' ? 'text/xml' : 'application/soap+xml') : 'application/xop+xml');
        if (mode === 'mtom') assert.equal(view.startInfo, soapVersion === '1.1' ? 'text/xml' : 'application/soap+xml;action="urn:example:act"');
        assert.equal(view.action, soapVersion === '1.2' ? 'urn:example:act' : null);
        assert.equal(view.parts.length, attachments.length + 1);
        assert.equal(view.parts[0]!.contentId, `<${msg.rootContentId}>`);
        assert.equal(view.parts[0]!.cte, 'binary');
        attachments.forEach((a, i) => {
          const part = view.parts[i + 1]!;
          assert.deepEqual(part.defects, []);
          assert.equal(part.contentId, `<${msg.parts[i]!.contentId}>`);
          assert.equal(part.contentType, a.contentType);
          assert.equal(part.cte, 'binary');
          assert.equal(part.size, a.bytes.length, `part ${i + 1} size`);
          assert.equal(part.sha256, sha256(a.bytes), `part ${i + 1} bytes`);
        });
      });
    }
  }
});
