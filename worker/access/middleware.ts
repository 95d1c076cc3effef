// Access control for the generation routes: who is calling, CORS for allowed origins only,
// then rate, concurrency and spend limits. Over a limit: 429 with Retry-After and
// x-ratelimit-* headers, in OpenAI's error shape.
// Cost on the hot path: a secret key is one cached KV lookup (per isolate, 5 s) and one Durable
// Object call; the lease goes back in waitUntil when the generation is over.
import type { Context } from 'hono';
import { cors } from 'hono/cors';
import { createMiddleware } from 'hono/factory';
import type { ChatCompletionRequest } from '../../shared/schemas';
import type { AppEnv, Env } from '../env';
import { ApiError } from '../lib/errors';
import { numberOr as num } from '../lib/settings';
import type { AccessContext } from './context';
import { originHasKeys } from './keys';
import type { Acquired, LimitSpec } from './limit-counter';
import { normaliseOrigin } from './origins';
import { sessionGenerations, sessionSeconds } from './playground';
import { clientIp, resolvePrincipal } from './principal';
import type { KeyLimits } from './records';

const EXPOSED = [
  'x-request-id',
  'x-cache',
  'x-cache-age',
  'x-cache-saved-usd',
  'x-darkroom-provider',
  'x-darkroom-generation',
  'x-darkroom-share-url',
  'x-darkroom-coalesced',
  'x-darkroom-image-fallback',
  'retry-after',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
];

export function corsHeaders(origin: string): Record<string, string> {
  return {
    'access-control-allow-origin': origin,
    'access-control-expose-headers': EXPOSED.join(', '),
    vary: 'Origin',
  };
}

/** The admin API is for operators' tools, never for a browser on another site. */
const NEVER_CORS = /^\/v1\/(admin|stats)(\/|$)/;

/**
 * Preflights carry no key: Hono's cors answers them, allowing the origin (in canonical form
 * only) when some live publishable key lists it. The answers themselves get their CORS headers
 * in generationAccess, once the key and its own origins are known.
 */
const preflightCors = cors({
  origin: async (origin, c: Context<AppEnv>) => {
    const o = origin ? normaliseOrigin(origin) : null;
    if (!o || o !== origin || NEVER_CORS.test(new URL(c.req.url).pathname)) return null;
    return (await originHasKeys(c.env, o)) ? o : null;
  },
  allowMethods: ['POST', 'GET', 'OPTIONS'],
  allowHeaders: ['authorization', 'content-type', 'accept', 'x-image-format'],
  exposeHeaders: EXPOSED,
  maxAge: 600,
});

export const preflight = () =>
  createMiddleware<AppEnv>(async (c, next) => (c.req.method === 'OPTIONS' ? preflightCors(c, next) : next()));

const limiter = (env: Env, name: string) => env.LIMITS.get(env.LIMITS.idFromName(name));

function spec(env: Env, l: KeyLimits, spendId?: string): LimitSpec {
  const windowS = l.window_s ?? (num(env.RATE_LIMIT_WINDOW_S, 60) || 60);
  return { rpm: l.rpm, concurrency: l.concurrency, dailyUsd: l.daily_usd, windowS, ...(spendId ? { spendId } : {}) };
}

interface Counter {
  name: string;
  spec: LimitSpec;
  /** Who is over the limit, for the message: "this key", "your IP address", ... */
  who: string;
}

function refuse(a: Extract<Acquired, { ok: false }>, who: string, cors: Record<string, string>): ApiError {
  const message =
    a.reason === 'spend'
      ? `The daily spend cap of ${who} is used up; it resets at 00:00 UTC (in ${a.retryAfterS} s).`
      : a.reason === 'concurrency'
        ? `Too many generations are running at once for ${who}; wait for one to finish.`
        : `Rate limit reached for ${who} (${a.limit} requests per window); retry in ${a.retryAfterS} s.`;
  return new ApiError(
    429,
    message,
    'rate_limit_error',
    a.reason === 'spend' ? 'spend_cap_reached' : 'rate_limit_exceeded',
    null,
    {
      ...cors,
      'retry-after': String(a.retryAfterS),
      'x-ratelimit-limit': String(a.limit),
      'x-ratelimit-remaining': String(a.remaining),
      'x-ratelimit-reset': String(a.resetS),
    },
  );
}

function countersFor(env: Env, req: Request, who: Awaited<ReturnType<typeof resolvePrincipal>>): Counter[] {
  const p = who.principal;
  if (p.kind === 'playground') {
    // Per visitor, and one budget for the whole keyless playground so rotating IPs cannot drain it.
    const total: KeyLimits = {
      rpm: num(env.PLAYGROUND_TOTAL_RPM, 600),
      concurrency: num(env.PLAYGROUND_TOTAL_CONCURRENCY, 32),
      daily_usd: num(env.PLAYGROUND_TOTAL_DAILY_USD, 20),
    };
    const counters = [
      { name: `playground:${p.id}`, spec: spec(env, who.limits), who: 'your IP address' },
      { name: 'playground:*', spec: spec(env, total), who: 'the public playground' },
    ];
    if (who.session) {
      // A Turnstile session is good for a bounded number of generations over its life.
      const perSession: KeyLimits = {
        rpm: sessionGenerations(env),
        concurrency: 1_000,
        daily_usd: -1,
        window_s: sessionSeconds(env),
      };
      counters.push({
        name: `session:${who.session.sid}`,
        spec: spec(env, perSession),
        who: 'this playground session (reload the page for a new one)',
      });
    }
    return counters;
  }
  const own: Counter = { name: `${p.kind}:${p.id}`, spec: spec(env, who.limits, who.record?.id), who: 'this key' };
  if (p.kind !== 'publishable') return [own];
  // A public widget is also limited per visitor, so one visitor cannot drain the key.
  const perIp: KeyLimits = { rpm: num(env.IP_RPM, 10), concurrency: num(env.IP_CONCURRENCY, 2), daily_usd: -1 };
  return [own, { name: `ip:${clientIp(req, env)}`, spec: spec(env, perIp), who: 'your IP address' }];
}

function setHeaders(c: { res: Response }, headers: Record<string, string>) {
  try {
    for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v);
  } catch {
    c.res = new Response(c.res.body, c.res); // immutable headers (a passed-through Response)
    for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v);
  }
}

/**
 * For routes that generate: authenticate now; take the limit leases only when the route finds it
 * must generate (after its cache lookup), and hold them until the answer settles.
 */
export const generationAccess = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const env = c.env;
    const who = await resolvePrincipal(env, c.req.raw);
    const cors = who.corsOrigin ? corsHeaders(who.corsOrigin) : {};
    let leases: { name: string; lease: string }[] = [];
    let limitHeaders: Record<string, string> = {};
    let settled = false;
    const release = (cost: number) => {
      for (const l of leases)
        c.executionCtx.waitUntil(
          limiter(env, l.name)
            .release(l.lease, cost)
            .catch(() => {}),
        );
      leases = [];
    };
    const access: AccessContext = {
      principal: who.principal,
      // Anyone can be a playground visitor or hold a publishable key: they may not re-roll or
      // re-time what the next caller in their scope sees.
      mayControlCache: who.principal.kind !== 'publishable' && who.principal.kind !== 'playground',
      cacheScope: who.cacheScope,
      checkRequest(req: ChatCompletionRequest) {
        if (who.principal.kind === 'publishable' && req.logit_bias !== undefined) {
          throw new ApiError(
            403,
            'Publishable keys may not set logit_bias.',
            'permission_error',
            'not_allowed',
            'logit_bias',
          );
        }
      },
      async admit(generations = 1) {
        const counters = countersFor(env, c.req.raw, who);
        const results = await Promise.all(counters.map((k) => limiter(env, k.name).acquire(k.spec, generations)));
        leases = results.flatMap((r, i) => (r.ok ? [{ name: counters[i].name, lease: r.lease }] : []));
        const refusedAt = results.findIndex((r) => !r.ok);
        if (refusedAt >= 0) {
          release(0);
          throw refuse(results[refusedAt] as Extract<Acquired, { ok: false }>, counters[refusedAt].who, cors);
        }
        const first = results[0] as Extract<Acquired, { ok: true }>;
        limitHeaders = {
          'x-ratelimit-limit': String(first.limit),
          'x-ratelimit-remaining': String(first.remaining),
          'x-ratelimit-reset': String(first.resetS),
        };
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
      setHeaders(c, { ...cors, ...limitHeaders });
    }
  });
