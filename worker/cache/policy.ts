// How a request may use the cache: `Cache-Control: no-cache` skips the lookup but stores the
// fresh result, `no-store` neither reads nor writes; `x-cache-ttl` (seconds, >= 60, as KV
// requires) overrides CACHE_TTL_SECONDS (default 30 days).
import type { AccessContext } from '../access/context';
import type { Env } from '../env';
import { badRequest } from '../lib/errors';
import { primaryProvider } from '../providers';
import type { CacheContext } from './key';

/** How one request may use the cache (see above). */
export type CacheMode = 'default' | 'no-cache' | 'no-store';

export const DEFAULT_TTL_SECONDS = 30 * 24 * 3600;
const MAX_TTL_SECONDS = 365 * 24 * 3600;

export function cacheModeOf(headers: Headers): CacheMode {
  const cc = (headers.get('cache-control') ?? '').toLowerCase();
  if (/\bno-store\b/.test(cc)) return 'no-store';
  if (/\bno-cache\b/.test(cc)) return 'no-cache';
  return 'default';
}

export function ttlOf(headers: Headers, configured: unknown): number {
  const raw = headers.get('x-cache-ttl');
  if (raw !== null) {
    if (!/^\d+$/.test(raw.trim()) || Number(raw) < 60 || Number(raw) > MAX_TTL_SECONDS) {
      throw badRequest(`x-cache-ttl must be a whole number of seconds from 60 to ${MAX_TTL_SECONDS}.`, 'x-cache-ttl');
    }
    return Number(raw);
  }
  const n = Number(configured);
  return Number.isFinite(n) && n >= 60 ? Math.min(n, MAX_TTL_SECONDS) : DEFAULT_TTL_SECONDS;
}

/**
 * Everything a route needs to plan a cacheable generation for this caller: the cache mode and
 * TTL it asked for (only callers that may steer the cache: the playground and publishable keys
 * never can), its scope, and the primary upstream the key is made for.
 */
export function cachePolicyFor(
  env: Env,
  headers: Headers,
  access: Pick<AccessContext, 'cacheScope' | 'mayControlCache'> | undefined,
): { cacheMode: CacheMode; ttlSeconds: number } & CacheContext {
  const steer = access?.mayControlCache === false ? new Headers() : headers;
  return {
    cacheMode: cacheModeOf(steer),
    ttlSeconds: ttlOf(steer, env.CACHE_TTL_SECONDS),
    scope: access?.cacheScope ?? 'anonymous',
    upstream: primaryProvider(env),
  };
}
