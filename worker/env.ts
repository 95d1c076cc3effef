// Bindings and settings the Worker reads. The bindings (KV, R2, D1, Durable Objects, assets) and the
// [vars] of wrangler.toml (DARKROOM_ENV, CACHE_TTL_SECONDS) are generated from wrangler.toml by
// `npm run types` into worker-configuration.d.ts (Cloudflare.Env); a test fails when that file
// is stale. Below are the settings wrangler.toml does not list: secrets and optional variables,
// from `wrangler secret put`, .dev.vars, or the process environment under `npm start`.
import type { AccessContext } from './access/context';
import type { GenMeta } from './stream/events';

declare global {
  namespace Cloudflare {
    interface Env {
      UPSTREAM_BASE_URL?: string;
      UPSTREAM_API_KEY?: string;
      OPENROUTER_API_KEY?: string;
      OPENROUTER_BASE_URL?: string;
      /** Ordered, comma-separated list of fallback upstreams: "openrouter", "demo", or base URLs (`url|VARIABLE` names its key). */
      UPSTREAM_FALLBACKS?: string;
      ADMIN_TOKEN?: string;
      /** Who may use the keyless playground: open, turnstile or off (see worker/access/playground.ts). */
      PLAYGROUND?: string;
      TURNSTILE_SITE_KEY?: string;
      TURNSTILE_SECRET_KEY?: string;
      /** Turnstile's siteverify endpoint (tests point it at a local fake). */
      TURNSTILE_VERIFY_URL?: string;
      /** A request body must arrive within this many ms (default 30000), else 408. */
      BODY_TIMEOUT_MS?: string;
      /** Milliseconds the console's usage batch waits for more samples before its D1 write (default 1000). */
      USAGE_FLUSH_MS?: string;
      /** Record and share-page reads per IP per rate window (default 120). */
      RECORDS_RPM?: string;
      /** Wrong admin tokens per IP per 15 minutes before every try is refused (default 10). */
      ADMIN_AUTH_FAILURES?: string;
      FIRST_BYTE_TIMEOUT_MS?: string;
      IDLE_TIMEOUT_MS?: string;
      RETRY_MAX_ATTEMPTS?: string;
      RETRY_BASE_MS?: string;
      RETRY_MAX_TOTAL_MS?: string;
      KEEPALIVE_MS?: string;
      /** How long a request waits for an image variant being made before it gets the original (default 15000). */
      IMAGE_TRANSFORM_TIMEOUT_MS?: string;
      /** New image variants a client IP may start per minute (default 60); over it, the original is served. */
      IMAGE_TRANSFORMS_RPM?: string;
      /** debug, info (default: one line per request), warn or error. */
      LOG_LEVEL?: string;
      [key: string]: unknown;
    }
  }
}

export type Env = Cloudflare.Env;

/** How a generation ended, for the log line, the stats and the spend. */
export interface Outcome {
  status: number;
  costUsd: number;
  tokens?: number;
  meta?: GenMeta;
  /** Images in the answer. */
  images?: number;
  /** What the generation cost at list price, whoever paid (a joined request pays 0 of it). */
  listCostUsd?: number;
}

/** Hono's environment type for every route and middleware. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    startedAt: number;
    /** Set by the access middleware on API routes. */
    access?: AccessContext;
    cacheKeyPrefix?: string;
    reportOutcome: (outcome: Outcome) => void;
  };
}
