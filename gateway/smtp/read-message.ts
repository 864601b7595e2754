// Reading DATA within the size limit, shared by the MX and submission: beyond the limit the
// rest is drained (smtp-server needs the stream consumed to send the reply) but not kept.
import type { SMTPServerDataStream } from 'smtp-server';

/** The message bytes, or undefined once more than `max` arrived (the rest is drained). */
export async function readMessage(stream: SMTPServerDataStream, max: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= max) chunks.push(chunk);
  }
  return size > max || stream.sizeExceeded ? undefined : Buffer.concat(chunks, size);
}
