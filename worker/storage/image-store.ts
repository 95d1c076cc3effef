// Generated images in R2, content-addressed: key = `<sha256>.<ext>`, written once, never changed.
// A small per-isolate memory in front saves repeat R2 round trips; R2 stays the source of truth.
import { bounded } from '../lib/bounded';
import { STORAGE_TIMEOUT_MS } from '../lib/settings';

export interface ImageStore {
  /** Stores bytes under key (idempotent). Throws when the write failed. */
  put(key: string, bytes: Uint8Array, contentType: string): Promise<void>;
  get(key: string): Promise<{ bytes: Uint8Array; contentType: string } | null>;
}

/** What we stored of one generated image (the record, the cache entry and the answer refer to it). */
export interface StoredImage {
  /** R2 key, `<sha256>.<ext>`; null when the R2 write failed and the data URL is all we have. */
  key: string | null;
  sha256: string;
  content_type: string;
  bytes: number;
  width?: number;
  height?: number;
  /** The data URL is plain base64 (no whitespace), safe to splice into JSON unescaped. */
  b64clean?: boolean;
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

export function r2ImageStore(bucket: R2Bucket, opts: { timeoutMs?: number } = {}): ImageStore {
  const timeoutMs = opts.timeoutMs ?? STORAGE_TIMEOUT_MS;
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
