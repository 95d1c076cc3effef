// After a generation finished well: the cache entry (cacheable requests only) and the
// generation record behind its share link. Storage failures are logged and skipped: the client
// already has its answer.
import { entryFrom } from '../cache/entry';
import { writeEntry } from '../cache/entry';
import type { Env } from '../env';
import { logLine } from '../observability/log';
import { bounded } from '../lib/bounded';
import { settings } from '../lib/settings';
import { putGenerationRecord } from '../storage/records';
import type { Collected } from '../stream/collect';
import type { GenerationPlan } from './plan';

/**
 * Only the primary upstream's answers are cached: a fallback (another vendor, the demo) answered
 * this request, not the request the cache key names. Its record is still written: the share link
 * shows what was made, and says by whom.
 */
export async function finishGeneration(
  env: Env,
  plan: GenerationPlan,
  acc: Collected,
  provider: string,
  fromPrimary: boolean,
): Promise<void> {
  if (!acc.ended || acc.error || !acc.finishReason) return;
  // A hung KV write must not keep the background task (or the Durable Object) alive.
  const { kvWriteMs } = settings(env);
  const entry = entryFrom(acc, provider, plan.generationId);
  if (plan.cacheKey && entry && fromPrimary) {
    try {
      await bounded(writeEntry(env.CACHE, plan.cacheKey, entry, plan.ttlSeconds), kvWriteMs, 'KV put');
    } catch (err) {
      logLine({
        level: 'error',
        msg: 'cache write failed; skipped',
        generation: plan.generationId,
        error: String(err),
      });
    }
  }
  try {
    await bounded(
      putGenerationRecord(env, {
        id: plan.generationId,
        created: Math.floor(Date.now() / 1000), // when it was generated, not the upstream's clock
        model: acc.model || String(plan.upstreamBody.model ?? ''),
        provider,
        prompt: plan.record.prompt,
        seed: plan.record.seed,
        aspect_ratio: plan.record.aspectRatio,
        text: acc.text,
        images: acc.images.flatMap((i) => (i.darkroom ? [i.darkroom] : [])),
        inputs: plan.record.inputs,
        parent: plan.record.parent,
        usage: acc.usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, cost: 0 },
        finish_reason: acc.finishReason,
        streamed: plan.stream,
        upstream_id: acc.id || null,
      }),
      kvWriteMs,
      'KV put record',
    );
  } catch (err) {
    logLine({
      level: 'error',
      msg: 'generation record write failed; skipped',
      generation: plan.generationId,
      error: String(err),
    });
  }
}
