// Stage 2: SSE messages from an OpenAI-compatible upstream -> GenEvents. Decides what counts as
// a well-finished stream: `[DONE]` or a finish_reason; anything else ends in an error event.
import type { SseMessage } from './sse-parse';
import { type Chunk, type GenEvent, streamError } from './events';
import { upstreamErrorEvent } from './upstream-errors';

export function upstreamChunks(): TransformStream<SseMessage, GenEvent> {
  let finished = false; // a terminal event went out: ignore whatever follows
  let sawFinish = false;
  let sawData = false;
  return new TransformStream({
    transform(msg, out) {
      if (finished) return;
      if (msg.kind === 'comment') return out.enqueue({ type: 'keepalive' });
      if (msg.data === '[DONE]') {
        finished = true;
        if (!sawData) return out.enqueue(streamError(502, 'The upstream stream ended without any data.', 'upstream_empty'));
        return out.enqueue({ type: 'end' });
      }
      let chunk: Chunk;
      try {
        chunk = JSON.parse(msg.data);
      } catch {
        finished = true;
        return out.enqueue(streamError(502, 'The upstream sent an event that is not valid JSON.', 'upstream_invalid_json'));
      }
      if (!chunk || typeof chunk !== 'object' || Array.isArray(chunk)) {
        finished = true;
        return out.enqueue(streamError(502, 'The upstream sent an event that is not a JSON object.', 'upstream_invalid_json'));
      }
      if (chunk.error || msg.event === 'error') {
        finished = true;
        return out.enqueue(upstreamErrorEvent(chunk.error ?? chunk, 502));
      }
      if (!Array.isArray(chunk.choices)) {
        finished = true;
        return out.enqueue(streamError(502, 'The upstream sent a chunk without choices.', 'upstream_invalid_chunk'));
      }
      sawData = true;
      for (const choice of chunk.choices) {
        if (choice?.finish_reason === 'error') {
          finished = true;
          return out.enqueue(streamError(502, 'The upstream reported an error during generation.', 'upstream_error'));
        }
        if (choice?.finish_reason) sawFinish = true;
      }
      out.enqueue({ type: 'chunk', chunk, raw: msg.data });
    },
    flush(out) {
      if (finished) return;
      if (sawFinish) return out.enqueue({ type: 'end' });
      out.enqueue(
        streamError(502, 'The upstream stream was cut off before it finished (no [DONE], no finish_reason).', 'upstream_truncated'),
      );
    },
  });
}
