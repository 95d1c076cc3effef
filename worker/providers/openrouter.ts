// OpenRouter: chat images come back in message.images / delta.images as base64 data URLs;
// Images API requests go to its POST /images (previews stream as image_generation.partial_image).
import { openAICompatible } from './openai-compatible';
import type { Provider } from './types';

export function openRouter(
  apiKey: string,
  baseUrl = 'https://openrouter.ai/api/v1',
  opts: { imagesApi?: boolean } = {},
): Provider {
  return openAICompatible({
    name: 'openrouter',
    baseUrl,
    apiKey,
    headers: { 'x-title': 'Darkroom', 'http-referer': 'https://github.com/darkroom' },
    imagesApi: opts.imagesApi,
  });
}
