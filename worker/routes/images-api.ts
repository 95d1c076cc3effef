// POST /v1/images/generations: OpenAI's Images API, served by the same model through the same
// path as chat. Each of the `n` images is one chat request (validated by the chat schema, then
// planGeneration + generationEvents, so the cache, coalescing, R2 storage and limits apply),
// planned for the upstream's Images API (which streams previews), and answer/ renders them as
// an ImagesResponse or as image_generation.* stream events. POST /v1/images/edits
// (images-edits.ts) is answered by the same code with its input images (image_edit.* events).
import { type Context, Hono } from 'hono';
import { answer, type Renderer } from '../answer';
import { openAiImages } from '../answer/openai-images';
import { LIMITS } from '../../shared/limits';
import {
  ChatCompletionRequest,
  IMAGE_SIZES,
  ImageGenerationRequest,
  type ImagesRequest,
  type Message,
} from '../../shared/schemas';
import type { ResolvedImage } from '../images/inputs';
import { cachePolicyFor } from '../cache/policy';
import type { AppEnv } from '../env';
import { generationEvents, once } from '../generation/generate';
import { checkInputLimits } from '../generation/input-limits';
import { planGeneration } from '../generation/plan';
import { toStreamError } from '../generation/run';
import { badRequest } from '../lib/errors';
import { readJsonBody, validate } from '../lib/request-body';
import { settings } from '../lib/settings';

export const imagesApiRoutes = new Hono<AppEnv>();

/** OpenAI's dall-e quality names mapped onto the GPT image ones the model understands. */
const QUALITY: Record<string, string> = { standard: 'medium', hd: 'high' };

/** Input images of an edit, in the order they go to the model (the mask, if any, last). */
export interface EditInputs {
  images: ResolvedImage[];
  parent: string | null;
}

/** The user message's content: the prompt alone, or the images to edit and what to change. */
function contentFor(prompt: string, inputs: EditInputs | undefined, pick: 'upstreamUrl' | 'keyUrl') {
  if (!inputs?.images.length) return prompt;
  const hasMask = inputs.images.some((i) => i.input.role === 'mask');
  return [
    ...inputs.images.map((i) => ({ type: 'image_url' as const, image_url: { url: i[pick] } })),
    {
      type: 'text' as const,
      text: hasMask ? `${prompt}\n\n(The last image is a mask: change only where it is transparent.)` : prompt,
    },
  ];
}

/** The i-th image of an Images API request as a chat request (seeded: seed + i). */
export function chatRequestFor(
  req: ImagesRequest,
  i: number,
  inputs?: EditInputs,
  pick: 'upstreamUrl' | 'keyUrl' = 'upstreamUrl',
): Record<string, unknown> {
  if (req.size && req.size !== 'auto' && req.aspect_ratio && IMAGE_SIZES[req.size] !== req.aspect_ratio) {
    throw badRequest(
      `size ${req.size} is ${IMAGE_SIZES[req.size]}, which contradicts aspect_ratio ${req.aspect_ratio}; send one of them.`,
      'aspect_ratio',
    );
  }
  const image_config: Record<string, string | number> = {};
  const ratio = req.aspect_ratio ?? (req.size && req.size !== 'auto' ? IMAGE_SIZES[req.size] : undefined);
  if (ratio) image_config.aspect_ratio = ratio;
  // Values equal to OpenAI's defaults are left out, so they share cache entries with requests
  // that do not mention them.
  const quality = req.quality && (QUALITY[req.quality] ?? req.quality);
  if (quality && quality !== 'auto') image_config.quality = quality;
  if (req.background && req.background !== 'auto') image_config.background = req.background;
  if (req.output_format && req.output_format !== 'png') image_config.output_format = req.output_format;
  if (req.output_compression !== undefined && req.output_compression !== 100)
    image_config.output_compression = req.output_compression;
  if (req.moderation && req.moderation !== 'auto') image_config.moderation = req.moderation;
  if (req.input_fidelity && req.input_fidelity !== 'low') image_config.input_fidelity = req.input_fidelity;
  if (req.resolution) image_config.image_size = req.resolution;
  const seeded = typeof req.seed === 'number' && req.seed >= 0;
  return {
    ...(req.model ? { model: req.model } : {}),
    messages: [{ role: 'user', content: contentFor(req.prompt, inputs, pick) }],
    modalities: ['image'],
    ...(Object.keys(image_config).length ? { image_config } : {}),
    ...(req.seed !== undefined ? { seed: seeded ? req.seed + i : req.seed } : {}),
    ...(req.stream ? { stream: true } : {}),
    ...(req.user ? { user: req.user } : {}),
  };
}

imagesApiRoutes.post('/', async (c) => {
  const req = validate(ImageGenerationRequest, await readJsonBody(c.req.raw, LIMITS.maxBodyBytes));
  return answerImages(c, req, { kind: 'image_generation' });
});

export interface ImagesAnswerOptions {
  /** Stream event names: `image_generation.*` or `image_edit.*`. */
  kind: 'image_generation' | 'image_edit';
  inputs?: EditInputs;
  /** Writes new input images to R2: called once every check has passed and a generation is admitted. */
  storeInputs?: () => Promise<void>;
  /** The dialect's renderer (default: OpenAI's Images API). */
  renderer?: Renderer;
}

/** An Images API request (generation or edit), validated: run its n generations and answer. */
export async function answerImages(
  c: Context<AppEnv>,
  req: ImagesRequest,
  opts: ImagesAnswerOptions,
): Promise<Response> {
  const access = c.get('access');
  const chats = Array.from({ length: req.n ?? 1 }, (_, i) => {
    // The same validation and checks as POST /v1/chat/completions.
    const chat = validate(ChatCompletionRequest, chatRequestFor(req, i, opts.inputs));
    checkInputLimits(chat);
    access?.checkRequest?.(chat);
    const keyed = opts.inputs ? (chatRequestFor(req, i, opts.inputs, 'keyUrl').messages as Message[]) : chat.messages;
    return { chat, keyed };
  });
  const planOpts = { ...cachePolicyFor(c.env, c.req.raw.headers, access), api: 'images' as const };
  const planInputs = (keyed: Message[]) => ({
    keyedMessages: keyed,
    inputs: opts.inputs?.images.map((i) => i.input) ?? [],
    parent: opts.inputs?.parent ?? null,
  });
  const withB64 = req.response_format !== 'url';
  // One admission for the whole request, and only if some image is not a cache hit; it takes n
  // from the rate window, since n generations may run.
  // New input images are written to R2 only then: a caller over its limits stores nothing.
  const admit = once(async () => {
    await access?.admit?.(chats.length);
    await opts.storeInputs?.();
  });

  // Start every generation; one that fails to start is answered as an HTTP error (and the others are let go).
  const started = await Promise.allSettled(
    chats.map(async ({ chat, keyed }) =>
      generationEvents(c.env, await planGeneration(chat, planOpts, planInputs(keyed)), {
        withImageData: withB64,
        waitUntil: (p) => c.executionCtx.waitUntil(p),
        admit,
      }),
    ),
  );
  const sources = started.map((s) => (s.status === 'fulfilled' ? s.value : toStreamError(s.reason)));
  return answer(sources, opts.renderer ?? openAiImages({ req, withB64, kind: opts.kind }), {
    origin: new URL(c.req.url).origin,
    stream: Boolean(req.stream),
    keepAliveMs: settings(c.env).keepAliveMs,
    onSettled: (outcome) => {
      access?.settle?.(outcome.costUsd);
      c.get('reportOutcome')?.(outcome);
    },
  });
}
