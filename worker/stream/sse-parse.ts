// Stage 1: bytes of an SSE body -> messages. eventsource-parser is spec-complete (CRLF, CR,
// comments, a BOM, events split at any byte) and joins a multi-megabyte line in linear time
// (it buffers fragments and joins once). A line past MAX_LINE ends the stream with a 502.
import { createParser } from 'eventsource-parser';
import { StageError, streamError } from './events';

/** `event` is the SSE event name when the upstream sent one (`event: error` is an error). */
export type SseMessage = { kind: 'data'; data: string; event?: string } | { kind: 'comment'; text: string };

/** Longest SSE event we accept: a base64 image of our largest allowed size, with room. */
export const MAX_LINE = 64 * 1024 * 1024;

export interface SseParseOptions {
  /** Called for every byte chunk that arrives (before parsing): the watchdog's sign of life. */
  onBytes?: () => void;
  maxLine?: number;
}

export function sseParse(opts: SseParseOptions = {}): TransformStream<Uint8Array, SseMessage> {
  const decoder = new TextDecoder();
  const onBytes = opts.onBytes;
  let out!: TransformStreamDefaultController<SseMessage>;
  let overflow = false;
  const parser = createParser({
    maxBufferSize: opts.maxLine ?? MAX_LINE,
    onEvent: (e) => out.enqueue(e.event ? { kind: 'data', data: e.data, event: e.event } : { kind: 'data', data: e.data }),
    onComment: (text) => out.enqueue({ kind: 'comment', text }),
    onError: (err) => {
      if (err.type === 'max-buffer-size-exceeded') overflow = true;
    },
  });
  const tooBig = () =>
    new StageError(streamError(502, `The upstream sent an event larger than ${opts.maxLine ?? MAX_LINE} characters.`, 'upstream_too_large'));
  return new TransformStream({
    start(controller) {
      out = controller;
    },
    transform(bytes) {
      onBytes?.();
      parser.feed(decoder.decode(bytes, { stream: true }));
      if (overflow) throw tooBig();
    },
    flush() {
      // Per the SSE spec an event cut off before its blank line is dropped: a truncated body
      // then shows up downstream as a stream that never finished.
      const rest = decoder.decode();
      if (rest) parser.feed(rest);
      if (overflow) throw tooBig();
    },
  });
}
