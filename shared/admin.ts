// The admin API's answers as the console reads them (GET /v1/admin/keys, /usage, /generations).
// The Worker builds them (worker/routes/admin.ts, worker/observability/usage-store.ts); the
// console (web/src/admin, through web/src/lib/admin-api.ts) only reads them.

/** Who made a request: a secret or publishable key, the keyless playground, or sk-local-dev. */
export type PrincipalKind = 'secret' | 'publishable' | 'playground' | 'dev';

export type ErrorKind = 'invalid_request' | 'auth' | 'rate_limited' | 'upstream' | 'timeout' | 'client_closed';
export const RANGE_NAMES = ['1h', '24h', '7d', '30d'] as const;
export type RangeName = (typeof RANGE_NAMES)[number];
/** The header a cookie-authenticated call that changes something must carry. */
export const CSRF_HEADER = 'x-darkroom-csrf';

export interface UsagePoint {
  /** Unix seconds: the start of the UTC hour. */
  t: number;
  requests: number;
  images: number;
  errors: number;
  cache_hits: number;
  cache_misses: number;
  coalesced: number;
  cost_usd: number;
  saved_usd: number;
  ttfb_p50_ms: number | null;
  ttfb_p95_ms: number | null;
  total_p50_ms: number | null;
  total_p95_ms: number | null;
}

export interface UsageReport {
  object: 'usage';
  range: RangeName;
  key: string | null;
  /** Unix seconds: the first hour counted, and now. Ranges are whole UTC hours. */
  from: number;
  to: number;
  step: number;
  totals: {
    requests: number;
    images: number;
    errors: number;
    errors_by_kind: Partial<Record<ErrorKind, number>>;
    cache_hits: number;
    cache_misses: number;
    cache_bypass: number;
    coalesced: number;
    hit_ratio: number;
    cost_usd: number;
    saved_cache_usd: number;
    saved_coalesced_usd: number;
    ttfb_ms: { p50: number | null; p95: number | null };
    total_ms: { p50: number | null; p95: number | null };
  };
  series: UsagePoint[];
}

export interface AdminKey {
  object: 'api_key';
  id: string;
  type: 'secret' | 'publishable';
  name: string;
  created: number;
  revoked?: number;
  origins?: string[];
  limits: { rpm: number; concurrency: number; daily_usd: number; window_s?: number };
  cache?: 'key' | 'shared';
  prefix: string;
  spent_today_usd: number;
  spent_total_usd: number;
  requests_today: number;
  requests_total: number;
  last_used: number | null;
}

export interface RecentGeneration {
  object: 'generation_request';
  seq: number;
  /** Unix ms. */
  at: number;
  key_id: string;
  key_name: string | null;
  status: number;
  error_kind: ErrorKind | null;
  cache: 'HIT' | 'MISS' | 'BYPASS' | null;
  coalesced: boolean;
  provider: string | null;
  generation_id: string | null;
  images: number;
  cost_usd: number;
  saved_usd: number;
  ttfb_ms: number;
  total_ms: number;
  prompt: string | null;
  thumbnail_url: string | null;
  share_url: string | null;
  record_url: string | null;
}
