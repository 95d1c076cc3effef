// GenEvents -> the HTTP answer in the shape the client asked for. The first event decides the
// status: an error before anything was sent is a plain HTTP error; after that, errors travel
// inside the stream as OpenAI-style error events.
import { H } from '../../shared/headers';
import { ApiError } from '../lib/errors';
import { addEvent, collect, emptyCollected } from '../stream/collect';
import type { Outcome } from '../env';
import { type GenEvent, type GenMeta, isTerminal, type StreamError, type Usage } from '../stream/events';
import { endWithError, wholeAnswers } from '../stream/pipeline';
import { completionBody, type RenderOptions, renderSse, sseRenderer } from '../stream/render';

export interface RespondOptions extends RenderOptions {
  stream: boolean;
  headers: Record<string, string>;
  /** Called once when the answer is over (finished, failed or abandoned) with what it cost. */
  onSettled?: (outcome: Outcome) => void;
}

export async function respondWithEvents(events: ReadableStream<GenEvent>, opts: RespondOptions): Promise<Response> {
  const whole = wholeAnswers.get(events);
  if (whole?.[0]?.type === 'meta' && isTerminal(whole[whole.length - 1])) return respondWhole(whole, whole[0].meta, opts);
  const reader = events.getReader();
  const first = await reader.read();
  let settled = false;
  const settle = (costUsd: number, status: number, meta?: GenMeta, usage?: Usage) => {
    if (settled) return;
    settled = true;
    opts.onSettled?.({ costUsd, status, meta, tokens: usage?.total_tokens });
  };
  if (first.done || first.value.type !== 'meta') {
    reader.cancel().catch(() => {});
    const err: StreamError =
      !first.done && first.value.type === 'error'
        ? first.value.error
        : { status: 502, error: { message: 'The generation produced no answer.', type: 'upstream_error', param: null, code: 'upstream_empty' } };
    settle(0, err.status);
    return errorResponse(err, opts.headers);
  }
  const meta = first.value.meta;
  const headers: Record<string, string> = { ...opts.headers, ...metaHeaders(meta, opts.origin) };
  // A source that throws (the coordinating Durable Object was reset) still ends with an error event.
  const rest = endWithError(withFirst(first.value, reader));
  const free = meta.cache === 'HIT' || Boolean(meta.joined);

  if (!opts.stream) {
    const acc = await collect(rest);
    const cost = free ? 0 : (acc.usage?.cost ?? 0);
    if (acc.error) {
      settle(cost, acc.error.status, meta, acc.usage);
      return errorResponse(acc.error, headers);
    }
    settle(cost, 200, meta, acc.usage);
    if (acc.images.some((i) => i.darkroom && !i.darkroom.key)) headers[H.imageFallback] = 'data-url';
    return new Response(completionBody(acc, opts), { headers: { ...headers, 'content-type': 'application/json' } });
  }

  const acc = emptyCollected();
  const body = rest
    .pipeThrough(
      new TransformStream<GenEvent, GenEvent>({
        transform(event, out) {
          addEvent(acc, event, false);
          out.enqueue(event);
        },
        flush() {
          settle(free ? 0 : (acc.usage?.cost ?? 0), acc.error ? acc.error.status : 200, meta, acc.usage);
        },
        cancel() {
          settle(free ? 0 : (acc.usage?.cost ?? 0), 499, meta, acc.usage);
        },
      } as Transformer<GenEvent, GenEvent>),
    )
    .pipeThrough(renderSse(opts));
  return new Response(body, { headers: { ...headers, ...SSE_HEADERS } });
}

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  // Once streaming, a client-side retry would re-run (and re-bill) the whole generation.
  [H.shouldRetry]: 'false',
};

/**
 * A cache hit is whole before it starts: rendered straight to bytes, without the chain of
 * streams a live generation needs (which was most of a hit's CPU in bench/profile.mjs).
 */
function respondWhole(events: GenEvent[], meta: GenMeta, opts: RespondOptions): Response {
  const headers: Record<string, string> = { ...opts.headers, ...metaHeaders(meta, opts.origin) };
  const acc = emptyCollected();
  for (const e of events) addEvent(acc, e);
  const free = meta.cache === 'HIT' || Boolean(meta.joined);
  const status = acc.error ? acc.error.status : 200;
  opts.onSettled?.({ costUsd: free ? 0 : (acc.usage?.cost ?? 0), status, meta, tokens: acc.usage?.total_tokens });
  if (!opts.stream) {
    if (acc.error) return errorResponse(acc.error, headers);
    return new Response(completionBody(acc, opts), { headers: { ...headers, 'content-type': 'application/json' } });
  }
  const sse = sseRenderer(opts);
  const pieces = [...events.flatMap((e) => sse.render(e)), ...sse.finish()];
  return new Response(new Blob(pieces), { headers: { ...headers, ...SSE_HEADERS } });
}

function metaHeaders(meta: GenMeta, origin: string): Record<string, string> {
  const h: Record<string, string> = {
    [H.cache]: meta.cache,
    [H.provider]: meta.provider,
    [H.generationId]: meta.generationId,
    [H.shareUrl]: `${origin}/s/${meta.generationId}`,
  };
  if (meta.cache === 'HIT') {
    h[H.cacheAge] = String(meta.age ?? 0);
    h[H.cacheSaved] = (meta.savedUsd ?? 0).toFixed(6);
  }
  if (meta.joined) h['x-darkroom-coalesced'] = 'true';
  return h;
}

export function errorResponse(err: StreamError, headers: Record<string, string> = {}): Response {
  return Response.json({ error: err.error }, { status: err.status, headers: { ...headers, ...err.headers } });
}

function withFirst(first: GenEvent, reader: ReadableStreamDefaultReader<GenEvent>): ReadableStream<GenEvent> {
  let sentFirst = false;
  return new ReadableStream<GenEvent>({
    async pull(c) {
      if (!sentFirst) {
        sentFirst = true;
        return c.enqueue(first);
      }
      const { done, value } = await reader.read();
      if (done) return c.close();
      c.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

export const asStreamError = (err: ApiError): StreamError => ({ status: err.status, error: err.body().error, headers: err.headers });
