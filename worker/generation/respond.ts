// GenEvents -> the HTTP answer in the shape the client asked for. The first event decides the
// status: an error before anything was sent is a plain HTTP error; after that, errors travel
// inside the stream as OpenAI-style error events.
import { H } from '../../shared/headers';
import { ApiError } from '../lib/errors';
import { addEvent, collectFrom, emptyCollected } from '../stream/collect';
import type { Outcome } from '../env';
import { connectionLost, endedEarly, type GenEvent, type GenMeta, isTerminal, type StreamError, type Usage } from '../stream/events';
import { wholeAnswers } from '../stream/pipeline';
import { completionBody, KEEPALIVE, type RenderOptions, sseRenderer } from '../stream/render';

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
  const free = meta.cache === 'HIT' || Boolean(meta.joined);

  if (!opts.stream) {
    const acc = await collectFrom(reader, first.value);
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
  const cost = () => (free ? 0 : (acc.usage?.cost ?? 0));
  const body = sseBody(first.value, reader, opts, {
    onEvent: (event) => addEvent(acc, event, false),
    onEnd: () => settle(cost(), acc.error ? acc.error.status : 200, meta, acc.usage),
    onCancel: () => settle(cost(), 499, meta, acc.usage),
  });
  return new Response(body, { headers: { ...headers, ...SSE_HEADERS } });
}

/**
 * The SSE body of a live generation, as one stream: events are read, folded (onEvent) and
 * rendered in the same pull, with keep-alive comments while the client waits. One stream
 * instead of four chained ones (see worker/stream/pipeline.ts for why that matters).
 * A source that throws or stops without a terminal event still ends with an error event.
 */
function sseBody(
  first: GenEvent,
  reader: ReadableStreamDefaultReader<GenEvent>,
  opts: RenderOptions,
  hooks: { onEvent(e: GenEvent): void; onEnd(): void; onCancel(): void },
): ReadableStream<Uint8Array> {
  const sse = sseRenderer(opts);
  let lastWrite = Date.now();
  let timer: ReturnType<typeof setInterval> | undefined;
  const stop = () => timer !== undefined && clearInterval(timer);
  const write = (c: ReadableStreamDefaultController<Uint8Array>, e: GenEvent) => {
    hooks.onEvent(e);
    const pieces = sse.render(e);
    if (pieces.length) lastWrite = Date.now();
    for (const p of pieces) c.enqueue(p);
  };
  return new ReadableStream<Uint8Array>({
    start(c) {
      write(c, first);
      const every = opts.keepAliveMs ?? 15_000;
      if (every > 0) {
        timer = setInterval(() => {
          if (sse.done || Date.now() - lastWrite < every) return;
          lastWrite = Date.now();
          try {
            c.enqueue(KEEPALIVE);
          } catch {
            stop();
          }
        }, Math.max(50, every / 3));
      }
    },
    async pull(c) {
      let next: ReadableStreamReadResult<GenEvent>;
      try {
        next = await reader.read();
      } catch {
        next = { done: false, value: connectionLost() };
      }
      if (next.done) write(c, endedEarly());
      else write(c, next.value);
      if (sse.done) {
        stop();
        reader.cancel().catch(() => {});
        hooks.onEnd();
        c.close();
      }
    },
    cancel(reason) {
      stop();
      hooks.onCancel();
      return reader.cancel(reason).catch(() => {});
    },
  });
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


