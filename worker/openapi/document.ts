// GET /openapi.json: an OpenAPI 3.1 document generated from the zod schemas that validate the
// requests (shared/schemas.ts, the admin key schema), so the reference and the validation cannot
// drift. Prose (descriptions) is added here; structure comes from the schemas, plus the few
// rules zod expresses as refinements, written once below and checked against the validators by
// tests/worker/docs.test.ts.
// Every route of worker/routes/table.ts is registered from that table with its prose from the
// `docs` record below (keyed by operationId: a route without prose is a type error).
/* eslint-disable @typescript-eslint/no-explicit-any -- `Json` is the generated document, read
   and amended as plain JSON after generation. */
import { extendZodWithOpenApi, OpenAPIHono, type RouteConfig } from '@hono/zod-openapi';
// `import * as z` lets the bundler drop what is unused (zod's `z` object drags in every locale).
import * as z from 'zod';
import { LIMITS } from '../../shared/limits';
import { MODEL_ALIASES, MODEL_ID } from '../../shared/model';
import {
  ChatCompletionRequest,
  CreateKeyRequest,
  IMAGE_SIZES,
  ImageEditRequest,
  ImageGenerationRequest,
  OPENROUTER_RESOLUTIONS,
  OpenRouterImagesRequest,
} from '../../shared/schemas';
import { type OperationId, API_ROUTES } from '../routes/table';
import * as R from './responses';

type Json = Record<string, any>;
type Parameter = import('openapi3-ts/oas31').ParameterObject;
/** What the document says about one route of worker/routes/table.ts (which has its method and path). */
type PathDocs = Omit<RouteConfig, 'method' | 'path' | 'operationId'>;

// The registry names schemas through zod's `.openapi()`, which zod gives only to schemas made
// after the extension: schemas made earlier are named through the prototype's method.
extendZodWithOpenApi(z);
const openapiOf = (schema: z.ZodType, name: string): z.ZodType =>
  typeof (schema as any).openapi === 'function' ? schema : (z.ZodType.prototype as any).openapi.call(schema, name);

/** Descriptions of request fields. The docs test fails when a field has none. */
export const FIELD_DOCS: Record<
  'ChatCompletionRequest' | 'ImageGenerationRequest' | 'ImageEditRequest' | 'OpenRouterImagesRequest',
  Record<string, string>
> = {
  ChatCompletionRequest: {
    model: `\`${MODEL_ID}\` (default) or an alias: ${Object.keys(MODEL_ALIASES)
      .map((a) => `\`${a}\``)
      .join(', ')}.`,
    messages:
      'The conversation, OpenAI style. User content may mix text, `image_url` parts (https or data URLs: image editing) and `file` parts.',
    modalities: 'What the model may answer with. Default `["image","text"]`; `["image"]` for images only.',
    image_config:
      'Image options passed to the model: `aspect_ratio` (one of the listed ratios) and other scalar keys such as `quality`.',
    stream: 'Answer as server-sent events (`chat.completion.chunk`), ending with `data: [DONE]`.',
    stream_options: 'Accepted for compatibility; usage is always sent in the last chunk.',
    seed: 'Seeded requests (>= 0) are cached: the same request is answered again instantly and for free. `-1` or no seed: a fresh result.',
    frequency_penalty: 'Passed to the model.',
    presence_penalty: 'Passed to the model.',
    include_reasoning: "Include the model's reasoning text (`message.reasoning`).",
    logit_bias:
      'Token id (as a string) to bias from -100 to 100; at most 1024 entries. Not allowed for publishable keys.',
    logprobs: 'Passed to the model.',
    top_logprobs: 'Requires `logprobs: true`.',
    max_completion_tokens: 'Upper bound on generated tokens (images count as output tokens).',
    max_tokens: 'Deprecated alias of `max_completion_tokens` (answered with a `Deprecation` header).',
    reasoning: 'Reasoning controls passed to the model.',
    response_format: 'Text, JSON object or JSON schema output for the text part.',
    structured_outputs: 'Passed to the model.',
    stop: 'Up to 4 stop sequences.',
    user: 'Your end-user id, for your own tracing. Not part of the cache key.',
    darkroom:
      'Darkroom extension. `{"parent": "<generation id>"}` refines an earlier generation: its image(s) are added to the last user message as input images, and the record links the parent.',
  },
  ImageGenerationRequest: {
    prompt: 'What to draw.',
    model: `\`${MODEL_ID}\` (default) or an alias. Other image models (dall-e-3, gpt-image-1) are refused with a 400.`,
    n: `How many images, 1 to ${LIMITS.maxImagesPerRequest}. Each one is its own generation (seeded: seed, seed+1, ...).`,
    size: `Mapped to the model's aspect ratios: ${Object.entries(IMAGE_SIZES)
      .map(([s, r]) => `\`${s}\` → ${r}`)
      .join(', ')} (auto: the model's default).`,
    aspect_ratio:
      "Darkroom extension: any of the model's aspect ratios directly. Must agree with `size` when both are sent.",
    quality: 'Passed to the model (`standard` → medium, `hd` → high).',
    background: 'Passed to the model.',
    output_format: 'Passed to the model; the format actually produced is echoed as `output_format`.',
    output_compression: 'Passed to the model.',
    moderation: 'Passed to the model.',
    response_format:
      'Default: every `data[]` item has both `url` (ours, immutable) and `b64_json`. `url`: leave out the base64.',
    partial_images:
      "With `stream: true`, at most this many previews per image as `image_generation.partial_image` events, as the upstream sends them (OpenRouter's Images API and the demo do). Default 0. Previews are not stored or cached.",
    style: 'Accepted for dall-e-3 compatibility; ignored.',
    seed: 'Darkroom extension: as in chat. Seeded requests are cached and share cache entries with the equivalent chat request.',
    stream: 'Answer as server-sent events: one `image_generation.completed` event per image, then `data: [DONE]`.',
    user: 'Your end-user id.',
  },
  ImageEditRequest: {}, // below: most fields are the generation's
  OpenRouterImagesRequest: {}, // below: most fields are OpenAI's generation's
};

const editDocs = FIELD_DOCS.ImageGenerationRequest;
Object.assign(FIELD_DOCS.ImageEditRequest, {
  prompt: 'What to change.',
  images: `JSON requests: the images to edit, 1 to ${LIMITS.maxInputImages}, as \`{image_url}\`: a data URL, this host's \`/i/<sha256>.<ext>\` URL, or a remote https URL (passed upstream as is). Multipart requests send files as \`image\` or \`image[]\` instead.`,
  mask: 'A PNG with an alpha channel, the size of the first image: transparent where it should change. Multipart: a file; JSON: `{image_url}` (a data URL or our URL).',
  parent:
    "Darkroom extension: edit an earlier generation's image (its id) without re-sending it; with images, the parent's come first.",
  model: editDocs.model,
  n: editDocs.n,
  size: editDocs.size,
  aspect_ratio: editDocs.aspect_ratio,
  quality: editDocs.quality,
  background: editDocs.background,
  output_format: editDocs.output_format,
  output_compression: editDocs.output_compression,
  input_fidelity: "Passed to the model (`high`: keep more of the input's details).",
  response_format: editDocs.response_format,
  partial_images:
    'With `stream: true`, at most this many previews per image as `image_edit.partial_image` events. Default 0.',
  seed: "Darkroom extension: seeded edits are cached; the key has each input image's SHA-256, so the same picture as a file, a data URL or our URL is one key.",
  stream:
    'Answer as server-sent events: `image_edit.partial_image` previews, one `image_edit.completed` per image, then `data: [DONE]`.',
  user: editDocs.user,
});

const gen = FIELD_DOCS.ImageGenerationRequest;
Object.assign(FIELD_DOCS.OpenRouterImagesRequest, {
  prompt: gen.prompt,
  model: gen.model,
  n: gen.n,
  seed: gen.seed,
  aspect_ratio:
    "Any of the model's aspect ratios, or `auto` (the model's default). Must agree with `size` when both are sent.",
  resolution: `Passed to the model: ${OPENROUTER_RESOLUTIONS.map((r) => `\`${r}\``).join(', ')}.`,
  size: gen.size,
  quality: 'Passed to the model: `auto`, `low`, `medium` or `high`.',
  background: gen.background,
  output_format: gen.output_format,
  output_compression: gen.output_compression,
  input_references: `Input images, 1 to ${LIMITS.maxInputImages}, as \`{type:"image_url", image_url:{url}}\`: a data URL, this host's \`/i/<sha256>.<ext>\` URL or a remote https URL, as on \`/v1/images/edits\`.`,
  stream:
    'Answer as `data:` events: `image_generation.partial_image`, `image_generation.text_chunk`, one `image_generation.completed` per image, then `data: [DONE]`.',
  user: gen.user,
  session_id: 'Accepted for OpenRouter compatibility; not used.',
  provider: 'Accepted for OpenRouter compatibility; not used (Darkroom has its own upstream chain).',
});

/** The multipart form of an edit: the JSON fields as text, and files for the images. */
function editForm(json: Json): Json {
  const { images: _i, mask: _m, ...fields } = json.properties;
  const file = { type: 'string', format: 'binary' };
  return {
    type: 'object',
    required: ['prompt'],
    properties: {
      image: { ...file, description: 'The image to edit (PNG, JPEG, WebP or GIF, checked by its bytes).' },
      'image[]': {
        type: 'array',
        items: file,
        maxItems: LIMITS.maxInputImages,
        description: `Several images to edit (up to ${LIMITS.maxInputImages}).`,
      },
      mask: { ...file, description: FIELD_DOCS.ImageEditRequest.mask },
      ...fields,
    },
  };
}

/** Rules the zod schemas express as refinements, in JSON Schema. */
function refine(schemas: Json) {
  const chat = schemas.ChatCompletionRequest;
  const images = schemas.ImageGenerationRequest;
  for (const s of [chat, images, schemas.ImageEditRequest, schemas.OpenRouterImagesRequest])
    s.properties.model.enum = Object.keys(MODEL_ALIASES);
  Object.assign(chat.properties.logit_bias, { propertyNames: { pattern: '^\\d{1,7}$' }, maxProperties: 1024 });
  chat.properties.image_config.additionalProperties = { type: ['string', 'number', 'boolean'] };
  chat.dependentSchemas = { top_logprobs: { properties: { logprobs: { const: true } }, required: ['logprobs'] } };
}

const headers = {
  'x-request-id': { description: 'Id of this request (also in the log line).', schema: { type: 'string' } },
  'x-cache': {
    description:
      '`HIT` (answered from the cache, free), `MISS` (generated, now cached) or `BYPASS` (not cacheable: unseeded or no-store).',
    schema: { type: 'string' },
  },
  'x-darkroom-provider': {
    description: 'The upstream that generated it: `openrouter`, `custom` or `demo`.',
    schema: { type: 'string' },
  },
  'x-darkroom-generation': {
    description: 'Generation id (comma-separated list for several images): `GET /v1/generations/{id}`.',
    schema: { type: 'string' },
  },
  'x-darkroom-share-url': { description: 'The share page of the (first) generation.', schema: { type: 'string' } },
  'x-cache-age': { description: 'Seconds since the cached answer was made (hits only).', schema: { type: 'string' } },
  'x-cache-saved-usd': { description: 'What the hit saved (hits only).', schema: { type: 'string' } },
} as const;

const errorResponses = (codes: number[]) =>
  Object.fromEntries(
    codes.map((code) => [
      code,
      {
        description: ERROR_TEXT[code] ?? 'Error',
        content: { 'application/json': { schema: R.ErrorResponse } },
      },
    ]),
  );

/** OpenRouter's error body (worker/answer/openrouter.ts): the status, the message, OpenAI's type/code/param in metadata. */
const OPENROUTER_ERROR = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'metadata'],
      properties: { code: { type: 'integer' }, message: { type: 'string' }, metadata: { type: ['object', 'null'] } },
    },
  },
} as const;

const openRouterErrors = (codes: number[]) =>
  Object.fromEntries(
    codes.map((code) => [
      code,
      { description: ERROR_TEXT[code] ?? 'Error', content: { 'application/json': { schema: OPENROUTER_ERROR } } },
    ]),
  );

const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid request: `error.param` names the parameter, `error.code` is `unknown_parameter`, `missing_required_parameter` or `invalid_value`.',
  401: 'Missing, malformed, unknown or revoked key.',
  403: 'A publishable key used from an origin it does not list, or for something it may not do.',
  404: 'Not found.',
  413: 'Body or inline image too large.',
  415: 'Content-Type is not application/json.',
  429: 'Rate, concurrency or daily spend limit reached; see `Retry-After` and `x-ratelimit-*`.',
  502: 'The upstream failed or answered something unusable.',
  504: 'The upstream did not answer in time.',
};

const cacheHeaderParams: Parameter[] = [
  {
    in: 'header',
    name: 'x-image-format',
    required: false,
    schema: { type: 'string', enum: ['data_url', 'url'] },
    description: 'Chat only. `url`: images carry only our URL, no base64 (lean answers).',
  },
  {
    in: 'header',
    name: 'cache-control',
    required: false,
    schema: { type: 'string' },
    description: '`no-cache`: skip the cache lookup but store the result. `no-store`: neither.',
  },
  {
    in: 'header',
    name: 'x-cache-ttl',
    required: false,
    schema: { type: 'string' },
    description: 'Seconds to keep this answer cached (60 to 31536000).',
  },
];

function build(): Json {
  const app = new OpenAPIHono();
  const reg = app.openAPIRegistry;
  reg.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description:
      'A secret key (`sk_...`), a publishable key (`pk_...`, from allowed origins only), or `sk-local-dev` on a local development server.',
  });
  reg.registerComponent('securitySchemes', 'admin', {
    type: 'http',
    scheme: 'bearer',
    description: 'The ADMIN_TOKEN secret.',
  });
  const named = <S extends z.ZodType>(name: string, schema: S) => reg.register(name, openapiOf(schema, name)) as S;
  const schemas = {
    ChatCompletionRequest: named('ChatCompletionRequest', ChatCompletionRequest),
    ImageGenerationRequest: named('ImageGenerationRequest', ImageGenerationRequest),
    ImageEditRequest: named('ImageEditRequest', ImageEditRequest),
    OpenRouterImagesRequest: named('OpenRouterImagesRequest', OpenRouterImagesRequest),
    CreateKeyRequest: named('CreateKeyRequest', CreateKeyRequest),
    Error: named('Error', R.ErrorResponse),
    ChatCompletion: named('ChatCompletion', R.ChatCompletion),
    ChatCompletionChunk: named('ChatCompletionChunk', R.ChatCompletionChunk),
    ImagesResponse: named('ImagesResponse', R.ImagesResponse),
    ImageGenerationCompletedEvent: named('ImageGenerationCompletedEvent', R.ImageGenerationCompletedEvent),
    ImageGenerationPartialEvent: named('ImageGenerationPartialEvent', R.ImageGenerationPartialEvent),
    StreamErrorEvent: named('StreamErrorEvent', R.StreamErrorEvent),
    GenerationRecord: named('GenerationRecord', R.GenerationRecord),
    Model: named('Model', R.Model),
    ModelList: named('ModelList', R.ModelList),
  };
  const security = [{ bearer: [] }];
  const json = (schema: z.ZodType) => ({ 'application/json': { schema } });

  const idParam = (name: string, description: string): Parameter => ({
    in: 'path',
    name,
    required: true,
    schema: { type: 'string' },
    description,
  });
  const admin = [{ admin: [] }];
  const queryParam = (name: string, description: string, schema: Parameter['schema']): Parameter => ({
    in: 'query',
    name,
    required: false,
    schema,
    description,
  });
  const keyQuery = queryParam(
    'key',
    'One key id (16 hex characters), or `playground`, `dev` (sk-local-dev) or `anonymous` (refused callers).',
    { type: 'string' },
  );

  const docs: Record<OperationId, PathDocs> = {
    createChatCompletion: {
      tags: ['Generation'],
      summary: 'Generate text and images (OpenAI chat completions)',
      description:
        "OpenAI's chat completions, with images in `choices[0].message.images` (streamed: `choices[0].delta.images`) as OpenRouter sends them: " +
        '`{type:"image_url", image_url:{url:"data:image/png;base64,..."}}`, plus `darkroom.url`: our copy, stored once and served from an immutable URL. ' +
        'Unknown parameters are refused (400 `unknown_parameter`). Seeded requests are cached and identical requests in flight share one generation.',
      security,
      request: { body: { required: true, content: json(schemas.ChatCompletionRequest) } },
      parameters: cacheHeaderParams,
      responses: {
        200: {
          description:
            'A `chat.completion` object, or with `stream: true` server-sent `chat.completion.chunk` events ending with `data: [DONE]`. A failure after the stream began arrives as a `data: {"error":{...}}` event.',
          headers,
          content: { ...json(schemas.ChatCompletion), 'text/event-stream': { schema: schemas.ChatCompletionChunk } },
        },
        ...errorResponses([400, 401, 403, 413, 415, 429, 502, 504]),
      },
    },
    createImage: {
      tags: ['Generation'],
      summary: 'Generate images (OpenAI Images API)',
      description:
        "OpenAI's Images API served by the same model through the same path as chat: each image is one chat generation, with the same validation, cache, storage and limits. " +
        "Every `data[]` item has our `url` and, unless `response_format` is `url`, the image as `b64_json`, so apps written for either generation of OpenAI's image models work unchanged. " +
        "`usage` has OpenAI's token counts plus `cost` in USD. With `stream: true`: `event: image_generation.completed` per image (with `index` and `url`), then `data: [DONE]`; a failure is an `event: error`.",
      security,
      request: { body: { required: true, content: json(schemas.ImageGenerationRequest) } },
      parameters: cacheHeaderParams.slice(1),
      responses: {
        200: {
          description: 'An ImagesResponse, or with `stream: true` server-sent image_generation events.',
          headers,
          content: {
            ...json(schemas.ImagesResponse),
            'text/event-stream': {
              schema: z.union([
                schemas.ImageGenerationCompletedEvent,
                schemas.ImageGenerationPartialEvent,
                schemas.StreamErrorEvent,
              ]),
            },
          },
        },
        ...errorResponses([400, 401, 403, 413, 415, 429, 502, 504]),
      },
    },
    createImageEdit: {
      tags: ['Generation'],
      summary: 'Edit images (OpenAI Images API)',
      description:
        "OpenAI's image edits: `multipart/form-data` with `image` or `image[]` files (and an optional `mask`), or JSON with `images: [{image_url}]`. " +
        'Input images are checked by their bytes (PNG, JPEG, WebP, GIF; size and pixel limits), stored once and kept in the generation record; `parent` edits an earlier generation. ' +
        'Answered exactly like `/v1/images/generations`; streamed events are `image_edit.partial_image` and `image_edit.completed`.',
      security,
      request: {
        body: {
          required: true,
          content: {
            'multipart/form-data': { schema: { $ref: '#/components/schemas/ImageEditForm' } },
            ...json(schemas.ImageEditRequest),
          },
        },
      },
      parameters: cacheHeaderParams.slice(1),
      responses: {
        200: {
          description: 'An ImagesResponse, or with `stream: true` server-sent image_edit events.',
          headers,
          content: {
            ...json(schemas.ImagesResponse),
            'text/event-stream': {
              schema: z.union([
                schemas.ImageGenerationCompletedEvent,
                schemas.ImageGenerationPartialEvent,
                schemas.StreamErrorEvent,
              ]),
            },
          },
        },
        ...errorResponses([400, 401, 403, 413, 415, 429, 502, 504]),
      },
    },
    getGeneration: {
      tags: ['Generation'],
      summary: 'A past generation',
      description:
        'The record of a finished generation: prompt, seed, aspect ratio, text, images (our URLs) and usage. The id is in `x-darkroom-generation` and `darkroom.generation_id`. Written when the generation finished well; public (share pages read it).',
      parameters: [idParam('id', 'Generation id (random, 22 characters).')],
      responses: {
        200: { description: 'The record.', content: json(schemas.GenerationRecord) },
        ...errorResponses([404, 429]),
      },
    },
    listModels: {
      tags: ['Models'],
      summary: 'List models',
      description: 'The one model, with context length, prices and aliases.',
      responses: { 200: { description: 'A list.', content: json(schemas.ModelList) } },
    },
    retrieveModel: {
      tags: ['Models'],
      summary: 'One model',
      parameters: [idParam('model', 'Model id or alias.')],
      responses: { 200: { description: 'The model card.', content: json(schemas.Model) }, ...errorResponses([404]) },
    },
    createOpenRouterChatCompletion: {
      tags: ['OpenRouter'],
      summary: 'Generate text and images (OpenRouter chat completions)',
      description:
        'The same endpoint as `POST /v1/chat/completions` for OpenRouter clients (`@openrouter/sdk` with `serverURL` `<origin>/api/v1`): the same request, validation, cache, limits and answers, ' +
        'with errors in OpenRouter\'s shape `{"error":{"code":<status>,"message","metadata"}}`; a failure after the stream began is a chunk with a top-level `error` and `finish_reason: "error"`.',
      security,
      request: { body: { required: true, content: json(schemas.ChatCompletionRequest) } },
      parameters: cacheHeaderParams,
      responses: {
        200: {
          description:
            'A `chat.completion` object, or with `stream: true` server-sent `chat.completion.chunk` events ending with `data: [DONE]`.',
          headers,
          content: { ...json(schemas.ChatCompletion), 'text/event-stream': { schema: schemas.ChatCompletionChunk } },
        },
        ...openRouterErrors([400, 401, 403, 413, 415, 429, 502, 504]),
      },
    },
    createOpenRouterImage: {
      tags: ['OpenRouter'],
      summary: 'Generate images (OpenRouter Images API)',
      description:
        "OpenRouter's Images API (`@openrouter/sdk`'s `images.generate`) over the same path as `/v1/images/generations`: one generation per image, the same cache, limits, storage and records; `input_references` are input images as on `/v1/images/edits`. " +
        "JSON: `{created, data:[{b64_json, media_type, url, darkroom}], usage}` (raw base64, not a data URL). Errors in OpenRouter's shape.",
      security,
      request: { body: { required: true, content: json(schemas.OpenRouterImagesRequest) } },
      parameters: cacheHeaderParams.slice(1),
      responses: {
        200: {
          description: 'The images, or with `stream: true` server-sent `data:` events ending with `data: [DONE]`.',
          headers,
        },
        ...openRouterErrors([400, 401, 403, 413, 415, 429, 502, 504]),
      },
    },
    listOpenRouterModels: {
      tags: ['OpenRouter'],
      summary: 'List models (OpenRouter shape)',
      description:
        'The one model as an entry of OpenRouter\'s `GET /models`: `{"data":[...],"links":{"next":null},"total_count":1}`. Fields Darkroom does not know are null.',
      responses: { 200: { description: 'A list.' } },
    },
    getOpenRouterGeneration: {
      tags: ['OpenRouter'],
      summary: 'A past generation (OpenRouter shape)',
      description:
        'OpenRouter\'s generation lookup: `{"data":{...}}` with cost, tokens and timings of the generation whose id an answer carried.',
      parameters: [
        {
          in: 'query',
          name: 'id',
          required: true,
          schema: { type: 'string' },
          description: "The answer's `id` (the generation id).",
        },
      ],
      responses: { 200: { description: 'The generation.' }, ...openRouterErrors([400, 404, 429]) },
    },
    getImage: {
      tags: ['Images'],
      summary: 'An image',
      description:
        'A generated image by content hash (`<sha256>.<ext>`): immutable, strong ETag, `If-None-Match` (304) and `Range` requests. No key needed. ' +
        'An `Accept` that lists `image/avif` or `image/webp` (and not `text/html`, as an `<img>` sends) gets the image full size in that format instead, with `Vary: Accept`.',
      parameters: [idParam('name', '`<sha256>.png` (or .jpg, .webp, ...).')],
      responses: {
        200: {
          description: 'The image bytes.',
          content: { 'image/*': { schema: { type: 'string', format: 'binary' } } },
        },
        206: { description: 'A range of the bytes.' },
        304: { description: 'Not modified.' },
        ...errorResponses([400, 404]),
      },
    },
    getImageVariant: {
      tags: ['Images'],
      summary: 'A sized or re-encoded copy of an image',
      description:
        'A variant of `/i/{sha256}.{ext}`, made once (Cloudflare Images) and stored beside it: `{size}.{format}` with size `w256`, `w512`, `w1024` ' +
        '(that many px wide, never wider than the original), `full` (original size) or `og` (the 1200x630 link-preview card, letterboxed), and format ' +
        '`avif`, `webp`, `jpg` or `png`. Immutable, strong ETag, 304 and `Range`, like originals. Any other name is a 400. If a variant cannot be made, ' +
        'the original is served instead (`x-darkroom-variant: original`, cacheable for 60 s).',
      parameters: [
        idParam('sha256', 'Content hash of the original (64 hex digits).'),
        idParam('variant', 'For example `w512.webp` or `og.jpg`.'),
      ],
      responses: {
        200: {
          description: 'The variant bytes.',
          content: { 'image/*': { schema: { type: 'string', format: 'binary' } } },
        },
        206: { description: 'A range of the bytes.' },
        304: { description: 'Not modified.' },
        ...errorResponses([400, 404]),
      },
    },
    sharePage: {
      tags: ['Pages'],
      summary: 'Share page',
      description: 'An HTML page for one generation, with link previews (OpenGraph, Twitter cards).',
      parameters: [idParam('id', 'Generation id.')],
      responses: {
        200: { description: 'HTML.', content: { 'text/html': { schema: { type: 'string' } } } },
        404: { description: 'An HTML not-found page.' },
      },
    },
    embedPage: {
      tags: ['Pages'],
      summary: 'Embeddable widget (iframe)',
      description:
        'The `<darkroom-widget>` as a page for an iframe, for sites whose CSP forbids third-party scripts. Query: `key` (a publishable key, required), `theme`, `aspect`, `placeholder`. Frameable only by the origins its key lists.',
      responses: {
        200: { description: 'HTML.', content: { 'text/html': { schema: { type: 'string' } } } },
        403: { description: 'No valid publishable key: a short HTML page saying so, framable by nobody.' },
      },
    },
    playgroundMode: {
      tags: ['Pages'],
      summary: 'How the keyless playground works here',
      description:
        '`{"object":"playground","mode":"open"|"turnstile"|"off","turnstile_site_key"?}` (the `PLAYGROUND` setting).',
      responses: { 200: { description: 'The mode.' } },
    },
    playgroundSession: {
      tags: ['Pages'],
      summary: 'A playground session from a solved Turnstile token',
      description:
        'Same origin only. `{"token":"<Turnstile token>"}`, verified at siteverify; sets the HttpOnly `darkroom_session` cookie, good for `PLAYGROUND_SESSION_S` seconds and `PLAYGROUND_SESSION_GENERATIONS` generations.',
      responses: { 200: { description: 'The session (and its cookie).' }, ...errorResponses([400, 403, 404]) },
    },
    createKey: {
      tags: ['Admin'],
      summary: 'Create a key',
      description:
        'Secret keys for servers, publishable keys for browsers (locked to `origins`), each with its own limits. The key is shown only in this answer. (Also: `npm run keys`.)',
      security: admin,
      request: { body: { required: true, content: json(schemas.CreateKeyRequest) } },
      responses: { 201: { description: 'The key and its record.' }, ...errorResponses([400, 401]) },
    },
    listKeys: {
      tags: ['Admin'],
      summary: 'List keys',
      description:
        'Every key with its limits, spend and requests (today and total) and when it was last used. Keys themselves are never shown again.',
      security: admin,
      responses: { 200: { description: 'A list of keys.' }, ...errorResponses([401]) },
    },
    revokeKey: {
      tags: ['Admin'],
      summary: 'Revoke a key',
      security: admin,
      parameters: [idParam('id', 'Key id.')],
      responses: { 200: { description: "The revoked key's record." }, ...errorResponses([401, 404]) },
    },
    getUsage: {
      tags: ['Admin'],
      summary: 'Usage for a range',
      description:
        'What the operator console charts: requests, images, errors by kind, cache hits and hit ratio, USD spent and saved by the cache and by coalescing, p50/p95 time to first byte and to the end; as totals and per UTC hour.',
      security: admin,
      parameters: [
        queryParam('range', 'Whole UTC hours back from now.', {
          type: 'string',
          enum: ['1h', '24h', '7d', '30d'],
          default: '24h',
        }),
        keyQuery,
      ],
      responses: { 200: { description: '`totals` and an hourly `series`.' }, ...errorResponses([400, 401]) },
    },
    listRecentGenerations: {
      tags: ['Admin'],
      summary: 'Recent generations',
      description:
        'The newest generation requests (of the last 10,000), with their key, status, cache status, cost and durations, and the prompt, thumbnail, share page and record of their generation.',
      security: admin,
      parameters: [
        keyQuery,
        queryParam('status', '`ok` or `error`.', { type: 'string', enum: ['ok', 'error'] }),
        queryParam('limit', 'Rows, 1 to 200.', { type: 'integer', minimum: 1, maximum: 200, default: 50 }),
        queryParam('before', 'Only rows older than this `seq` (the next page).', { type: 'integer', minimum: 1 }),
      ],
      responses: { 200: { description: 'A list, newest first, and `next_before`.' }, ...errorResponses([400, 401]) },
    },
    getStats: {
      tags: ['Admin'],
      summary: 'Usage totals',
      description: 'Requests, cache hits, tokens, cost and errors since the start.',
      security: admin,
      responses: { 200: { description: 'Totals.' }, ...errorResponses([401]) },
    },
    health: {
      tags: ['Meta'],
      summary: 'Health check',
      description: '`{"ok":true}`.',
      responses: { 200: { description: 'OK' } },
    },
    openApiDocument: {
      tags: ['Meta'],
      summary: 'This document',
      description: 'OpenAPI 3.1, generated from the schemas that validate requests.',
      responses: { 200: { description: 'OK' } },
    },
    docsPage: {
      tags: ['Meta'],
      summary: 'The API reference',
      description: 'This document as a readable page, with examples.',
      responses: { 200: { description: 'OK' } },
    },
  };
  // Every route of the one table, in its order, with its prose.
  for (const r of API_ROUTES)
    reg.registerPath({ method: r.method, path: r.path, operationId: r.operationId, ...docs[r.operationId] });

  const doc = app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'Darkroom API',
      version: '1',
      description:
        `An OpenAI-compatible gateway for the image model \`${MODEL_ID}\`. Point an OpenAI client at \`<origin>/v1\` and change nothing else. ` +
        'Errors on `/v1` have OpenAI\'s shape: `{"error":{"message","type","param","code"}}`; on `/api/v1` (OpenRouter\'s dialect) OpenRouter\'s: `{"error":{"code","message","metadata"}}`.',
    },
    tags: [
      { name: 'Generation', description: 'Generate and look up generations.' },
      { name: 'Models', description: 'The model card.' },
      { name: 'Images', description: 'Stored images.' },
      { name: 'Pages', description: 'HTML pages served by the Worker.' },
      {
        name: 'OpenRouter',
        description: "OpenRouter's dialect under `/api/v1`: the same pipeline, OpenRouter's shapes.",
      },
      { name: 'Admin', description: 'Keys and stats; `Authorization: Bearer <ADMIN_TOKEN>`.' },
      { name: 'Meta', description: 'Health and documentation.' },
    ],
  }) as unknown as Json;

  const comps = doc.components.schemas as Json;
  refine(comps);
  for (const [name, fields] of Object.entries(FIELD_DOCS)) {
    for (const [field, text] of Object.entries(fields)) {
      const prop = comps[name].properties[field];
      if (prop) prop.description = text;
    }
  }
  comps.ImageEditForm = editForm(comps.ImageEditRequest);
  return doc;
}

let cached: Json | undefined;

/** The document (built once per isolate). `servers` is the origin it is served from. */
export function openApiDocument(origin?: string): Json {
  cached ??= build();
  return origin ? { ...cached, servers: [{ url: origin }] } : cached;
}
