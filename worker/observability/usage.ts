// What the operator console counts: one sample per generation request (POST
// /v1/chat/completions or /v1/images/generations, refused ones included), taken where the
// request's log line is written (worker/middleware/request-context.ts). Samples are folded per
// isolate into per-key-per-hour sums and written to D1 (./usage-store.ts) in one batch at most
// once a second, from waitUntil: never on the path of an answer. A batch is bounded: past
// MAX_RECENT_PER_BATCH requests its recent-list rows are dropped (the sums stay exact), and past
// MAX_GROUPS_PER_BATCH distinct (hour, key) groups new samples are dropped and counted in a log line.
import type { ErrorKind, PrincipalKind } from '../../shared/admin';
import type { CacheStatus } from '../../shared/headers';
import type { Env, Outcome } from '../env';
import { numberOr } from '../lib/settings';
import { logLine } from './log';
import { writeUsageBatch } from './usage-store';

export interface UsageSample {
  /** Unix ms when the request arrived. */
  at: number;
  keyId: string;
  status: number;
  cache: CacheStatus | null;
  coalesced: boolean;
  provider: string | null;
  generationId: string | null;
  images: number;
  costNusd: number;
  savedCacheNusd: number;
  savedCoalescedNusd: number;
  ttfbMs: number;
  totalMs: number;
}

export type { ErrorKind };

/** The kind of a failed request, from its status (null when it did not fail). */
export function errorKindOf(status: number): ErrorKind | null {
  if (status < 400) return null;
  if (status === 401 || status === 403) return 'auth';
  if (status === 429) return 'rate_limited';
  if (status === 499) return 'client_closed';
  if (status === 408 || status === 504) return 'timeout';
  if (status >= 500 || status === 402) return 'upstream';
  return 'invalid_request';
}

/** USD to integer nano-USD: sums of these are exact. */
export const toNusd = (usd: number | undefined) => (Number.isFinite(usd) ? Math.round((usd as number) * 1e9) : 0);
export const fromNusd = (n: number) => Math.round(n) / 1e9;

/** Who a request is counted under: a key's id, or one bucket per keyless kind (never an IP). */
export function usageKeyOf(principal: { kind: PrincipalKind; id: string } | undefined): string {
  if (!principal) return 'anonymous';
  return principal.kind === 'secret' || principal.kind === 'publishable' ? principal.id : principal.kind;
}

/** Latency histogram bucket: b holds times up to 2^((b+1)/4) ms (steps of about 19%). */
export function latencyBucket(ms: number): number {
  return Math.max(0, Math.min(120, Math.floor(4 * Math.log2(Math.max(1, ms)))));
}
export const bucketUpperMs = (b: number) => Math.round(2 ** ((b + 1) / 4));

/** The q-quantile (0..1) of a histogram {bucket: count}, as its bucket's upper bound; null if empty. */
export function quantileOf(hist: Map<number, number>, q: number): number | null {
  const total = [...hist.values()].reduce((a, b) => a + b, 0);
  if (!total) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const b of [...hist.keys()].sort((x, y) => x - y)) {
    seen += hist.get(b)!;
    if (seen >= rank) return bucketUpperMs(b);
  }
  return null;
}

/** Every path that runs generations, in both dialects. */
export const GENERATION_PATHS = new Set([
  '/v1/chat/completions',
  '/v1/images/generations',
  '/v1/images/edits',
  '/api/v1/chat/completions',
  '/api/v1/images',
]);

export interface RequestFacts {
  at: number;
  status: number;
  ttfbMs: number;
  totalMs: number;
  principal?: { kind: PrincipalKind; id: string };
  cacheHeader?: string | null;
  providerHeader?: string | null;
  generationHeader?: string | null;
  outcome?: Outcome;
}

export function usageSampleOf(f: RequestFacts): UsageSample {
  const o = f.outcome;
  const meta = o?.meta;
  const status = o?.status ?? f.status;
  const cache = (meta?.cache ?? f.cacheHeader ?? null) as CacheStatus | null;
  const coalesced = Boolean(meta?.joined);
  return {
    at: f.at,
    keyId: usageKeyOf(f.principal),
    status,
    cache: cache === 'HIT' || cache === 'MISS' || cache === 'BYPASS' ? cache : null,
    coalesced,
    provider: (meta?.provider ?? f.providerHeader ?? null)?.slice(0, 40) ?? null,
    generationId: (meta?.generationId ?? f.generationHeader?.split(',')[0]?.trim() ?? null)?.slice(0, 40) || null,
    images: o?.images ?? 0,
    costNusd: toNusd(o?.costUsd),
    savedCacheNusd: cache === 'HIT' ? toNusd(meta?.savedUsd) : 0,
    // A joined request paid nothing for a generation that cost what the one it joined paid.
    savedCoalescedNusd: coalesced && cache !== 'HIT' ? toNusd(o?.listCostUsd) : 0,
    ttfbMs: Math.max(0, Math.round(f.ttfbMs)),
    totalMs: Math.max(0, Math.round(f.totalMs)),
  };
}

/** Per (hour, key) sums of a batch. */
export interface HourGroup {
  hour: number;
  keyId: string;
  requests: number;
  images: number;
  errors: number;
  cacheHits: number;
  cacheMisses: number;
  cacheBypass: number;
  coalesced: number;
  costNusd: number;
  savedCacheNusd: number;
  savedCoalescedNusd: number;
  lastUsed: number;
  errorKinds: Map<ErrorKind, number>;
  ttfb: Map<number, number>;
  total: Map<number, number>;
}

export interface UsageBatch {
  groups: Map<string, HourGroup>;
  recent: UsageSample[];
}

export const MAX_RECENT_PER_BATCH = 200;
export const MAX_GROUPS_PER_BATCH = 1000;

export const emptyBatch = (): UsageBatch => ({ groups: new Map(), recent: [] });

const bump = <K>(m: Map<K, number>, k: K) => m.set(k, (m.get(k) ?? 0) + 1);

/** Folds one sample into a batch; false when the batch is full and the sample was dropped. */
export function addSample(batch: UsageBatch, s: UsageSample): boolean {
  const hour = Math.floor(s.at / 3_600_000) * 3600;
  const id = `${hour}|${s.keyId}`;
  let g = batch.groups.get(id);
  if (!g) {
    if (batch.groups.size >= MAX_GROUPS_PER_BATCH) return false;
    g = {
      hour,
      keyId: s.keyId,
      requests: 0,
      images: 0,
      errors: 0,
      cacheHits: 0,
      cacheMisses: 0,
      cacheBypass: 0,
      coalesced: 0,
      costNusd: 0,
      savedCacheNusd: 0,
      savedCoalescedNusd: 0,
      lastUsed: 0,
      errorKinds: new Map(),
      ttfb: new Map(),
      total: new Map(),
    };
    batch.groups.set(id, g);
  }
  g.requests++;
  g.images += s.images;
  const kind = errorKindOf(s.status);
  if (kind) {
    g.errors++;
    bump(g.errorKinds, kind);
  }
  if (s.cache === 'HIT') g.cacheHits++;
  else if (s.cache === 'MISS') g.cacheMisses++;
  else if (s.cache === 'BYPASS') g.cacheBypass++;
  if (s.coalesced) g.coalesced++;
  g.costNusd += s.costNusd;
  g.savedCacheNusd += s.savedCacheNusd;
  g.savedCoalescedNusd += s.savedCoalescedNusd;
  g.lastUsed = Math.max(g.lastUsed, Math.floor(s.at / 1000));
  bump(g.ttfb, latencyBucket(s.ttfbMs));
  bump(g.total, latencyBucket(s.totalMs));
  if (batch.recent.length < MAX_RECENT_PER_BATCH) batch.recent.push(s);
  return true;
}

/** How long the request that opens a batch waits for more samples (USAGE_FLUSH_MS). */
const FLUSH_AFTER_MS = 1000;
let pending = emptyBatch();
let pendingCount = 0;
let dropped = 0;
/** After a failed write (e.g. migrations not applied), this isolate stops trying for a while. */
let pausedUntil = 0;
const PAUSE_AFTER_FAILURE_MS = 60_000;

/**
 * Queues a sample; the request that opens a batch keeps itself alive (waitUntil) to write it.
 * Without a USAGE binding (D1) the console simply has no data.
 */
export async function recordUsage(env: Env, sample: UsageSample): Promise<void> {
  if (!env.USAGE || Date.now() < pausedUntil) return;
  if (!addSample(pending, sample)) dropped++;
  if (++pendingCount > 1) return;
  await new Promise((r) => setTimeout(r, numberOr(env.USAGE_FLUSH_MS, FLUSH_AFTER_MS)));
  const batch = pending;
  const lost = dropped;
  pending = emptyBatch();
  pendingCount = 0;
  dropped = 0;
  if (lost) logLine({ level: 'warn', msg: 'usage batch full; samples dropped', dropped: lost });
  try {
    await writeUsageBatch(env.USAGE, batch, Date.now());
  } catch (err) {
    pausedUntil = Date.now() + PAUSE_AFTER_FAILURE_MS;
    logLine({
      level: 'error',
      msg: 'usage write failed; the console misses this batch (run the D1 migrations?)',
      error: String(err),
    });
  }
}
