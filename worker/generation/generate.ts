// The events of one generation, from wherever they come: a cache hit replayed, a generation
// joined or started in the coalescing Durable Object (cacheable requests), or a direct run.
import { forgetEntry, readEntry, rememberedEntry } from '../cache/entry';
import { replayEvents } from '../cache/replay';
import type { Env } from '../env';
import { logLine } from '../observability/log';
import { bounded } from '../lib/bounded';
import { settings } from '../lib/settings';
import { r2ImageStore } from '../storage/image-store';
import type { GenEvent, GenSource } from '../stream/events';
import { subscriptionEvents } from './coordinator';
import type { GenerationPlan } from './plan';
import { runGeneration } from './run';

export async function generationEvents(
  env: Env,
  plan: GenerationPlan,
  opts: {
    withImageData: boolean;
    /**
     * The answer is a stream of the upstream's data URLs, read by this request alone: image lines
     * go on while they arrive. A coalesced generation (the Durable Object) hands over whole lines.
     */
    relayImages?: boolean;
    waitUntil(p: Promise<unknown>): void;
    /** Takes the caller's place under its limits; only called when a generation must run. */
    admit?: () => Promise<void>;
    timing?: { lookupMs?: number };
  },
): Promise<GenSource> {
  if (plan.readCache) {
    const started = performance.now();
    const hit = await cachedEvents(env, plan, opts.withImageData);
    if (opts.timing) opts.timing.lookupMs = performance.now() - started;
    if (hit) return hit;
  }
  await opts.admit?.();
  if (plan.cacheKey) {
    const stub = env.GENERATIONS.get(env.GENERATIONS.idFromName(plan.cacheKey));
    return subscriptionEvents(await stub.join(plan));
  }
  return runGeneration(plan, { env, waitUntil: opts.waitUntil, relayImages: opts.relayImages });
}

/** Runs fn at most once; every caller shares its promise (n images, one admission). */
export function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => (p ??= fn());
}

async function cachedEvents(env: Env, plan: GenerationPlan, withImageData: boolean): Promise<GenEvent[] | null> {
  try {
    const entry =
      rememberedEntry(plan.cacheKey!) ??
      (await bounded(readEntry(env.CACHE, plan.cacheKey!), settings(env).kvReadMs, 'KV get')); // a hung KV read is a miss, not a hung request
    if (!entry) return null;
    const events = await replayEvents(entry, r2ImageStore(env.IMAGES), withImageData);
    if (events) return events;
    forgetEntry(plan.cacheKey!); // an image went missing from R2: generate again
    return null;
  } catch (err) {
    logLine({ level: 'error', msg: 'cache read failed; treated as a miss', error: String(err) });
    return null;
  }
}
