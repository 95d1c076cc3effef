// Limits: requests per window trip at exactly their number and reset; concurrent generations;
// the daily spend cap; cache hits cost nothing; publishable keys and the playground per IP.
import { describe, expect, it } from 'vitest';
import { createKey, gen, listed, SITE, sleep, uniqueIp } from './access-helpers';
import { eventually, script, uniquePrompt } from './helpers';

const WIDGET = 'https://limits.example.com';

function expect429(a: { res: Response; json: any }, code: string) {
  expect(a.res.status).toBe(429);
  expect(a.json.error).toMatchObject({ type: 'rate_limit_error', code });
  expect(Number(a.res.headers.get('retry-after'))).toBeGreaterThan(0);
  for (const h of ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'])
    expect(a.res.headers.get(h), h).toMatch(/^\d+$/);
}

describe('rate limit', () => {
  it('trips at exactly its number, with Retry-After, and resets after the window', async () => {
    const { key } = await createKey({ type: 'secret', rpm: 3, window_s: 2 });
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const a = await gen(key);
      expect(a.res.status).toBe(200);
      remaining.push(a.res.headers.get('x-ratelimit-remaining'));
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const over = await gen(key);
    expect429(over, 'rate_limit_exceeded');
    expect(over.res.headers.get('x-ratelimit-limit')).toBe('3');
    expect(over.res.headers.get('x-ratelimit-remaining')).toBe('0');
    const retryAfter = Number(over.res.headers.get('retry-after'));
    expect(retryAfter).toBeLessThanOrEqual(2);
    expect(over.json.error.message).toMatch(/Rate limit reached for this key/);
    // Refused requests do not count: still refused, not pushed further out.
    expect((await gen(key)).res.status).toBe(429);
    await sleep(retryAfter * 1000 + 50);
    const again = await gen(key);
    expect(again.res.status).toBe(200);
    expect(again.res.headers.get('x-ratelimit-remaining')).toBe('2');
  });

  it('never puts a cache hit through the limiter (hits cost nothing, not even rate)', async () => {
    const { key } = await createKey({ type: 'secret', rpm: 2, window_s: 60 });
    const prompt = uniquePrompt('refund');
    const miss = await gen(key, { prompt, extra: { seed: 9 } });
    expect(miss.res.headers.get('x-cache')).toBe('MISS');
    for (let i = 0; i < 4; i++) {
      const hit = await gen(key, { prompt, extra: { seed: 9 } });
      expect(hit.res.status).toBe(200);
      expect(hit.res.headers.get('x-cache')).toBe('HIT');
    }
    expect((await gen(key)).res.status).toBe(200); // the second and last real request of the window
    expect429(await gen(key), 'rate_limit_exceeded');
  });

  it('counts only generations: a refused request never reaches the limiter', async () => {
    const { key } = await createKey({ type: 'secret', rpm: 1, window_s: 60 });
    const bad = await gen(key, { extra: { temperature: 'hot' } });
    expect(bad.res.status).toBe(400);
    expect(bad.res.headers.get('x-ratelimit-remaining')).toBeNull();
    const ok = await gen(key);
    expect(ok.res.status).toBe(200);
    expect(ok.res.headers.get('x-ratelimit-remaining')).toBe('0');
    expect429(await gen(key), 'rate_limit_exceeded');
  });

  it('limits each key separately', async () => {
    const a = await createKey({ type: 'secret', rpm: 1, window_s: 60 });
    const b = await createKey({ type: 'secret', rpm: 1, window_s: 60 });
    expect((await gen(a.key)).res.status).toBe(200);
    expect((await gen(a.key)).res.status).toBe(429);
    expect((await gen(b.key)).res.status).toBe(200);
  });

  it('gives publishable keys a per-IP limit too, with CORS headers on the 429', async () => {
    const { key } = await createKey({ type: 'publishable', origins: [WIDGET], rpm: 100 });
    const ip = uniqueIp();
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof gen>> | undefined;
    for (let i = 0; i < 11; i++) {
      last = await gen(key, { origin: WIDGET, ip });
      statuses.push(last.res.status);
    }
    expect(statuses.slice(0, 10).every((s) => s === 200)).toBe(true);
    expect429(last!, 'rate_limit_exceeded');
    expect(last!.json.error.message).toContain('your IP address');
    expect(last!.res.headers.get('access-control-allow-origin')).toBe(WIDGET);
    // Another visitor of the same site is not affected.
    expect((await gen(key, { origin: WIDGET, ip: uniqueIp() })).res.status).toBe(200);
  });

  it('limits the keyless playground per IP', async () => {
    const ip = uniqueIp();
    for (let i = 0; i < 10; i++) expect((await gen(null, { origin: SITE, ip })).res.status).toBe(200);
    expect429(await gen(null, { origin: SITE, ip }), 'rate_limit_exceeded');
    expect((await gen(null, { origin: SITE, ip: uniqueIp() })).res.status).toBe(200);
  });
});

describe('concurrent generations', () => {
  it('refuses a generation beyond the limit while others run, then frees the slots', async () => {
    const { key } = await createKey({ type: 'secret', concurrency: 2 });
    const slow = uniquePrompt('slow');
    await script(slow, [{ kind: 'delay', ms: 150 }]);
    const running = [gen(key, { prompt: `${slow} a` }), gen(key, { prompt: `${slow} b`, extra: { stream: true } })];
    await sleep(150);
    const third = await gen(key);
    expect429(third, 'rate_limit_exceeded');
    expect(third.json.error.message).toMatch(/Too many generations are running at once/);
    expect(third.res.headers.get('retry-after')).toBe('1');
    for (const r of await Promise.all(running)) expect(r.res.status).toBe(200);
    const after = await eventually(async () => {
      const a = await gen(key);
      return a.res.status === 200 ? a : undefined;
    });
    expect(after?.res.status).toBe(200);
  });

  it('frees the slot of a request that failed', async () => {
    const { key } = await createKey({ type: 'secret', concurrency: 1 });
    const failing = uniquePrompt('fails');
    await script(failing, [{ kind: 'status', status: 400 }]);
    expect((await gen(key, { prompt: failing })).res.status).toBe(400);
    expect((await gen(key, { extra: { temperature: 'x' } })).res.status).toBe(400);
    const ok = await eventually(async () => ((await gen(key)).res.status === 200 ? true : undefined));
    expect(ok).toBe(true);
  });
});

describe('daily spend cap', () => {
  it('refuses with 429 and a clear message once the day budget is spent', async () => {
    const { key, id } = await createKey({ type: 'secret', daily_usd: 0.000001 });
    const first = await gen(key);
    expect(first.res.status).toBe(200);
    const cost = first.json.usage.cost;
    expect(cost).toBeGreaterThan(0.000001);
    const refused = await eventually(async () => {
      const a = await gen(key);
      return a.res.status === 429 ? a : undefined;
    });
    expect429(refused!, 'spend_cap_reached');
    expect(refused!.json.error.message).toMatch(/daily spend cap of this key is used up; it resets at 00:00 UTC/);
    const retryAfter = Number(refused!.res.headers.get('retry-after'));
    const midnight = Math.ceil(
      (Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 1) - Date.now()) /
        1000,
    );
    expect(Math.abs(retryAfter - midnight)).toBeLessThanOrEqual(2);
    const k = await listed(id);
    expect(k.spent_today_usd).toBeCloseTo(cost, 10);
  });

  it('books nothing for cache hits: a seeded MISS costs, the HITs are free', async () => {
    const { key, id } = await createKey({ type: 'secret', daily_usd: 1 });
    const prompt = uniquePrompt('cached spend');
    const miss = await gen(key, { prompt, extra: { seed: 42 } });
    expect(miss.res.headers.get('x-cache')).toBe('MISS');
    const cost = miss.json.usage.cost;
    expect(cost).toBeGreaterThan(0);
    await eventually(async () => (await listed(id)).spent_today_usd > 0);
    for (const stream of [false, true]) {
      const hit = await gen(key, { prompt, extra: { seed: 42, stream } });
      expect(hit.res.headers.get('x-cache')).toBe('HIT');
    }
    await sleep(200);
    expect((await listed(id)).spent_today_usd).toBeCloseTo(cost, 10);
  });

  it('mirrors spend into RECORDS for the keys CLI', async () => {
    const { env } = await import('cloudflare:test');
    const { key, id } = await createKey({ type: 'secret' });
    const a = await gen(key);
    const snap = await eventually(async () => env.RECORDS.get<any>(`s:${id}`, 'json'), 6000);
    expect(snap.usd).toBeCloseTo(a.json.usage.cost, 10);
    expect(snap.total_usd).toBeCloseTo(a.json.usage.cost, 10);
  });
});
