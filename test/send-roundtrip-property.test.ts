// Byte-exact property: whatever compose() writes, our own parseMultipart
// gives back — the same parts, Content-IDs, types and bytes — under any
// chunking of the wire bytes. SwA and MTOM, SOAP 1.1 and 1.2, attachments as
// byte arrays and as streams (sized or not), content ids given, generated or
// integer indexes, and attachment bytes built to look like our framing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { compose, parseContentType } from '../src/index.js';
import type { AttachmentInput } from '../src/index.js';
import { contentIdOfUrl } from '../src/send/cid.js';
import { parseParts, readAll } from './support/send.js';

/** Splits bytes at the given (sorted, deduplicated) cut points: views only. */
function cut(bytes: Buffer, points: number[]): Buffer[] {
  const cuts = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const at of cuts) {
    out.push(bytes.subarray(from, at));
    from = at;
  }
  out.push(bytes.subarray(from));
  return out;
}

/** Attachment bytes: random, or made of pieces of MIME framing (CRLF, dashes, our boundary prefix). */
const attachmentBytes = fc.oneof(
  fc.uint8Array({ maxLength: 3000 }),
  fc.array(fc.constantFrom('\r\n', '--', '\r\n--', 'xopstream=_', '--xopstream=_', '0123abcd', '\r', '\n', '--\r\n', ' '),
    { maxLength: 60 }).map((pieces) => new Uint8Array(Buffer.from(pieces.join(''), 'latin1'))),
);

const contentIdArb = fc.oneof(
  fc.constant(undefined),
  fc.stringMatching(/^[A-Za-z0-9._%+=-]{1,20}@[a-z]{1,8}$/),
  fc.stringMatching(/^[!-;=?-~]{1,24}$/), // printable ASCII without < and >
);

const attachmentArb = fc.record({
  contentId: contentIdArb,
  contentType: fc.constantFrom('application/pdf', 'image/jpeg', 'application/octet-stream', 'text/plain; charset=UTF-8'),
  bytes: attachmentBytes,
  kind: fc.constantFrom('bytes', 'stream', 'sized-stream'),
  streamCuts: fc.array(fc.nat(), { maxLength: 6 }),
});

test('compose() then parseMultipart() gives back the same parts and bytes (seeded, time-bounded)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('swa', 'mtom' as const),
      fc.constantFrom('1.1', '1.2' as const),
      fc.option(fc.constantFrom('urn:example:Op', 'http://tempuri.org/IService/Upload'), { nil: undefined }),
      fc.array(attachmentArb, { maxLength: 5 }),
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.array(fc.nat(), { maxLength: 40 }),
      async (mode, soapVersion, soapAction, specs, text, wireCuts) => {
        // Give index-style ids to some attachments: every third one without an id becomes an index.
        const usedIds = new Set<string>();
        const inputs: AttachmentInput[] = [];
        specs.forEach((spec, i) => {
          let contentId: string | number | undefined = spec.contentId;
          if (typeof contentId === 'string' && usedIds.has(contentId)) contentId = undefined;
          if (contentId === undefined && i % 3 === 2) contentId = 100 + i;
          if (typeof contentId === 'string') usedIds.add(contentId);
          const bytes = Buffer.from(spec.bytes);
          const chunks = cut(bytes, spec.streamCuts);
          const body = spec.kind === 'bytes' ? bytes : (async function* () { yield* chunks; })();
          inputs.push({
            ...(contentId === undefined ? {} : { contentId }), contentType: spec.contentType, body,
            ...(spec.kind === 'sized-stream' ? { size: bytes.length } : {}),
          });
        });
        const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
          .replace(/[\ud800-\udfff]/g, '');
        const refs = inputs.map((input) => typeof input.contentId === 'number' ? `<r>cid:${input.contentId}</r>` : '').join('');
        const xml = `<p:payload xmlns:p="urn:p"><p:text>${escaped}</p:text>${refs}</p:payload>`;
        const msg = await compose({ xml, mode, soapVersion, ...(soapAction === undefined ? {} : { soapAction }), attachments: inputs });
        const wire = await readAll(msg.body);
        if (msg.contentLength !== null) assert.equal(msg.contentLength, wire.length);
        assert.equal(msg.contentLength === null, specs.some((s) => s.kind === 'stream'));
        const parts = await parseParts(cut(wire, wireCuts), msg.contentType);
        assert.equal(parts.length, specs.length + 1);
        const root = parts[0]!;
        assert.equal(root.isRoot, true);
        assert.equal(root.contentId, msg.rootContentId);
        assert.equal(parseContentType(root.contentType!).mediaType, mode === 'swa'
          ? (soapVersion === '1.1' ? 'text/xml' : 'application/soap+xml') : 'application/xop+xml');
        const envelope = root.body.toString('utf8');
        assert.ok(envelope.includes(`<p:text>${escaped}</p:text>`));
        specs.forEach((spec, i) => {
          const part = parts[i + 1]!;
          assert.equal(part.isRoot, false);
          assert.equal(part.contentId, msg.parts[i]!.contentId);
          if (typeof inputs[i]!.contentId === 'string') assert.equal(part.contentId, inputs[i]!.contentId);
          assert.equal(part.contentType, spec.contentType);
          assert.equal(part.contentTransferEncoding, 'binary');
          assert.ok(part.body.equals(Buffer.from(spec.bytes)), `attachment ${i} bytes differ`);
        });
        // References to integer indexes now name the generated Content-IDs.
        const referenced = [...envelope.matchAll(/<r>([^<]*)<\/r>/g)].map((m) => contentIdOfUrl(m[1]!));
        const indexed = inputs.map((input, i) => typeof input.contentId === 'number' ? msg.parts[i]!.contentId : null)
          .filter((id) => id !== null);
        assert.deepEqual(referenced, indexed);
      },
    ),
    { seed: 20240605, numRuns: 400, interruptAfterTimeLimit: 15_000, markInterruptAsFailure: false },
  );
});
