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
 * Records are write-once: ids are random (worker/lib/bytes.ts randomId), and an id that exists
 * is never written again, so no later generation can change what a share link shows.
 */
export async function putGenerationRecord(env: Env, record: StoredRecord): Promise<boolean> {
  const key = recordKey(record.id);
  if ((await env.RECORDS.get(key)) !== null) return false;
  await env.RECORDS.put(key, JSON.stringify(record));
  return true;
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
