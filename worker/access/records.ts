// The stored format of API keys in the RECORDS namespace: the one definition shared by the Worker
// (worker/access/keys.ts) and the keys CLI (scripts/keys.mjs loads this file with Node's type
// stripping, so it has no runtime imports).
//
//   k:<sha256 of the key>   KeyRecord (JSON); the key itself is never stored
//   kid:<id>                the sha256, to revoke by id
//   o:<origin pattern>      JSON array of the ids of live publishable keys listing the pattern
//                           (answers CORS preflights, which carry no key)
//   s:<id>                  SpendSnapshot (JSON), written by the key's LimitCounter a moment
//                           after it books spend; the counter itself is the truth

export type KeyType = 'secret' | 'publishable';
/**
 * Whose cache entries a key reads and writes: only its own ('key'), or the one global scope
 * every 'shared' key reads and writes (their seeded requests answer each other).
 */
export type CacheScope = 'key' | 'shared';

export interface KeyLimits {
  /** Requests per window (the window is RATE_LIMIT_WINDOW_S, default 60 s, unless window_s is set). */
  rpm: number;
  /** Generations running at once. */
  concurrency: number;
  /** USD per UTC day; negative = no cap. */
  daily_usd: number;
  /** Rate window of this key in seconds (optional; default RATE_LIMIT_WINDOW_S). */
  window_s?: number;
}

export interface KeyRecord {
  id: string;
  type: KeyType;
  name: string;
  /** Unix seconds. */
  created: number;
  revoked?: number;
  origins?: string[];
  limits: KeyLimits;
  /** Cache scope; absent means 'key' (its own). */
  cache?: CacheScope;
  /** The first characters of the key, to recognise it in listings. */
  prefix: string;
}

/** Every cache scope a key may be created with (the CLI validates --cache against it). */
export const CACHE_SCOPES: readonly CacheScope[] = ['key', 'shared'];

export interface SpendSnapshot {
  day: string;
  usd: number;
  total_usd: number;
  updated: number;
}

export const DEFAULT_LIMITS: Record<KeyType, KeyLimits> = {
  secret: { rpm: 60, concurrency: 4, daily_usd: 50 },
  publishable: { rpm: 20, concurrency: 2, daily_usd: 5 },
};

export const KEY_FORMAT = /^(sk|pk)_[0-9A-Za-z]{24,64}$/;

export const kvKey = {
  record: (hash: string) => `k:${hash}`,
  id: (id: string) => `kid:${id}`,
  origin: (pattern: string) => `o:${pattern}`,
  spend: (id: string) => `s:${id}`,
};

export async function hashKey(key: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key)));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A new key: prefix + 32 unbiased base62 characters (190 bits). */
export function generateKey(type: KeyType): string {
  let out = '';
  while (out.length < 32) {
    for (const b of crypto.getRandomValues(new Uint8Array(48))) {
      if (b < 248 && out.length < 32) out += BASE62[b % 62]; // 248 = 4 * 62: no modulo bias
    }
  }
  return `${type === 'secret' ? 'sk' : 'pk'}_${out}`;
}

/** Problems with requested limits, or null. */
export function limitsProblem(l: Partial<KeyLimits>): string | null {
  const int = (v: unknown, lo: number, hi: number) =>
    v === undefined || (Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi);
  if (!int(l.rpm, 1, 1_000_000)) return 'rpm must be an integer from 1 to 1000000';
  if (!int(l.concurrency, 1, 10_000)) return 'concurrency must be an integer from 1 to 10000';
  if (!int(l.window_s, 1, 86_400)) return 'window_s must be an integer from 1 to 86400';
  if (
    l.daily_usd !== undefined &&
    !(typeof l.daily_usd === 'number' && Number.isFinite(l.daily_usd) && l.daily_usd <= 1_000_000)
  ) {
    return 'daily_usd must be a number up to 1000000 (negative: no cap)';
  }
  return null;
}

/** The record of a new key; `origins` must already be canonical (parseOriginPattern). */
export function newKeyRecord(
  key: string,
  hash: string,
  opts: {
    type: KeyType;
    name: string;
    origins?: string[];
    limits?: Partial<KeyLimits>;
    cache?: CacheScope;
    now?: number;
  },
): KeyRecord {
  const limits: KeyLimits = { ...DEFAULT_LIMITS[opts.type] };
  for (const [k, v] of Object.entries(opts.limits ?? {}))
    if (v !== undefined) (limits as unknown as Record<string, number>)[k] = v;
  return {
    id: hash.slice(0, 16),
    type: opts.type,
    name: opts.name,
    created: Math.floor((opts.now ?? Date.now()) / 1000),
    ...(opts.type === 'publishable' ? { origins: [...new Set(opts.origins ?? [])] } : {}),
    limits,
    ...(opts.cache ? { cache: opts.cache } : {}),
    prefix: key.slice(0, 7),
  };
}

/** The origin index after adding or removing one key id. */
export function indexWith(ids: string[] | null, id: string): string[] {
  return [...new Set([...(ids ?? []), id])];
}
export function indexWithout(ids: string[] | null, id: string): string[] {
  return (ids ?? []).filter((x) => x !== id);
}
