// One generation from start to finish: start the upstream (retries, fallback), run its answer
// through the stream pipeline, and when it finished well write the cache entry and the record.
// Used directly for uncacheable requests and inside the coalescing Durable Object for the rest.
import type { Env } from '../env';
import { ApiError, toApiError } from '../lib/errors';
import { logLine } from '../observability/log';
import { settings } from '../lib/settings';
import { selectProviders } from '../providers';
import { r2ImageStore } from '../storage/image-store';
import { addEvent, emptyCollected } from '../stream/collect';
import { type GenEvent, isTerminal, type StreamError } from '../stream/events';
import { upstreamEvents } from '../stream/pipeline';
import { entryFrom } from '../cache/entry';
import { finishGeneration } from './finish';
import type { GenerationPlan } from './plan';
import { startUpstream } from './upstream-call';

export interface RunContext {
  env: Env;
  waitUntil(p: Promise<unknown>): void;
  signal?: AbortSignal;
  /** Image lines go on to the client while they arrive (pipeline.ts): a streamed data-URL answer read here. */
  relayImages?: boolean;
  /** Called once at the terminal event: whether the answer is what a cache entry may hold. */
  onFinished?: (cacheable: boolean) => void;
}

export function toStreamError(err: unknown): StreamError {
  const api = toApiError(err);
  if (!(err instanceof ApiError))
    logLine({ level: 'error', msg: 'generation failed', error: String((err as Error)?.stack ?? err) });
  return { status: api.status, error: api.body().error, headers: api.headers };
}

export function runGeneration(plan: GenerationPlan, ctx: RunContext): ReadableStream<GenEvent> {
  const { env } = ctx;
  const s = settings(env);
  const acc = emptyCollected();
  // Cancelling this stream (the only reader went away) aborts the upstream request, whether it is
  // still being retried, streaming, or not yet started.
  const abort = new AbortController();
  if (ctx.signal) {
    if (ctx.signal.aborted) abort.abort(ctx.signal.reason);
    else ctx.signal.addEventListener('abort', () => abort.abort(ctx.signal!.reason), { once: true });
  }
  let inner: ReadableStreamDefaultReader<GenEvent> | undefined;
  let provider = '';
  let fromPrimary = false;
  return new ReadableStream<GenEvent>({
    async start(c) {
      try {
        const providers = selectProviders(env);
        const started = await startUpstream(
          providers,
          { body: plan.upstreamBody, api: plan.upstreamApi },
          s.retry,
          abort.signal,
          (a) => logLine({ level: 'warn', msg: 'upstream attempt failed', generation: plan.generationId, ...a }),
        );
        if (abort.signal.aborted) {
          started.res.body?.cancel().catch(() => {});
          return c.close();
        }
        provider = started.provider.name;
        fromPrimary = started.provider === providers[0];
        const cache = plan.readCache ? 'MISS' : 'BYPASS';
        c.enqueue({
          type: 'meta',
          meta: { generationId: plan.generationId, provider, cache, ...(fromPrimary ? {} : { fallback: true }) },
        });
        const store = r2ImageStore(env.IMAGES, { timeoutMs: s.storageMs });
        inner = upstreamEvents(started.res, {
          store,
          waitUntil: ctx.waitUntil,
          relayImages: ctx.relayImages,
          idleMs: s.idleMs,
          progressMs: s.progressMs,
          onFallback: (err) =>
            logLine({
              level: 'error',
              msg: 'R2 write failed; image served as data URL',
              generation: plan.generationId,
              error: String(err),
            }),
        }).getReader();
      } catch (err) {
        if (abort.signal.aborted) return c.close();
        c.enqueue({ type: 'error', error: toStreamError(err) });
        c.close();
      }
    },
    async pull(c) {
      if (!inner) return;
      const { done, value } = await inner.read();
      if (done) {
        inner = undefined;
        return c.close();
      }
      addEvent(acc, value, false); // the record and the cache entry need our image records only
      // Finish on the terminal event itself: a reader may stop there and never pull again.
      if (isTerminal(value)) {
        // Only the primary upstream's answers are cached, or replayed to late joiners.
        ctx.onFinished?.(fromPrimary && entryFrom(acc, provider, plan.generationId) !== null);
        ctx.waitUntil(
          finishGeneration(env, plan, acc, provider, fromPrimary).catch((err) => {
            logLine({
              level: 'error',
              msg: 'finishing the generation failed',
              generation: plan.generationId,
              error: String(err),
            });
          }),
        );
      }
      c.enqueue(value);
    },
    cancel(reason) {
      abort.abort(reason);
      const reader = inner;
      inner = undefined;
      return reader?.cancel(reason).catch(() => {});
    },
  });
}
