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

/** The stage as a plain object: bytes in, complete messages out. Throws a StageError past maxLine. */
export function createSseDecoder(opts: { maxLine?: number } = {}) {
  const decoder = new TextDecoder();
  const maxLine = opts.maxLine ?? MAX_LINE;
  let out: SseMessage[] = [];
  let overflow = false;
  const parser = createParser({
    maxBufferSize: maxLine,
    onEvent: (e) => out.push(e.event ? { kind: 'data', data: e.data, event: e.event } : { kind: 'data', data: e.data }),
    onComment: (text) => out.push({ kind: 'comment', text }),
    onError: (err) => {
      if (err.type === 'max-buffer-size-exceeded') overflow = true;
    },
  });
  const take = () => {
    if (overflow)
      throw new StageError(
        streamError(502, `The upstream sent an event larger than ${maxLine} characters.`, 'upstream_too_large'),
      );
    const messages = out;
    out = [];
    return messages;
  };
  return {
    feed(bytes: Uint8Array): SseMessage[] {
      parser.feed(decoder.decode(bytes, { stream: true }));
      return take();
    },
    /** Per the SSE spec an event cut off before its blank line is dropped. */
    end(): SseMessage[] {
      const rest = decoder.decode();
      if (rest) parser.feed(rest);
      return take();
    },
  };
}

export function sseParse(opts: SseParseOptions = {}): TransformStream<Uint8Array, SseMessage> {
  const decoder = createSseDecoder(opts);
  return new TransformStream({
    transform(bytes, out) {
      opts.onBytes?.();
      for (const m of decoder.feed(bytes)) out.enqueue(m);
    },
    flush(out) {
      // A truncated body then shows up downstream as a stream that never finished.
      for (const m of decoder.end()) out.enqueue(m);
    },
  });
}
