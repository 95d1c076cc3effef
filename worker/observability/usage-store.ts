// The console's D1 store (schema: migrations/0001_console.sql): one write per batch of samples,
// and the reads behind the admin API. A batch is a handful of statements whatever its size (rows
// travel as one JSON parameter through json_each), and every write adds (ON CONFLICT ... +
// excluded), so isolates writing at once never lose each other's counts.
import type { ErrorKind, RangeName, UsagePoint, UsageReport } from '../../shared/admin';
import type { UsageBatch } from './usage';
import { errorKindOf, fromNusd, quantileOf } from './usage';

/** Hourly rows are kept this long; the recent list keeps this many rows. */
export const RETENTION_S = 30 * 86_400;
export const RECENT_LIMIT = 10_000;
const PRUNE_EVERY_MS = 10 * 60_000;
let lastPrune = 0;

export async function writeUsageBatch(
  db: D1Database,
  batch: UsageBatch,
  now: number,
  recentLimit = RECENT_LIMIT,
): Promise<void> {
  const groups = [...batch.groups.values()];
  if (!groups.length) return;
  const usage = groups.map((g) => [
    g.hour,
    g.keyId,
    g.requests,
    g.images,
    g.errors,
    g.cacheHits,
    g.cacheMisses,
    g.cacheBypass,
    g.coalesced,
    g.costNusd,
    g.savedCacheNusd,
    g.savedCoalescedNusd,
  ]);
  const errors = groups.flatMap((g) => [...g.errorKinds].map(([kind, n]) => [g.hour, g.keyId, kind, n]));
  const latency = groups.flatMap((g) => [
    ...[...g.ttfb].map(([b, n]) => [g.hour, g.keyId, 'ttfb', b, n]),
    ...[...g.total].map(([b, n]) => [g.hour, g.keyId, 'total', b, n]),
  ]);
  const totals = new Map<string, [string, number, number, number]>();
  for (const g of groups) {
    const t = totals.get(g.keyId) ?? [g.keyId, 0, 0, 0];
    t[1] += g.requests;
    t[2] += g.costNusd;
    t[3] = Math.max(t[3], g.lastUsed);
    totals.set(g.keyId, t);
  }
  const recent = batch.recent.map((s) => [
    s.at,
    s.keyId,
    s.status,
    errorKindOf(s.status),
    s.cache,
    s.coalesced ? 1 : 0,
    s.provider,
    s.generationId,
    s.images,
    s.costNusd,
    s.savedCacheNusd + s.savedCoalescedNusd,
    s.ttfbMs,
    s.totalMs,
  ]);
  const col = (i: number) => `json_extract(value, '$[${i}]')`;
  const cols = (n: number) => Array.from({ length: n }, (_, i) => col(i)).join(', ');
  const stmts: D1PreparedStatement[] = [
    db
      .prepare(
        `INSERT INTO usage_hourly (hour, key_id, requests, images, errors, cache_hits, cache_misses, cache_bypass, coalesced, cost_nusd, saved_cache_nusd, saved_coalesced_nusd)
       SELECT ${cols(12)} FROM json_each(?1) WHERE true
       ON CONFLICT (hour, key_id) DO UPDATE SET requests = requests + excluded.requests, images = images + excluded.images,
         errors = errors + excluded.errors, cache_hits = cache_hits + excluded.cache_hits, cache_misses = cache_misses + excluded.cache_misses,
         cache_bypass = cache_bypass + excluded.cache_bypass, coalesced = coalesced + excluded.coalesced, cost_nusd = cost_nusd + excluded.cost_nusd,
         saved_cache_nusd = saved_cache_nusd + excluded.saved_cache_nusd, saved_coalesced_nusd = saved_coalesced_nusd + excluded.saved_coalesced_nusd`,
      )
      .bind(JSON.stringify(usage)),
    db
      .prepare(
        `INSERT INTO latency_hourly (hour, key_id, metric, bucket, count) SELECT ${cols(5)} FROM json_each(?1) WHERE true
       ON CONFLICT (hour, key_id, metric, bucket) DO UPDATE SET count = count + excluded.count`,
      )
      .bind(JSON.stringify(latency)),
    db
      .prepare(
        `INSERT INTO key_totals (key_id, requests, cost_nusd, last_used) SELECT ${cols(4)} FROM json_each(?1) WHERE true
       ON CONFLICT (key_id) DO UPDATE SET requests = requests + excluded.requests, cost_nusd = cost_nusd + excluded.cost_nusd,
         last_used = max(last_used, excluded.last_used)`,
      )
      .bind(JSON.stringify([...totals.values()])),
  ];
  if (errors.length) {
    stmts.push(
      db
        .prepare(
          `INSERT INTO errors_hourly (hour, key_id, kind, count) SELECT ${cols(4)} FROM json_each(?1) WHERE true
         ON CONFLICT (hour, key_id, kind) DO UPDATE SET count = count + excluded.count`,
        )
        .bind(JSON.stringify(errors)),
    );
  }
  if (recent.length) {
    stmts.push(
      db
        .prepare(
          `INSERT INTO recent_generations (at, key_id, status, error_kind, cache, coalesced, provider, generation_id, images, cost_nusd, saved_nusd, ttfb_ms, total_ms)
         SELECT ${cols(13)} FROM json_each(?1)`,
        )
        .bind(JSON.stringify(recent)),
      db
        .prepare('DELETE FROM recent_generations WHERE seq <= (SELECT max(seq) FROM recent_generations) - ?1')
        .bind(recentLimit),
    );
  }
  if (now - lastPrune > PRUNE_EVERY_MS) {
    lastPrune = now;
    const oldest = Math.floor(now / 1000) - RETENTION_S;
    for (const t of ['usage_hourly', 'errors_hourly', 'latency_hourly'])
      stmts.push(db.prepare(`DELETE FROM ${t} WHERE hour < ?1`).bind(oldest));
  }
  await db.batch(stmts);
}

// ---- reads -----------------------------------------------------------------------------------

export const RANGES: Record<RangeName, number> = { '1h': 3600, '24h': 86_400, '7d': 7 * 86_400, '30d': 30 * 86_400 };
export type { RangeName, UsagePoint, UsageReport };

interface HourRow {
  hour: number;
  requests: number;
  images: number;
  errors: number;
  cache_hits: number;
  cache_misses: number;
  cache_bypass: number;
  coalesced: number;
  cost_nusd: number;
  saved_cache_nusd: number;
  saved_coalesced_nusd: number;
}

export async function usageReport(
  db: D1Database,
  range: RangeName,
  key: string | null,
  nowMs: number,
): Promise<UsageReport> {
  const to = Math.floor(nowMs / 1000);
  const from = Math.floor((to - RANGES[range]) / 3600) * 3600;
  const where = `hour >= ?1 ${key ? 'AND key_id = ?2' : ''}`;
  const args = key ? [from, key] : [from];
  const [hours, kinds, latency] = await db.batch([
    db
      .prepare(
        `SELECT hour, sum(requests) AS requests, sum(images) AS images, sum(errors) AS errors, sum(cache_hits) AS cache_hits,
         sum(cache_misses) AS cache_misses, sum(cache_bypass) AS cache_bypass, sum(coalesced) AS coalesced, sum(cost_nusd) AS cost_nusd,
         sum(saved_cache_nusd) AS saved_cache_nusd, sum(saved_coalesced_nusd) AS saved_coalesced_nusd
       FROM usage_hourly WHERE ${where} GROUP BY hour ORDER BY hour`,
      )
      .bind(...args),
    db.prepare(`SELECT kind, sum(count) AS n FROM errors_hourly WHERE ${where} GROUP BY kind`).bind(...args),
    db
      .prepare(
        `SELECT hour, metric, bucket, sum(count) AS n FROM latency_hourly WHERE ${where} GROUP BY hour, metric, bucket`,
      )
      .bind(...args),
  ]);
  const rows = hours.results as unknown as HourRow[];
  const hist = (metric: string, hour?: number) => {
    const m = new Map<number, number>();
    for (const r of latency.results as { hour: number; metric: string; bucket: number; n: number }[]) {
      if (r.metric === metric && (hour === undefined || r.hour === hour)) m.set(r.bucket, (m.get(r.bucket) ?? 0) + r.n);
    }
    return m;
  };
  const sum = (f: keyof HourRow) => rows.reduce((a, r) => a + (r[f] ?? 0), 0);
  const byHour = new Map(rows.map((r) => [r.hour, r]));
  const series: UsagePoint[] = [];
  for (let t = from; t <= to; t += 3600) {
    const r = byHour.get(t);
    const ttfb = r ? hist('ttfb', t) : new Map();
    const total = r ? hist('total', t) : new Map();
    series.push({
      t,
      requests: r?.requests ?? 0,
      images: r?.images ?? 0,
      errors: r?.errors ?? 0,
      cache_hits: r?.cache_hits ?? 0,
      cache_misses: r?.cache_misses ?? 0,
      coalesced: r?.coalesced ?? 0,
      cost_usd: fromNusd(r?.cost_nusd ?? 0),
      saved_usd: fromNusd((r?.saved_cache_nusd ?? 0) + (r?.saved_coalesced_nusd ?? 0)),
      ttfb_p50_ms: quantileOf(ttfb, 0.5),
      ttfb_p95_ms: quantileOf(ttfb, 0.95),
      total_p50_ms: quantileOf(total, 0.5),
      total_p95_ms: quantileOf(total, 0.95),
    });
  }
  const hits = sum('cache_hits');
  const misses = sum('cache_misses');
  const ttfb = hist('ttfb');
  const total = hist('total');
  return {
    object: 'usage',
    range,
    key,
    from,
    to,
    step: 3600,
    totals: {
      requests: sum('requests'),
      images: sum('images'),
      errors: sum('errors'),
      errors_by_kind: Object.fromEntries((kinds.results as { kind: ErrorKind; n: number }[]).map((k) => [k.kind, k.n])),
      cache_hits: hits,
      cache_misses: misses,
      cache_bypass: sum('cache_bypass'),
      coalesced: sum('coalesced'),
      hit_ratio: hits + misses ? Math.round((hits / (hits + misses)) * 1e4) / 1e4 : 0,
      cost_usd: fromNusd(sum('cost_nusd')),
      saved_cache_usd: fromNusd(sum('saved_cache_nusd')),
      saved_coalesced_usd: fromNusd(sum('saved_coalesced_nusd')),
      ttfb_ms: { p50: quantileOf(ttfb, 0.5), p95: quantileOf(ttfb, 0.95) },
      total_ms: { p50: quantileOf(total, 0.5), p95: quantileOf(total, 0.95) },
    },
    series,
  };
}

export interface KeyUsage {
  requests_today: number;
  requests_total: number;
  last_used: number | null;
}

/** Requests today (UTC) and in total, and when each key was last used. */
export async function keyUsage(db: D1Database, nowMs: number): Promise<Map<string, KeyUsage>> {
  const today = Math.floor(nowMs / 86_400_000) * 86_400;
  const [day, totals] = await db.batch([
    db.prepare('SELECT key_id, sum(requests) AS n FROM usage_hourly WHERE hour >= ?1 GROUP BY key_id').bind(today),
    db.prepare('SELECT key_id, requests, last_used FROM key_totals'),
  ]);
  const out = new Map<string, KeyUsage>();
  for (const t of totals.results as { key_id: string; requests: number; last_used: number }[]) {
    out.set(t.key_id, { requests_today: 0, requests_total: t.requests, last_used: t.last_used || null });
  }
  for (const d of day.results as { key_id: string; n: number }[]) {
    const u = out.get(d.key_id) ?? { requests_today: 0, requests_total: 0, last_used: null };
    u.requests_today = d.n;
    out.set(d.key_id, u);
  }
  return out;
}

export interface RecentRow {
  seq: number;
  at: number;
  key_id: string;
  status: number;
  error_kind: ErrorKind | null;
  cache: string | null;
  coalesced: number;
  provider: string | null;
  generation_id: string | null;
  images: number;
  cost_nusd: number;
  saved_nusd: number;
  ttfb_ms: number;
  total_ms: number;
}

export async function recentGenerations(
  db: D1Database,
  q: { key?: string; status?: 'ok' | 'error'; before?: number; limit: number },
): Promise<RecentRow[]> {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (q.key) where.push(`key_id = ?${args.push(q.key)}`);
  if (q.status === 'ok') where.push('status < 400');
  if (q.status === 'error') where.push('status >= 400');
  if (q.before) where.push(`seq < ?${args.push(q.before)}`);
  const sql = `SELECT * FROM recent_generations ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?${args.push(q.limit)}`;
  return (
    await db
      .prepare(sql)
      .bind(...args)
      .all<RecentRow>()
  ).results;
}
