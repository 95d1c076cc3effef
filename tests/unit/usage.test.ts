// The console's pure pieces: error kinds, latency buckets and percentiles, batch bounds.
import { describe, expect, it } from 'vitest';
import {
  addSample,
  bucketUpperMs,
  emptyBatch,
  errorKindOf,
  latencyBucket,
  MAX_GROUPS_PER_BATCH,
  MAX_RECENT_PER_BATCH,
  quantileOf,
  toNusd,
  usageKeyOf,
  type UsageSample,
} from '../../worker/observability/usage';

const sample = (over: Partial<UsageSample> = {}): UsageSample => ({
  at: Date.UTC(2026, 0, 1, 10, 30),
  keyId: 'k',
  status: 200,
  cache: 'MISS',
  coalesced: false,
  provider: 'demo',
  generationId: 'g1',
  images: 1,
  costNusd: 5,
  savedCacheNusd: 0,
  savedCoalescedNusd: 0,
  ttfbMs: 10,
  totalMs: 100,
  ...over,
});

describe('console usage', () => {
  it('classes errors by status', () => {
    expect([200, 400, 413, 401, 403, 429, 499, 502, 402, 504, 408].map(errorKindOf)).toEqual([
      null,
      'invalid_request',
      'invalid_request',
      'auth',
      'auth',
      'rate_limited',
      'client_closed',
      'upstream',
      'upstream',
      'timeout',
      'timeout',
    ]);
  });

  it('counts keyless callers in fixed buckets, never by IP', () => {
    expect(usageKeyOf({ kind: 'playground', id: '10.0.0.1' })).toBe('playground');
    expect(usageKeyOf({ kind: 'secret', id: '0123456789abcdef' })).toBe('0123456789abcdef');
    expect(usageKeyOf(undefined)).toBe('anonymous');
  });

  it('reads percentiles from log buckets within one bucket (about 19%) of the truth', () => {
    const hist = new Map<number, number>();
    for (let ms = 1; ms <= 1000; ms++) hist.set(latencyBucket(ms), (hist.get(latencyBucket(ms)) ?? 0) + 1);
    const p50 = quantileOf(hist, 0.5)!;
    const p95 = quantileOf(hist, 0.95)!;
    expect(p50).toBeGreaterThanOrEqual(500);
    expect(p50).toBeLessThanOrEqual(500 * 1.19 + 1);
    expect(p95).toBeGreaterThanOrEqual(950);
    expect(p95).toBeLessThanOrEqual(950 * 1.19 + 1);
    expect(quantileOf(new Map(), 0.5)).toBeNull();
    for (const ms of [1, 7, 250, 60_000]) expect(bucketUpperMs(latencyBucket(ms))).toBeGreaterThanOrEqual(ms);
  });

  it('folds samples per key per hour with exact money', () => {
    const b = emptyBatch();
    addSample(b, sample({ costNusd: toNusd(0.1) }));
    addSample(b, sample({ costNusd: toNusd(0.2), status: 429, cache: 'HIT', savedCacheNusd: toNusd(0.3) }));
    addSample(b, sample({ at: Date.UTC(2026, 0, 1, 11, 0) }));
    expect(b.groups.size).toBe(2);
    const g = b.groups.get(`${Date.UTC(2026, 0, 1, 10) / 1000}|k`)!;
    expect(g).toMatchObject({
      requests: 2,
      errors: 1,
      cacheHits: 1,
      cacheMisses: 1,
      costNusd: 300_000_000,
      savedCacheNusd: 300_000_000,
    });
    expect(g.errorKinds.get('rate_limited')).toBe(1);
  });

  it('bounds a batch: recent rows stop at their cap, new key-hours past theirs are dropped', () => {
    const b = emptyBatch();
    for (let i = 0; i < MAX_RECENT_PER_BATCH + 5; i++) expect(addSample(b, sample())).toBe(true);
    expect(b.recent.length).toBe(MAX_RECENT_PER_BATCH);
    expect(b.groups.get([...b.groups.keys()][0])!.requests).toBe(MAX_RECENT_PER_BATCH + 5);
    for (let i = 1; i < MAX_GROUPS_PER_BATCH; i++) addSample(b, sample({ keyId: `k${i}` }));
    expect(b.groups.size).toBe(MAX_GROUPS_PER_BATCH);
    expect(addSample(b, sample({ keyId: 'one-too-many' }))).toBe(false);
    expect(addSample(b, sample())).toBe(true);
  });
});
