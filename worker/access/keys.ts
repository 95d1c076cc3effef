// API keys. Only a SHA-256 of a key is ever stored (RECORDS `k:<hash>`), with its name,
// creation time, limits and, for publishable keys, the origins it may be used from. The format
// lives in ./records (shared with scripts/keys.mjs); this file reads and writes it.
import type { Env } from '../env';
import { originCandidates } from './origins';
import {
  type CacheScope,
  type KeyLimits,
  type KeyRecord,
  type KeyType,
  type SpendSnapshot,
  generateKey,
  hashKey,
  indexWith,
  indexWithout,
  kvKey,
  newKeyRecord,
} from './records';

export { DEFAULT_LIMITS, KEY_FORMAT, hashKey, type KeyLimits, type KeyRecord, type KeyType } from './records';

/** How long an isolate trusts what it read about a key (revocation takes at most this long here). */
const KEY_CACHE_MS = 5_000;

export async function createKey(
  env: Env,
  opts: { type: KeyType; name: string; origins?: string[]; limits?: Partial<KeyLimits>; cache?: CacheScope },
): Promise<{ key: string; record: KeyRecord }> {
  const key = generateKey(opts.type);
  const hash = await hashKey(key);
  const record = newKeyRecord(key, hash, opts);
  await env.RECORDS.put(kvKey.record(hash), JSON.stringify(record));
  await env.RECORDS.put(kvKey.id(record.id), hash);
  for (const pattern of record.origins ?? []) {
    const ids = await env.RECORDS.get<string[]>(kvKey.origin(pattern), 'json');
    await env.RECORDS.put(kvKey.origin(pattern), JSON.stringify(indexWith(ids, record.id)));
    originCache.delete(pattern);
  }
  return { key, record };
}

const recent = new Map<string, { record: KeyRecord | null; until: number }>();

/** The record of a presented key; null when unknown. Cached per isolate for a few seconds. */
export async function findKey(env: Env, key: string): Promise<KeyRecord | null> {
  const hash = await hashKey(key);
  const now = Date.now();
  const hit = recent.get(hash);
  if (hit && hit.until > now) return hit.record;
  const record = await env.RECORDS.get<KeyRecord>(kvKey.record(hash), 'json');
  recent.delete(hash);
  recent.set(hash, { record, until: now + KEY_CACHE_MS });
  if (recent.size > 1000) recent.delete(recent.keys().next().value!);
  return record;
}

export async function listKeys(env: Env): Promise<KeyRecord[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.RECORDS.list({ prefix: 'k:', cursor });
    names.push(...page.keys.map((k) => k.name));
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  const records = await Promise.all(names.map((n) => env.RECORDS.get<KeyRecord>(n, 'json')));
  return records
    .filter((r): r is KeyRecord => r !== null)
    .sort((a, b) => a.created - b.created || a.id.localeCompare(b.id));
}

export async function spendSnapshot(env: Env, id: string): Promise<SpendSnapshot | null> {
  return env.RECORDS.get<SpendSnapshot>(kvKey.spend(id), 'json');
}

export async function revokeKey(env: Env, id: string): Promise<KeyRecord | null> {
  if (!/^[0-9a-f]{16}$/.test(id)) return null;
  const hash = await env.RECORDS.get(kvKey.id(id));
  if (!hash) return null;
  const record = await env.RECORDS.get<KeyRecord>(kvKey.record(hash), 'json');
  if (!record) return null;
  if (!record.revoked) {
    record.revoked = Math.floor(Date.now() / 1000);
    await env.RECORDS.put(kvKey.record(hash), JSON.stringify(record));
  }
  for (const pattern of record.origins ?? []) {
    const ids = indexWithout(await env.RECORDS.get<string[]>(kvKey.origin(pattern), 'json'), record.id);
    if (ids.length) await env.RECORDS.put(kvKey.origin(pattern), JSON.stringify(ids));
    else await env.RECORDS.delete(kvKey.origin(pattern));
    originCache.delete(pattern);
  }
  recent.delete(hash);
  return record;
}

const originCache = new Map<string, { live: boolean; until: number }>();

async function patternIsLive(env: Env, pattern: string): Promise<boolean> {
  const now = Date.now();
  const hit = originCache.get(pattern);
  if (hit && hit.until > now) return hit.live;
  const ids = await env.RECORDS.get<string[]>(kvKey.origin(pattern), 'json');
  const live = Boolean(ids?.length);
  originCache.set(pattern, { live, until: now + KEY_CACHE_MS });
  if (originCache.size > 1000) originCache.delete(originCache.keys().next().value!);
  return live;
}

/** Whether any live publishable key allows this origin (answers CORS preflights). */
export async function originHasKeys(env: Env, origin: string): Promise<boolean> {
  const live = await Promise.all(originCandidates(origin).map((p) => patternIsLive(env, p)));
  return live.some(Boolean);
}
