// Totals for GET /v1/stats, counted in one Durable Object (requests, hit ratio, spent, saved).
// Each isolate batches its samples and sends them at most once a second, so the single counter
// never sits on the request path or becomes a hot spot under load.
import type { Env, Outcome } from '../env';
import type { StatsSample } from './stats-counter';

export function statsStub(env: Env) {
  return env.STATS.get(env.STATS.idFromName('global'));
}

const FLUSH_AFTER_MS = 1000;
let pending: StatsSample[] = [];

export function sampleOf(o: Outcome): StatsSample {
  return {
    status: o.status,
    cache: o.meta?.cache ?? null,
    joined: Boolean(o.meta?.joined),
    costUsd: o.costUsd,
    savedUsd: o.meta?.cache === 'HIT' ? (o.meta.savedUsd ?? 0) : 0,
    tokens: o.tokens ?? 0,
  };
}

/** Queues a sample; the request that opens a batch keeps itself alive (waitUntil) to send it. */
export async function recordStats(env: Env, o: Outcome): Promise<void> {
  pending.push(sampleOf(o));
  if (pending.length > 1) return;
  await new Promise((r) => setTimeout(r, FLUSH_AFTER_MS));
  const batch = pending;
  pending = [];
  await statsStub(env).addBatch(batch);
}
