// The API contract: request schemas that validate every call, shared by the Worker and the site.
// `import * as z` lets the bundler drop what is unused (zod's `z` object drags in every locale).
import * as z from 'zod';
import { ASPECT_RATIOS, MODEL_ALIASES } from './model';
import { LIMITS } from './limits';

const text = z.string().max(LIMITS.maxPromptChars);

const ImageUrlPart = z.strictObject({
  type: z.literal('image_url'),
  image_url: z.strictObject({
    url: z.string().min(1),
    detail: z.enum(['auto', 'low', 'high']).optional(),
  }),
});
const TextPart = z.strictObject({ type: z.literal('text'), text });
const FilePart = z.strictObject({
  type: z.literal('file'),
  file: z.strictObject({
    filename: z.string().max(1024).optional(),
    file_data: z.string().optional(),
    file_id: z.string().max(1024).optional(),
  }),
});
const UserPart = z.discriminatedUnion('type', [TextPart, ImageUrlPart, FilePart]);

const name = z.string().max(256).optional();

export const SystemMessage = z.strictObject({
  role: z.enum(['system', 'developer']),
  content: z.union([text, z.array(TextPart).min(1)]),
  name,
});
export const UserMessage = z.strictObject({
  role: z.literal('user'),
  content: z.union([text, z.array(UserPart).min(1)]),
  name,
});
export const AssistantMessage = z.strictObject({
  role: z.literal('assistant'),
  content: z.union([text, z.array(TextPart), z.null()]).optional(),
  name,
  refusal: z.string().nullable().optional(),
  reasoning: z.string().nullable().optional(),
  images: z.array(ImageUrlPart.extend({ index: z.number().int().optional() }).loose()).optional(),
});
export const Message = z.discriminatedUnion('role', [SystemMessage, UserMessage, AssistantMessage]);
export type Message = z.infer<typeof Message>;

const penalty = z.number().min(-2).max(2);

/** A generation id (x-darkroom-generation, the share page's /s/<id>). */
export const generationId = z.string().regex(/^[0-9A-Za-z]{6,32}$/, 'a generation id (as in x-darkroom-generation)');

export const ChatCompletionRequest = z
  .strictObject({
    model: z
      .string()
      .refine((m) => m in MODEL_ALIASES, { message: `model must be one of: ${Object.keys(MODEL_ALIASES).join(', ')}` })
      .optional(),
    messages: z.array(Message).min(1).max(LIMITS.maxMessages),
    modalities: z
      .array(z.enum(['image', 'text']))
      .min(1)
      .max(2)
      .optional(),
    image_config: z
      .looseObject({ aspect_ratio: z.enum(ASPECT_RATIOS).optional() })
      .refine((o) => Object.values(o).every((v) => ['string', 'number', 'boolean'].includes(typeof v)), {
        message: 'image_config values must be strings, numbers or booleans',
      })
      .optional(),
    stream: z.boolean().optional(),
    stream_options: z.strictObject({ include_usage: z.boolean().optional() }).optional(),
    seed: z.number().int().min(-1).max(Number.MAX_SAFE_INTEGER).optional(),
    frequency_penalty: penalty.optional(),
    presence_penalty: penalty.optional(),
    include_reasoning: z.boolean().optional(),
    logit_bias: z
      .record(z.string().regex(/^\d{1,7}$/, 'logit_bias keys are token ids'), z.number().min(-100).max(100))
      .refine((o) => Object.keys(o).length <= 1024, { message: 'logit_bias has at most 1024 entries' })
      .optional(),
    logprobs: z.boolean().optional(),
    top_logprobs: z.number().int().min(0).max(20).optional(),
    max_completion_tokens: z.number().int().min(1).max(1_000_000).optional(),
    max_tokens: z.number().int().min(1).max(1_000_000).optional(),
    reasoning: z
      .strictObject({
        effort: z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']).optional(),
        max_tokens: z.number().int().min(0).optional(),
        exclude: z.boolean().optional(),
        enabled: z.boolean().optional(),
      })
      .optional(),
    response_format: z
      .discriminatedUnion('type', [
        z.strictObject({ type: z.literal('text') }),
        z.strictObject({ type: z.literal('json_object') }),
        z.strictObject({
          type: z.literal('json_schema'),
          json_schema: z.strictObject({
            name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/),
            description: z.string().optional(),
            schema: z.record(z.string(), z.unknown()).optional(),
            strict: z.boolean().nullable().optional(),
          }),
        }),
      ])
      .optional(),
    structured_outputs: z.boolean().optional(),
    stop: z
      .union([z.string(), z.array(z.string()).min(1).max(4)])
      .nullable()
      .optional(),
    user: z.string().max(256).optional(),
    /** Darkroom's extension: `parent` refines an earlier generation (its images are sent as input). */
    darkroom: z.strictObject({ parent: generationId.optional() }).optional(),
  })
  .superRefine((req, ctx) => {
    if (req.top_logprobs !== undefined && req.logprobs !== true) {
      ctx.addIssue({ code: 'custom', path: ['top_logprobs'], message: 'top_logprobs requires logprobs: true' });
    }
  });
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>;

/** OpenAI Images API sizes mapped onto the model's aspect ratios. */
export const IMAGE_SIZES = {
  auto: '1:1',
  '1024x1024': '1:1',
  '1536x1024': '3:2',
  '1024x1536': '2:3',
  '1792x1024': '16:9',
  '1024x1792': '9:16',
} as const;

export const ImageGenerationRequest = z.strictObject({
  prompt: z.string().min(1).max(32_000),
  model: z
    .string()
    .refine((m) => m in MODEL_ALIASES, { message: `model must be one of: ${Object.keys(MODEL_ALIASES).join(', ')}` })
    .optional(),
  n: z.number().int().min(1).max(LIMITS.maxImagesPerRequest).optional(),
  size: z.enum(Object.keys(IMAGE_SIZES) as [keyof typeof IMAGE_SIZES]).optional(),
  aspect_ratio: z.enum(ASPECT_RATIOS).optional(),
  quality: z.enum(['auto', 'low', 'medium', 'high', 'standard', 'hd']).optional(),
  background: z.enum(['auto', 'transparent', 'opaque']).optional(),
  output_format: z.enum(['png', 'jpeg', 'webp']).optional(),
  output_compression: z.number().int().min(0).max(100).optional(),
  moderation: z.enum(['auto', 'low']).optional(),
  response_format: z.enum(['url', 'b64_json']).optional(),
  partial_images: z.number().int().min(0).max(3).optional(),
  style: z.enum(['vivid', 'natural']).optional(),
  seed: z.number().int().min(-1).max(Number.MAX_SAFE_INTEGER).optional(),
  stream: z.boolean().optional(),
  user: z.string().max(256).optional(),
});
export type ImageGenerationRequest = z.infer<typeof ImageGenerationRequest>;

const imageRef = z.strictObject({ image_url: z.string().min(1) });

/**
 * POST /v1/images/edits, as JSON (`images: [{image_url}]`) or as the JSON view of its
 * multipart form (files become data URLs in `images` and `mask`; text fields are coerced).
 */
export const ImageEditRequest = z
  .strictObject({
    prompt: z.string().min(1).max(32_000),
    images: z.array(imageRef).min(1).max(LIMITS.maxInputImages).optional(),
    mask: imageRef.optional(),
    parent: generationId.optional(),
    model: ImageGenerationRequest.shape.model,
    n: ImageGenerationRequest.shape.n,
    size: ImageGenerationRequest.shape.size,
    aspect_ratio: ImageGenerationRequest.shape.aspect_ratio,
    quality: ImageGenerationRequest.shape.quality,
    background: ImageGenerationRequest.shape.background,
    output_format: ImageGenerationRequest.shape.output_format,
    output_compression: ImageGenerationRequest.shape.output_compression,
    input_fidelity: z.enum(['high', 'low']).optional(),
    response_format: ImageGenerationRequest.shape.response_format,
    partial_images: ImageGenerationRequest.shape.partial_images,
    seed: ImageGenerationRequest.shape.seed,
    stream: ImageGenerationRequest.shape.stream,
    user: ImageGenerationRequest.shape.user,
  })
  .superRefine((req, ctx) => {
    if (!req.images && !req.parent)
      ctx.addIssue({
        code: 'custom',
        path: ['image'],
        message: 'send image (or image[]) files, images, or a parent generation to edit',
      });
    if (req.mask && !req.images && !req.parent)
      ctx.addIssue({ code: 'custom', path: ['mask'], message: 'a mask needs an image' });
  });
export type ImageEditRequest = z.infer<typeof ImageEditRequest>;

/** The fields generations and edits share, as the Images API route reads them. */
/** What the Images API paths plan from (OpenAI's generations and edits, OpenRouter's /images). */
export type ImagesRequest = ImageGenerationRequest &
  Pick<ImageEditRequest, 'input_fidelity'> & { resolution?: OpenRouterResolution };

export const OPENROUTER_RESOLUTIONS = ['512', '1K', '2K', '4K'] as const;
export type OpenRouterResolution = (typeof OPENROUTER_RESOLUTIONS)[number];

/**
 * POST /api/v1/images: OpenRouter's Images API request (wire-formats 1.9, @openrouter/sdk's
 * ImageGenerationRequest). `provider` and `session_id` are accepted and not used: Darkroom has
 * one upstream chain of its own.
 */
export const OpenRouterImagesRequest = z.strictObject({
  prompt: ImageGenerationRequest.shape.prompt,
  model: ImageGenerationRequest.shape.model,
  n: ImageGenerationRequest.shape.n,
  seed: ImageGenerationRequest.shape.seed,
  aspect_ratio: z.enum([...ASPECT_RATIOS, 'auto']).optional(),
  resolution: z.enum(OPENROUTER_RESOLUTIONS).optional(),
  size: ImageGenerationRequest.shape.size,
  quality: z.enum(['auto', 'low', 'medium', 'high']).optional(),
  background: ImageGenerationRequest.shape.background,
  output_format: ImageGenerationRequest.shape.output_format,
  output_compression: ImageGenerationRequest.shape.output_compression,
  input_references: z
    .array(z.strictObject({ type: z.literal('image_url'), image_url: z.strictObject({ url: z.string().min(1) }) }))
    .max(LIMITS.maxInputImages)
    .optional(),
  stream: z.boolean().optional(),
  user: ImageGenerationRequest.shape.user,
  session_id: z.string().max(256).optional(),
  provider: z.looseObject({}).optional(),
});
export type OpenRouterImagesRequest = z.infer<typeof OpenRouterImagesRequest>;

/** POST /v1/admin/keys */
export const CreateKeyRequest = z
  .strictObject({
    type: z.enum(['secret', 'publishable']),
    name: z.string().trim().min(1).max(100),
    origins: z.array(z.string().max(300)).max(100).optional(),
    rpm: z.number().int().min(1).max(1_000_000).optional(),
    concurrency: z.number().int().min(1).max(10_000).optional(),
    daily_usd: z.number().max(1_000_000).optional(),
    window_s: z.number().int().min(1).max(86_400).optional(),
    /** Whose cache entries this key reads and writes: its own ('key') or everyone's ('shared'). */
    cache: z.enum(['key', 'shared']).optional(),
  })
  .superRefine((r, ctx) => {
    if (r.type === 'publishable' && !r.origins?.length) {
      ctx.addIssue({ code: 'custom', path: ['origins'], message: 'a publishable key needs at least one origin' });
    }
    if (r.type === 'secret' && r.origins)
      ctx.addIssue({ code: 'custom', path: ['origins'], message: 'secret keys have no origins' });
  });
