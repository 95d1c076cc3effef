// Any OpenAI-compatible base URL (UPSTREAM_BASE_URL + UPSTREAM_API_KEY) speaking OpenRouter's
// image format. Tests and benchmarks point this at a local fake upstream. Images API requests
// try its /images route first and fall back to /chat/completions where it has none.
import { openAICompatible } from './openai-compatible';
import type { Provider } from './types';

export function custom(baseUrl: string, apiKey?: string, opts: { imagesApi?: boolean } = {}): Provider {
  return openAICompatible({ name: 'custom', baseUrl, apiKey, imagesApi: opts.imagesApi, imagesChatFallback: true });
}
