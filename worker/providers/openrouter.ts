// OpenRouter: images come back in message.images / delta.images as base64 data URLs.
import { openAICompatible } from './openai-compatible';
import type { Provider } from './types';

export function openRouter(apiKey: string, baseUrl = 'https://openrouter.ai/api/v1'): Provider {
  return openAICompatible({
    name: 'openrouter',
    baseUrl,
    apiKey,
    headers: { 'x-title': 'Darkroom', 'http-referer': 'https://github.com/darkroom' },
  });
}
