// Rate limits, concurrency and daily spend for one principal (a key or a client IP), counted in
// a Durable Object: one consistent counter per principal across every isolate and location.
// Requests per window use a fixed window; spend is per UTC day and persisted.
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';

export interface LimitSpec {
  rpm: number;
  concurrency: number;
  dailyUsd: number;
  windowS: number;
  /** A lease not released within this time is presumed lost (crashed isolate). */
  leaseTtlMs?: number;
}

export type Acquired =
  | { ok: true; lease: string; limit: number; remaining: number; resetS: number }
  | { ok: false; reason: 'rate' | 'concurrency' | 'spend'; limit: number; remaining: number; resetS: number; retryAfterS: number };

const day = (now: number) => new Date(now).toISOString().slice(0, 10);

export class LimitCounter extends DurableObject<Env> {
  private window = { start: 0, count: 0 };
  private leases = new Map<string, number>();
  private spend?: { day: string; usd: number };

  private async loadSpend(now: number) {
    const today = day(now);
    if (this.spend?.day !== today) {
      const stored = await this.ctx.storage.get<{ day: string; usd: number }>('spend');
      this.spend = stored?.day === today ? stored : { day: today, usd: 0 };
    }
    return this.spend;
  }

  async acquire(spec: LimitSpec): Promise<Acquired> {
    const now = Date.now();
    const windowMs = spec.windowS * 1000;
    const start = Math.floor(now / windowMs) * windowMs;
    if (this.window.start !== start) this.window = { start, count: 0 };
    const resetS = Math.ceil((start + windowMs - now) / 1000);
    const ttl = spec.leaseTtlMs ?? 15 * 60_000;
    for (const [id, at] of this.leases) if (now - at > ttl) this.leases.delete(id);

    const spend = await this.loadSpend(now);
    if (spec.dailyUsd >= 0 && spend.usd >= spec.dailyUsd) {
      const midnight = Date.parse(`${spend.day}T00:00:00Z`) + 86_400_000;
      const retryAfterS = Math.ceil((midnight - now) / 1000);
      return { ok: false, reason: 'spend', limit: spec.rpm, remaining: Math.max(0, spec.rpm - this.window.count), resetS, retryAfterS };
    }
    if (this.window.count >= spec.rpm) {
      return { ok: false, reason: 'rate', limit: spec.rpm, remaining: 0, resetS, retryAfterS: resetS };
    }
    if (this.leases.size >= spec.concurrency) {
      return { ok: false, reason: 'concurrency', limit: spec.rpm, remaining: spec.rpm - this.window.count, resetS, retryAfterS: 1 };
    }
    this.window.count++;
    const lease = crypto.randomUUID();
    this.leases.set(lease, now);
    return { ok: true, lease, limit: spec.rpm, remaining: spec.rpm - this.window.count, resetS };
  }

  async release(lease: string, costUsd: number): Promise<void> {
    this.leases.delete(lease);
    if (costUsd > 0) {
      const spend = await this.loadSpend(Date.now());
      spend.usd = Math.round((spend.usd + costUsd) * 1e8) / 1e8;
      await this.ctx.storage.put('spend', spend);
    }
  }

  async usage(): Promise<{ spentTodayUsd: number; active: number; windowCount: number }> {
    const spend = await this.loadSpend(Date.now());
    return { spentTodayUsd: spend.usd, active: this.leases.size, windowCount: this.window.count };
  }
}
