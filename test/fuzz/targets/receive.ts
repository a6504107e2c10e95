/**
 * The `receive` fuzz target: the whole receive pipeline into a MemoryCache,
 * with oracles of its own (a failure surfaces as a non-XopError, i.e. a crash
 * finding):
 * - all-or-nothing: after a rejected message, nothing of it is listed and the
 *   cache holds no bytes;
 * - what is stored is what was sent: every attachment read back from the
 *   cache has the size and digest it was listed with and the decoded body
 *   the MIME layer gives for that part;
 * - delete leaves nothing behind.
 */

import { createHash } from 'node:crypto';
import { MemoryCache, isXopError, receive, type ReceiveOptions } from '../../../src/index.js';
import { BodyDigest, errorOutcome, type FuzzInput, type Outcome, type PartSummary } from '../input.js';
import { makeSource, runMime, type SourceKind } from './mime.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

class OracleFailure extends Error {
  override name = 'OracleFailure';
}

const cache = new MemoryCache({ maxBytes: 64 * 1024 * 1024 });
let counter = 0;

export async function runReceive(input: FuzzInput, chunks: readonly Uint8Array[], kind: SourceKind): Promise<Outcome> {
  const rootId = `fuzz-${++counter}`;
  const options: ReceiveOptions = { contentType: input.contentType, cache, rootId };
  if (input.options.limits !== undefined) options.limits = input.options.limits;
  if (input.options.allowMissingCloseDelimiter !== undefined) options.allowMissingCloseDelimiter = input.options.allowMissingCloseDelimiter;
  if (input.options.allowBareLfDelimiters !== undefined) options.allowBareLfDelimiters = input.options.allowBareLfDelimiters;
  if (input.options.requireStart === true) options.strict = true;
  try {
    let message;
    try {
      message = await receive(makeSource(chunks, kind), options);
    } catch (error) {
      // All-or-nothing: a rejected message leaves nothing.
      const left = await cache.list(rootId);
      if (left.length > 0 || cache.usedBytes !== 0) {
        throw new OracleFailure(`a rejected message (${isXopError(error) ? error.code : String(error)}) left ${left.length} document(s), ${cache.usedBytes} bytes in the cache`);
      }
      throw error;
    }
    const listed = await cache.list(rootId);
    if (listed.length !== message.attachments.length) {
      throw new OracleFailure(`receive returned ${message.attachments.length} attachment(s), the cache lists ${listed.length}`);
    }
    const parts: PartSummary[] = [];
    for (const doc of listed) {
      if (doc.properties.wss_root_document_id !== rootId) throw new OracleFailure('an attachment carries another root id');
      const digest = new BodyDigest();
      for await (const chunk of await cache.open(rootId, doc.properties.wss_attachment_content_id)) digest.push(chunk as Uint8Array);
      if (digest.size !== doc.size) throw new OracleFailure(`attachment ${doc.index}: listed ${doc.size} bytes, read back ${digest.size}`);
      parts.push({
        index: doc.index, isRoot: false, contentId: String(doc.properties.wss_attachment_content_id),
        contentType: doc.properties.wss_attachment_content_type, contentTransferEncoding: doc.contentTransferEncoding,
        contentLocation: doc.contentLocation, headers: [], size: digest.size, sha256: digest.hex(),
      });
    }
    // What is stored is what the MIME layer decodes for those parts.
    const mime = await runMime({ ...input, options: { ...input.options, decode: true } }, chunks, 'iterable');
    if (mime.ok) {
      for (const p of parts) {
        const m = mime.parts[p.index];
        if (m === undefined || m.sha256 !== p.sha256) throw new OracleFailure(`attachment ${p.index} differs from the MIME layer's part`);
      }
    }
    await cache.delete(rootId);
    if (cache.usedBytes !== 0) throw new OracleFailure(`${cache.usedBytes} bytes left in the cache after delete`);
    return {
      ok: true, parts, rootIndex: null, warnings: message.warnings,
      extra: {
        soap: message.soap, includes: message.xopIncludes,
        xml: sha(message.rootDocument.xml), envelope: sha(message.rootDocument.envelope),
        references: listed.map((d) => d.referencedBy),
      },
    };
  } catch (error) {
    await cache.delete(rootId).catch(() => undefined);
    return errorOutcome(error, isXopError);
  }
}
