// One generation from start to finish: start the upstream (retries, fallback), run its answer
// through the stream pipeline, and when it finished well write the cache entry and the record.
// Used directly for uncacheable requests and inside the coalescing Durable Object for the rest.
import type { Env } from '../env';
import { ApiError, toApiError } from '../lib/errors';
import { logLine } from '../observability/log';
import { numberOr, selectProviders } from '../providers';
import { R2_TIMEOUT_MS, r2ImageStore } from '../storage/image-store';
import { addEvent, emptyCollected } from '../stream/collect';
import { type GenEvent, isTerminal, type StreamError } from '../stream/events';
import { upstreamEvents } from '../stream/pipeline';
import { finishGeneration } from './finish';
import type { GenerationPlan } from './plan';
import { startUpstream } from './upstream-call';

export interface RunContext {
  env: Env;
  waitUntil(p: Promise<unknown>): void;
  signal?: AbortSignal;
}

export function settings(env: Env) {
  return {
    retry: {
      firstByteMs: numberOr(env.FIRST_BYTE_TIMEOUT_MS, 300_000),
      maxAttempts: Math.max(1, numberOr(env.RETRY_MAX_ATTEMPTS, 3)),
      baseMs: numberOr(env.RETRY_BASE_MS, 500),
      maxTotalMs: numberOr(env.RETRY_MAX_TOTAL_MS, 30_000),
    },
    idleMs: numberOr(env.IDLE_TIMEOUT_MS, 150_000),
    progressMs: numberOr(env.PROGRESS_TIMEOUT_MS, 600_000),
    storageMs: numberOr(env.STORAGE_TIMEOUT_MS, R2_TIMEOUT_MS),
  };
}

export function toStreamError(err: unknown): StreamError {
  const api = toApiError(err);
  if (!(err instanceof ApiError)) logLine({ level: 'error', msg: 'generation failed', error: String((err as Error)?.stack ?? err) });
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
  return new ReadableStream<GenEvent>({
    async start(c) {
      try {
        const started = await startUpstream(selectProviders(env), { body: plan.upstreamBody, api: plan.upstreamApi }, s.retry, abort.signal, (a) =>
          logLine({ level: 'warn', msg: 'upstream attempt failed', generation: plan.generationId, ...a }),
        );
        if (abort.signal.aborted) {
          started.res.body?.cancel().catch(() => {});
          return c.close();
        }
        provider = started.provider.name;
        c.enqueue({ type: 'meta', meta: { generationId: plan.generationId, provider, cache: plan.readCache ? 'MISS' : 'BYPASS' } });
        const store = r2ImageStore(env.IMAGES, { timeoutMs: s.storageMs });
        inner = upstreamEvents(started.res, {
          store,
          idleMs: s.idleMs,
          progressMs: s.progressMs,
          onFallback: (err) =>
            logLine({ level: 'error', msg: 'R2 write failed; image served as data URL', generation: plan.generationId, error: String(err) }),
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
        ctx.waitUntil(finishGeneration(env, plan, acc, provider).catch((err) => {
          logLine({ level: 'error', msg: 'finishing the generation failed', generation: plan.generationId, error: String(err) });
        }));
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
