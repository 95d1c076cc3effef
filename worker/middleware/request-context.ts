// Every answer gets an x-request-id (made by Hono's requestId, below), and every request one
// structured JSON log line. A streamed generation logs when its stream is over, so the line
// carries its tokens and cost.
import { createMiddleware } from 'hono/factory';
import { requestId } from 'hono/request-id';
import { H } from '../../shared/headers';
import type { AppEnv, Outcome } from '../env';
import { shortId } from '../lib/bytes';
import { registerSecrets } from '../lib/secrets';
import { configureLogging, logLine } from '../observability/log';
import { recordStats } from '../observability/stats';
import { GENERATION_PATHS, recordUsage, usageSampleOf } from '../observability/usage';

/**
 * Hono's requestId, with our own ids: an incoming X-Request-Id is never trusted (a stranger could
 * otherwise give their requests another caller's id in the operator's logs), so it is not read.
 */
export const requestIds = () => requestId({ headerName: '', generator: () => `req_${shortId(16)}` });

export const requestContext = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const started = Date.now();
    configureLogging(c.env.LOG_LEVEL);
    registerSecrets(c.env);
    const requestId = c.get('requestId');
    c.set('startedAt', started);
    let fields: Record<string, unknown> | undefined;
    let outcome: Outcome | undefined;
    let logged = false;
    const emit = () => {
      if (logged || !fields) return;
      logged = true;
      logLine({
        ...fields,
        latency_ms: Date.now() - started,
        ...(outcome ? { final_status: outcome.status, tokens: outcome.tokens, cost_usd: outcome.costUsd } : {}),
      });
      if (outcome) c.executionCtx.waitUntil(recordStats(c.env, outcome).catch(() => {}));
      // Every generation request, refused ones included, for the operator console.
      if (c.req.method === 'POST' && GENERATION_PATHS.has(new URL(c.req.url).pathname.replace(/\/$/, ''))) {
        const sample = usageSampleOf({
          at: started,
          status: fields.status as number,
          ttfbMs: fields.ttfb_ms as number,
          totalMs: Date.now() - started,
          principal: c.get('access')?.principal,
          cacheHeader: fields.cache as string | undefined,
          providerHeader: fields.provider as string | undefined,
          generationHeader: fields.generation as string | undefined,
          outcome,
        });
        c.executionCtx.waitUntil(recordUsage(c.env, sample).catch(() => {}));
      }
    };
    c.set('reportOutcome', (o: Outcome) => {
      outcome = o;
      emit();
    });
    await next();
    c.res.headers.set(H.requestId, requestId);
    fields = {
      level: c.res.status >= 500 ? 'error' : 'info',
      request_id: requestId,
      method: c.req.method,
      route: c.req.routePath,
      status: c.res.status,
      ttfb_ms: Date.now() - started,
      cache: c.res.headers.get(H.cache) ?? undefined,
      provider: c.res.headers.get(H.provider) ?? undefined,
      principal: c.get('access')?.principal.kind,
      generation: c.res.headers.get(H.generationId) ?? undefined,
    };
    // Streams report their outcome when they end; everything else is over now.
    const streaming = c.res.headers.get('content-type')?.startsWith('text/event-stream') && !outcome;
    if (!streaming) emit();
  });
