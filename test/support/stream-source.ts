/**
 * Helpers shared by the parseMultipart tests: a small message builder, a
 * source that records its pulls and its release, and a body reader.
 */
import type { MultipartPart } from '../../src/index.js';

/** The Content-Type of {@link message}. */
export const CT = 'multipart/related; boundary=b';

/** A CRLF-framed message with one part per body, Content-IDs p0, p1, ... */
export function message(bodies: string[]): Buffer {
  return Buffer.from(bodies.map((b, i) => `--b\r\nContent-ID: <p${i}>\r\n\r\n${b}\r\n`).join('') + '--b--\r\n');
}

/** A generator source over `chunks` that records pulls and whether it was closed. */
export function tracked(chunks: Uint8Array[]): { source: AsyncIterable<Uint8Array>; pulls: () => number; closed: () => boolean } {
  let pulls = 0;
  let closed = false;
  return {
    source: {
      async *[Symbol.asyncIterator]() {
        try {
          for (const c of chunks) {
            pulls++;
            yield c;
          }
        } finally {
          closed = true;
        }
      },
    },
    pulls: () => pulls,
    closed: () => closed,
  };
}

/** A part's body as latin1 text. */
export async function text(part: MultipartPart): Promise<string> {
  let out = '';
  for await (const v of part.body) out += Buffer.from(v).toString('latin1');
  return out;
}
