-- The operator console's store (D1, binding USAGE). Written in batches by
-- worker/observability/usage.ts, read by the admin API (worker/observability/usage-store.ts).
-- Money is integer nano-USD (1e-9), so sums are exact. Hours are unix seconds at the start of
-- the UTC hour. key_id is a key's id, or 'playground', 'dev' or 'anonymous' (refused callers).
-- Retention: hourly rows 30 days, recent_generations the last 10,000 rows, key_totals forever.
-- No prompts: the console reads them from the generation records (KV g:<id>) that hold them.

CREATE TABLE usage_hourly (
  hour INTEGER NOT NULL,
  key_id TEXT NOT NULL,
  requests INTEGER NOT NULL DEFAULT 0,
  images INTEGER NOT NULL DEFAULT 0,
  errors INTEGER NOT NULL DEFAULT 0,
  cache_hits INTEGER NOT NULL DEFAULT 0,
  cache_misses INTEGER NOT NULL DEFAULT 0,
  cache_bypass INTEGER NOT NULL DEFAULT 0,
  coalesced INTEGER NOT NULL DEFAULT 0,
  cost_nusd INTEGER NOT NULL DEFAULT 0,
  saved_cache_nusd INTEGER NOT NULL DEFAULT 0,
  saved_coalesced_nusd INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (hour, key_id)
);

-- Errors per kind (invalid_request, auth, rate_limited, upstream, timeout, client_closed).
CREATE TABLE errors_hourly (
  hour INTEGER NOT NULL,
  key_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  count INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (hour, key_id, kind)
);

-- Latency histograms: metric 'ttfb' or 'total'; bucket b holds times up to 2^((b+1)/4) ms.
CREATE TABLE latency_hourly (
  hour INTEGER NOT NULL,
  key_id TEXT NOT NULL,
  metric TEXT NOT NULL,
  bucket INTEGER NOT NULL,
  count INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (hour, key_id, metric, bucket)
);

CREATE TABLE key_totals (
  key_id TEXT PRIMARY KEY,
  requests INTEGER NOT NULL DEFAULT 0,
  cost_nusd INTEGER NOT NULL DEFAULT 0,
  last_used INTEGER NOT NULL DEFAULT 0
);

-- One row per generation request, newest last; trimmed to the last 10,000.
CREATE TABLE recent_generations (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  key_id TEXT NOT NULL,
  status INTEGER NOT NULL,
  error_kind TEXT,
  cache TEXT,
  coalesced INTEGER NOT NULL DEFAULT 0,
  provider TEXT,
  generation_id TEXT,
  images INTEGER NOT NULL DEFAULT 0,
  cost_nusd INTEGER NOT NULL DEFAULT 0,
  saved_nusd INTEGER NOT NULL DEFAULT 0,
  ttfb_ms INTEGER NOT NULL,
  total_ms INTEGER NOT NULL
);
CREATE INDEX recent_generations_key ON recent_generations (key_id, seq);
