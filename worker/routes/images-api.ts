// POST /v1/images/generations: OpenAI's Images API, served by the same model through the same
// path as chat. Each of the `n` images is one chat request (validated by the chat schema, then
// planGeneration + generationEvents, so the cache, coalescing, R2 storage and limits apply),
// planned for the upstream's Images API (which streams previews), and the answers are shaped as
// an ImagesResponse or as image_generation.* stream events. POST /v1/images/edits
// (images-edits.ts) is answered by the same code with its input images.
import { type Context, Hono } from 'hono';
import { H } from '../../shared/headers';
import { LIMITS } from '../../shared/limits';
import { ChatCompletionRequest, IMAGE_SIZES, ImageGenerationRequest, type Message } from '../../shared/schemas';
import type { ResolvedImage } from '../images/inputs';
import { cacheModeOf, ttlOf } from '../cache/policy';
import type { AppEnv } from '../env';
import { generationEvents, once } from '../generation/generate';
import { checkInputLimits } from '../generation/input-limits';
import { planGeneration } from '../generation/plan';
import { toStreamError } from '../generation/run';
import { errorResponse } from '../generation/respond';
import { badRequest } from '../lib/errors';
import { readJsonBody, validate } from '../lib/request-body';
import { numberOr } from '../providers';
import { addEvent, collect, type Collected, emptyCollected } from '../stream/collect';
import { endedEarly, type GenEvent, type GenMeta, type ImageItem, type StreamError, type Usage } from '../stream/events';
import { publicImage, type RenderOptions } from '../stream/render';

export const imagesApiRoutes = new Hono<AppEnv>();

/** OpenAI's dall-e quality names mapped onto the GPT image ones the model understands. */
const QUALITY: Record<string, string> = { standard: 'medium', hd: 'high' };

/** The fields generations and edits share (edits adds input_fidelity). */
export type ImagesRequest = ImageGenerationRequest & { input_fidelity?: 'high' | 'low' };

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
    { type: 'text' as const, text: hasMask ? `${prompt}\n\n(The last image is a mask: change only where it is transparent.)` : prompt },
  ];
}

/** The i-th image of an Images API request as a chat request (seeded: seed + i). */
export function chatRequestFor(req: ImagesRequest, i: number, inputs?: EditInputs, pick: 'upstreamUrl' | 'keyUrl' = 'upstreamUrl'): Record<string, unknown> {
  if (req.size && req.size !== 'auto' && req.aspect_ratio && IMAGE_SIZES[req.size] !== req.aspect_ratio) {
    throw badRequest(`size ${req.size} is ${IMAGE_SIZES[req.size]}, which contradicts aspect_ratio ${req.aspect_ratio}; send one of them.`, 'aspect_ratio');
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
  if (req.output_compression !== undefined && req.output_compression !== 100) image_config.output_compression = req.output_compression;
  if (req.moderation && req.moderation !== 'auto') image_config.moderation = req.moderation;
  if (req.input_fidelity && req.input_fidelity !== 'low') image_config.input_fidelity = req.input_fidelity;
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

interface Opened {
  meta: GenMeta;
  events: ReadableStream<GenEvent>;
}

imagesApiRoutes.post('/', async (c) => {
  const req = validate(ImageGenerationRequest, await readJsonBody(c.req.raw, LIMITS.maxBodyBytes));
  return answerImages(c, req, { kind: 'image_generation' });
});

export interface ImagesAnswerOptions {
  /** Stream event names: `image_generation.*` or `image_edit.*`. */
  kind: 'image_generation' | 'image_edit';
  inputs?: EditInputs;
  /** Writes new input images to R2: called once every check has passed. */
  storeInputs?: () => Promise<void>;
}

/** An Images API request (generation or edit), validated: run its n generations and answer. */
export async function answerImages(c: Context<AppEnv>, req: ImagesRequest, opts: ImagesAnswerOptions): Promise<Response> {
  const access = c.get('access');
  const chats = Array.from({ length: req.n ?? 1 }, (_, i) => {
    // The same validation and checks as POST /v1/chat/completions.
    const chat = validate(ChatCompletionRequest, chatRequestFor(req, i, opts.inputs));
    checkInputLimits(chat);
    access?.checkRequest?.(chat);
    const keyed = opts.inputs ? (chatRequestFor(req, i, opts.inputs, 'keyUrl').messages as Message[]) : chat.messages;
    return { chat, keyed };
  });
  await opts.storeInputs?.();
  const cacheHeaders = access?.mayControlCache === false ? new Headers() : c.req.raw.headers;
  const planOpts = { cacheMode: cacheModeOf(cacheHeaders), ttlSeconds: ttlOf(cacheHeaders, c.env.CACHE_TTL_SECONDS), api: 'images' as const };
  const planInputs = (keyed: Message[]) => ({ keyedMessages: keyed, inputs: opts.inputs?.images.map((i) => i.input) ?? [], parent: opts.inputs?.parent ?? null });
  const withB64 = req.response_format !== 'url';
  // One admission for the whole request, and only if some image is not a cache hit.
  const admit = once(async () => access?.admit?.());
  const origin = new URL(c.req.url).origin;
  const render: RenderOptions = { origin, imageFormat: 'url' };

  let settled = false;
  const settle = (costUsd: number, status: number, metas: GenMeta[], tokens?: number) => {
    if (settled) return;
    settled = true;
    access?.settle?.(costUsd);
    c.get('reportOutcome')?.({ costUsd, status, meta: metas[0], tokens });
  };

  // Start every generation, then wait for each one's first event: an error before anything was
  // sent is a plain HTTP error (and the others are let go).
  const started = await Promise.allSettled(
    chats.map(async ({ chat, keyed }) =>
      generationEvents(c.env, await planGeneration(chat, planOpts, planInputs(keyed)), {
        withImageData: withB64,
        waitUntil: (p) => c.executionCtx.waitUntil(p),
        admit,
      }),
    ),
  );
  const opened = await Promise.all(started.map((s) => (s.status === 'fulfilled' ? open(s.value) : Promise.reject(s.reason)).catch((e) => asError(e))));
  const failed = opened.find((o): o is StreamError => 'error' in o);
  if (failed) {
    for (const o of opened) if (!('error' in o)) o.events.cancel().catch(() => {});
    settle(0, failed.status, []);
    return errorResponse(failed);
  }
  const gens = opened as Opened[];
  const metas = gens.map((g) => g.meta);
  const headers = metaHeaders(metas, origin);
  const free = (m: GenMeta) => m.cache === 'HIT' || Boolean(m.joined);
  const shape: Shape = { req, render, withB64, kind: opts.kind };

  if (!req.stream) {
    const results = await Promise.all(gens.map((g) => collect(g.events)));
    const cost = sum(results.map((r, i) => (free(metas[i]) ? 0 : (r.usage?.cost ?? 0))));
    const tokens = sum(results.map((r) => r.usage?.total_tokens ?? 0));
    const error = results.find((r) => r.error)?.error ?? noImageError(results);
    if (error) {
      settle(cost, error.status, metas, tokens);
      return errorResponse(error, headers);
    }
    settle(cost, 200, metas, tokens);
    const data = results.map((r, i) => imageData(lastImage(r)!, metas[i], shape));
    if (data.some((d) => d.url === null)) headers[H.imageFallback] = 'b64_json';
    return Response.json(
      {
        created: Math.floor(Date.now() / 1000),
        data,
        ...echoed(req, results[0]),
        usage: imagesUsage(results.map((r, i) => usageOf(r, free(metas[i])))),
      },
      { headers },
    );
  }

  const keepAliveMs = numberOr(c.env.KEEPALIVE_MS, 15_000);
  const body = imageEventStream(gens, shape, keepAliveMs, (cost, status, tokens) => settle(cost, status, metas, tokens));
  return new Response(body, {
    headers: { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', [H.shouldRetry]: 'false' },
  });
}

async function open(events: ReadableStream<GenEvent>): Promise<Opened | StreamError> {
  const reader = events.getReader();
  const first = await reader.read();
  if (first.done || first.value.type !== 'meta') {
    reader.cancel().catch(() => {});
    if (!first.done && first.value.type === 'error') return first.value.error;
    return { status: 502, error: { message: 'The generation produced no answer.', type: 'upstream_error', param: null, code: 'upstream_empty' } };
  }
  const meta = first.value.meta;
  const rest = new ReadableStream<GenEvent>({
    async pull(ctl) {
      const { done, value } = await reader.read();
      if (done) ctl.close();
      else ctl.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return { meta, events: rest };
}

const asError = toStreamError;

const sum = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) * 1e8) / 1e8;

/** The generation's result is its last image (earlier ones, if a provider sends any, are previews). */
const lastImage = (r: Collected): ImageItem | undefined => r.images.at(-1);

function noImageError(results: Collected[]): StreamError | undefined {
  const empty = results.find((r) => !r.images.length);
  if (!empty) return undefined;
  const said = empty.text.trim().slice(0, 300);
  return {
    status: 502,
    error: {
      message: `The model answered without an image${said ? `: "${said}"` : '.'}`,
      type: 'upstream_error',
      param: null,
      code: 'no_image',
    },
  };
}

interface Shape {
  req: ImagesRequest;
  render: RenderOptions;
  withB64: boolean;
  kind: ImagesAnswerOptions['kind'];
}

/** One `data[]` item: our URL and (unless response_format is "url") the raw base64. */
function imageData(item: ImageItem, meta: GenMeta, shape: Shape) {
  const pub = publicImage(item, shape.render) as ImageItem & { darkroom?: { url: string | null } };
  const url = pub.darkroom?.url ?? null;
  const dataUrl = item.image_url.url;
  const b64 = dataUrl.startsWith('data:') ? dataUrl.slice(dataUrl.indexOf(',') + 1) : undefined;
  return {
    url,
    ...((shape.withB64 || url === null) && b64 ? { b64_json: b64 } : {}),
    darkroom: {
      ...pub.darkroom,
      generation_id: meta.generationId,
      share_url: `${shape.render.origin}/s/${meta.generationId}`,
      provider: meta.provider,
      cache: meta.cache,
    },
  };
}

/** Top-level fields OpenAI echoes: what was generated. */
function echoed(req: ImagesRequest, first: Collected | undefined) {
  const stored = first && lastImage(first)?.darkroom;
  const format = stored?.content_type?.replace(/^image\//, '');
  const size = stored?.width && stored.height ? `${stored.width}x${stored.height}` : req.size;
  return {
    ...(req.background ? { background: req.background } : {}),
    ...(format ? { output_format: format } : {}),
    ...(req.quality ? { quality: req.quality } : {}),
    ...(size ? { size } : {}),
  };
}

function usageOf(r: Collected, free: boolean): Usage {
  const u = r.usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  return { ...u, cost: free ? 0 : (u.cost ?? 0) };
}

/** OpenAI's Images API usage block, plus our `cost` in USD. */
function imagesUsage(usages: Usage[]) {
  const input = usages.reduce((a, u) => a + (u.prompt_tokens ?? 0), 0);
  const output = usages.reduce((a, u) => a + (u.completion_tokens ?? 0), 0);
  return {
    input_tokens: input,
    output_tokens: output,
    total_tokens: input + output,
    input_tokens_details: { text_tokens: input, image_tokens: 0 },
    cost: sum(usages.map((u) => u.cost ?? 0)),
  };
}

/** The same headers as chat; with n > 1 the generation ids are a comma-separated list. */
function metaHeaders(metas: GenMeta[], origin: string): Record<string, string> {
  const all = (c: string) => metas.every((m) => m.cache === c);
  const cache = all('HIT') ? 'HIT' : all('BYPASS') ? 'BYPASS' : 'MISS';
  const h: Record<string, string> = {
    [H.cache]: cache,
    [H.provider]: [...new Set(metas.map((m) => m.provider))].join(', '),
    [H.generationId]: metas.map((m) => m.generationId).join(', '),
    [H.shareUrl]: `${origin}/s/${metas[0].generationId}`,
  };
  if (cache === 'HIT') {
    h[H.cacheAge] = String(Math.max(...metas.map((m) => m.age ?? 0)));
    h[H.cacheSaved] = sum(metas.map((m) => m.savedUsd ?? 0)).toFixed(6);
  }
  if (metas.some((m) => m.joined)) h['x-darkroom-coalesced'] = 'true';
  return h;
}

const encoder = new TextEncoder();

/**
 * The n generations as OpenAI image stream events (`image_generation.*`, or `image_edit.*` for
 * edits), in the order they finish: `.partial_image` for previews as the upstream sends them
 * (at most `partial_images` per image, OpenAI's default 0; also an earlier image of the same
 * generation), `.completed` per image (with our `index` and `url`), `error` if one fails, then
 * `data: [DONE]`. Keep-alive comments while waiting. Previews are never stored: no `url`.
 */
function imageEventStream(
  gens: Opened[],
  shape: Shape,
  keepAliveMs: number,
  onSettled: (cost: number, status: number, tokens: number) => void,
): ReadableStream<Uint8Array> {
  const accs = gens.map(() => emptyCollected());
  const readers = gens.map((g) => g.events.getReader());
  let closed = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  let lastWrite = Date.now();
  const cost = () => sum(accs.map((a, i) => (gens[i].meta.cache === 'HIT' || gens[i].meta.joined ? 0 : (a.usage?.cost ?? 0))));
  const tokens = () => accs.reduce((t, a) => t + (a.usage?.total_tokens ?? 0), 0);
  const stop = (status: number) => {
    if (timer !== undefined) clearInterval(timer);
    if (!closed) onSettled(cost(), status, tokens());
    closed = true;
    for (const r of readers) r.cancel().catch(() => {});
  };
  return new ReadableStream<Uint8Array>({
    start(ctl) {
      const write = (s: string) => {
        if (closed) return;
        lastWrite = Date.now();
        ctl.enqueue(encoder.encode(s));
      };
      const event = (name: string, data: object) => write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
      if (keepAliveMs > 0) {
        timer = setInterval(() => Date.now() - lastWrite >= keepAliveMs && write(': keep-alive\n\n'), Math.max(50, keepAliveMs / 3));
      }
      const fail = (err: StreamError) => {
        event('error', { type: 'error', error: err.error });
        stop(err.status);
        ctl.close();
      };
      const pump = async (i: number) => {
        const acc = accs[i];
        const meta = gens[i].meta;
        const free = meta.cache === 'HIT' || Boolean(meta.joined);
        let partials = 0;
        for (;;) {
          const { done, value } = await readers[i].read();
          if (closed) return;
          if (done) {
            if (!acc.ended && !acc.error) fail(endedEarly().error);
            return;
          }
          if (value.type === 'keepalive') {
            write(': keep-alive\n\n');
            continue;
          }
          const preview = (b64: string) => {
            if (partials >= (shape.req.partial_images ?? 0)) return;
            event(`${shape.kind}.partial_image`, {
              type: `${shape.kind}.partial_image`,
              b64_json: b64,
              partial_image_index: partials++,
              index: i,
              created_at: Math.floor(Date.now() / 1000),
              ...echoed(shape.req, undefined),
            });
          };
          if (value.type === 'partial') {
            preview(value.partial.b64);
            continue;
          }
          const before = acc.images.length;
          addEvent(acc, value);
          if (value.type === 'error') return fail(value.error);
          // A newer image turns the one before it into a preview.
          if (acc.images.length > before && before > 0) {
            const d = imageData(acc.images[before - 1], meta, shape);
            if (d.b64_json) preview(d.b64_json);
          }
          if (value.type === 'end') {
            const err = noImageError([acc]);
            if (err) return fail(err);
            const d = imageData(lastImage(acc)!, meta, shape);
            event(`${shape.kind}.completed`, {
              type: `${shape.kind}.completed`,
              ...d,
              index: i,
              created_at: Math.floor(Date.now() / 1000),
              ...echoed(shape.req, acc),
              usage: imagesUsage([usageOf(acc, free)]),
            });
            return;
          }
        }
      };
      Promise.all(gens.map((_, i) => pump(i)))
        .then(() => {
          if (closed) return;
          write('data: [DONE]\n\n');
          stop(200);
          ctl.close();
        })
        .catch((err) => {
          if (!closed) fail(asError(err));
        });
    },
    cancel() {
      stop(499);
    },
  });
}
