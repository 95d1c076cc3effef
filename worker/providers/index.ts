// Which upstreams answer, in order: UPSTREAM_BASE_URL set means `custom`; else
// OPENROUTER_API_KEY means `openrouter`; else the offline `demo`. UPSTREAM_FALLBACKS adds an
// ordered list tried after the primary ("openrouter", "demo" or an OpenAI-compatible base URL).
// Images API requests use the upstream's /images route unless UPSTREAM_IMAGES_API=off.
import type { Env } from '../env';
import { custom } from './custom';
import { demo } from './demo';
import { openRouter } from './openrouter';
import type { Provider } from './types';

export function selectProviders(env: Env): Provider[] {
  const delayMs = numberOr(env.DEMO_DELAY_MS, 40);
  const demoOpts = {
    delayMs,
    partialDelayMs: numberOr(env.DEMO_PARTIAL_DELAY_MS, delayMs > 0 ? 400 : 0),
    partialImages: Math.max(0, Math.min(3, numberOr(env.DEMO_PARTIAL_IMAGES, 2))),
  };
  const imagesApi = { imagesApi: String(env.UPSTREAM_IMAGES_API ?? '').toLowerCase() !== 'off' };
  const openrouter = () => openRouter(env.OPENROUTER_API_KEY!, env.OPENROUTER_BASE_URL, imagesApi);
  const primary = env.UPSTREAM_BASE_URL
    ? custom(env.UPSTREAM_BASE_URL, env.UPSTREAM_API_KEY, imagesApi)
    : env.OPENROUTER_API_KEY
      ? openrouter()
      : demo(demoOpts);
  const fallbacks = String(env.UPSTREAM_FALLBACKS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((name): Provider | null => {
      if (name === 'demo') return demo(demoOpts);
      if (name === 'openrouter') return env.OPENROUTER_API_KEY ? openrouter() : null;
      if (/^https?:\/\//.test(name)) return custom(name, env.UPSTREAM_API_KEY, imagesApi);
      return null;
    })
    .filter((p): p is Provider => p !== null);
  return [primary, ...fallbacks];
}

export function numberOr(value: unknown, fallback: number): number {
  const n = Number(value);
  return value !== undefined && value !== '' && Number.isFinite(n) ? n : fallback;
}

export type { Provider } from './types';
