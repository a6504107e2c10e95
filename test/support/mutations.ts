/**
 * Byte-level mutations of a message for the seeded property tests: each test
 * draws them from its own fast-check arbitrary (its own byte choices), and
 * applies them here the same way.
 */

export type Mutation =
  | { kind: 'flip'; at: number; value: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'bare-cr'; at: number };

/** `bytes` with the mutations applied in order; positions wrap around the current length. */
export function mutate(bytes: Buffer, mutations: readonly Mutation[]): Buffer {
  let out = Buffer.from(bytes);
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % (out.length + 1);
    switch (m.kind) {
      case 'flip': if (at < out.length) out[at] = m.value; break;
      case 'insert': out = Buffer.concat([out.subarray(0, at), m.bytes, out.subarray(at)]); break;
      case 'delete': out = Buffer.concat([out.subarray(0, at), out.subarray(at + m.length)]); break;
      case 'truncate': out = out.subarray(0, at); break;
      default: out = Buffer.concat([out.subarray(0, at), Buffer.from('\r'), out.subarray(at)]); break;
    }
  }
  return out;
}
