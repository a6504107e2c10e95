/**
 * Round trip, as a seeded property with a time budget: random SOAP payload
 * XML with random binary content → optimize → serialize as a multipart
 * message → parseMultipart (random chunking) → scan → resolve → inflate →
 * the same infoset as the original (compared as canonical event lists).
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  SoapScanner, XopResolver, inflate, optimize, parseMultipart, SOAP11_NAMESPACE, SOAP12_NAMESPACE,
} from '../src/index.js';
import { chunk } from './support/corpus.js';
import { canonicalEvents, serializeMultipart } from './support/xop.js';

const NAMESPACES = ['urn:a', 'urn:b', 'http://example.org/ü'];
const PREFIXES = ['a', 'b', 'ns1'];

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

interface Node {
  name: string;
  ns: number;
  attrs: Array<[string, string]>;
  content: { kind: 'text'; text: string } | { kind: 'binary'; bytes: Uint8Array } | { kind: 'children'; children: Node[] };
}

const textArbitrary = fc.string({ unit: fc.constantFrom('a', 'Z', ' ', '&', '<', 'é', '日', '😀', '\n', 'x', '='), maxLength: 20 });

const nodeArbitrary: fc.Arbitrary<Node> = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.record({
    name: fc.constantFrom('item', 'data', 'photo', 'x'),
    ns: fc.nat(NAMESPACES.length - 1),
    attrs: fc.array(fc.tuple(fc.constantFrom('id', 'kind'), textArbitrary), { maxLength: 2 })
      .map((attrs) => [...new Map(attrs)]),
    content: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.record({ kind: fc.constant('text' as const), text: textArbitrary }),
      fc.record({
        kind: fc.constant('binary' as const),
        // Lengths spread evenly (fast-check favours small arrays), so thresholds are crossed often.
        bytes: fc.integer({ min: 0, max: 4000 }).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
      }),
      fc.record({ kind: fc.constant('children' as const), children: fc.array(tie('node'), { maxLength: 3 }) }),
    ),
  }),
})).node;

function render(node: Node, declared: Set<number>): string {
  const prefix = PREFIXES[node.ns]!;
  const declare = !declared.has(node.ns);
  const inner = new Set(declared).add(node.ns);
  const attrs = node.attrs.map(([k, v]) => ` ${k}="${escapeText(v).replace(/"/g, '&quot;')}"`).join('');
  const xmlns = declare ? ` xmlns:${prefix}="${NAMESPACES[node.ns]}"` : '';
  let body: string;
  if (node.content.kind === 'text') body = escapeText(node.content.text);
  else if (node.content.kind === 'binary') body = Buffer.from(node.content.bytes).toString('base64');
  else body = node.content.children.map((c) => render(c, inner)).join('');
  return `<${prefix}:${node.name}${xmlns}${attrs}>${body}</${prefix}:${node.name}>`;
}

test('optimize → multipart → parse → scan → inflate restores the infoset (seeded, time-bounded)', async () => {
  let runs = 0;
  let runsWithParts = 0;
  await fc.assert(fc.asyncProperty(
    nodeArbitrary, fc.boolean(), fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 1, max: 700 }), fc.boolean(),
    async (payload, soap12, threshold, chunkSize, declareOnEnvelope) => {
      const ns = soap12 ? SOAP12_NAMESPACE : SOAP11_NAMESPACE;
      // Sometimes the payload's first namespace is declared on the Envelope (the root document must re-declare it).
      const envelopeDeclared = declareOnEnvelope ? new Set([payload.ns]) : new Set<number>();
      const extra = declareOnEnvelope ? ` xmlns:${PREFIXES[payload.ns]}="${NAMESPACES[payload.ns]}"` : '';
      const xml = `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="${ns}"${extra}>` +
        `<soap:Header><h:t xmlns:h="urn:h">1</h:t></soap:Header><soap:Body>${render(payload, envelopeDeclared)}</soap:Body></soap:Envelope>`;

      const optimized = optimize(xml, { threshold, contentId: (i) => `part-${i}@round trip` });
      runs++;
      if (optimized.parts.length > 0) runsWithParts++;
      for (const part of optimized.parts) assert.ok(part.size >= threshold);
      const soapType = soap12 ? 'application/soap+xml' : 'text/xml';
      const boundary = 'MIMEBoundary_roundtrip_01';
      const message = serializeMultipart([
        { contentId: 'root@x', contentType: `application/xop+xml; charset=UTF-8; type="${soapType}"`, body: [...optimized.root] },
        ...optimized.parts.map((p) => ({ contentId: p.contentId, contentType: p.contentType, body: [...p.body()] })),
      ], boundary);
      const contentType = `multipart/related; type="application/xop+xml"; boundary="${boundary}"; start="<root@x>"; start-info="${soapType}"`;

      const parsed = parseMultipart(chunk(message, chunkSize), contentType);
      const attachments = new Map<number, Buffer>();
      let scan = null;
      let resolver: XopResolver | null = null;
      for await (const part of parsed) {
        if (part.isRoot) {
          const scanner = new SoapScanner({ contentType: part.contentType, multipartType: 'application/xop+xml', startInfo: soapType, strict: true });
          for await (const view of part.body) scanner.write(view);
          scan = scanner.end();
          resolver = new XopResolver(scan, { rootIndex: part.index });
          resolver.addPart(part);
        } else {
          const chunks: Uint8Array[] = [];
          for await (const view of part.body) chunks.push(view);
          attachments.set(part.index, Buffer.concat(chunks));
          resolver!.addPart(part);
        }
      }
      assert.ok(scan !== null);
      assert.equal(scan.version, soap12 ? '1.2' : '1.1');
      assert.equal(scan.includes.length, optimized.parts.length);
      const resolution = resolver!.finish();
      const partOf = new Map(resolution.includes.map((r) => [r.include.cid, r.part]));
      for (const [i, p] of optimized.parts.entries()) assert.equal(partOf.get(p.contentId), i + 1);

      const out: Uint8Array[] = [];
      for await (const piece of inflate(scan, { attachment: (cid) => chunk(attachments.get(partOf.get(cid)!)!, 1000) })) out.push(piece);
      assert.deepEqual(canonicalEvents(Buffer.concat(out)), canonicalEvents(xml));

      // The root document inflates to the payload.
      const root: Uint8Array[] = [];
      for await (const piece of inflate(scan, { target: 'rootDocument', attachment: (cid) => [attachments.get(partOf.get(cid)!)!] })) root.push(piece);
      assert.deepEqual(canonicalEvents(Buffer.concat(root)), canonicalEvents(render(payload, new Set())));
    },
  ), { seed: 20260601, numRuns: 400, interruptAfterTimeLimit: 20_000 });
  // The property is not vacuous: many runs moved binary out into parts.
  assert.ok(runs >= 50, `only ${runs} runs`);
  assert.ok(runsWithParts >= runs / 4, `${runsWithParts} of ${runs} runs had parts`);
});
