// The totals behind GET /v1/stats, kept in Durable Object storage so every isolate adds to one count.
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';

export interface StatsSample {
  status: number;
  cache: string | null;
  joined: boolean;
  costUsd: number;
  savedUsd: number;
  tokens: number;
}

export interface StatsTotals {
  requests: number;
  errors: number;
  cache_hits: number;
  cache_misses: number;
  coalesced: number;
  tokens: number;
  cost_spent_usd: number;
  cost_saved_usd: number;
  since: number;
}

const EMPTY = (): StatsTotals => ({
  requests: 0,
  errors: 0,
  cache_hits: 0,
  cache_misses: 0,
  coalesced: 0,
  tokens: 0,
  cost_spent_usd: 0,
  cost_saved_usd: 0,
  since: Date.now(),
});

export class StatsCounter extends DurableObject<Env> {
  async addBatch(samples: StatsSample[]): Promise<void> {
    const t = (await this.ctx.storage.get<StatsTotals>('totals')) ?? EMPTY();
    for (const s of samples) {
      t.requests++;
      if (s.status >= 400) t.errors++;
      if (s.cache === 'HIT') t.cache_hits++;
      if (s.cache === 'MISS') t.cache_misses++;
      if (s.joined) t.coalesced++;
      t.tokens += s.tokens;
      t.cost_spent_usd = round(t.cost_spent_usd + s.costUsd);
      t.cost_saved_usd = round(t.cost_saved_usd + s.savedUsd);
    }
    await this.ctx.storage.put('totals', t);
  }

  async totals(): Promise<StatsTotals & { hit_ratio: number }> {
    const t = (await this.ctx.storage.get<StatsTotals>('totals')) ?? EMPTY();
    const looked = t.cache_hits + t.cache_misses;
    return { ...t, hit_ratio: looked ? Math.round((t.cache_hits / looked) * 1e4) / 1e4 : 0 };
  }
}

const round = (n: number) => Math.round(n * 1e8) / 1e8;
