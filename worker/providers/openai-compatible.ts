// Any server that speaks OpenAI's chat completions: POST {baseUrl}/chat/completions; and, unless
// turned off, OpenRouter's Images API at POST {baseUrl}/images for Images API requests.
import { imagesApi } from './images-api';
import type { Provider, UpstreamRequest } from './types';

export function openAICompatible(opts: {
  name: string;
  baseUrl: string;
  apiKey?: string;
  headers?: Record<string, string>;
  /** Serve Images API requests on {baseUrl}/images (default true). */
  imagesApi?: boolean;
  /** On 404/405 from /images, use /chat/completions instead (and remember it). */
  imagesChatFallback?: boolean;
}): Provider {
  const baseUrl = opts.baseUrl.replace(/\/+$/, '');
  const url = `${baseUrl}/chat/completions`;
  const headers: Record<string, string> = { 'content-type': 'application/json', ...opts.headers };
  if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;
  const chat = ({ body, signal }: UpstreamRequest) =>
    fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal });
  return {
    name: opts.name,
    secrets: opts.apiKey ? [opts.apiKey] : [],
    chat,
    ...(opts.imagesApi === false
      ? {}
      : { images: imagesApi({ baseUrl, headers, chatFallback: Boolean(opts.imagesChatFallback), chat }) }),
  };
}
