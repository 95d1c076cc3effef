// Any OpenAI-compatible base URL (UPSTREAM_BASE_URL + UPSTREAM_API_KEY) speaking OpenRouter's
// image format. Tests and benchmarks point this at a local fake upstream.
import { openAICompatible } from './openai-compatible';
import type { Provider } from './types';

export function custom(baseUrl: string, apiKey?: string): Provider {
  return openAICompatible({ name: 'custom', baseUrl, apiKey });
}
