/**
 * The source every for-await contestant reads: an async generator over the
 * message's chunks, as a caller's async iterable would be. One definition, so
 * that the streaming API and the limit measured over the same source pay the
 * same price per chunk for the protocol.
 */
export async function* asyncSource(chunks: readonly Buffer[]): AsyncGenerator<Buffer> {
  for (const chunk of chunks) yield chunk;
}
