// Generation records in KV (`g:<id>`): what a share page, the playground's history and
// GET /v1/generations/:id show. Stored with R2 keys; URLs are built for the asking origin.
import type { DarkroomImage, GenerationRecord, Usage } from '../../shared/api';
import type { Env } from '../env';
import { darkroomImage, type StoredImage } from './image-store';
import { type InputRecord, publicInput } from '../images/inputs';

/** The public record, stored with R2 keys instead of URLs (the origin is the reader's). */
export type StoredRecord = Omit<GenerationRecord, 'object' | 'images' | 'usage' | 'share_url' | 'inputs' | 'parent'> & {
  images: StoredImage[];
  usage: Usage;
  /** What it was made from (absent in records written before inputs were kept). */
  inputs?: InputRecord[];
  parent?: string | null;
  /** For OpenRouter's generation lookup (absent in records written before it). */
  finish_reason?: string | null;
  streamed?: boolean;
  /** The upstream's own id for the generation. */
  upstream_id?: string | null;
};

const recordKey = (id: string) => `g:${id}`;
export const isGenerationId = (id: string) => /^[0-9A-Za-z]{6,32}$/.test(id);

/**
 * Records are write-once: ids are ours alone (plan.ts, worker/lib/bytes.ts randomId: 22 base62
 * characters, about 131 random bits), so no later generation writes an existing id and a share
 * link keeps showing what was made. No existence read before the put: it would cost one KV
 * lookup per generation (deployed, a key that never existed is a lookup at the central store)
 * to guard against a collision of 131 random bits.
 */
export async function putGenerationRecord(env: Env, record: StoredRecord): Promise<void> {
  await env.RECORDS.put(recordKey(record.id), JSON.stringify(record));
}

export async function getStoredRecord(env: Env, id: string): Promise<StoredRecord | null> {
  if (!isGenerationId(id)) return null;
  return env.RECORDS.get<StoredRecord>(recordKey(id), 'json');
}

export async function getGenerationRecord(env: Env, id: string, origin: string): Promise<GenerationRecord | null> {
  const stored = await getStoredRecord(env, id);
  return stored ? publicRecord(stored, origin) : null;
}

export function publicRecord(r: StoredRecord, origin: string): GenerationRecord {
  const images: DarkroomImage[] = r.images.map((i) => darkroomImage(i, origin));
  const usage = {
    prompt_tokens: r.usage.prompt_tokens,
    completion_tokens: r.usage.completion_tokens,
    total_tokens: r.usage.total_tokens,
    cost: r.usage.cost ?? 0,
  };
  return {
    id: r.id,
    object: 'generation',
    created: r.created,
    model: r.model,
    provider: r.provider,
    prompt: r.prompt,
    seed: r.seed,
    aspect_ratio: r.aspect_ratio,
    text: r.text,
    images,
    inputs: (r.inputs ?? []).map((i) => publicInput(i, origin)),
    parent: r.parent ?? null,
    usage,
    share_url: `${origin}/s/${r.id}`,
  };
}
