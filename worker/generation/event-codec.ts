// GenEvents across the Durable Object boundary: SSE framing of JSON, decoded with the same SSE
// parser as upstream bodies. A chunk that still has its upstream text is sent as that text.
import type { GenEvent } from '../stream/events';
import { sseParse } from '../stream/sse-parse';

const encoder = new TextEncoder();

export function encodeEvent(event: GenEvent): Uint8Array {
  const json =
    event.type === 'chunk' && event.raw ? `{"type":"chunk","raw":true,"chunk":${event.raw}}` : JSON.stringify(event);
  return encoder.encode(`data: ${json}\n\n`);
}

export function decodeEvents(bytes: ReadableStream<Uint8Array>): ReadableStream<GenEvent> {
  return bytes.pipeThrough(sseParse()).pipeThrough(
    new TransformStream({
      transform(msg, out) {
        if (msg.kind !== 'data') return;
        const parsed = JSON.parse(msg.data) as { type: string; raw?: unknown };
        // Keep the pass-through optimisation: re-derive the raw text only for unchanged chunks.
        if (parsed.type === 'chunk' && parsed.raw === true) parsed.raw = msg.data.slice(msg.data.indexOf('"chunk":') + 8, -1);
        out.enqueue(parsed as unknown as GenEvent);
      },
    }),
  );
}
