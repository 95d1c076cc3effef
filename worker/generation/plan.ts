// Everything one generation needs to know, decided once from the validated request: what goes
// upstream, the cache key and policy, and what the generation record will say.
import { MODEL_ID, resolveModel } from '../../shared/model';
import { promptOf } from '../../shared/prompt';
import type { ChatCompletionRequest, Message } from '../../shared/schemas';
import type { InputRecord } from '../images/inputs';
import { type CacheContext, cacheKey, isSeeded } from '../cache/key';
import type { CacheMode } from '../cache/policy';
import { randomId } from '../lib/bytes';

export interface GenerationPlan {
  upstreamBody: Record<string, unknown>;
  /** `images`: an Images API request, served by the upstream's Images API where it has one. */
  upstreamApi: 'chat' | 'images';
  stream: boolean;
  /** Null: not cacheable (unseeded or no-store) -> runs directly, never coalesced. */
  cacheKey: string | null;
  readCache: boolean;
  ttlSeconds: number;
  generationId: string;
  record: {
    prompt: string;
    seed: number | null;
    aspectRatio: string | null;
    inputs: InputRecord[];
    parent: string | null;
  };
}

/** The request's input images, resolved (see chat-inputs.ts): absent for text-only requests. */
export interface PlanInputs {
  /** The messages as the cache key sees them (input images by their SHA-256). */
  keyedMessages: Message[];
  inputs: InputRecord[];
  parent: string | null;
}

export async function planGeneration(
  req: ChatCompletionRequest,
  opts: { cacheMode: CacheMode; ttlSeconds: number; api?: 'chat' | 'images' } & CacheContext,
  inputs?: PlanInputs,
): Promise<GenerationPlan> {
  const model = resolveModel(req.model) ?? MODEL_ID;
  const { max_tokens, stream, ...rest } = req;
  const upstreamBody: Record<string, unknown> = {
    ...rest,
    model,
    modalities: req.modalities ?? ['image', 'text'],
    stream: Boolean(stream),
  };
  if (max_tokens !== undefined && upstreamBody.max_completion_tokens === undefined)
    upstreamBody.max_completion_tokens = max_tokens;
  delete upstreamBody.stream_options;
  if (req.seed === -1) delete upstreamBody.seed; // -1 means "random": let the upstream pick
  const seeded = isSeeded(req.seed);
  delete upstreamBody.darkroom;
  const keyed = inputs ? { ...req, messages: inputs.keyedMessages } : req;
  const key = seeded && opts.cacheMode !== 'no-store' ? await cacheKey({ ...keyed, model }, opts) : null;
  return {
    upstreamBody,
    upstreamApi: opts.api ?? 'chat',
    stream: Boolean(stream),
    cacheKey: key,
    readCache: key !== null && opts.cacheMode === 'default',
    ttlSeconds: opts.ttlSeconds,
    // Every generation that runs gets a fresh, unguessable id (a hit answers with the id of the
    // generation it replays): an id says nothing about the request, and no two share one record.
    generationId: randomId(),
    record: {
      prompt: promptOf(upstreamBody),
      seed: seeded ? req.seed! : null,
      aspectRatio: (req.image_config?.aspect_ratio as string | undefined) ?? null,
      inputs: inputs?.inputs ?? [],
      parent: inputs?.parent ?? null,
    },
  };
}
