// Which upstreams answer, in order: UPSTREAM_BASE_URL set means `custom`; else
// OPENROUTER_API_KEY means `openrouter`; else the offline `demo`. UPSTREAM_FALLBACKS adds an
// ordered list tried after the primary ("openrouter", "demo" or an OpenAI-compatible base URL,
// optionally `<url>|VARIABLE` naming the variable that holds that upstream's own key). Each
// upstream gets its own key only: a fallback base URL without `|VARIABLE` is sent none.
// Images API requests use the upstream's /images route unless UPSTREAM_IMAGES_API=off.
import type { Env } from '../env';
import { settings, stringSetting, upstreamFallbacks } from '../lib/settings';
import { custom } from './custom';
import { demo } from './demo';
import { openRouter } from './openrouter';
import type { Provider } from './types';

export function selectProviders(env: Env): Provider[] {
  const s = settings(env);
  const demoOpts = { delayMs: s.demoDelayMs, partialDelayMs: s.demoPartialDelayMs, partialImages: s.demoPartialImages };
  const imagesApi = { imagesApi: s.upstreamImagesApi };
  const openRouterKey = stringSetting(env.OPENROUTER_API_KEY);
  const primary = env.UPSTREAM_BASE_URL
    ? custom(env.UPSTREAM_BASE_URL, stringSetting(env.UPSTREAM_API_KEY), imagesApi)
    : openRouterKey
      ? openRouter(openRouterKey, env.OPENROUTER_BASE_URL, imagesApi)
      : demo(demoOpts);
  const fallbacks = upstreamFallbacks(env)
    .map(({ target, keyVar }): Provider | null => {
      if (target === 'demo') return demo(demoOpts);
      if (target === 'openrouter')
        return openRouterKey ? openRouter(openRouterKey, env.OPENROUTER_BASE_URL, imagesApi) : null;
      if (/^https?:\/\//.test(target))
        return custom(target, keyVar ? stringSetting(env[keyVar]) : undefined, imagesApi);
      return null;
    })
    .filter((p): p is Provider => p !== null);
  return [primary, ...fallbacks];
}

/** The name of the primary upstream: the only one whose answers are cached. */
export const primaryProvider = (env: Env): string => selectProviders(env)[0].name;

export type { Provider } from './types';
