// A cache entry replayed as GenEvents: the client then gets the same shape, text, reasoning,
// images and usage as the first answer, as JSON or as an SSE stream.
import { toBase64 } from '../lib/bytes';
import { SizedCache } from '../lib/sized-cache';
import type { ImageStore } from '../storage/image-store';
import type { Chunk, GenEvent, ImageItem } from '../stream/events';
import type { CacheEntry } from './entry';

// Data URLs of small images replayed lately, by R2 key. A key is the hash of its bytes, so an
// entry can never be stale; the budget keeps it a small share of the isolate's 128 MB. Encoding
// the image again on every hit was 3-4% of a hit's isolate CPU (64 px image, bench/profile.mjs).
const dataUrls = new SizedCache<string>(8 * 1024 * 1024, (url) => url.length, 512 * 1024);

function dataUrlOf(key: string, contentType: string, bytes: Uint8Array): string {
  let url = dataUrls.get(key);
  if (url === undefined) dataUrls.set(key, (url = `data:${contentType};base64,${toBase64(bytes)}`));
  return url;
}

/** Null when an image of the entry is gone from R2 (then the entry is not usable). */
export async function replayEvents(
  entry: CacheEntry,
  store: ImageStore,
  withData: boolean,
): Promise<GenEvent[] | null> {
  const images: ImageItem[] = [];
  for (const [index, img] of entry.images.entries()) {
    let url = '';
    if (withData) {
      const obj = await store.get(img.key!);
      if (!obj) return null;
      url = dataUrlOf(img.key!, img.content_type, obj.bytes);
    }
    images.push({ type: 'image_url', image_url: { url }, index, darkroom: { ...img, b64clean: true } }); // we wrote this base64
  }
  const base = {
    ...entry.extra,
    id: entry.id,
    object: 'chat.completion.chunk' as const,
    created: entry.created,
    model: entry.model,
  };
  const chunk = (delta: Chunk['choices'][0]['delta'], finish: string | null = null): GenEvent => ({
    type: 'chunk',
    chunk: { ...base, choices: [{ index: 0, delta, finish_reason: finish }] },
  });
  const ageS = Math.max(0, Math.round((Date.now() - entry.made_at) / 1000));
  const events: GenEvent[] = [
    {
      type: 'meta',
      meta: {
        generationId: entry.generation_id,
        provider: entry.provider,
        cache: 'HIT',
        age: ageS,
        savedUsd: entry.usage.cost ?? 0,
      },
    },
    chunk({ role: 'assistant', content: entry.text, ...(entry.reasoning ? { reasoning: entry.reasoning } : {}) }),
  ];
  if (images.length) events.push(chunk({ content: '', images }));
  events.push(chunk({}, entry.finish_reason));
  events.push({ type: 'chunk', chunk: { ...base, choices: [], usage: { ...entry.usage, cost: 0 } } });
  events.push({ type: 'end' });
  return events;
}
