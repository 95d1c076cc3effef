// Bindings and settings the Worker reads. Strings come from wrangler.toml [vars], .dev.vars,
// secrets, or the process environment under `npm start`.
import type { GenerationCoordinator } from './generation/coordinator';
import type { LimitCounter } from './access/limit-counter';
import type { StatsCounter } from './observability/stats-counter';

export interface Env {
  ASSETS: Fetcher;
  CACHE: KVNamespace;
  RECORDS: KVNamespace;
  IMAGES: R2Bucket;
  GENERATIONS: DurableObjectNamespace<GenerationCoordinator>;
  LIMITS: DurableObjectNamespace<LimitCounter>;
  STATS: DurableObjectNamespace<StatsCounter>;

  DARKROOM_ENV?: string;
  UPSTREAM_BASE_URL?: string;
  UPSTREAM_API_KEY?: string;
  OPENROUTER_API_KEY?: string;
  OPENROUTER_BASE_URL?: string;
  /** Ordered, comma-separated list of fallback upstreams: "openrouter", "demo", or base URLs. */
  UPSTREAM_FALLBACKS?: string;
  ADMIN_TOKEN?: string;
  CACHE_TTL_SECONDS?: string;
  FIRST_BYTE_TIMEOUT_MS?: string;
  IDLE_TIMEOUT_MS?: string;
  RETRY_MAX_ATTEMPTS?: string;
  RETRY_BASE_MS?: string;
  RETRY_MAX_TOTAL_MS?: string;
  KEEPALIVE_MS?: string;
  [key: string]: unknown;
}

/** Hono's environment type for every route and middleware. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    startedAt: number;
  };
}
