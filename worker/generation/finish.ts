// After a generation finished well: the cache entry (cacheable requests only) and the
// generation record behind its share link. Storage failures are logged and skipped: the client
// already has its answer.
import { entryFrom } from '../cache/entry';
import { writeEntry } from '../cache/entry';
import type { Env } from '../env';
import { logLine } from '../observability/log';
import { bounded } from '../storage/image-store';
import { putGenerationRecord } from '../storage/records';

/** A hung KV write must not keep the background task (or the Durable Object) alive. */
const KV_WRITE_TIMEOUT_MS = 10_000;
import type { Collected } from '../stream/collect';
import type { GenerationPlan } from './plan';

export async function finishGeneration(env: Env, plan: GenerationPlan, acc: Collected, provider: string): Promise<void> {
  if (!acc.ended || acc.error || !acc.finishReason) return;
  const entry = entryFrom(acc, provider, plan.generationId);
  if (plan.cacheKey && entry) {
    try {
      await bounded(writeEntry(env.CACHE, plan.cacheKey, entry, plan.ttlSeconds), KV_WRITE_TIMEOUT_MS, 'KV put');
    } catch (err) {
      logLine({ level: 'error', msg: 'cache write failed; skipped', generation: plan.generationId, error: String(err) });
    }
  }
  try {
    await bounded(putGenerationRecord(env, {
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
    }), KV_WRITE_TIMEOUT_MS, 'KV put record');
  } catch (err) {
    logLine({ level: 'error', msg: 'generation record write failed; skipped', generation: plan.generationId, error: String(err) });
  }
}
