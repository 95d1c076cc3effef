// Stage 2: SSE messages from an OpenAI-compatible upstream -> GenEvents. Decides what counts as
// a well-finished stream: `[DONE]` or a finish_reason; anything else ends in an error event.
import { parseChunkJson } from './parse-chunk';
import type { SseMessage } from './sse-parse';
import { type Chunk, type GenEvent, streamError } from './events';
import { fromImagesStreamEvent, isImagesStreamEvent, partialOfChunk } from './images-api-events';
import { upstreamErrorEvent } from './upstream-errors';

/** The stage as a plain object: one message in, at most one event out; `end()` at the end. */
export function createChunkReader() {
  let finished = false; // a terminal event went out: ignore whatever follows
  let sawFinish = false;
  let sawData = false;
  const terminal = (e: GenEvent): GenEvent => {
    finished = true;
    return e;
  };
  return {
    next(msg: SseMessage): GenEvent | null {
      if (finished) return null;
      if (msg.kind === 'comment') return { type: 'keepalive' };
      if (msg.data === '[DONE]') {
        return terminal(
          sawData ? { type: 'end' } : streamError(502, 'The upstream stream ended without any data.', 'upstream_empty'),
        );
      }
      let chunk: Chunk;
      try {
        chunk = parseChunkJson(msg.data) as Chunk;
      } catch {
        return terminal(
          streamError(502, 'The upstream sent an event that is not valid JSON.', 'upstream_invalid_json'),
        );
      }
      if (!chunk || typeof chunk !== 'object' || Array.isArray(chunk)) {
        return terminal(
          streamError(502, 'The upstream sent an event that is not a JSON object.', 'upstream_invalid_json'),
        );
      }
      if (chunk.error || msg.event === 'error') return terminal(upstreamErrorEvent(chunk.error ?? chunk, 502));
      if (isImagesStreamEvent(chunk)) {
        // An Images API upstream: previews, text, and the completed image (its finish).
        sawData = true;
        const event = fromImagesStreamEvent(chunk as unknown as Record<string, unknown>);
        if (event?.type === 'error') return terminal(event);
        if (event?.type === 'chunk' && event.chunk.choices.some((c) => c.finish_reason)) sawFinish = true;
        return event;
      }
      if (!Array.isArray(chunk.choices)) {
        return terminal(streamError(502, 'The upstream sent a chunk without choices.', 'upstream_invalid_chunk'));
      }
      sawData = true;
      const partial = partialOfChunk(chunk);
      if (partial) return { type: 'partial', partial };
      for (const choice of chunk.choices) {
        if (choice?.finish_reason === 'error') {
          return terminal(streamError(502, 'The upstream reported an error during generation.', 'upstream_error'));
        }
        if (choice?.finish_reason) sawFinish = true;
      }
      return msg.bytes
        ? { type: 'chunk', chunk, raw: msg.data, rawBytes: msg.bytes }
        : { type: 'chunk', chunk, raw: msg.data };
    },
    end(): GenEvent | null {
      if (finished) return null;
      return terminal(
        sawFinish
          ? { type: 'end' }
          : streamError(
              502,
              'The upstream stream was cut off before it finished (no [DONE], no finish_reason).',
              'upstream_truncated',
            ),
      );
    },
  };
}
