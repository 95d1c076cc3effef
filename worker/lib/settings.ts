// The one reader of the Worker's numeric settings (wrangler.toml [vars], .dev.vars, secrets):
// each is read here, with its default, and nowhere else.
import { numberOr } from '../../shared/parse';
import type { Env } from '../env';

export { numberOr };

export interface Settings {
  retry: { firstByteMs: number; maxAttempts: number; baseMs: number; maxTotalMs: number };
  /** Upstream silence (no byte) before the stream fails with a 504 event. */
  idleMs: number;
  /** Upstream activity without progress (no chunk) before the same. */
  progressMs: number;
  /** One R2 operation; a put that takes longer falls back to a data URL. */
  storageMs: number;
  /** A cache lookup in KV; longer counts as a miss. */
  kvReadMs: number;
  /** A KV write (cache entry, generation record) in the background. */
  kvWriteMs: number;
  /** Client silence before an SSE keep-alive comment (0: never). */
  keepAliveMs: number;
  demoDelayMs: number;
  /** Pause before each demo preview; previews per demo image (0: none). */
  demoPartialDelayMs: number;
  demoPartialImages: number;
  /** Images API requests use the upstream's /images route (UPSTREAM_IMAGES_API=off: never). */
  upstreamImagesApi: boolean;
  /** A request body must arrive within this (BODY_TIMEOUT_MS), else 408. */
  bodyTimeoutMs: number;
  /** Reads of records and share pages per IP per rate window (RECORDS_RPM). */
  recordsRpm: number;
  /** Wrong admin tokens (sign-in form or bearer) per IP per 15 minutes before every try is refused (ADMIN_AUTH_FAILURES). */
  adminAuthFailures: number;
  /** A playground Turnstile session: its life in seconds and the generations it is good for. */
  sessionSeconds: number;
  sessionGenerations: number;
  /** A request waits this long for an image variant being made, then gets the original (the variant is still stored). */
  imageTransformMs: number;
  /** New image variants (billed transforms) a client IP may start per minute (IMAGE_TRANSFORMS_RPM). */
  imageTransformsRpm: number;
}

export const STORAGE_TIMEOUT_MS = 20_000;

export function settings(env: Env): Settings {
  return {
    retry: {
      firstByteMs: numberOr(env.FIRST_BYTE_TIMEOUT_MS, 300_000),
      maxAttempts: Math.max(1, numberOr(env.RETRY_MAX_ATTEMPTS, 3)),
      baseMs: numberOr(env.RETRY_BASE_MS, 500),
      maxTotalMs: numberOr(env.RETRY_MAX_TOTAL_MS, 30_000),
    },
    idleMs: numberOr(env.IDLE_TIMEOUT_MS, 150_000),
    progressMs: numberOr(env.PROGRESS_TIMEOUT_MS, 600_000),
    storageMs: numberOr(env.STORAGE_TIMEOUT_MS, STORAGE_TIMEOUT_MS),
    kvReadMs: 5_000,
    kvWriteMs: 10_000,
    keepAliveMs: numberOr(env.KEEPALIVE_MS, 15_000),
    demoDelayMs: numberOr(env.DEMO_DELAY_MS, 40),
    demoPartialDelayMs: numberOr(env.DEMO_PARTIAL_DELAY_MS, numberOr(env.DEMO_DELAY_MS, 40) > 0 ? 400 : 0),
    demoPartialImages: Math.max(0, Math.min(3, numberOr(env.DEMO_PARTIAL_IMAGES, 2))),
    upstreamImagesApi:
      String(env.UPSTREAM_IMAGES_API ?? '')
        .trim()
        .toLowerCase() !== 'off',
    bodyTimeoutMs: Math.max(1, numberOr(env.BODY_TIMEOUT_MS, 30_000)),
    recordsRpm: Math.max(1, numberOr(env.RECORDS_RPM, 120)),
    adminAuthFailures: Math.max(1, numberOr(env.ADMIN_AUTH_FAILURES, 10)),
    sessionSeconds: Math.max(60, numberOr(env.PLAYGROUND_SESSION_S, 1800)),
    sessionGenerations: Math.max(1, numberOr(env.PLAYGROUND_SESSION_GENERATIONS, 20)),
    imageTransformMs: numberOr(env.IMAGE_TRANSFORM_TIMEOUT_MS, 15_000),
    imageTransformsRpm: Math.max(1, numberOr(env.IMAGE_TRANSFORMS_RPM, 60)),
  };
}

/** A string setting, trimmed; undefined when unset or empty. */
export function stringSetting(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** `npm start` and the tests: the development key works, the playground is open by default. */
export const isDevelopment = (env: Record<string, unknown>) => env.DARKROOM_ENV === 'development';

export interface FallbackSpec {
  /** "openrouter", "demo", or an OpenAI-compatible base URL. */
  target: string;
  /** The variable that holds this fallback's own key (`<base URL>|OTHER_API_KEY`). */
  keyVar?: string;
}

const KEY_VAR = /^[A-Z][A-Z0-9_]{0,63}$/;

/**
 * UPSTREAM_FALLBACKS: an ordered, comma-separated list of `openrouter`, `demo` or base URLs, each
 * URL optionally followed by `|VARIABLE`, the name of the variable holding that upstream's key
 * (`openrouter,https://other.example/v1|OTHER_API_KEY`). A base URL without one gets no key.
 */
export function upstreamFallbacks(env: Record<string, unknown>): FallbackSpec[] {
  return String(env.UPSTREAM_FALLBACKS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((item) => {
      const bar = item.lastIndexOf('|');
      if (bar < 0) return { target: item };
      const keyVar = item.slice(bar + 1).trim();
      return { target: item.slice(0, bar).trim(), ...(KEY_VAR.test(keyVar) ? { keyVar } : {}) };
    });
}
