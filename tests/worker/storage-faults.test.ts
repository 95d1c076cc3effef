// R2 and KV failing (throwing or hanging), simulated by wrapping the bindings: the client still
// gets its generation, images fall back to data URLs (and say so), an image is referenced only
// after its R2 write succeeded, and failed cache writes are logged and skipped.
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readEntry } from '../../worker/cache/entry';
import type { Env } from '../../worker/env';
import { planGeneration } from '../../worker/generation/plan';
import { runGeneration } from '../../worker/generation/run';
import worker from '../../worker/index';
import { collect } from '../../worker/stream/collect';
import {
  answerOf,
  ask,
  chat,
  dataUrlBytes,
  DEV_KEY,
  imagesOf,
  parseSse,
  sha256Hex,
  textOf,
  uniquePrompt,
  upstreamRequests,
} from './helpers';

const never = () => new Promise<never>(() => {});
const boom = (what: string) => () => Promise.reject(new Error(`${what} failed (injected)`));

function r2(overrides: Partial<Record<'put' | 'get' | 'head', () => Promise<unknown>>>): R2Bucket {
  const real = env.IMAGES;
  return new Proxy(real, {
    get(target, prop) {
      if (typeof prop === 'string' && prop in overrides) return overrides[prop as 'put'];
      const v = Reflect.get(target, prop);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

function kv(real: KVNamespace, overrides: Partial<Record<'put' | 'get', () => Promise<unknown>>>): KVNamespace {
  return new Proxy(real, {
    get(target, prop) {
      if (typeof prop === 'string' && prop in overrides) return overrides[prop as 'put'];
      const v = Reflect.get(target, prop);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

/** The Worker's own fetch with swapped bindings (uncached requests run right here in the isolate). */
async function direct(body: Record<string, unknown>, bindings: Partial<Env>, headers: Record<string, string> = {}) {
  const req = new Request('https://darkroom.test/v1/chat/completions', {
    method: 'POST',
    headers: { authorization: `Bearer ${DEV_KEY}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const ctx = createExecutionContext();
  const res = await worker.fetch(req, { ...env, ...bindings } as Env, ctx);
  return answerOf(res, () => waitOnExecutionContext(ctx));
}

/** A generation run directly with a wrapped env; returns what it collected once every waitUntil settled. */
async function run(prompt: string, bindings: Partial<Env>, settle = true) {
  const plan = await planGeneration(ask(prompt, { seed: 11 }) as never, {
    cacheMode: 'default',
    ttlSeconds: 3600,
    scope: 'dev',
    upstream: 'custom',
  });
  const pending: Promise<unknown>[] = [];
  const acc = await collect(
    runGeneration(plan, { env: { ...env, ...bindings } as Env, waitUntil: (p) => pending.push(p) }),
  );
  if (settle) await Promise.all(pending);
  return { plan, acc, pending };
}

afterEach(() => vi.restoreAllMocks());

describe('R2 failures', () => {
  for (const [name, put] of [
    ['throws', boom('R2 put')],
    ['hangs', never],
  ] as const) {
    it(`R2 put ${name}: JSON answer with the data URL, x-darkroom-image-fallback, no R2 reference`, async () => {
      const prompt = uniquePrompt(`r2 put ${name}`);
      const t0 = Date.now();
      const a = await direct(ask(prompt), { IMAGES: r2({ put }), STORAGE_TIMEOUT_MS: '300' });
      expect(Date.now() - t0).toBeLessThan(3000); // a hanging put is bounded
      expect(a.res.status).toBe(200);
      expect(a.res.headers.get('x-darkroom-image-fallback')).toBe('data-url');
      const [img] = imagesOf(a);
      expect(img.image_url.url).toMatch(/^data:image\/png;base64,/);
      expect(img.darkroom.url).toBeNull();
      const sha = await sha256Hex(dataUrlBytes(img.image_url.url));
      expect(img.darkroom.sha256).toBe(sha);
      expect(await env.IMAGES.head(`${sha}.png`)).toBeNull();
    });
  }

  it('R2 put fails while streaming with x-image-format: url: the data URL is sent instead, and [DONE]', async () => {
    const prompt = uniquePrompt('r2 put sse');
    const a = await direct(
      ask(prompt, { stream: true }),
      { IMAGES: r2({ put: boom('R2 put') }) },
      { 'x-image-format': 'url' },
    );
    expect(a.res.status).toBe(200);
    expect(parseSse(a.text).at(-1)?.data).toBe('[DONE]');
    const [img] = imagesOf(a);
    expect(img.image_url.url).toMatch(/^data:image\/png;base64,/);
    expect(img.darkroom.url).toBeNull();
    expect(textOf(a)).toContain('Here is your image');
  });

  it('an answer whose image is only a data URL is not cached (seeded run, R2 down)', async () => {
    const prompt = uniquePrompt('r2 down seeded');
    const { plan, acc } = await run(prompt, { IMAGES: r2({ put: boom('R2 put') }) });
    expect(acc.error).toBeUndefined();
    expect(acc.images[0].darkroom?.key).toBeNull();
    expect(await readEntry(env.CACHE, plan.cacheKey!)).toBeNull();
    const next = await chat(ask(prompt, { seed: 11 }));
    expect(next.res.headers.get('x-cache')).toBe('MISS');
    expect(imagesOf(next)[0].darkroom.url).toMatch(/\/i\//);
  });

  it('R2 get fails on a cache hit that needs the bytes: still the right image, never a broken answer', async () => {
    const prompt = uniquePrompt('r2 get');
    const body = ask(prompt, { seed: 12 });
    expect((await chat(body)).res.headers.get('x-cache')).toBe('MISS');
    // A lean hit reads no bytes, so the isolate's memory of recent images stays cold.
    expect((await chat(body, { headers: { 'x-image-format': 'url' } })).res.headers.get('x-cache')).toBe('HIT');
    const a = await direct(body, { IMAGES: r2({ get: boom('R2 get') }) });
    expect(a.res.status).toBe(200);
    // Either regenerated or served from the coordinator's memory: never an entry with a missing image.
    const [img] = imagesOf(a);
    expect(img.image_url.url).toMatch(/^data:image\/png;base64,/);
    expect(await sha256Hex(dataUrlBytes(img.image_url.url))).toBe(img.darkroom.sha256);
  });
});

describe('KV failures', () => {
  for (const [name, put] of [
    ['throws', boom('KV put')],
    ['hangs', never],
  ] as const) {
    it(`KV put ${name}: the client gets its generation; the failed write is skipped and nothing is cached`, async () => {
      const prompt = uniquePrompt(`kv put ${name}`);
      const logs: string[] = [];
      for (const method of ['log', 'warn', 'error'] as const)
        vi.spyOn(console, method).mockImplementation((line: unknown) => void logs.push(String(line)));
      const { plan, acc, pending } = await run(prompt, { CACHE: kv(env.CACHE, { put }) }, name === 'throws');
      expect(acc.error).toBeUndefined();
      expect(acc.finishReason).toBe('stop');
      expect(acc.images[0].darkroom?.key).toMatch(/\.png$/);
      // In the background: the image's store (kept alive should the client go) and the finish.
      expect(pending.length).toBe(2);
      if (name === 'throws') expect(logs.some((l) => l.includes('cache write failed; skipped'))).toBe(true);
      vi.restoreAllMocks();
      // What a client would see next time: KV has nothing under the key.
      expect(await env.CACHE.get(`c:${plan.cacheKey}`)).toBeNull();
    });
  }

  it('KV get throws on the cache lookup: treated as a miss, the answer is fine', async () => {
    const prompt = uniquePrompt('kv get throws');
    const a = await direct(ask(prompt, { seed: 13 }), { CACHE: kv(env.CACHE, { get: boom('KV get') }) });
    expect(a.res.status).toBe(200);
    expect(a.res.headers.get('x-cache')).toBe('MISS');
    expect(imagesOf(a)).toHaveLength(1);
  });

  it('KV get hangs on the cache lookup: bounded, then a miss', async () => {
    const prompt = uniquePrompt('kv get hangs');
    const t0 = Date.now();
    const a = await direct(ask(prompt, { seed: 14, stream: true }), { CACHE: kv(env.CACHE, { get: never }) });
    expect(Date.now() - t0).toBeLessThan(9000);
    expect(a.res.status).toBe(200);
    expect(parseSse(a.text).at(-1)?.data).toBe('[DONE]');
    expect((await upstreamRequests(prompt)).count).toBe(1);
  });
});
