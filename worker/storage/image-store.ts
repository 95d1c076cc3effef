// Generated images in R2, content-addressed: key = `<sha256>.<ext>`, written once, never changed.
// A small per-isolate memory in front saves repeat R2 round trips; R2 stays the source of truth.

export interface ImageStore {
  /** Stores bytes under key (idempotent). Throws when the write failed. */
  put(key: string, bytes: Uint8Array, contentType: string): Promise<void>;
  get(key: string): Promise<{ bytes: Uint8Array; contentType: string } | null>;
}

const IMAGE_KEY = /^[0-9a-f]{64}\.(png|jpg|webp|gif)$/;
export const isImageKey = (key: string) => IMAGE_KEY.test(key);

const recentBytes = new Map<string, { bytes: Uint8Array; contentType: string }>();
let recentTotal = 0;
const RECENT_BUDGET = 48 * 1024 * 1024;

function remember(key: string, value: { bytes: Uint8Array; contentType: string }) {
  if (value.bytes.byteLength > RECENT_BUDGET / 4) return;
  recentBytes.set(key, value);
  recentTotal += value.bytes.byteLength;
  for (const [k, v] of recentBytes) {
    if (recentTotal <= RECENT_BUDGET) break;
    recentBytes.delete(k);
    recentTotal -= v.bytes.byteLength;
  }
}

/** How long one R2 operation may take before it counts as failed (a put then falls back to a data URL). */
export const R2_TIMEOUT_MS = 20_000;

export function r2ImageStore(bucket: R2Bucket, opts: { timeoutMs?: number } = {}): ImageStore {
  const timeoutMs = opts.timeoutMs ?? R2_TIMEOUT_MS;
  return {
    async put(key, bytes, contentType) {
      await bounded(
        bucket.put(key, bytes, { httpMetadata: { contentType, cacheControl: 'public, max-age=31536000, immutable' } }),
        timeoutMs,
        `R2 put ${key}`,
      );
    },
    async get(key) {
      const hit = recentBytes.get(key);
      if (hit) return hit;
      const value = await bounded(
        (async () => {
          const obj = await bucket.get(key);
          if (!obj) return null;
          return {
            bytes: new Uint8Array(await obj.arrayBuffer()),
            contentType: obj.httpMetadata?.contentType ?? 'application/octet-stream',
          };
        })(),
        timeoutMs,
        `R2 get ${key}`,
      );
      if (value) remember(key, value);
      return value;
    },
  };
}

/** How long a cache lookup in KV may take before it counts as a miss. */
export const KV_READ_TIMEOUT_MS = 5_000;

export class StorageTimeout extends Error {}

/**
 * A storage promise that settles within ms: rejects with StorageTimeout otherwise. The late
 * outcome is swallowed (no unhandled rejection), and the timer never outlives the promise.
 */
export function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  if (!(ms > 0) || !Number.isFinite(ms)) return p;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StorageTimeout(`${what} took longer than ${ms} ms`)), ms);
  });
  p.catch(() => {});
  return Promise.race([p, timeout]).finally(() => timer !== undefined && clearTimeout(timer));
}
