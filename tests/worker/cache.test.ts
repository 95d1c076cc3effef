// The response cache (issue 3): the same seeded request never costs a second generation.
import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { canonicalJson, cacheKey } from '../../worker/cache/key';
import {
  ask,
  chat,
  eventually,
  imagesOf,
  parseSse,
  script,
  sseJson,
  textOf,
  uniquePrompt,
  upstreamRequests,
  DEV_KEY,
} from './helpers';

const seeded = (prompt: string, extra: Record<string, unknown> = {}) => ask(prompt, { seed: 42, ...extra });
const urls = (a: Parameters<typeof imagesOf>[0]) => imagesOf(a).map((i) => i.darkroom.url);
/** The dev key's cache scope against the fake upstream (provider `custom`). */
const DEV_SCOPE = { scope: 'dev', upstream: 'custom' };
const count = async (prompt: string) => (await upstreamRequests(prompt)).count;

describe('miss then hit', () => {
  for (const [first, second] of [
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ]) {
    it(`first ${first ? 'SSE' : 'JSON'}, then ${second ? 'SSE' : 'JSON'}`, async () => {
      const prompt = uniquePrompt('combo');
      const a = await chat(seeded(prompt, { stream: first }));
      expect(a.res.headers.get('x-cache')).toBe('MISS');
      const b = await chat(seeded(prompt, { stream: second }));
      expect(b.res.headers.get('x-cache')).toBe('HIT');
      expect(Number(b.res.headers.get('x-cache-age'))).toBeGreaterThanOrEqual(0);
      expect(Number(b.res.headers.get('x-cache-saved-usd'))).toBeGreaterThan(0);
      expect(textOf(b)).toBe(textOf(a));
      expect(urls(b)).toEqual(urls(a));
      expect(imagesOf(b)[0].image_url.url).toBe(imagesOf(a)[0].image_url.url); // same data URL bytes
      expect(b.res.headers.get('x-darkroom-generation')).toBe(a.res.headers.get('x-darkroom-generation'));
      if (second) {
        const chunks = sseJson(b.text);
        expect(parseSse(b.text).at(-1)?.data).toBe('[DONE]');
        expect(chunks.at(-1).usage.cost).toBe(0);
        expect(chunks.at(-1).usage.completion_tokens).toBeGreaterThan(0);
      } else {
        expect(b.json.usage.cost).toBe(0);
      }
      expect(await count(prompt)).toBe(1);
    });
  }

  it('replays reasoning too', async () => {
    const prompt = uniquePrompt('reasoning hit');
    await script(prompt, [{ kind: 'reasoning' }]);
    await chat(seeded(prompt, { stream: true }));
    const b = await chat(seeded(prompt, { stream: true }));
    expect(b.res.headers.get('x-cache')).toBe('HIT');
    expect(
      sseJson(b.text)
        .map((c) => c.choices[0]?.delta?.reasoning ?? '')
        .join(''),
    ).toBe('Thinking about foxes.');
  });

  it('answers lean hits without reading R2 for base64', async () => {
    const prompt = uniquePrompt('lean hit');
    await chat(seeded(prompt));
    const b = await chat(seeded(prompt), { headers: { 'x-image-format': 'url' } });
    expect(b.res.headers.get('x-cache')).toBe('HIT');
    expect(imagesOf(b)[0].image_url.url).toMatch(/^https:\/\/darkroom\.test\/i\/[0-9a-f]{64}\.png$/);
    expect(b.text).not.toContain('base64');
  });
});

describe('the key', () => {
  it('is canonical JSON: key order does not matter', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"x":1,"y":2}]},"b":1}',
    );
  });

  it('treats "x" and [{type:"text",text:"x"}] as the same message, and ignores stream and user', async () => {
    const base = { model: 'openai/gpt-5.4-image-2', seed: 1, messages: [{ role: 'user' as const, content: 'x' }] };
    const k1 = await cacheKey(base, DEV_SCOPE);
    expect(
      await cacheKey({ ...base, messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }] }, DEV_SCOPE),
    ).toBe(k1);
    expect(await cacheKey({ ...base, stream: true, user: 'u1' }, DEV_SCOPE)).toBe(k1);
    expect(await cacheKey({ ...base, seed: 2 }, DEV_SCOPE)).not.toBe(k1);
    expect(await cacheKey({ ...base, image_config: { aspect_ratio: '16:9' } }, DEV_SCOPE)).not.toBe(k1);
    expect(await cacheKey({ ...base, frequency_penalty: 1 }, DEV_SCOPE)).not.toBe(k1);
    expect(await cacheKey({ ...base, messages: [{ role: 'user', content: 'y' }] }, DEV_SCOPE)).not.toBe(k1);
    expect(await cacheKey({ ...base, modalities: ['image'] }, DEV_SCOPE)).not.toBe(k1);
    expect(await cacheKey({ ...base, max_tokens: 10 }, DEV_SCOPE)).toBe(
      await cacheKey({ ...base, max_completion_tokens: 10 }, DEV_SCOPE),
    );
    expect(await cacheKey(base, { ...DEV_SCOPE, scope: 'key:0123456789abcdef' })).not.toBe(k1); // another caller's scope
    expect(await cacheKey(base, { ...DEV_SCOPE, upstream: 'demo' })).not.toBe(k1); // another upstream
  });

  it('maps equal requests to one entry over HTTP and unequal ones to different entries', async () => {
    const prompt = uniquePrompt('normalised');
    await chat(seeded(prompt));
    const same = await chat({
      seed: 42,
      user: 'someone',
      messages: [{ role: 'user', content: [{ type: 'text', text: prompt }] }],
    });
    expect(same.res.headers.get('x-cache')).toBe('HIT');
    const alias = await chat(seeded(prompt, { model: 'gpt-5.4-image-2' }));
    expect(alias.res.headers.get('x-cache')).toBe('HIT');
    const other = await chat(seeded(prompt, { image_config: { aspect_ratio: '16:9' } }));
    expect(other.res.headers.get('x-cache')).toBe('MISS');
    expect(await count(prompt)).toBe(2);
  });
});

describe('what is never cached', () => {
  it('unseeded requests and seed -1 are BYPASS and always reach the upstream', async () => {
    for (const extra of [{}, { seed: -1 }]) {
      const prompt = uniquePrompt('unseeded');
      const a = await chat(ask(prompt, extra));
      const b = await chat(ask(prompt, extra));
      expect(a.res.headers.get('x-cache')).toBe('BYPASS');
      expect(b.res.headers.get('x-cache')).toBe('BYPASS');
      expect(await count(prompt)).toBe(2);
    }
    const { requests } = await upstreamRequests('');
    expect(requests.every((r) => r.body.seed !== -1)).toBe(true);
  });

  // [what, fake upstream step, shapes it applies to]
  const failures: [string, Record<string, unknown>, boolean[]][] = [
    ['an HTTP error', { kind: 'status', status: 400 }, [true, false]],
    ['an error chunk', { kind: 'error-chunk' }, [true]],
    ['a truncated body', { kind: 'truncate' }, [true, false]],
    ['a stream without [DONE] or finish', { kind: 'no-done' }, [true]],
    ['a length cut-off', { kind: 'length' }, [true, false]],
    ['an image that is not an image', { kind: 'not-image' }, [true, false]],
    ['invalid JSON', { kind: 'invalid-json' }, [true, false]],
  ];
  for (const [what, step, shapes] of failures) {
    for (const stream of shapes) {
      it(`leaves no entry after ${what} (${stream ? 'SSE' : 'JSON'})`, async () => {
        const prompt = uniquePrompt(`fail ${what}`);
        await script(prompt, [step, { kind: 'ok' }]);
        const a = await chat(seeded(prompt, { stream }));
        expect(a.res.headers.get('x-cache')).not.toBe('HIT');
        const b = await chat(seeded(prompt, { stream }));
        expect(b.res.headers.get('x-cache')).toBe('MISS');
        expect(textOf(b)).toContain('Here is your image');
        const c = await chat(seeded(prompt, { stream }));
        expect(c.res.headers.get('x-cache')).toBe('HIT');
      });
    }
  }
});

describe('TTL and bypass headers', () => {
  it('x-cache-ttl sets the KV expiration and must be at least 60 s', async () => {
    const bad = await chat(seeded(uniquePrompt('ttl bad')), { headers: { 'x-cache-ttl': '30' } });
    expect(bad.res.status).toBe(400);
    expect(bad.json.error.param).toBe('x-cache-ttl');
    const prompt = uniquePrompt('ttl');
    const before = Math.floor(Date.now() / 1000);
    const a = await chat(seeded(prompt), { headers: { 'x-cache-ttl': '120' } });
    const key = `c:${await cacheKey({ ...seeded(prompt), model: 'openai/gpt-5.4-image-2' } as never, DEV_SCOPE)}`;
    const listed = await eventually(async () => (await env.CACHE.list({ prefix: key })).keys[0]);
    expect(a.res.status).toBe(200);
    expect(listed.expiration).toBeGreaterThanOrEqual(before + 119);
    expect(listed.expiration).toBeLessThanOrEqual(before + 125);
  });

  it('defaults to 30 days', async () => {
    const prompt = uniquePrompt('ttl default');
    const before = Math.floor(Date.now() / 1000);
    await chat(seeded(prompt));
    const key = `c:${await cacheKey({ ...seeded(prompt), model: 'openai/gpt-5.4-image-2' } as never, DEV_SCOPE)}`;
    const listed = await eventually(async () => (await env.CACHE.list({ prefix: key })).keys[0]);
    expect(listed.expiration).toBeGreaterThanOrEqual(before + 30 * 86400 - 5);
  });

  it('no-cache skips the lookup but stores the fresh result', async () => {
    const prompt = uniquePrompt('no-cache');
    await chat(seeded(prompt));
    const fresh = await chat(seeded(prompt), { headers: { 'cache-control': 'no-cache' } });
    expect(fresh.res.headers.get('x-cache')).toBe('BYPASS');
    expect(await count(prompt)).toBe(2);
    const hit = await chat(seeded(prompt));
    expect(hit.res.headers.get('x-cache')).toBe('HIT');
  });

  it('no-store neither reads nor writes', async () => {
    const prompt = uniquePrompt('no-store');
    const a = await chat(seeded(prompt), { headers: { 'cache-control': 'no-store' } });
    expect(a.res.headers.get('x-cache')).toBe('BYPASS');
    const b = await chat(seeded(prompt));
    expect(b.res.headers.get('x-cache')).toBe('MISS');
    const c = await chat(seeded(prompt), { headers: { 'cache-control': 'no-store' } });
    expect(c.res.headers.get('x-cache')).toBe('BYPASS');
    expect(await count(prompt)).toBe(3);
  });
});

describe('in flight', () => {
  it('20 concurrent identical requests cause one upstream generation; each gets the full answer', async () => {
    const prompt = uniquePrompt('coalesce');
    await script(prompt, [{ kind: 'delay', ms: 30 }]);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => chat(seeded(prompt, { stream: i % 2 === 0 }))),
    );
    expect(await count(prompt)).toBe(1);
    const first = urls(answers[0]);
    for (const a of answers) {
      expect(a.res.status).toBe(200);
      expect(urls(a)).toEqual(first);
      expect(textOf(a)).toBe(textOf(answers[0]));
      if (a.json === undefined) expect(parseSse(a.text).at(-1)?.data).toBe('[DONE]');
    }
    expect(answers.filter((a) => a.res.headers.get('x-darkroom-coalesced') === 'true').length).toBe(19);
  });

  it('a streaming client that disconnects does not waste the generation', async () => {
    const prompt = uniquePrompt('disconnect');
    await script(prompt, [{ kind: 'delay', ms: 100 }]);
    const res = await SELF.fetch('https://darkroom.test/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${DEV_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(seeded(prompt, { stream: true })),
    });
    const reader = res.body!.getReader();
    await reader.read(); // the first bytes, then walk away
    await reader.cancel();
    const hit = await eventually(async () => {
      const a = await chat(seeded(prompt), { headers: {} });
      return a.res.headers.get('x-cache') === 'HIT' ? a : null;
    }, 10_000);
    expect(hit).toBeTruthy();
    expect(await count(prompt)).toBe(1);
  });
});
