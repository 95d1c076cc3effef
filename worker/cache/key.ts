// The cache key: SHA-256 over a canonical JSON (sorted keys) of everything that changes the
// output, plus a schema version, the caller's cache scope and the primary upstream. Not
// `stream`, `stream_options` or `user`; never headers or the key itself (only its scope).
// The README lists the exact fields; change them together with CACHE_KEY_VERSION.
import type { ChatCompletionRequest } from '../../shared/schemas';
import { sha256Hex } from '../lib/bytes';

export const CACHE_KEY_VERSION = 2;

/** Request fields that go into the key (besides model, messages, modalities). */
export const KEYED_PARAMS = [
  'image_config',
  'seed',
  'frequency_penalty',
  'presence_penalty',
  'include_reasoning',
  'logit_bias',
  'logprobs',
  'top_logprobs',
  'max_completion_tokens',
  'reasoning',
  'response_format',
  'structured_outputs',
  'stop',
] as const;

/** Only seeded requests are cached: no seed, or -1, asks for a new result. */
export const isSeeded = (seed: number | undefined): seed is number => typeof seed === 'number' && seed >= 0;

type Part = { type: string; [k: string]: unknown };

/** "x" and [{type:"text",text:"x"}] are the same message. */
export function normaliseContent(content: unknown): unknown {
  if (!Array.isArray(content)) return content ?? null;
  const parts = content as Part[];
  if (parts.length === 1 && parts[0].type === 'text') return parts[0].text;
  return parts;
}

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The keyed view of a validated request whose model is already resolved. */
export function keyMaterial(req: ChatCompletionRequest & { model: string }): Record<string, unknown> {
  const material: Record<string, unknown> = {
    v: CACHE_KEY_VERSION,
    model: req.model,
    messages: req.messages.map((m) => ({ ...m, content: normaliseContent(m.content) })),
    modalities: [...(req.modalities ?? ['image', 'text'])].sort(),
  };
  for (const name of KEYED_PARAMS) material[name] = req[name];
  if (material.max_completion_tokens === undefined) material.max_completion_tokens = req.max_tokens;
  if (typeof material.stop === 'string') material.stop = [material.stop];
  return material;
}

/**
 * Whose entry it is and who made it. The scope is the caller's key (`key:<id>`), `playground`,
 * `dev`, or `shared` for keys created with `cache: "shared"`: one scope never reads, writes or
 * coalesces with another's. The upstream is the primary provider's name: an entry made by one
 * upstream is never served as another's.
 */
export interface CacheContext {
  scope: string;
  upstream: string;
}

export async function cacheKey(req: ChatCompletionRequest & { model: string }, context: CacheContext): Promise<string> {
  return sha256Hex(canonicalJson({ ...keyMaterial(req), scope: context.scope, upstream: context.upstream }));
}
