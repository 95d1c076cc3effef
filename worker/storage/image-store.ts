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

export function r2ImageStore(bucket: R2Bucket): ImageStore {
  return {
    async put(key, bytes, contentType) {
      await bucket.put(key, bytes, {
        httpMetadata: { contentType, cacheControl: 'public, max-age=31536000, immutable' },
      });
    },
    async get(key) {
      const hit = recentBytes.get(key);
      if (hit) return hit;
      const obj = await bucket.get(key);
      if (!obj) return null;
      const value = {
        bytes: new Uint8Array(await obj.arrayBuffer()),
        contentType: obj.httpMetadata?.contentType ?? 'application/octet-stream',
      };
      remember(key, value);
      return value;
    },
  };
}
