// Any server that speaks OpenAI's chat completions: POST {baseUrl}/chat/completions.
import type { Provider } from './types';

export function openAICompatible(opts: {
  name: string;
  baseUrl: string;
  apiKey?: string;
  headers?: Record<string, string>;
}): Provider {
  const url = `${opts.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  const headers: Record<string, string> = { 'content-type': 'application/json', ...opts.headers };
  if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;
  return {
    name: opts.name,
    secrets: opts.apiKey ? [opts.apiKey] : [],
    chat: ({ body, signal }) => fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal }),
  };
}
