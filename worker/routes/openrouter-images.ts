// POST /api/v1/images: OpenRouter's Images API (what `@openrouter/sdk`'s images.generate calls).
// The request maps onto the same Images API path as OpenAI's /v1/images/generations (one chat
// request per image, cache, limits, storage, records); `input_references` are input images as
// on /v1/images/edits. Only the renderer differs (answer/openrouter-images.ts).
import { Hono } from 'hono';
import { LIMITS } from '../../shared/limits';
import { type ImagesRequest, OpenRouterImagesRequest } from '../../shared/schemas';
import { openRouterImages } from '../answer/openrouter-images';
import type { AppEnv } from '../env';
import { type ImageSource, resolveImages } from '../images/inputs';
import { readJsonBody, validate } from '../lib/request-body';
import { answerImages } from './images-api';

export const openRouterImagesRoutes = new Hono<AppEnv>();

/** OpenRouter's fields as the shared Images API request (`auto` means: not said). */
export function imagesRequestOf(req: OpenRouterImagesRequest): ImagesRequest {
  const { input_references: _refs, session_id: _session, provider: _provider, aspect_ratio, ...rest } = req;
  return { ...rest, ...(aspect_ratio && aspect_ratio !== 'auto' ? { aspect_ratio } : {}) };
}

openRouterImagesRoutes.post('/', async (c) => {
  const req = validate(OpenRouterImagesRequest, await readJsonBody(c.req.raw, LIMITS.maxBodyBytes));
  const sources: ImageSource[] = (req.input_references ?? []).map((ref, i) => ({
    url: ref.image_url.url,
    param: `input_references[${i}].image_url.url`,
  }));
  const resolved = sources.length
    ? await resolveImages(sources, { bucket: c.env.IMAGES, origin: new URL(c.req.url).origin })
    : null;
  return answerImages(c, imagesRequestOf(req), {
    kind: 'image_generation',
    ...(resolved ? { inputs: { images: resolved.images, parent: null }, storeInputs: resolved.store } : {}),
    renderer: openRouterImages(),
  });
});
