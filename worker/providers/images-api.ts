// OpenRouter's Images API as an upstream: POST {base}/images with `prompt`, `input_references`,
// `aspect_ratio`, ... instead of a chat body; it streams `image_generation.partial_image`
// previews before the final image (worker/stream/images-api-events.ts reads its answers).
// A custom upstream without the route (404 or 405) is asked once more on /chat/completions, and
// remembered per isolate so later requests go there directly.
import type { UpstreamRequest } from './types';

/** Base URLs that answered 404/405 on /images (per isolate: a restart simply asks again). */
const withoutImagesRoute = new Set<string>();

export interface ImagesRoute {
  baseUrl: string;
  headers: Record<string, string>;
  /** Retry 404/405 on /chat/completions (custom upstreams; OpenRouter has the route). */
  chatFallback: boolean;
  chat(req: UpstreamRequest): Promise<Response>;
}

export function imagesApi(route: ImagesRoute): (req: UpstreamRequest) => Promise<Response> {
  const url = `${route.baseUrl}/images`;
  return async (req) => {
    if (route.chatFallback && withoutImagesRoute.has(route.baseUrl)) return route.chat(req);
    const res = await fetch(url, {
      method: 'POST',
      headers: route.headers,
      body: JSON.stringify(imagesRequestBody(req.body)),
      signal: req.signal,
    });
    if (!route.chatFallback || (res.status !== 404 && res.status !== 405)) return res;
    res.body?.cancel().catch(() => {});
    withoutImagesRoute.add(route.baseUrl);
    return route.chat(req);
  };
}

/** Forget what was learnt about upstream routes (tests). */
export const forgetImagesRoutes = () => withoutImagesRoute.clear();

type Part = { type?: string; text?: string; image_url?: { url?: string } };

/**
 * The chat body an Images API request was planned as (one user message of text and image parts,
 * `image_config`, seed...) -> OpenRouter's Images API request. Keys the model does not take
 * there (moderation) are left out.
 */
export function imagesRequestBody(chat: Record<string, unknown>): Record<string, unknown> {
  const messages = Array.isArray(chat.messages) ? (chat.messages as { role?: string; content?: unknown }[]) : [];
  const parts: Part[] = messages
    .filter((m) => m.role === 'user')
    .flatMap((m) =>
      typeof m.content === 'string'
        ? [{ type: 'text', text: m.content }]
        : Array.isArray(m.content)
          ? (m.content as Part[])
          : [],
    );
  const prompt = parts
    .filter((p) => p.type === 'text')
    .map((p) => p.text)
    .join('\n');
  const input_references = parts
    .filter((p) => p.type === 'image_url' && typeof p.image_url?.url === 'string')
    .map((p) => ({ type: 'image_url', image_url: { url: p.image_url!.url } }));
  const cfg = (chat.image_config ?? {}) as Record<string, unknown>;
  const body: Record<string, unknown> = { model: chat.model, prompt, n: 1 };
  if (input_references.length) body.input_references = input_references;
  if (cfg.aspect_ratio !== undefined) body.aspect_ratio = cfg.aspect_ratio;
  if (cfg.image_size !== undefined) body.resolution = cfg.image_size;
  for (const k of ['quality', 'background', 'output_format', 'output_compression', 'size', 'resolution'] as const) {
    if (cfg[k] !== undefined) body[k] = cfg[k];
  }
  for (const k of ['seed', 'stream', 'user'] as const) if (chat[k] !== undefined) body[k] = chat[k];
  return body;
}
