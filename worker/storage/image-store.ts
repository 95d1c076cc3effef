// Generated images in R2, content-addressed: key = `<sha256>.<ext>`, written once, never changed.
// Their variants live beside them under `<sha256>/<size>.<format>` (shared/variants.ts), also
// written once (a conditional put: the first writer wins, so a URL's bytes never change).
// A small per-isolate memory in front saves repeat R2 round trips; R2 stays the source of truth.
import type { DarkroomImage } from '../../shared/api';
import { listVariants, type Variant } from '../../shared/variants';
import { bounded } from '../lib/bounded';
import { SizedCache } from '../lib/sized-cache';
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

/** What a client sees of a stored image: our URL on its origin and the variants, never the R2 key. */
export function darkroomImage(stored: StoredImage, origin: string): DarkroomImage {
  const url = stored.key ? `${origin}/i/${stored.key}` : null;
  return {
    url,
    sha256: stored.sha256,
    content_type: stored.content_type,
    bytes: stored.bytes,
    ...(stored.width ? { width: stored.width, height: stored.height } : {}),
    ...(url ? { variants: listVariants(url, stored.width, stored.height) } : {}),
  };
}

const IMAGE_KEY = /^[0-9a-f]{64}\.(png|jpg|webp|gif)$/;
export const isImageKey = (key: string) => IMAGE_KEY.test(key);
export const isSha256 = (s: string) => /^[0-9a-f]{64}$/.test(s);

/** R2 key of a variant: beside its original, under the same content hash. */
export const variantKey = (sha256: string, v: Variant) => `${sha256}/${v.size}.${v.format}`;

export const IMMUTABLE = 'public, max-age=31536000, immutable';

/** The key of the original with this content hash (its extension is not in a variant's URL), or null. */
export async function findOriginalKey(
  bucket: R2Bucket,
  sha256: string,
  timeoutMs = STORAGE_TIMEOUT_MS,
): Promise<string | null> {
  const listed = await bounded(bucket.list({ prefix: `${sha256}.`, limit: 8 }), timeoutMs, `R2 list ${sha256}`);
  return listed.objects.map((o) => o.key).find(isImageKey) ?? null;
}

/**
 * Stores a variant unless one is there already. Returns the bytes now stored under the key: ours,
 * or the first writer's when another request made it at the same time.
 */
export async function putVariantOnce(
  bucket: R2Bucket,
  key: string,
  bytes: Uint8Array,
  contentType: string,
  timeoutMs = STORAGE_TIMEOUT_MS,
): Promise<Uint8Array> {
  const put = await bounded(
    bucket.put(key, bytes, {
      httpMetadata: { contentType, cacheControl: IMMUTABLE },
      onlyIf: { etagDoesNotMatch: '*' },
    }),
    timeoutMs,
    `R2 put ${key}`,
  );
  if (put) return bytes;
  const first = await bounded(bucket.get(key), timeoutMs, `R2 get ${key}`);
  return first ? new Uint8Array(await first.arrayBuffer()) : bytes;
}

const RECENT_BUDGET = 48 * 1024 * 1024;
const recentBytes = new SizedCache<{ bytes: Uint8Array; contentType: string }>(
  RECENT_BUDGET,
  (v) => v.bytes.byteLength,
  RECENT_BUDGET / 4,
);

export function r2ImageStore(bucket: R2Bucket, opts: { timeoutMs?: number } = {}): ImageStore {
  const timeoutMs = opts.timeoutMs ?? STORAGE_TIMEOUT_MS;
  return {
    async put(key, bytes, contentType) {
      await bounded(
        bucket.put(key, bytes, { httpMetadata: { contentType, cacheControl: IMMUTABLE } }),
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
      if (value) recentBytes.set(key, value);
      return value;
    },
  };
}
