// worker/answer: how a generation's events become the HTTP answer, for every endpoint and dialect.
//
//   answer(sources, renderer, opts)
//     sources   one GenSource per generation (its live events, or a whole answer as an array),
//               or the error it failed to start with
//     renderer  the dialect and shape: openAiChat(...), openAiImages(...), ... (see types.ts)
//
// The first event of each source decides the status: an error (or nothing) before anything was
// sent is a plain HTTP error in the dialect's error body; after that, errors travel inside the
// stream. Then JSON (json.ts) or SSE (sse.ts, the one SSE writer), the meta headers (headers.ts),
// and once the answer is over, what it cost by the one cost rule (cost.ts).
import type { Outcome } from '../env';
import type { Collected } from '../stream/collect';
import type { GenSource, StreamError } from '../stream/events';
import { costOf, sumUsd } from './cost';
import { errorResponse } from './errors';
import { metaHeaders, SSE_HEADERS } from './headers';
import { jsonAnswer } from './json';
import { type Opened, openEvents, release } from './open';
import { sseBody } from './sse';
import type { AnswerContext, Renderer } from './types';

export interface AnswerOptions {
  /** The caller's origin (image URLs, share links). */
  origin: string;
  stream: boolean;
  /** Milliseconds of client silence before an SSE keep-alive comment (0: never). */
  keepAliveMs: number;
  /** Headers of the answer whatever its outcome (deprecation warnings, server-timing). */
  headers?: Record<string, string>;
  /** Called once when the answer is over (finished, failed or abandoned) with what it cost. */
  onSettled?: (outcome: Outcome) => void;
}

export async function answer(
  sources: (GenSource | StreamError)[],
  renderer: Renderer,
  opts: AnswerOptions,
): Promise<Response> {
  const base = opts.headers ?? {};
  const opened = await Promise.all(sources.map((s) => (isStreamError(s) ? s : openEvents(s))));
  const failed = opened.find((o): o is StreamError => 'status' in o);
  if (failed) {
    for (const o of opened) if (!('status' in o)) release(o);
    opts.onSettled?.({ costUsd: 0, status: failed.status });
    return errorResponse(failed, base, renderer.errorBody);
  }
  const gens = opened as Opened[];
  const ctx: AnswerContext = { origin: opts.origin, metas: gens.map((g) => g.meta) };
  const headers = { ...base, ...metaHeaders(ctx.metas, opts.origin) };
  let settled = false;
  const onOver = (status: number, answers: Collected[]) => {
    if (settled) return;
    settled = true;
    opts.onSettled?.(outcomeOf(status, answers, ctx));
  };
  if (!opts.stream) return jsonAnswer(gens, renderer, ctx, headers, onOver);
  const body = sseBody(gens, renderer, ctx, { keepAliveMs: opts.keepAliveMs, onOver });
  return new Response(body, { headers: { ...headers, ...SSE_HEADERS } });
}

const isStreamError = (s: GenSource | StreamError): s is StreamError => !Array.isArray(s) && 'status' in s;

function outcomeOf(status: number, answers: Collected[], ctx: AnswerContext): Outcome {
  const usages = answers.map((a) => a.usage);
  const tokens = usages.some(Boolean) ? usages.reduce((t, u) => t + (u?.total_tokens ?? 0), 0) : undefined;
  return {
    status,
    costUsd: sumUsd(answers.map((a, i) => costOf(ctx.metas[i], a.usage))),
    meta: ctx.metas[0],
    tokens,
    images: answers.reduce((n, a) => n + a.images.length, 0),
    listCostUsd: sumUsd(answers.map((a) => a.usage?.cost ?? 0)),
  };
}

export { errorResponse } from './errors';
export type { AnswerContext, Renderer, SseRenderer } from './types';
