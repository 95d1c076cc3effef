// Rate limits, concurrency and daily spend for one principal (a key or a client IP), counted in
// a Durable Object: one consistent counter per principal across every isolate and location.
// Requests use a fixed window that opens with the first request after the previous one closed;
// concurrency uses leases (returned on settle, presumed lost after leaseTtlMs); spend is per UTC
// day, persisted, and mirrored to RECORDS `s:<id>` (for listings) shortly after it changes.
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';
import { kvKey, type SpendSnapshot } from './records';

export interface LimitSpec {
  rpm: number;
  concurrency: number;
  /** USD per UTC day; negative = no cap. */
  dailyUsd: number;
  windowS: number;
  /** A lease not released within this time is presumed lost (crashed isolate). */
  leaseTtlMs?: number;
  /** Key id whose spend snapshot this counter keeps in RECORDS. */
  spendId?: string;
}

export type Acquired =
  | { ok: true; lease: string; limit: number; remaining: number; resetS: number }
  | {
      ok: false;
      reason: 'rate' | 'concurrency' | 'spend';
      limit: number;
      remaining: number;
      resetS: number;
      retryAfterS: number;
    };

interface Spend {
  day: string;
  usd: number;
  total: number;
}

const dayOf = (now: number) => new Date(now).toISOString().slice(0, 10);
const SNAPSHOT_DELAY_MS = 2_000;
/** Windows this long or longer are kept in storage (an idle Durable Object is evicted within minutes). */
export const LASTING_WINDOW_S = 300;

export class LimitCounter extends DurableObject<Env> {
  private window = { start: 0, count: 0 };
  private windowLoaded = false;
  private leases = new Map<string, number>();
  private spend?: Spend;

  private async loadSpend(now: number): Promise<Spend> {
    const today = dayOf(now);
    if (!this.spend) {
      const stored = await this.ctx.storage.get<Spend>('spend');
      this.spend = stored ?? { day: today, usd: 0, total: 0 };
    }
    if (this.spend.day !== today) this.spend = { day: today, usd: 0, total: this.spend.total ?? 0 };
    return this.spend;
  }

  /** Takes `weight` requests from the window (n images are n generations) and one lease. */
  async acquire(spec: LimitSpec, weight = 1): Promise<Acquired> {
    weight = Math.max(1, Math.floor(weight));
    const now = Date.now();
    const windowMs = Math.max(1, spec.windowS) * 1000;
    // A long window (a playground session's, a key's own window_s) outlives an idle object's
    // eviction: it is kept in storage, or a pause would reset it.
    const lasting = spec.windowS >= LASTING_WINDOW_S;
    if (lasting && !this.windowLoaded) {
      this.windowLoaded = true;
      this.window = (await this.ctx.storage.get<{ start: number; count: number }>('window')) ?? this.window;
    }
    if (now >= this.window.start + windowMs) this.window = { start: now, count: 0 };
    const resetS = Math.max(1, Math.ceil((this.window.start + windowMs - now) / 1000));
    const ttl = spec.leaseTtlMs ?? 15 * 60_000;
    for (const [id, at] of this.leases) if (now - at > ttl) this.leases.delete(id);
    const remaining = Math.max(0, spec.rpm - this.window.count);

    if (spec.dailyUsd >= 0) {
      const spend = await this.loadSpend(now);
      if (spend.usd >= spec.dailyUsd) {
        const retryAfterS = Math.max(1, Math.ceil((Date.parse(`${spend.day}T00:00:00Z`) + 86_400_000 - now) / 1000));
        return { ok: false, reason: 'spend', limit: spec.rpm, remaining, resetS: retryAfterS, retryAfterS };
      }
    }
    if (this.window.count + weight > spec.rpm) {
      return { ok: false, reason: 'rate', limit: spec.rpm, remaining, resetS, retryAfterS: resetS };
    }
    if (this.leases.size >= spec.concurrency) {
      return { ok: false, reason: 'concurrency', limit: spec.rpm, remaining, resetS, retryAfterS: 1 };
    }
    this.window.count += weight;
    // Not awaited: applied at once, flushed behind the output gate (as the spend below).
    if (lasting) void this.ctx.storage.put('window', this.window);
    const lease = crypto.randomUUID();
    this.leases.set(lease, now);
    if (spec.spendId && this.spendId !== spec.spendId) {
      this.spendId = spec.spendId;
      await this.ctx.storage.put('spendId', spec.spendId);
    }
    return { ok: true, lease, limit: spec.rpm, remaining: spec.rpm - this.window.count, resetS };
  }

  private spendId?: string;

  /** Takes back requests counted in the current window (a try that turned out to be allowed). */
  async refund(spec: Pick<LimitSpec, 'windowS'>, weight = 1): Promise<void> {
    this.window.count = Math.max(0, this.window.count - weight);
    if (spec.windowS >= LASTING_WINDOW_S) void this.ctx.storage.put('window', this.window);
  }

  /** Returns the lease and books what the generation cost. Safe to call twice. */
  async release(lease: string, costUsd: number): Promise<void> {
    this.leases.delete(lease);
    if (!(costUsd > 0) || !Number.isFinite(costUsd)) return;
    const spend = await this.loadSpend(Date.now());
    spend.usd = Math.round((spend.usd + costUsd) * 1e8) / 1e8;
    spend.total = Math.round(((spend.total ?? 0) + costUsd) * 1e8) / 1e8;
    // Not awaited: Durable Object storage applies the write at once and flushes it behind an
    // output gate, so the spend is durable before anything else leaves this object.
    void this.ctx.storage.put('spend', spend);
    if (!this.snapshotPending) {
      this.snapshotPending = true;
      void this.ctx.storage.setAlarm(Date.now() + SNAPSHOT_DELAY_MS);
    }
  }

  private snapshotPending = false;

  /** Mirrors the spend into RECORDS `s:<id>` (at most once per SNAPSHOT_DELAY_MS). */
  override async alarm(): Promise<void> {
    this.snapshotPending = false;
    const id = this.spendId ?? (await this.ctx.storage.get<string>('spendId'));
    if (!id) return;
    const spend = await this.loadSpend(Date.now());
    const snapshot: SpendSnapshot = {
      day: spend.day,
      usd: spend.usd,
      total_usd: spend.total,
      updated: Math.floor(Date.now() / 1000),
    };
    await this.env.RECORDS.put(kvKey.spend(id), JSON.stringify(snapshot));
  }

  async usage(): Promise<{ spentTodayUsd: number; totalUsd: number; active: number; windowCount: number }> {
    const spend = await this.loadSpend(Date.now());
    return {
      spentTodayUsd: spend.usd,
      totalUsd: spend.total,
      active: this.leases.size,
      windowCount: this.window.count,
    };
  }
}
