/**
 * SAX pass: the SOAP/XOP scanner (SoapScanner) against saxes alone over the
 * same root part bytes, in 64 KiB chunks:
 * - a 10 MB MTOM SOAP Body with many elements, attributes and text and a few
 *   xop:Include;
 * - a 100 MB root part of inline base64 (non-MTOM SwA/plain SOAP): the real
 *   corpus files, base64-encoded without line breaks, one element each.
 *
 * "saxes alone" is the least a SAX pass over these bytes must do: a streaming
 * UTF-8 TextDecoder and a SaxesParser with the options the scanner needs
 * (xmlns, position) and opentag/closetag/text handlers that only count.
 *
 * @module
 */

import { TextDecoder } from 'node:util';
import { SaxesParser } from 'saxes';
import { SoapScanner } from '../../src/index.js';
import { corpusAttachments, cut } from '../builders.js';
import { runTable, ratioOf, type Entry } from '../tables.js';
import { formatShare, type BenchCase, type Target } from './types.js';

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const XOP = 'http://www.w3.org/2004/08/xop/include';
const XMIME = 'http://www.w3.org/2005/05/xmlmime';

/** A root part and what a correct pass over it finds. */
interface RootPart {
  bytes: Buffer;
  chunks: Buffer[];
  contentType: string;
  multipartType: string | null;
  elements: number;
  includes: number;
  bodyElements: number;
}

/** ~`target` bytes of an MTOM envelope: orders with lines, customers and notes; an xop:Include every `includeEvery` orders. */
export function buildMtomEnvelope(target: number, includes: number): RootPart {
  const head = `<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenv="${SOAP11}" xmlns:xop="${XOP}" ` +
    `xmlns:xmime="${XMIME}" xmlns:ns="urn:example:orders" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
    '<soapenv:Header><ns:trace xmlns:ns="urn:example:trace" soapenv:mustUnderstand="0">bench-7f2c</ns:trace></soapenv:Header>' +
    '<soapenv:Body><ns:submitOrders>';
  const tail = '</ns:submitOrders></soapenv:Body></soapenv:Envelope>\n';
  const pieces: string[] = [head];
  let bytes = head.length + tail.length;
  let elements = 5; // Envelope, Header, trace, Body, submitOrders
  const orders: string[] = [];
  for (let i = 0; ; i++) {
    const order = `<ns:order id="o${i}" xsi:type="ns:Order"><ns:customer><ns:name>Customer ${i} &amp; Sons</ns:name>` +
      `<ns:country>DE</ns:country></ns:customer><ns:line sku="SKU-${i % 997}" qty="${1 + (i % 9)}">Widget, blue, ${i % 13} mm</ns:line>` +
      `<ns:line sku="SKU-${(i * 7) % 997}" qty="1">Bolt M${4 + (i % 5)}</ns:line><ns:note>deliver before noon</ns:note></ns:order>`;
    if (bytes + order.length > target) break;
    orders.push(order);
    bytes += order.length;
    elements += 7; // order, customer, name, country, line, line, note
  }
  const every = Math.max(1, Math.floor(orders.length / (includes + 1)));
  let made = 0;
  for (let i = 0; i < orders.length; i++) {
    pieces.push(orders[i]!);
    if (made < includes && (i + 1) % every === 0) {
      pieces.push(`<ns:scan xmime:contentType="application/pdf"><xop:Include href="cid:scan${made}@bench.example"/></ns:scan>`);
      elements += 2;
      made++;
    }
  }
  pieces.push(tail);
  const buffer = Buffer.from(pieces.join(''), 'utf8');
  return {
    bytes: buffer, chunks: cut(buffer, 64 * 1024),
    contentType: 'application/xop+xml; charset=UTF-8; type="text/xml"', multipartType: 'application/xop+xml',
    elements, includes: made, bodyElements: 1,
  };
}

/** ~`target` bytes of a plain SOAP envelope whose Body carries the corpus files inline as base64. */
function buildBase64Envelope(target: number): RootPart {
  const { files } = corpusAttachments();
  const head = `<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenv="${SOAP11}" xmlns:ns="urn:example:documents">` +
    '<soapenv:Body><ns:storeDocuments>';
  const tail = '</ns:storeDocuments></soapenv:Body></soapenv:Envelope>\n';
  const pieces: Buffer[] = [Buffer.from(head)];
  let bytes = head.length + tail.length;
  let elements = 3;
  for (let i = 0; bytes < target; i++) {
    const file = files[i % files.length]!;
    const open = Buffer.from(`<ns:document><ns:name>${file.name}</ns:name><ns:content>`);
    const body = Buffer.from(file.bytes.toString('base64'), 'latin1');
    const close = Buffer.from('</ns:content></ns:document>');
    pieces.push(open, body, close);
    bytes += open.length + body.length + close.length;
    elements += 3;
  }
  pieces.push(Buffer.from(tail));
  const buffer = Buffer.concat(pieces);
  return {
    bytes: buffer, chunks: cut(buffer, 64 * 1024), contentType: 'text/xml; charset=UTF-8', multipartType: null,
    elements, includes: 0, bodyElements: 1,
  };
}

export function scannerEntry(root: RootPart, retainEnvelope: boolean): Entry {
  const limits = { rootBytes: Math.max(64 * 1024 * 1024, root.bytes.length) };
  const scan = (): ReturnType<SoapScanner['end']> => {
    const scanner = new SoapScanner({ contentType: root.contentType, multipartType: root.multipartType, retainEnvelope, limits });
    for (const chunk of root.chunks) scanner.write(chunk);
    return scanner.end();
  };
  return {
    name: `SoapScanner${retainEnvelope ? '' : ' (retainEnvelope: false)'}`,
    description: `xopstream's SAX pass: version, Header blocks, Body, xop:Include, swaRefs, root-document plan${retainEnvelope ? '; keeps the input views' : '; keeps offsets only'}`,
    kind: 'xopstream',
    async verify() {
      const result = scan();
      if (result.version !== '1.1') return { ok: false, reason: `SOAP version ${String(result.version)}` };
      if (result.includes.length !== root.includes) return { ok: false, reason: `${result.includes.length} xop:Include, expected ${root.includes}` };
      if (result.bodyElements.length !== root.bodyElements) return { ok: false, reason: `${result.bodyElements.length} Body children` };
      if (result.size !== root.bytes.length) return { ok: false, reason: `size ${result.size}, expected ${root.bytes.length}` };
      if (retainEnvelope && !result.envelope!.equals(root.bytes)) return { ok: false, reason: 'the retained envelope differs from the input' };
      return { ok: true, zeroCopyShare: null };
    },
    task: { fn: scan },
  };
}

export function saxesEntry(root: RootPart): Entry {
  const parse = (): number => {
    const parser = new SaxesParser({ xmlns: true, position: true });
    let open = 0;
    let close = 0;
    let text = 0;
    parser.on('opentag', () => { open++; });
    parser.on('closetag', () => { close++; });
    parser.on('text', (t) => { text += t.length; });
    const decoder = new TextDecoder('utf-8', { fatal: true });
    for (const chunk of root.chunks) parser.write(decoder.decode(chunk, { stream: true }));
    parser.write(decoder.decode());
    parser.close();
    if (open !== close) throw new Error('unbalanced');
    return text >= 0 ? open : -1;
  };
  return {
    name: 'saxes alone',
    description: 'streaming TextDecoder + SaxesParser({ xmlns, position }) with counting opentag/closetag/text handlers',
    kind: 'limit',
    async verify() {
      const elements = parse();
      return elements === root.elements ? { ok: true, zeroCopyShare: null } : { ok: false, reason: `${elements} elements, expected ${root.elements}` };
    },
    task: { fn: parse },
  };
}

export const saxCase: BenchCase = {
  name: 'sax',
  title: 'SAX pass: SoapScanner against saxes alone',
  async run(context) {
    const quick = context.settings.quick;
    const mtom = buildMtomEnvelope(quick ? 512 * 1024 : 10_000_000, 5);
    const base64 = buildBase64Envelope(quick ? 2_000_000 : 100_000_000);
    const tables = [];
    const specs = [
      { id: 'sax-mtom', root: mtom, title: `${(mtom.bytes.length / 1e6).toFixed(1)} MB MTOM SOAP Body, ${mtom.elements} elements, ${mtom.includes} xop:Include` },
      { id: 'sax-base64', root: base64, title: `${(base64.bytes.length / 1e6).toFixed(1)} MB root part of inline base64 (non-MTOM), ${base64.elements} elements` },
    ];
    for (const spec of specs) {
      context.log(`sax: ${spec.title}`);
      tables.push(await runTable({
        id: spec.id,
        title: spec.title,
        unit: 'MB/s',
        workPerRun: spec.root.bytes.length,
        notes: [`${spec.root.chunks.length} chunks of 64 KiB; limits.rootBytes raised to the part's size where needed.`],
        entries: [scannerEntry(spec.root, true), scannerEntry(spec.root, false), saxesEntry(spec.root)],
        settings: context.settings,
        log: context.log,
      }));
    }
    const targets: Target[] = [];
    for (const table of tables) {
      for (const name of ['SoapScanner', 'SoapScanner (retainEnvelope: false)']) {
        const r = ratioOf(table, name, 'saxes alone');
        targets.push({
          text: `SAX pass (${table.id === 'sax-mtom' ? '10 MB MTOM Body' : '100 MB inline base64'}): ${name} at least 80% of saxes alone`,
          measured: r === null ? 'not measured' : formatShare(r),
          met: r === null ? null : r.median >= 0.8,
        });
      }
    }
    return { name: 'sax', title: this.title, notes: [], tables, targets };
  },
};
