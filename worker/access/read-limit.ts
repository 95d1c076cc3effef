// Reading generation records (GET /v1/generations/{id}, /s/{id}) needs no key, so it is limited
// per client IP (RECORDS_RPM per RATE_LIMIT_WINDOW_S, default 120 per 60 s): ids are random and
// carry 130 bits, and the limit keeps anyone from even trying to enumerate them. The same
// per-IP request window (takeFromIpWindow) meters new image variants (routes/images.ts).
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';
import { ApiError } from '../lib/errors';
import { numberOr, settings } from '../lib/settings';
import type { Acquired } from './limit-counter';
import { clientIp } from './principal';

/**
 * Takes one request from the client IP's window `<kind>:<ip>` (rpm per windowS; no concurrency or
 * spend), its lease given back at once: for the limits that only count requests.
 */
export async function takeFromIpWindow(
  c: Context<AppEnv>,
  kind: string,
  rpm: number,
  windowS: number,
): Promise<Acquired> {
  const env = c.env;
  const stub = env.LIMITS.get(env.LIMITS.idFromName(`${kind}:${clientIp(c.req.raw, env)}`));
  const result = await stub.acquire({ rpm, concurrency: 1_000_000, dailyUsd: -1, windowS });
  if (result.ok) c.executionCtx.waitUntil(stub.release(result.lease, 0).catch(() => {}));
  return result;
}

export const recordReadLimit = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const env = c.env;
    const result = await takeFromIpWindow(
      c,
      'read',
      settings(env).recordsRpm,
      numberOr(env.RATE_LIMIT_WINDOW_S, 60) || 60,
    );
    if (!result.ok) {
      throw new ApiError(
        429,
        `Too many generation lookups from your IP address; retry in ${result.retryAfterS} s.`,
        'rate_limit_error',
        'rate_limit_exceeded',
        null,
        {
          'retry-after': String(result.retryAfterS),
        },
      );
    }
    await next();
  });
