// Cache entries in KV: the finished answer with image references (R2 keys, never base64).
// Written only after a normal finish; a per-isolate memory sits in front of KV for repeat hits.
import type { Collected } from '../stream/collect';
import type { Usage } from '../../shared/api';
import type { StoredImage } from '../storage/image-store';

export interface CacheEntry {
  v: 1;
  id: string;
  created: number;
  model: string;
  provider: string;
  generation_id: string;
  text: string;
  reasoning: string;
  images: StoredImage[];
  finish_reason: 'stop';
  usage: Usage;
  extra: Record<string, unknown>;
  /** When it was made, in ms since the epoch. */
  made_at: number;
}

/** A collected answer becomes an entry only if it finished normally and every image is in R2. */
export function entryFrom(acc: Collected, provider: string, generationId: string): CacheEntry | null {
  if (!acc.ended || acc.error || acc.finishReason !== 'stop' || !acc.usage) return null;
  const images = acc.images.map((i) => i.darkroom);
  if (images.some((i) => !i?.key)) return null;
  return {
    v: 1,
    id: acc.id,
    created: acc.created,
    model: acc.model,
    provider,
    generation_id: generationId,
    text: acc.text,
    reasoning: acc.reasoning,
    images: images as StoredImage[],
    finish_reason: 'stop',
    usage: acc.usage,
    extra: acc.extra,
    made_at: Date.now(),
  };
}

const memory = new Map<string, { entry: CacheEntry; expiresAt: number }>();
const MEMORY_ENTRIES = 512;

const storageKey = (key: string) => `c:${key}`;

/** The per-isolate copy, if it is still fresh: no KV call (and no timer around one). */
export function rememberedEntry(key: string): CacheEntry | null {
  const hit = memory.get(key);
  if (hit && hit.expiresAt > Date.now()) return hit.entry;
  if (hit) memory.delete(key);
  return null;
}

export async function readEntry(kv: KVNamespace, key: string): Promise<CacheEntry | null> {
  const hit = rememberedEntry(key);
  if (hit) return hit;
  const entry = await kv.get<CacheEntry>(storageKey(key), 'json');
  if (entry?.v !== 1) return null;
  remember(key, entry, 60);
  return entry;
}

export async function writeEntry(kv: KVNamespace, key: string, entry: CacheEntry, ttlSeconds: number): Promise<void> {
  await kv.put(storageKey(key), JSON.stringify(entry), { expirationTtl: Math.max(60, Math.floor(ttlSeconds)) });
  remember(key, entry, Math.min(ttlSeconds, 60));
}

function remember(key: string, entry: CacheEntry, seconds: number) {
  memory.set(key, { entry, expiresAt: Date.now() + seconds * 1000 });
  if (memory.size > MEMORY_ENTRIES) memory.delete(memory.keys().next().value!);
}

/** Forget the per-isolate copy (tests, and entries whose images went missing). */
export function forgetEntry(key: string) {
  memory.delete(key);
}
