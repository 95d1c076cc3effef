// Totals for GET /v1/stats, counted in one Durable Object (requests, hit ratio, spent, saved).
import type { Env, Outcome } from '../env';

export function statsStub(env: Env) {
  return env.STATS.get(env.STATS.idFromName('global'));
}

export async function recordStats(env: Env, o: Outcome): Promise<void> {
  await statsStub(env).add({
    status: o.status,
    cache: o.meta?.cache ?? null,
    joined: Boolean(o.meta?.joined),
    costUsd: o.costUsd,
    savedUsd: o.meta?.cache === 'HIT' ? (o.meta.savedUsd ?? 0) : 0,
    tokens: o.tokens ?? 0,
  });
}
