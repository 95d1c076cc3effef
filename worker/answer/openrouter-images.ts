// OpenRouter's Images API (POST /api/v1/images) over the same events as OpenAI's: a JSON
// `{created, data: [{b64_json, media_type}], usage}` (raw base64, not a data URL), or `data:`
// events `image_generation.partial_image`, `image_generation.text_chunk`,
// `image_generation.completed`, `error`, then `data: [DONE]` (wire-formats 1.9). Each data item
// also carries our `url` and `darkroom` object; OpenRouter's clients ignore fields they don't know.
import type { GenMeta, ImageItem, Usage } from '../stream/events';
import { sumUsd, usageFor } from './cost';
import { lastImage, noImageError, usageOf } from './openai-images';
import { openRouterErrorBody } from './openrouter';
import { publicImage, publicMeta } from './public';
import type { AnswerContext, Renderer, SseRenderer } from './types';

const encoder = new TextEncoder();
const data = (event: object) => [encoder.encode(`data: ${JSON.stringify(event)}\n\n`)];
const DONE = encoder.encode('data: [DONE]\n\n');
const now = () => Math.floor(Date.now() / 1000);

export function openRouterImages(): Renderer {
  return {
    errorBody: openRouterErrorBody,
    keepsImageData: true,
    json(answers, ctx) {
      const error = noImageError(answers);
      if (error) return error;
      const body = {
        created: now(),
        data: answers.map((r, i) => imageItem(lastImage(r)!, ctx.metas[i], ctx.origin)),
        usage: openRouterUsage(answers.map((r, i) => usageFor(ctx.metas[i], usageOf(r)))),
      };
      return { body: JSON.stringify(body) };
    },
    sse: (ctx) => imageEvents(ctx),
  };
}

function imageEvents(ctx: AnswerContext): SseRenderer {
  const partials = ctx.metas.map(() => 0);
  return {
    event(event, i, acc) {
      if (event.type === 'partial') {
        return data({
          type: 'image_generation.partial_image',
          partial_image_index: partials[i]++,
          b64_json: event.partial.b64,
          index: i,
        });
      }
      if (event.type === 'chunk') {
        const delta = event.chunk.choices[0]?.delta;
        const out: Uint8Array[] = [];
        if (delta?.reasoning)
          out.push(
            ...data({ type: 'image_generation.text_chunk', phase: 'reasoning', text: delta.reasoning, index: i }),
          );
        if (delta?.content)
          out.push(...data({ type: 'image_generation.text_chunk', phase: 'content', text: delta.content, index: i }));
        return out;
      }
      if (event.type !== 'end') return [];
      const err = noImageError([acc]);
      if (err) return err;
      const meta = ctx.metas[i];
      return data({
        type: 'image_generation.completed',
        ...imageItem(lastImage(acc)!, meta, ctx.origin),
        created: now(),
        index: i,
        usage: openRouterUsage([usageFor(meta, usageOf(acc))]),
      });
    },
    error: (err) => {
      const { message, code, param, type } = err.error;
      return data({ type: 'error', error: { message, code, param, type } });
    },
    done: () => [DONE],
  };
}

/** One image: the raw base64 and its type, plus our URL and generation. */
function imageItem(item: ImageItem, meta: GenMeta, origin: string) {
  const pub = publicImage(item, origin, 'url') as ImageItem & {
    darkroom?: { url: string | null; content_type?: string };
  };
  const dataUrl = item.image_url.url;
  const b64 = dataUrl.startsWith('data:') ? dataUrl.slice(dataUrl.indexOf(',') + 1) : '';
  const mediaType = pub.darkroom?.content_type ?? (dataUrl.match(/^data:([^;,]+)/)?.[1] || 'image/png');
  return {
    b64_json: b64,
    media_type: mediaType,
    url: pub.darkroom?.url ?? null,
    darkroom: { ...pub.darkroom, ...publicMeta(meta, origin) },
  };
}

/** OpenRouter's usage block: token counts and `cost` in USD, summed over the n images. */
function openRouterUsage(usages: Usage[]) {
  const sum = (k: 'prompt_tokens' | 'completion_tokens') => usages.reduce((a, u) => a + (u[k] ?? 0), 0);
  const prompt = sum('prompt_tokens');
  const completion = sum('completion_tokens');
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    cost: sumUsd(usages.map((u) => u.cost ?? 0)),
  };
}
