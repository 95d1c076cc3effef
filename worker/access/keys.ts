// API keys. Only a SHA-256 of a key is ever stored (RECORDS `k:<hash>`), with its name,
// creation time, limits and, for publishable keys, the origins it may be used from.
// An origin index (`o:<pattern>`) lets a CORS preflight, which carries no key, be answered.
import type { Env } from '../env';
import { sha256Hex, shortId } from '../lib/bytes';

export type KeyType = 'secret' | 'publishable';

export interface KeyLimits {
  rpm: number;
  concurrency: number;
  daily_usd: number;
}

export interface KeyRecord {
  id: string;
  type: KeyType;
  name: string;
  created: number;
  revoked?: number;
  origins?: string[];
  limits: KeyLimits;
  /** The first characters of the key, to recognise it in listings. */
  prefix: string;
}

export const DEFAULT_LIMITS: Record<KeyType, KeyLimits> = {
  secret: { rpm: 60, concurrency: 4, daily_usd: 50 },
  publishable: { rpm: 20, concurrency: 2, daily_usd: 5 },
};

export const KEY_FORMAT = /^(sk|pk)_[0-9A-Za-z]{24,64}$/;
const keyRecordKey = (hash: string) => `k:${hash}`;
const keyIdKey = (id: string) => `kid:${id}`;
const originKey = (pattern: string) => `o:${pattern}`;

export async function hashKey(key: string): Promise<string> {
  return sha256Hex(key);
}

export async function createKey(
  env: Env,
  opts: { type: KeyType; name: string; origins?: string[]; limits?: Partial<KeyLimits> },
): Promise<{ key: string; record: KeyRecord }> {
  const key = `${opts.type === 'secret' ? 'sk' : 'pk'}_${shortId(32)}`;
  const hash = await hashKey(key);
  const record: KeyRecord = {
    id: hash.slice(0, 16),
    type: opts.type,
    name: opts.name,
    created: Math.floor(Date.now() / 1000),
    ...(opts.type === 'publishable' ? { origins: opts.origins ?? [] } : {}),
    limits: { ...DEFAULT_LIMITS[opts.type], ...opts.limits },
    prefix: key.slice(0, 7),
  };
  await env.RECORDS.put(keyRecordKey(hash), JSON.stringify(record));
  await env.RECORDS.put(keyIdKey(record.id), hash);
  for (const pattern of record.origins ?? []) await addToOriginIndex(env, pattern, record.id);
  return { key, record };
}

const recent = new Map<string, { record: KeyRecord | null; until: number }>();

/** The record of a presented key; null when unknown. Cached per isolate for a few seconds. */
export async function findKey(env: Env, key: string): Promise<KeyRecord | null> {
  const hash = await hashKey(key);
  const hit = recent.get(hash);
  if (hit && hit.until > Date.now()) return hit.record;
  const record = await env.RECORDS.get<KeyRecord>(keyRecordKey(hash), 'json');
  recent.set(hash, { record, until: Date.now() + 5_000 });
  if (recent.size > 1000) recent.delete(recent.keys().next().value!);
  return record;
}

export async function listKeys(env: Env): Promise<KeyRecord[]> {
  const out: KeyRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.RECORDS.list({ prefix: 'k:', cursor });
    for (const k of page.keys) {
      const r = await env.RECORDS.get<KeyRecord>(k.name, 'json');
      if (r) out.push(r);
    }
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return out.sort((a, b) => a.created - b.created);
}

export async function revokeKey(env: Env, id: string): Promise<KeyRecord | null> {
  const hash = await env.RECORDS.get(keyIdKey(id));
  if (!hash) return null;
  const record = await env.RECORDS.get<KeyRecord>(keyRecordKey(hash), 'json');
  if (!record) return null;
  record.revoked ??= Math.floor(Date.now() / 1000);
  await env.RECORDS.put(keyRecordKey(hash), JSON.stringify(record));
  for (const pattern of record.origins ?? []) await removeFromOriginIndex(env, pattern, record.id);
  recent.delete(hash);
  return record;
}

async function addToOriginIndex(env: Env, pattern: string, id: string) {
  const ids = new Set((await env.RECORDS.get<string[]>(originKey(pattern), 'json')) ?? []);
  ids.add(id);
  await env.RECORDS.put(originKey(pattern), JSON.stringify([...ids]));
}

async function removeFromOriginIndex(env: Env, pattern: string, id: string) {
  const ids = ((await env.RECORDS.get<string[]>(originKey(pattern), 'json')) ?? []).filter((x) => x !== id);
  if (ids.length) await env.RECORDS.put(originKey(pattern), JSON.stringify(ids));
  else await env.RECORDS.delete(originKey(pattern));
}

/** Whether any live publishable key allows this origin (answers CORS preflights). */
export async function originHasKeys(env: Env, origin: string, candidates: string[]): Promise<boolean> {
  for (const pattern of candidates) {
    const ids = await env.RECORDS.get<string[]>(originKey(pattern), 'json');
    if (ids?.length) return true;
  }
  return false;
}
