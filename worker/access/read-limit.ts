// Reading generation records (GET /v1/generations/{id}, /s/{id}) needs no key, so it is limited
// per client IP (RECORDS_RPM per RATE_LIMIT_WINDOW_S, default 120 per 60 s): ids are random and
// carry 130 bits, and the limit keeps anyone from even trying to enumerate them.
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';
import { ApiError } from '../lib/errors';
import { numberOr, settings } from '../lib/settings';
import { clientIp } from './principal';

export const recordReadLimit = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const env = c.env;
    const name = `read:${clientIp(c.req.raw, env)}`;
    const stub = env.LIMITS.get(env.LIMITS.idFromName(name));
    const result = await stub.acquire({
      rpm: settings(env).recordsRpm,
      concurrency: 10_000,
      dailyUsd: -1,
      windowS: numberOr(env.RATE_LIMIT_WINDOW_S, 60) || 60,
    });
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
    c.executionCtx.waitUntil(stub.release(result.lease, 0).catch(() => {}));
    await next();
  });
