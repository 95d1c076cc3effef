// Guessing the admin token: each IP may present a wrong one (on the sign-in form or as a bearer
// token) ADMIN_AUTH_FAILURES times per 15 minutes; after that every try from that IP, right or
// wrong, is refused with a 429 until the window ends. The check is a read of the IP's counter
// before the token is compared, so a correct guess past the limit does not get in either. Only
// requests that present a token pay the Durable Object round trip; a session cookie is an HMAC
// and needs no such guard.
import type { Env } from '../env';
import { ApiError } from '../lib/errors';
import { settings } from '../lib/settings';
import type { LimitSpec } from './limit-counter';
import { clientIp } from './principal';

export const ADMIN_AUTH_WINDOW_S = 15 * 60;

const counterOf = (env: Env, req: Request) => env.LIMITS.get(env.LIMITS.idFromName(`admin-auth:${clientIp(req, env)}`));

const specOf = (env: Env): LimitSpec => ({
  rpm: settings(env).adminAuthFailures,
  concurrency: 1_000_000,
  dailyUsd: -1,
  windowS: ADMIN_AUTH_WINDOW_S,
});

export function tooManyAttempts(retryAfterS: number): ApiError {
  return new ApiError(
    429,
    `Too many wrong admin tokens from your IP address; retry in ${retryAfterS} s.`,
    'rate_limit_error',
    'too_many_admin_attempts',
    null,
    { 'retry-after': String(retryAfterS) },
  );
}

/**
 * Runs `check` (does the presented token match?) unless this IP is out of tries; counts a
 * failure. Returns whether the token matched, or throws the 429.
 */
export async function guardedTokenCheck(env: Env, req: Request, check: () => Promise<boolean>): Promise<boolean> {
  const counter = counterOf(env, req);
  const spec = specOf(env);
  const room = await counter.peek(spec);
  if (!room.ok) throw tooManyAttempts(room.retryAfterS);
  if (await check()) return true;
  const taken = await counter.acquire(spec);
  if (taken.ok) await counter.release(taken.lease, 0);
  return false;
}
