// Response shapes, for the OpenAPI document only (answers are built by the stream renderers and
// routes). Loose on purpose: upstream fields pass through. A workerd test validates real answers
// against the document, so these cannot silently drift from what the API sends.
// `import * as z` lets the bundler drop what is unused (zod's `z` object drags in every locale).
import * as z from 'zod';

export const ErrorResponse = z.object({
  error: z.object({
    message: z.string(),
    type: z.string(),
    param: z.string().nullable(),
    code: z.string().nullable(),
  }),
});

export const DarkroomImage = z.looseObject({
  url: z.string().nullable(),
  sha256: z.string(),
  content_type: z.string(),
  bytes: z.number().int(),
  width: z.number().int().optional(),
  height: z.number().int().optional(),
  variants: z
    .array(z.object({ url: z.string(), width: z.number().int(), height: z.number().int(), content_type: z.string() }))
    .optional()
    .describe(
      'Smaller copies of the image (only when `url` is set): WebP 256/512/1024 px wide up to the original width, and the 1200x630 JPEG link-preview card. Every `/i/{sha256}/{size}.{format}` exists (sizes w256, w512, w1024, full, og; formats avif, webp, jpg, png).',
    ),
});

export const DarkroomMeta = z.looseObject({
  generation_id: z.string(),
  share_url: z.string(),
  provider: z.string(),
  cache: z.enum(['HIT', 'MISS', 'BYPASS']),
});

export const ChatImage = z.looseObject({
  type: z.literal('image_url'),
  image_url: z.looseObject({ url: z.string() }),
  index: z.number().int().optional(),
  darkroom: DarkroomImage.optional(),
});

export const ChatUsage = z.looseObject({
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  total_tokens: z.number().int(),
  cost: z.number().optional(),
});

export const ChatCompletion = z.looseObject({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.looseObject({
      index: z.number().int(),
      message: z.looseObject({
        role: z.literal('assistant'),
        content: z.string().nullable(),
        reasoning: z.string().optional(),
        images: z.array(ChatImage).optional(),
      }),
      finish_reason: z.string().nullable(),
    }),
  ),
  usage: ChatUsage.optional(),
  darkroom: DarkroomMeta.optional(),
});

export const ChatCompletionChunk = z.looseObject({
  id: z.string(),
  object: z.literal('chat.completion.chunk'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.looseObject({
      index: z.number().int(),
      delta: z.looseObject({
        role: z.string().optional(),
        content: z.string().nullable().optional(),
        reasoning: z.string().nullable().optional(),
        images: z.array(ChatImage).optional(),
      }),
      finish_reason: z.string().nullable(),
    }),
  ),
  usage: ChatUsage.optional(),
  darkroom: DarkroomMeta.optional(),
});

export const ImagesUsage = z.looseObject({
  input_tokens: z.number().int(),
  output_tokens: z.number().int(),
  total_tokens: z.number().int(),
  input_tokens_details: z.object({ text_tokens: z.number().int(), image_tokens: z.number().int() }).optional(),
  cost: z.number(),
});

export const ImageData = z.looseObject({
  url: z.string().nullable(),
  b64_json: z.string().optional(),
  darkroom: DarkroomImage.extend({
    generation_id: z.string(),
    share_url: z.string(),
    provider: z.string(),
    cache: z.enum(['HIT', 'MISS', 'BYPASS']),
  }).loose(),
});

const echoed = {
  background: z.string().optional(),
  output_format: z.string().optional(),
  quality: z.string().optional(),
  size: z.string().optional(),
};

export const ImagesResponse = z.looseObject({
  created: z.number().int(),
  data: z.array(ImageData),
  ...echoed,
  usage: ImagesUsage,
});

export const ImageGenerationCompletedEvent = ImageData.extend({
  type: z.enum(['image_generation.completed', 'image_edit.completed']),
  index: z.number().int(),
  created_at: z.number().int(),
  ...echoed,
  usage: ImagesUsage,
}).loose();

export const ImageGenerationPartialEvent = z.looseObject({
  type: z.enum(['image_generation.partial_image', 'image_edit.partial_image']),
  b64_json: z.string(),
  partial_image_index: z.number().int(),
  index: z.number().int(),
  created_at: z.number().int(),
});

export const StreamErrorEvent = z.object({ type: z.literal('error'), error: ErrorResponse.shape.error });

export const GenerationRecord = z.looseObject({
  id: z.string(),
  object: z.literal('generation'),
  created: z.number().int(),
  model: z.string(),
  provider: z.string(),
  prompt: z.string(),
  seed: z.number().int().nullable(),
  aspect_ratio: z.string().nullable(),
  text: z.string(),
  images: z.array(DarkroomImage),
  inputs: z.array(
    z.looseObject({
      role: z.enum(['image', 'mask']),
      url: z.string().nullable(),
      sha256: z.string().optional(),
      content_type: z.string().optional(),
      bytes: z.number().int().optional(),
      width: z.number().int().optional(),
      height: z.number().int().optional(),
    }),
  ),
  parent: z.string().nullable(),
  usage: z.looseObject({
    prompt_tokens: z.number().int(),
    completion_tokens: z.number().int(),
    total_tokens: z.number().int(),
    cost: z.number(),
  }),
  share_url: z.string(),
});

export const Model = z.looseObject({
  id: z.string(),
  object: z.literal('model'),
  created: z.number().int(),
  owned_by: z.string(),
  context_length: z.number().int(),
  architecture: z.looseObject({ input_modalities: z.array(z.string()), output_modalities: z.array(z.string()) }),
  pricing: z.looseObject({
    currency: z.string(),
    input_per_million_tokens: z.number(),
    output_per_million_tokens: z.number(),
  }),
  aliases: z.array(z.string()),
});

export const ModelList = z.object({ object: z.literal('list'), data: z.array(Model) });
