/**
 * small: a SOAP root plus 2,000 attachments of 4 KiB each (slices of the
 * real corpus files): per-part overhead, reported in parts per second.
 * limits.parts is raised for it (the default is 1,000), and so are the
 * peers' part-count limits.
 *
 * @module
 */

import { assembleMultipart, corpusAttachments, type PartSpec } from '../builders.js';
import { xopstreamPush } from '../contestants/xopstream-push.js';
import { xopstreamStream } from '../contestants/xopstream-stream.js';
import { ratioToBestPeer, runTable } from '../tables.js';
import { multipartEntries } from './multipart-contestants.js';
import { formatRatio, type BenchCase } from './types.js';

const ATTACHMENT_BYTES = 4096;

export const smallCase: BenchCase = {
  name: 'small',
  title: 'small: 2,000 attachments of 4 KiB',
  async run(context) {
    const count = context.settings.quick ? 200 : 2000;
    const { files, from } = corpusAttachments();
    const attachments: PartSpec[] = [];
    // 4 KiB slices taken across the corpus files in turn, so that the bodies are real bytes.
    for (let i = 0, offset = 0; attachments.length < count; i++) {
      const file = files[i % files.length]!;
      if (i > 0 && i % files.length === 0) offset += ATTACHMENT_BYTES;
      const at = offset % Math.max(1, file.bytes.length - ATTACHMENT_BYTES);
      const body = file.bytes.subarray(at, at + ATTACHMENT_BYTES);
      attachments.push({ contentId: `small${i}@bench.example`, contentType: file.contentType, body });
    }
    const items = attachments.map((a) => `<ns:item href="cid:${a.contentId}"/>`).join('');
    const root = Buffer.from('<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
      `xmlns:ns="urn:example:small"><soapenv:Body><ns:items>${items}</ns:items></soapenv:Body></soapenv:Envelope>`);
    const message = assembleMultipart({
      description: `SOAP root + ${count} attachments of ${ATTACHMENT_BYTES} bytes sliced from ${from}`,
      boundary: 'MIMEBoundary_small_3c9d0e5a7b1f4286',
      parts: [{ contentId: 'root.small@bench.example', contentType: 'text/xml; charset=UTF-8', body: root }, ...attachments],
      chunkSize: 64 * 1024,
    });
    context.log(`small: ${message.parts.length} parts, ${(message.message.length / 1e6).toFixed(1)} MB`);
    const table = await runTable({
      id: 'small',
      title: `${message.parts.length} parts, 64 KiB chunks`,
      unit: 'parts/s',
      workPerRun: message.parts.length,
      notes: [`${(message.message.length / 1e6).toFixed(1)} MB in ${message.chunks.length} chunks of 64 KiB; parts/s counts every part (root included).`],
      entries: multipartEntries(message),
      settings: context.settings,
      log: context.log,
    });
    const push = ratioToBestPeer(table, xopstreamPush.name);
    const stream = ratioToBestPeer(table, xopstreamStream.name);
    return {
      name: 'small',
      title: this.title,
      notes: [`${message.description}; limits.parts raised to ${message.parts.length} for xopstream (default 1,000), maxParts likewise for the peers.`],
      tables: [table],
      targets: [
        {
          text: 'small: push API at least 1.5x the best peer',
          measured: push === null ? 'not measured' : `${formatRatio(push.ratio)} of ${push.to}`,
          met: push === null ? null : push.ratio.median >= 1.5,
        },
        {
          text: 'small: streaming API at least the best peer',
          measured: stream === null ? 'not measured' : `${formatRatio(stream.ratio)} of ${stream.to}`,
          met: stream === null ? null : stream.ratio.median >= 1,
        },
      ],
    };
  },
};
