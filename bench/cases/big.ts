/**
 * big: a SOAP root plus ~64 MB of real PDF and JPEG attachments (the
 * parser's first benchmark message), fed in 64 KiB and in 1 MiB chunks.
 *
 * @module
 */

import { rechunk } from '../builders.js';
import { ratioOf, ratioToBestPeer, runTable } from '../tables.js';
import { xopstreamPush } from '../contestants/xopstream-push.js';
import { xopstreamStream, xopstreamStreamAsyncSource } from '../contestants/xopstream-stream.js';
import { indexOfAsyncLimit } from '../contestants/indexof-async-limit.js';
import { indexOfLimit } from '../contestants/indexof-limit.js';
import { multipartEntries } from './multipart-contestants.js';
import { formatRatio, formatShare, sameSourceLine, type BenchCase, type Target } from './types.js';

export const bigCase: BenchCase = {
  name: 'big',
  title: 'big: SOAP root + real PDFs/JPEGs',
  async run(context) {
    const message = context.bigMessage();
    const tables = [];
    for (const chunkSize of [64 * 1024, 1024 * 1024]) {
      const chunked = rechunk(message, chunkSize);
      const label = chunkSize >= 1024 * 1024 ? `${chunkSize / 1024 / 1024} MiB` : `${chunkSize / 1024} KiB`;
      context.log(`big, ${label} chunks`);
      tables.push(await runTable({
        id: `big-${label.replace(' ', '')}`,
        title: `${label} chunks`,
        unit: 'MB/s',
        workPerRun: message.message.length,
        notes: [`${chunked.chunks.length} chunks of ${label}.`],
        entries: multipartEntries(chunked),
        settings: context.settings,
        log: context.log,
      }));
    }
    const small = tables[0]!;
    const targets: Target[] = [];
    for (const api of [xopstreamPush.name, xopstreamStream.name]) {
      const peer = ratioToBestPeer(small, api);
      targets.push({
        text: `big, 64 KiB chunks: ${api} at least the best peer`,
        measured: peer === null ? 'not measured (no peer or xopstream row verified)' : `${formatRatio(peer.ratio)} of ${peer.to}`,
        met: peer === null ? null : peer.ratio.median >= 1,
      });
      const limit = ratioOf(small, api, indexOfLimit.name);
      targets.push({
        text: `big, 64 KiB chunks: ${api} at least 95% of Buffer.indexOf`,
        measured: limit === null ? 'not measured' : formatShare(limit),
        met: limit === null ? null : limit.median >= 0.95,
      });
      if (api === xopstreamStream.name) targets.push(sameSourceLine('big, 64 KiB chunks', ratioOf(small, xopstreamStreamAsyncSource.name, indexOfAsyncLimit.name)));
    }
    return {
      name: 'big',
      title: this.title,
      notes: [
        `${(message.message.length / 1e6).toFixed(1)} MB multipart/related, ${message.parts.length} parts: ${message.description}.`,
      ],
      tables,
      targets,
    };
  },
};
