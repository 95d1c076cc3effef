// The limit counter's windows: a long one (a playground session's) survives the Durable Object
// being evicted, so pausing between bursts does not reset it; a short one lives in memory only.
import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { LimitCounter, LASTING_WINDOW_S, type LimitSpec } from '../../worker/access/limit-counter';

const counter = (name: string) => env.LIMITS.get(env.LIMITS.idFromName(`${name}:${crypto.randomUUID()}`));

describe('LimitCounter windows', () => {
  it('a long window is kept in storage: a fresh instance (after eviction) goes on counting', async () => {
    const stub = counter('session');
    const spec: LimitSpec = { rpm: 2, concurrency: 100, dailyUsd: -1, windowS: LASTING_WINDOW_S * 6 };
    expect((await stub.acquire(spec)).ok).toBe(true);
    expect((await stub.acquire(spec)).ok).toBe(true);
    await runInDurableObject(stub, async (_instance: LimitCounter, state) => {
      const afterEviction = new LimitCounter(state, env);
      const third = await afterEviction.acquire(spec);
      expect(third.ok).toBe(false);
      expect(third.ok ? 0 : third.retryAfterS).toBeGreaterThan(LASTING_WINDOW_S);
    });
  });

  it('a short window is not written to storage', async () => {
    const stub = counter('key');
    expect((await stub.acquire({ rpm: 5, concurrency: 100, dailyUsd: -1, windowS: 60 })).ok).toBe(true);
    await runInDurableObject(stub, async (_instance: LimitCounter, state) => {
      expect(await state.storage.get('window')).toBeUndefined();
    });
  });
});
