// OpenAI's Images API over the same events: an ImagesResponse (`data[]` items with our `url` and,
// unless response_format is "url", the raw `b64_json`), or `image_generation.*` stream events
// (`image_edit.*` for edits): `partial_image` for previews as the upstream sends them (at most
// `partial_images` per image, OpenAI's default 0; also an earlier image of the same generation;
// never stored, so no `url`), `completed` per image (with our `index` and `url`), `error` if one
// fails, then `data: [DONE]`.
import { H } from '../../shared/headers';
import type { ImagesRequest } from '../../shared/schemas';
import type { Collected } from '../stream/collect';
import type { GenMeta, ImageItem, StreamError, Usage } from '../stream/events';
import { sumUsd, usageFor } from './cost';
import { openAiErrorBody } from './errors';
import { publicImage } from './public';
import type { AnswerContext, Renderer, SseRenderer } from './types';

export interface ImagesShape {
  req: ImagesRequest;
  /** `data[]` items carry the base64 too (response_format is not "url"). */
  withB64: boolean;
  /** Stream event names: `image_generation.*` (default) or `image_edit.*`. */
  kind?: 'image_generation' | 'image_edit';
}

export function openAiImages(shape: ImagesShape): Renderer {
  return {
    errorBody: openAiErrorBody,
    keepsImageData: true,
    json(answers, ctx) {
      const error = noImageError(answers);
      if (error) return error;
      const data = answers.map((r, i) => imageData(lastImage(r)!, ctx.metas[i], ctx.origin, shape.withB64));
      const headers: Record<string, string> = {};
      if (data.some((d) => d.url === null)) headers[H.imageFallback] = 'b64_json';
      const body = {
        created: Math.floor(Date.now() / 1000),
        data,
        ...echoed(shape.req, answers[0]),
        usage: imagesUsage(answers.map((r, i) => usageFor(ctx.metas[i], usageOf(r)))),
      };
      return { body: JSON.stringify(body), headers };
    },
    sse: (ctx) => imageFrames(ctx, shape),
  };
}

const encoder = new TextEncoder();
const frame = (name: string, data: object) => [encoder.encode(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`)];
const DONE = encoder.encode('data: [DONE]\n\n');

function imageFrames(ctx: AnswerContext, shape: ImagesShape): SseRenderer {
  const kind = shape.kind ?? 'image_generation';
  const seen = ctx.metas.map(() => 0);
  const partials = ctx.metas.map(() => 0);
  const preview = (i: number, b64: string): Uint8Array[] => {
    if (partials[i] >= (shape.req.partial_images ?? 0)) return [];
    return frame(`${kind}.partial_image`, {
      type: `${kind}.partial_image`,
      b64_json: b64,
      partial_image_index: partials[i]++,
      index: i,
      created_at: Math.floor(Date.now() / 1000),
      ...echoed(shape.req, undefined),
    });
  };
  return {
    event(event, i, acc) {
      if (event.type === 'partial') return preview(i, event.partial.b64);
      const meta = ctx.metas[i];
      const before = seen[i];
      seen[i] = acc.images.length;
      const out: Uint8Array[] = [];
      // A newer image turns the one before it into a preview.
      if (acc.images.length > before && before > 0) {
        const d = imageData(acc.images[before - 1], meta, ctx.origin, shape.withB64);
        if (d.b64_json) out.push(...preview(i, d.b64_json));
      }
      if (event.type !== 'end') return out;
      const err = noImageError([acc]);
      if (err) return err;
      const d = imageData(lastImage(acc)!, meta, ctx.origin, shape.withB64);
      out.push(
        ...frame(`${kind}.completed`, {
          type: `${kind}.completed`,
          ...d,
          index: i,
          created_at: Math.floor(Date.now() / 1000),
          ...echoed(shape.req, acc),
          usage: imagesUsage([usageFor(meta, usageOf(acc))]),
        }),
      );
      return out;
    },
    error: (err) => frame('error', { type: 'error', error: err.error }),
    done: () => [DONE],
  };
}

/** The generation's result is its last image (earlier ones, if a provider sends any, are previews). */
export const lastImage = (r: Collected): ImageItem | undefined => r.images.at(-1);

export function noImageError(results: Collected[]): StreamError | undefined {
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

/** One `data[]` item: our URL and (unless response_format is "url") the raw base64. */
function imageData(item: ImageItem, meta: GenMeta, origin: string, withB64: boolean) {
  const pub = publicImage(item, origin, 'url') as ImageItem & { darkroom?: { url: string | null } };
  const url = pub.darkroom?.url ?? null;
  const dataUrl = item.image_url.url;
  const b64 = dataUrl.startsWith('data:') ? dataUrl.slice(dataUrl.indexOf(',') + 1) : undefined;
  return {
    url,
    ...((withB64 || url === null) && b64 ? { b64_json: b64 } : {}),
    darkroom: {
      ...pub.darkroom,
      generation_id: meta.generationId,
      share_url: `${origin}/s/${meta.generationId}`,
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

export const usageOf = (r: Collected): Usage => {
  const u = r.usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  return { ...u, cost: u.cost ?? 0 };
};

/** OpenAI's Images API usage block, plus our `cost` in USD. */
function imagesUsage(usages: Usage[]) {
  const input = usages.reduce((a, u) => a + (u.prompt_tokens ?? 0), 0);
  const output = usages.reduce((a, u) => a + (u.completion_tokens ?? 0), 0);
  return {
    input_tokens: input,
    output_tokens: output,
    total_tokens: input + output,
    input_tokens_details: { text_tokens: input, image_tokens: 0 },
    cost: sumUsd(usages.map((u) => u.cost ?? 0)),
  };
}
