// GET /v1/models and /v1/models/:id: the model card.
import { Hono } from 'hono';
import { CONTEXT_LENGTH, MODEL_ALIASES, MODEL_ID, PRICE_PER_MILLION } from '../../shared/model';
import type { AppEnv } from '../env';
import { ApiError } from '../lib/errors';

export const modelRoutes = new Hono<AppEnv>();

export const modelCard = () => ({
  id: MODEL_ID,
  object: 'model' as const,
  created: 1776729600,
  owned_by: 'openai',
  context_length: CONTEXT_LENGTH,
  architecture: { input_modalities: ['text', 'image', 'file'], output_modalities: ['text', 'image'] },
  pricing: {
    currency: 'USD',
    input_per_million_tokens: PRICE_PER_MILLION.input,
    output_per_million_tokens: PRICE_PER_MILLION.output,
    prompt: (PRICE_PER_MILLION.input / 1e6).toFixed(8),
    completion: (PRICE_PER_MILLION.output / 1e6).toFixed(8),
  },
  aliases: Object.keys(MODEL_ALIASES).filter((a) => a !== MODEL_ID),
});

modelRoutes.get('/', (c) => c.json({ object: 'list', data: [modelCard()] }));
modelRoutes.get('/:id{.+}', (c) => {
  if (!(c.req.param('id') in MODEL_ALIASES))
    throw new ApiError(
      404,
      `The model '${c.req.param('id')}' does not exist.`,
      'not_found_error',
      'model_not_found',
      'model',
    );
  return c.json(modelCard());
});
