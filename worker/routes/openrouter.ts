// OpenRouter's own read routes, for `@openrouter/sdk` with serverURL `https://<host>/api/v1`:
//   GET /api/v1/models           the model list in OpenRouter's shape
//   GET /api/v1/generation?id=   a generation in OpenRouter's shape (the answer's `id`)
// Fields Darkroom does not know are null, never invented (OpenRouter's schema allows it).
import { Hono } from 'hono';
import { CONTEXT_LENGTH, MODEL_ID, PRICE_PER_MILLION } from '../../shared/model';
import type { AppEnv } from '../env';
import { ApiError } from '../lib/errors';
import { getStoredRecord, type StoredRecord } from '../storage/records';
import { modelCard } from './models';

export const openRouterModelRoutes = new Hono<AppEnv>();
export const openRouterGenerationRoutes = new Hono<AppEnv>();

/** The one model, as an entry of OpenRouter's `GET /models`. */
export function openRouterModel() {
  const card = modelCard();
  return {
    id: MODEL_ID,
    canonical_slug: MODEL_ID,
    name: 'OpenAI: GPT-5.4 Image 2',
    created: card.created,
    description: 'GPT-5.4 Image 2 through Darkroom: text and images in, text and images out.',
    context_length: CONTEXT_LENGTH,
    architecture: {
      modality: 'text+image->text+image',
      input_modalities: card.architecture.input_modalities,
      output_modalities: card.architecture.output_modalities,
      instruct_type: null,
    },
    pricing: {
      prompt: (PRICE_PER_MILLION.input / 1e6).toFixed(8),
      completion: (PRICE_PER_MILLION.output / 1e6).toFixed(8),
    },
    top_provider: { context_length: CONTEXT_LENGTH, max_completion_tokens: null, is_moderated: true },
    per_request_limits: null,
    supported_parameters: [
      'max_tokens',
      'seed',
      'stop',
      'temperature',
      'top_p',
      'response_format',
      'reasoning',
      'include_reasoning',
    ],
    default_parameters: null,
    supported_voices: null,
    links: { details: `/api/v1/models/${MODEL_ID}/endpoints` },
  };
}

openRouterModelRoutes.get('/', (c) => c.json({ data: [openRouterModel()], links: { next: null }, total_count: 1 }));

openRouterGenerationRoutes.get('/', async (c) => {
  const id = c.req.query('id');
  if (!id) throw new ApiError(400, 'Pass the generation id as ?id=.', 'invalid_request_error', 'missing_id', 'id');
  const record = await getStoredRecord(c.env, id);
  if (!record) throw new ApiError(404, 'No generation with that id.', 'not_found_error', 'generation_not_found', 'id');
  return c.json({ data: openRouterGeneration(record) }, 200, { 'cache-control': 'private, max-age=60' });
});

/** A stored record in the shape of OpenRouter's generation lookup. */
export function openRouterGeneration(r: StoredRecord) {
  const cost = r.usage.cost ?? 0;
  const images = r.images.length;
  return {
    id: r.id,
    upstream_id: r.upstream_id ?? null,
    model: r.model,
    created_at: new Date(r.created * 1000).toISOString(),
    total_cost: cost,
    usage: cost,
    upstream_inference_cost: null,
    cache_discount: null,
    is_byok: false,
    provider_name: r.provider,
    provider_responses: null,
    api_type: 'completions',
    data_region: 'global',
    streamed: r.streamed ?? null,
    cancelled: false,
    finish_reason: r.finish_reason ?? null,
    native_finish_reason: r.finish_reason ?? null,
    tokens_prompt: r.usage.prompt_tokens,
    tokens_completion: r.usage.completion_tokens,
    native_tokens_prompt: r.usage.prompt_tokens,
    native_tokens_completion: r.usage.completion_tokens,
    native_tokens_completion_images: null,
    native_tokens_reasoning: null,
    native_tokens_cached: null,
    num_media_prompt: null,
    num_media_completion: images,
    num_input_audio_prompt: null,
    num_search_results: null,
    num_fetches: null,
    origin: '',
    app_id: null,
    preset_id: null,
    external_user: null,
    http_referer: null,
    user_agent: null,
    latency: null,
    generation_time: null,
    moderation_latency: null,
    router: null,
    service_tier: null,
    session_id: null,
    request_id: null,
    response_cache_source_id: null,
    web_search_engine: null,
    workspace_id: null,
  };
}
