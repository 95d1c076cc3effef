// Access control for the generation routes: who is calling, CORS for allowed origins only,
// then rate, concurrency and spend limits. Over a limit: 429 with Retry-After and
// x-ratelimit-* headers, in OpenAI's error shape.
import { createMiddleware } from 'hono/factory';
import type { ChatCompletionRequest } from '../../shared/schemas';
import type { AppEnv, Env } from '../env';
import { ApiError } from '../lib/errors';
import type { AccessContext } from './context';
import { originHasKeys } from './keys';
import type { Acquired, LimitSpec } from './limit-counter';
import { originCandidates } from './origins';
import { clientIp, resolvePrincipal } from './principal';

const EXPOSED = [
  'x-request-id', 'x-cache', 'x-cache-age', 'x-cache-saved-usd', 'x-darkroom-provider', 'x-darkroom-generation',
  'x-darkroom-share-url', 'x-darkroom-coalesced', 'x-darkroom-image-fallback', 'retry-after', 'x-ratelimit-limit',
  'x-ratelimit-remaining', 'x-ratelimit-reset',
].join(', ');

export function corsHeaders(origin: string): Record<string, string> {
  return {
    'access-control-allow-origin': origin,
    'access-control-expose-headers': EXPOSED,
    vary: 'Origin',
  };
}

/** Preflights carry no key: allow the origin when some live publishable key lists it. */
export const preflight = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    if (c.req.method !== 'OPTIONS') return next();
    const origin = c.req.header('origin');
    if (origin && (await originHasKeys(c.env, origin, originCandidates(origin)))) {
      return new Response(null, {
        status: 204,
        headers: {
          ...corsHeaders(origin),
          'access-control-allow-methods': 'POST, GET, OPTIONS',
          'access-control-allow-headers': 'authorization, content-type, x-image-format',
          'access-control-max-age': '600',
        },
      });
    }
    return new Response(null, { status: 204, headers: { vary: 'Origin', allow: 'POST, GET, OPTIONS' } });
  });

const limiter = (env: Env, name: string) => env.LIMITS.get(env.LIMITS.idFromName(name));

function spec(env: Env, l: { rpm: number; concurrency: number; daily_usd: number }): LimitSpec {
  const windowS = Number(env.RATE_LIMIT_WINDOW_S ?? 60) || 60;
  return { rpm: l.rpm, concurrency: l.concurrency, dailyUsd: l.daily_usd, windowS };
}

function refuse(a: Extract<Acquired, { ok: false }>, cors: Record<string, string>): ApiError {
  const message =
    a.reason === 'spend'
      ? `The daily spend cap of this key is used up; it resets at 00:00 UTC (in ${a.retryAfterS} s).`
      : a.reason === 'concurrency'
        ? 'Too many generations are running at once for this key; wait for one to finish.'
        : `Rate limit reached (${a.limit} requests per window); retry in ${a.retryAfterS} s.`;
  return new ApiError(429, message, 'rate_limit_error', a.reason === 'spend' ? 'spend_cap_reached' : 'rate_limit_exceeded', null, {
    ...cors,
    'retry-after': String(a.retryAfterS),
    'x-ratelimit-limit': String(a.limit),
    'x-ratelimit-remaining': String(a.remaining),
    'x-ratelimit-reset': String(a.resetS),
  });
}

/** For routes that generate: authenticate, then hold a limit lease until the generation settles. */
export const generationAccess = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const env = c.env;
    const who = await resolvePrincipal(env, c.req.raw);
    const cors = who.corsOrigin ? corsHeaders(who.corsOrigin) : {};
    const counters = [{ name: `${who.principal.kind}:${who.principal.id}`, spec: spec(env, who.limits) }];
    if (who.principal.kind === 'publishable') {
      // A public widget is also limited per visitor, so one visitor cannot drain the key.
      const ip = clientIp(c.req.raw);
      const perIp = { rpm: Number(env.IP_RPM ?? 10) || 10, concurrency: Number(env.IP_CONCURRENCY ?? 2) || 2, daily_usd: -1 };
      counters.push({ name: `ip:${ip}`, spec: spec(env, perIp) });
    }
    const results = await Promise.all(counters.map((k) => limiter(env, k.name).acquire(k.spec)));
    const leases = results.flatMap((r, i) => (r.ok ? [{ name: counters[i].name, lease: r.lease }] : []));
    const refused = results.find((r): r is Extract<Acquired, { ok: false }> => !r.ok);
    const release = (cost: number) => {
      for (const l of leases) c.executionCtx.waitUntil(limiter(env, l.name).release(l.lease, cost).catch(() => {}));
    };
    if (refused) {
      release(0);
      throw refuse(refused, cors);
    }
    const first = results[0] as Extract<Acquired, { ok: true }>;
    let settled = false;
    const access: AccessContext = {
      principal: who.principal,
      mayControlCache: who.principal.kind !== 'publishable',
      checkRequest(req: ChatCompletionRequest) {
        if (who.principal.kind === 'publishable' && req.logit_bias) {
          throw new ApiError(403, 'Publishable keys may not set logit_bias.', 'permission_error', 'not_allowed', 'logit_bias');
        }
      },
      settle(cost: number) {
        if (settled) return;
        settled = true;
        release(cost);
      },
    };
    c.set('access', access);
    try {
      await next();
    } finally {
      // Errors thrown before a generation started still free the slot.
      if (c.error || c.res.status >= 400) access.settle?.(0);
      for (const [k, v] of Object.entries(cors)) c.res.headers.set(k, v);
      c.res.headers.set('x-ratelimit-limit', String(first.limit));
      c.res.headers.set('x-ratelimit-remaining', String(first.remaining));
      c.res.headers.set('x-ratelimit-reset', String(first.resetS));
    }
  });
