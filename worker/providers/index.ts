// Which upstreams answer, in order: UPSTREAM_BASE_URL set means `custom`; else
// OPENROUTER_API_KEY means `openrouter`; else the offline `demo`. UPSTREAM_FALLBACKS adds an
// ordered list tried after the primary ("openrouter", "demo" or an OpenAI-compatible base URL).
import type { Env } from '../env';
import { settings } from '../lib/settings';
import { custom } from './custom';
import { demo } from './demo';
import { openRouter } from './openrouter';
import type { Provider } from './types';

export function selectProviders(env: Env): Provider[] {
  const demoOpts = { delayMs: settings(env).demoDelayMs };
  const primary = env.UPSTREAM_BASE_URL
    ? custom(env.UPSTREAM_BASE_URL, env.UPSTREAM_API_KEY)
    : env.OPENROUTER_API_KEY
      ? openRouter(env.OPENROUTER_API_KEY, env.OPENROUTER_BASE_URL)
      : demo(demoOpts);
  const fallbacks = String(env.UPSTREAM_FALLBACKS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((name): Provider | null => {
      if (name === 'demo') return demo(demoOpts);
      if (name === 'openrouter') return env.OPENROUTER_API_KEY ? openRouter(env.OPENROUTER_API_KEY, env.OPENROUTER_BASE_URL) : null;
      if (/^https?:\/\//.test(name)) return custom(name, env.UPSTREAM_API_KEY);
      return null;
    })
    .filter((p): p is Provider => p !== null);
  return [primary, ...fallbacks];
}

export type { Provider } from './types';
