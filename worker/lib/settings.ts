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
  };
}
