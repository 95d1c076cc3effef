// Guessing the admin token: each IP may present a wrong one (on the sign-in form or as a bearer
// token) ADMIN_AUTH_FAILURES times per 15 minutes; after that every try from that IP (an IPv6
// /64), right or wrong, is refused with a 429 until the window ends. Each try is counted before
// the token is compared, in one step in the IP's Durable Object, with the window in its storage:
// parallel guesses cannot all pass before one is counted, and an evicted object forgets nothing.
// Only requests that present a token pay the round trips; a session cookie is an HMAC and needs
// no such guard.
import type { Env } from '../env';
import { ApiError } from '../lib/errors';
import { settings } from '../lib/settings';
import { clientIp } from './principal';

export const ADMIN_AUTH_WINDOW_S = 15 * 60;

/** Whose tries count together: an IPv4 address, or an IPv6 /64 (one subscriber's usual share). */
export function attemptBucket(ip: string): string {
  if (!ip.includes(':')) return ip;
  const [head, tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::')
    ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

const counterOf = (env: Env, req: Request) =>
  env.LIMITS.get(env.LIMITS.idFromName(`admin-auth:${attemptBucket(clientIp(req, env))}`));

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
 * Counts this try (or throws the 429 when the address is out of tries), then runs `check` (does
 * the presented token match?); a right token is taken back off the count. Returns whether it
 * matched.
 */
export async function guardedTokenCheck(env: Env, req: Request, check: () => Promise<boolean>): Promise<boolean> {
  const counter = counterOf(env, req);
  // A 15-minute window is one the counter keeps in storage (LASTING_WINDOW_S).
  const spec = {
    rpm: settings(env).adminAuthFailures,
    concurrency: 1_000_000,
    dailyUsd: -1,
    windowS: ADMIN_AUTH_WINDOW_S,
  };
  const taken = await counter.acquire(spec);
  if (!taken.ok) throw tooManyAttempts(taken.retryAfterS);
  await counter.release(taken.lease, 0);
  if (!(await check())) return false;
  await counter.refund(spec);
  return true;
}
