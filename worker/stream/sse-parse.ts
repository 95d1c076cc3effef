// Stage 1: bytes of an SSE body -> messages. eventsource-parser is spec-complete (CRLF, CR,
// comments, events split at any byte) and joins a multi-megabyte line in linear time.
import { createParser } from 'eventsource-parser';

export type SseMessage = { kind: 'data'; data: string } | { kind: 'comment'; text: string };

/** Longest SSE line we accept: a base64 image of our largest allowed size, with room. */
const MAX_LINE = 64 * 1024 * 1024;

export function sseParse(): TransformStream<Uint8Array, SseMessage> {
  const decoder = new TextDecoder();
  let out!: TransformStreamDefaultController<SseMessage>;
  const parser = createParser({
    maxBufferSize: MAX_LINE,
    onEvent: (e) => out.enqueue({ kind: 'data', data: e.data }),
    onComment: (text) => out.enqueue({ kind: 'comment', text }),
  });
  return new TransformStream({
    start(controller) {
      out = controller;
    },
    transform(bytes) {
      parser.feed(decoder.decode(bytes, { stream: true }));
    },
    flush() {
      // Per the SSE spec an event cut off before its blank line is dropped: a truncated body
      // then shows up downstream as a stream that never finished.
      const rest = decoder.decode();
      if (rest) parser.feed(rest);
    },
  });
}
