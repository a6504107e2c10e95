// Regression: an attachment that repeats the root part's Content-ID (the id
// `start` names) was stored under that id without a word, although a
// Content-ID names one body part (RFC 2045 §7, RFC 2387 §3.2) and duplicates
// among attachments were already reported. receive() now counts the root's
// id as taken when the root begins: the attachment is a duplicate like any
// other — lenient, a warning naming the root part and the part stored under
// its index; strict, ERR_CACHE_BAD_KEY with nothing left in the cache.
// Fixture: corpus/regression-attachment-repeats-root-content-id/.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { MemoryCache, XopError, receive } from '../src/index.js';
import { CHUNKINGS, ownCorpusDir } from './support/corpus.js';
import { checkReceived, type ReceiveCase } from './support/receive.js';

const dir = path.join(ownCorpusDir, 'regression-attachment-repeats-root-content-id');
const fixture = {
  name: 'regression-attachment-repeats-root-content-id',
  message: fs.readFileSync(path.join(dir, 'message.bin')),
  ...JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')),
} as ReceiveCase & { strictError: { code: string; message: string } };

describe('an attachment repeating the root part\'s Content-ID', () => {
  for (const chunking of CHUNKINGS) {
    it(`lenient (${chunking.name}): a warning naming the root part; stored under its index`, async () => {
      const cache = new MemoryCache();
      const rootId = randomUUID();
      const message = await receive(chunking.split(fixture.message), { contentType: fixture.contentType, cache, rootId });
      await checkReceived(fixture, message, cache, rootId);
    });
    it(`strict (${chunking.name}): ERR_CACHE_BAD_KEY naming the root part, nothing stored`, async () => {
      const cache = new MemoryCache();
      const rootId = randomUUID();
      await assert.rejects(receive(chunking.split(fixture.message), { contentType: fixture.contentType, cache, rootId, strict: true }),
        (e: unknown) => e instanceof XopError && e.code === fixture.strictError.code && e.message === fixture.strictError.message &&
          e.details['part'] === 2);
      assert.equal(cache.usedBytes, 0);
      assert.deepEqual(await cache.list(rootId), []);
    });
  }

  // The same message, varied: the root elsewhere than first, or named by no `start` at all.
  const B = 'root-dup';
  const part = (head: string, body: string): string => `--${B}\r\n${head}\r\n\r\n${body}\r\n`;
  const ENVELOPE = '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:a xmlns:m="urn:a"/></s:Body></s:Envelope>';
  const build = (parts: string[]): Buffer => Buffer.from(parts.join('') + `--${B}--\r\n`);

  it('a root that is not the first part (start names part 1) is named too', async () => {
    const message = build([part('Content-ID: <first@x>', 'zero'), part('Content-Type: text/xml\r\nContent-ID: <root@x>', ENVELOPE),
      part('Content-ID: <root@x>', 'two')]);
    const contentType = `multipart/related; type="text/xml"; start="<root@x>"; boundary=${B}`;
    const lenient = await receive([message], { contentType, cache: new MemoryCache() });
    assert.deepEqual(lenient.warnings.filter((w) => w.includes('repeats')),
      ['part 2 repeats the Content-ID <root@x> of part 1 (the root part); it is stored under its index 2']);
    assert.deepEqual(lenient.attachments.map((d) => d.properties.wss_attachment_content_id), ['first@x', 2]);
    await assert.rejects(receive([message], { contentType, cache: new MemoryCache(), strict: true }),
      (e: unknown) => e instanceof XopError && e.code === 'ERR_CACHE_BAD_KEY' && /of part 1 \(the root part\)$/.test(e.message));
  });

  it('without start (the first part is the root) the same; the id compared without angle brackets', async () => {
    const message = build([part('Content-Type: text/xml\r\nContent-ID: <root@x>', ENVELOPE), part('Content-ID: root@x', 'one')]);
    const contentType = `multipart/related; type="text/xml"; boundary=${B}`;
    const lenient = await receive([message], { contentType, cache: new MemoryCache() });
    assert.deepEqual(lenient.warnings, ['part 1 repeats the Content-ID <root@x> of part 0 (the root part); it is stored under its index 1']);
    assert.deepEqual(lenient.attachments.map((d) => d.properties.wss_attachment_content_id), [1]);
  });

  it('an attachment with an id of its own is unaffected (no warning), and duplicates among attachments still name the earlier one', async () => {
    const message = build([part('Content-Type: text/xml\r\nContent-ID: <root@x>', ENVELOPE), part('Content-ID: <a@x>', 'one'),
      part('Content-ID: <a@x>', 'two')]);
    const contentType = `multipart/related; type="text/xml"; start="<root@x>"; boundary=${B}`;
    const lenient = await receive([message], { contentType, cache: new MemoryCache() });
    assert.deepEqual(lenient.warnings, ['part 2 repeats the Content-ID <a@x> of part 1; it is stored under its index 2']);
    assert.deepEqual(lenient.attachments.map((d) => d.properties.wss_attachment_content_id), ['a@x', 2]);
  });
});
