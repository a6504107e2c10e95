// Differential test against dicer (the parser busboy grew from): on every
// valid shared-corpus message with CRLF framing that dicer can parse, and on
// generated messages, both parsers must find the same parts with the same
// header names/values and the same body bytes.
//
// Where the two may rightly differ, the inputs avoid it: dicer ends a part at
// any CRLF "--" boundary (even "--boundaryX", a near miss RFC 2046 calls
// data), supports no bare-LF framing and no transport padding, and keeps
// header values untrimmed and Latin-1 decoded.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Dicer from 'dicer';
import fc from 'fast-check';
import { describeMessage } from '../src/index.js';
import { collectPush, sha256Of } from './support/collect.js';
import { chunk, SHARED_CORPUS_ABSENT, sharedCorpusDir, sharedMimeMessages } from './support/corpus.js';
import { chunkBySizes, chunkSizesArb, messageArb, serialize } from './support/mime-gen.js';

interface Parsed {
  parts: Array<{ headers: Array<[string, string]>; size: number; sha256: string }>;
}

/** dicer's view of a message: parts in order, headers normalised like ours (lower-case, trimmed, UTF-8). */
function parseWithDicer(chunks: readonly Uint8Array[], boundary: string): Promise<Parsed> {
  return new Promise((resolve, reject) => {
    const parser = new Dicer({ boundary });
    const parts: Array<{ headers: Array<[string, string]>; views: Buffer[]; ended: boolean }> = [];
    let finished = false;
    const settle = (): void => {
      if (finished && parts.every((p) => p.ended)) {
        resolve({ parts: parts.map((p) => ({ headers: p.headers, ...sha256Of(p.views) })) });
      }
    };
    parser.on('part', (part) => {
      const entry = { headers: [] as Array<[string, string]>, views: [] as Buffer[], ended: false };
      parts.push(entry);
      part.on('header', (header) => {
        for (const [name, values] of Object.entries(header)) {
          for (const value of values) {
            // dicer splits header lines at CRLF only; a bare-LF continuation (ws-axiom mtom_sample1) is still
            // folding (RFC 5322 §2.2.3 unfolding removes the line break): unfold it the same way here.
            const unfolded = Buffer.from(value, 'latin1').toString('utf8').replace(/\r?\n(?=[ \t])/g, '');
            entry.headers.push([name.trim(), unfolded.trim()]);
          }
        }
      });
      part.on('data', (data: Buffer) => entry.views.push(Buffer.from(data)));
      part.on('end', () => {
        entry.ended = true;
        settle();
      });
      part.on('error', reject);
    });
    parser.on('error', reject);
    parser.on('finish', () => {
      finished = true;
      settle();
    });
    for (const c of chunks) parser.write(c);
    parser.end();
  });
}

/** Our parts with headers grouped by name in first-seen order, as dicer's header object groups them. */
function ours(chunks: readonly Uint8Array[], boundary: string): Parsed & { error: unknown } {
  const got = collectPush(chunks, { boundary });
  const grouped = got.parts.map((p) => {
    const order: string[] = [];
    const values = new Map<string, string[]>();
    for (const [n, v] of p.headers) {
      if (!values.has(n)) { order.push(n); values.set(n, []); }
      values.get(n)!.push(v);
    }
    return { headers: order.flatMap((n) => values.get(n)!.map((v) => [n, v] as [string, string])), size: p.size, sha256: p.sha256 };
  });
  return { parts: grouped, error: got.error };
}

describe('dicer differential: shared corpus', () => {
  if (sharedCorpusDir === null) {
    test('shared corpus', (t) => { t.skip(SHARED_CORPUS_ABSENT); });
    return;
  }
  const eligible = sharedMimeMessages().filter((m) => !m.malformed && /framing \(delimiter lines \+ part headers\): CRLF/.test(m.notes));

  test('enough CRLF-framed corpus messages to compare', () => {
    assert.ok(eligible.length >= 20, `${eligible.length} eligible`);
  });

  const compared: string[] = [];
  for (const m of eligible) {
    test(`${m.name}: same parts as dicer (whole and in 7-byte slices)`, async (t) => {
      const boundary = describeMessage(m.contentType).boundary!;
      let reference: Parsed;
      try {
        reference = await parseWithDicer([m.body], boundary);
      } catch (error) {
        t.diagnostic(`dicer cannot parse it: ${(error as Error).message}`);
        return;
      }
      const mine = ours([m.body], boundary);
      assert.equal(mine.error, null);
      if (reference.parts.length !== mine.parts.length && /near-miss|partial delimiters/.test(m.notes)) {
        t.diagnostic('dicer ends parts at near-miss delimiters; not comparable');
        return;
      }
      assert.deepEqual(mine.parts, reference.parts);
      assert.deepEqual(ours(chunk(m.body, 7), boundary).parts, reference.parts);
      assert.deepEqual((await parseWithDicer(chunk(m.body, 7), boundary)).parts, reference.parts);
      compared.push(m.name);
    });
  }

  test('most eligible messages were really compared', () => {
    assert.ok(compared.length >= Math.floor(eligible.length * 0.8), `compared ${compared.length} of ${eligible.length}: ${compared.join(', ')}`);
  });
});

test('dicer differential: generated CRLF messages under random chunking', async () => {
  await fc.assert(fc.asyncProperty(
    // dicer replaces, rather than adds to, a repeated header whose value is empty: no empty values here.
    messageArb({ eols: ['\r\n'], padding: false, strict: true })
      .map((m) => ({ ...m, parts: m.parts.map((p) => ({ ...p, headers: p.headers.filter(([, v]) => v !== '') })) })),
    chunkSizesArb,
    async (m, sizes) => {
      const bytes = serialize(m);
      const chunks = chunkBySizes(bytes, sizes);
      const reference = await parseWithDicer(chunks, m.boundary);
      const mine = ours(chunks, m.boundary);
      assert.equal(mine.error, null);
      assert.deepEqual(mine.parts, reference.parts);
      assert.equal(mine.parts.length, m.parts.length);
    }), { seed: 0xd1ce7, numRuns: 300, interruptAfterTimeLimit: 15_000, markInterruptAsFailure: false });
});
