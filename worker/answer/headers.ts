// The response headers every generation answer carries, whatever its dialect or shape: which
// generation(s), the share page, the cache status and what a hit saved, who answered.
import { H } from '../../shared/headers';
import { noRetry } from '../lib/errors';
import type { GenMeta } from '../stream/events';
import { sumUsd } from './cost';

/** One answer may hold n generations (the Images API's `n`): ids are a comma-separated list. */
export function metaHeaders(metas: GenMeta[], origin: string): Record<string, string> {
  const all = (c: string) => metas.every((m) => m.cache === c);
  const cache = all('HIT') ? 'HIT' : all('BYPASS') ? 'BYPASS' : 'MISS';
  const h: Record<string, string> = {
    [H.cache]: cache,
    [H.provider]: [...new Set(metas.map((m) => m.provider))].join(', '),
    [H.generationId]: metas.map((m) => m.generationId).join(', '),
    [H.openRouterGenerationId]: metas.map((m) => m.generationId).join(', '),
    [H.shareUrl]: `${origin}/s/${metas[0].generationId}`,
  };
  if (cache === 'HIT') {
    h[H.cacheAge] = String(Math.max(...metas.map((m) => m.age ?? 0)));
    h[H.cacheSaved] = sumUsd(metas.map((m) => m.savedUsd ?? 0)).toFixed(6);
  }
  if (metas.some((m) => m.joined)) h['x-darkroom-coalesced'] = 'true';
  return h;
}

/** Once an answer streams, a client-side retry would run (and bill) the generation again. */
export const SSE_HEADERS: Record<string, string> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  ...noRetry(),
};

export const JSON_HEADERS: Record<string, string> = { 'content-type': 'application/json' };
