/**
 * Seed inputs: the project's corpus/, the shared corpus of real messages
 * (../shared/corpus/mime), the regression inputs, and a few built-in
 * messages so the fuzzer starts from every feature even without corpora.
 */

import fs from 'node:fs';
import path from 'node:path';
import { ownCorpusDir, sharedMimeMessages } from '../support/corpus.js';
import type { FuzzInput } from './input.js';

/** Built-in seeds: one per message shape the parser must handle. */
export function builtinSeeds(): FuzzInput[] {
  const soap12 = 'http://www.w3.org/2003/05/soap-envelope';
  const soap11 = 'http://schemas.xmlsoap.org/soap/envelope/';
  const xop = 'http://www.w3.org/2004/08/xop/include';
  const binary = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) & 0xff));
  const mtom = Buffer.concat([
    Buffer.from('--MIMEBoundary_1\r\nContent-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml"\r\n' +
      'Content-Transfer-Encoding: binary\r\nContent-ID: <root.message@cxf.apache.org>\r\n\r\n' +
      `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="${soap12}"><soap:Header><h:Trace xmlns:h="urn:h">1</h:Trace></soap:Header>` +
      `<soap:Body><m:upload xmlns:m="urn:example"><m:name>caf\u00e9</m:name><m:data><xop:Include xmlns:xop="${xop}" href="cid:att1%40example.org"/></m:data></m:upload></soap:Body></soap:Envelope>` +
      '\r\n--MIMEBoundary_1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <att1@example.org>\r\n\r\n', 'utf8'),
    binary,
    Buffer.from('\r\n--MIMEBoundary_1--\r\n'),
  ]);
  const swa = Buffer.from(
    'preamble text\r\n--swa-b\r\nContent-Type: text/xml; charset=utf-8\r\nContent-ID: <env>\r\n\r\n' +
    `<S:Envelope xmlns:S="${soap11}"><S:Body><p:doc xmlns:p="urn:p"><p:ref>cid:pic</p:ref></p:doc></S:Body></S:Envelope>\r\n` +
    '--swa-b\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\nContent-ID: <pic>\r\nContent-Location: pic.png\r\n\r\n' +
    `${binary.toString('base64').replace(/.{1,76}/g, '$&\r\n')}` +
    '--swa-b\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\nContent-ID: <qp>\r\n\r\n' +
    'caf=E9 au lait =\r\nsoft break, trailing space   \r\nend=3D\r\n--swa-b--\r\nepilogue\r\n', 'latin1');
  const lfOnly = Buffer.from(
    '--lf\nContent-Type: text/xml\nContent-ID: <root>\n\n' +
    `<e:Envelope xmlns:e="${soap11}"><e:Body><x/></e:Body></e:Envelope>\n--lf\nContent-ID: <b>\n X-Folded: a\n\tb\n\nbody\r\n\n--lf--\n`, 'latin1');
  return [
    { contentType: `multipart/related; type="application/xop+xml"; boundary="MIMEBoundary_1"; start="<root.message@cxf.apache.org>"; start-info="application/soap+xml"`, bytes: mtom, options: {} },
    { contentType: 'multipart/related; type="text/xml"; start="<env>"; boundary=swa-b', bytes: swa, options: {} },
    { contentType: 'Multipart/Related; boundary="lf"', bytes: lfOnly, options: {} },
    { contentType: 'application/soap+xml; charset=utf-8', bytes: Buffer.from(`<soap:Envelope xmlns:soap="${soap12}"><soap:Body><a/></soap:Body></soap:Envelope>`), options: {} },
    { contentType: 'multipart/related; boundary=q', bytes: Buffer.from('--q\r\n\r\n\r\n--q\r\nContent-ID: <x>\r\n\r\n--q--'), options: { allowMissingCloseDelimiter: true } },
  ];
}

/** Reads the Content-Type of a file with a leading header block, as `xopstream inspect` does. */
function splitInlineHeaders(bytes: Buffer): FuzzInput | null {
  const head = bytes.subarray(0, Math.min(bytes.length, 8192)).toString('latin1');
  const m = /^(?:[^\r\n]*\r?\n)*?content-type:[ \t]*([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)/i.exec(head);
  if (m === null) return null;
  const crlf = bytes.indexOf('\r\n\r\n');
  const lf = bytes.indexOf('\n\n');
  const cut = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 4 : lf >= 0 ? lf + 2 : -1;
  if (cut < 0 || m.index + m[0].length > cut) return null;
  return { contentType: m[1]!.replace(/\r?\n[ \t]/g, ' ').trim(), bytes: bytes.subarray(cut), options: {} };
}

/** Every file of a folder tree. */
function walk(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(full));
    else out.push(full);
  }
  return out.sort();
}

/**
 * Seeds from the project's corpus/: a message file with a sibling JSON that
 * names its `contentType` (regressions, fixtures), or a file that starts with
 * its own Content-Type header block.
 */
export function ownCorpusSeeds(): FuzzInput[] {
  const out: FuzzInput[] = [];
  for (const file of walk(ownCorpusDir)) {
    if (file.endsWith('.json') || file.endsWith('.md')) continue;
    const bytes = fs.readFileSync(file);
    const sidecars = [file.replace(/\.[^./]+$/, '') + '.json', path.join(path.dirname(file), 'case.json'), path.join(path.dirname(file), 'expected.json')];
    let added = false;
    for (const sidecar of sidecars) {
      if (!fs.existsSync(sidecar)) continue;
      try {
        const meta = JSON.parse(fs.readFileSync(sidecar, 'utf8')) as { contentType?: unknown; options?: unknown };
        if (typeof meta.contentType === 'string') {
          const options = typeof meta.options === 'object' && meta.options !== null ? meta.options as FuzzInput['options'] : {};
          out.push({ contentType: meta.contentType, bytes, options });
          added = true;
          break;
        }
      } catch {
        // Not our JSON shape: try the next way.
      }
    }
    if (!added) {
      const inline = splitInlineHeaders(bytes);
      if (inline !== null) out.push(inline);
    }
  }
  return out;
}

/** All seeds: built-in, own corpus, shared corpus (when present). */
export function allSeeds(): FuzzInput[] {
  const shared = sharedMimeMessages().map((m) => ({ contentType: m.contentType, bytes: m.body, options: {} }));
  return [...builtinSeeds(), ...ownCorpusSeeds(), ...shared];
}
