// POST /v1/images/generations: OpenAI's Images API shape over the chat path. Same validation,
// cache, R2 storage and headers; both our URL and the base64 in every data[] item.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { call, chat, imageEvents, parseSse, script, sha256Hex, uniquePrompt, upstreamRequests } from './helpers';

const images = (body: Record<string, unknown>, init: RequestInit & { key?: string | null } = {}) =>
  call('/v1/images/generations', { method: 'POST', body: JSON.stringify(body), ...init });

const b64Bytes = (b64: string) => Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
const PNG = [0x89, 0x50, 0x4e, 0x47];

describe('POST /v1/images/generations', () => {
  it('answers an ImagesResponse: url and b64_json of the same PNG, usage with cost, chat headers', async () => {
    const prompt = uniquePrompt('images json');
    const a = await images({ prompt, model: 'gpt-5.4-image-2' });
    expect(a.res.status).toBe(200);
    expect(a.res.headers.get('x-cache')).toBe('BYPASS');
    expect(a.res.headers.get('x-darkroom-provider')).toBe('custom');
    expect(a.res.headers.get('x-darkroom-generation')).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(a.json.created).toBeGreaterThan(1_700_000_000);
    expect(a.json.data).toHaveLength(1);
    const [item] = a.json.data;
    const bytes = b64Bytes(item.b64_json);
    expect([...bytes.slice(0, 4)]).toEqual(PNG);
    expect(item.url).toBe(`https://darkroom.test/i/${await sha256Hex(bytes)}.png`);
    const served = await call(new URL(item.url).pathname, { key: null });
    expect(served.res.status).toBe(200);
    const stored = await env.IMAGES.get(new URL(item.url).pathname.slice(3));
    expect(new Uint8Array(await stored!.arrayBuffer())).toEqual(bytes);
    expect(item.darkroom.generation_id).toBe(a.res.headers.get('x-darkroom-generation'));
    expect(a.json.output_format).toBe('png');
    const u = a.json.usage;
    expect(u.total_tokens).toBe(u.input_tokens + u.output_tokens);
    expect(u.input_tokens_details).toEqual({ text_tokens: u.input_tokens, image_tokens: 0 });
    expect(u.cost).toBeCloseTo((u.input_tokens * 8 + u.output_tokens * 15) / 1e6, 8);
  });

  it("sends each image to the upstream's Images API (POST /images): prompt, options, seed + i", async () => {
    const prompt = uniquePrompt('images mapping');
    const a = await images({
      prompt,
      n: 3,
      size: '1536x1024',
      quality: 'hd',
      background: 'opaque',
      output_format: 'webp',
      seed: 70,
      user: 'u-1',
    });
    expect(a.res.status).toBe(200);
    expect(a.json.data).toHaveLength(3);
    expect(new Set(a.json.data.map((d: any) => d.url)).size).toBe(3);
    expect(a.res.headers.get('x-darkroom-generation')!.split(', ')).toHaveLength(3);
    const seen = await upstreamRequests(prompt);
    expect(seen.count).toBe(3);
    expect(seen.requests.every((r) => r.path === '/v1/images')).toBe(true);
    const bodies = seen.requests.map((r) => r.body).sort((x, y) => x.seed - y.seed);
    expect(bodies.map((b) => b.seed)).toEqual([70, 71, 72]);
    for (const b of bodies) {
      expect(b).toEqual({
        model: 'openai/gpt-5.4-image-2',
        prompt,
        n: 1,
        aspect_ratio: '3:2',
        quality: 'high',
        background: 'opaque',
        output_format: 'webp',
        seed: b.seed,
        stream: false,
        user: 'u-1',
      });
    }
  });

  it('response_format "url" drops the base64', async () => {
    const a = await images({ prompt: uniquePrompt('images url only'), response_format: 'url' });
    expect(a.res.status).toBe(200);
    expect(a.json.data[0].url).toMatch(/^https:\/\/darkroom\.test\/i\/[0-9a-f]{64}\.png$/);
    expect(a.json.data[0].b64_json).toBeUndefined();
    expect(a.text).not.toContain('iVBOR');
  });

  it('uses the same cache as chat: a seeded repeat is a free HIT, and so is the equivalent chat request', async () => {
    const prompt = uniquePrompt('images cache');
    const first = await images({ prompt, seed: 5, size: '1024x1792' });
    expect(first.res.headers.get('x-cache')).toBe('MISS');
    const again = await images({ prompt, seed: 5, size: '1024x1792' });
    expect(again.res.headers.get('x-cache')).toBe('HIT');
    expect(again.json.usage.cost).toBe(0);
    expect(again.json.data[0].b64_json).toBe(first.json.data[0].b64_json);
    expect(again.json.data[0].url).toBe(first.json.data[0].url);
    const viaChat = await chat({
      messages: [{ role: 'user', content: prompt }],
      modalities: ['image'],
      image_config: { aspect_ratio: '9:16' },
      seed: 5,
    });
    expect(viaChat.res.headers.get('x-cache')).toBe('HIT');
    expect(viaChat.json.choices[0].message.images[0].darkroom.url).toBe(first.json.data[0].url);
    expect((await upstreamRequests(prompt)).count).toBe(1);
  });

  it('streams image_generation.completed events (one per image), usage, then [DONE]', async () => {
    const prompt = uniquePrompt('images stream');
    const a = await images({ prompt, n: 2, stream: true, seed: 900 });
    expect(a.res.status).toBe(200);
    expect(a.res.headers.get('content-type')).toContain('text/event-stream');
    expect(a.res.headers.get('x-should-retry')).toBe('false');
    const events = imageEvents(a.text);
    expect(events.at(-1)!.data).toBe('[DONE]');
    const completed = events.filter((e) => e.event === 'image_generation.completed').map((e) => e.data);
    expect(completed).toHaveLength(2);
    expect(completed.map((e) => e.index).sort()).toEqual([0, 1]);
    for (const e of completed) {
      expect(e.type).toBe('image_generation.completed');
      expect([...b64Bytes(e.b64_json).slice(0, 4)]).toEqual(PNG);
      expect(e.url).toBe(`https://darkroom.test/i/${await sha256Hex(b64Bytes(e.b64_json))}.png`);
      expect(e.usage.total_tokens).toBe(e.usage.input_tokens + e.usage.output_tokens);
      expect(e.usage.cost).toBeGreaterThan(0);
    }
  });

  it('rejects what the schema rejects, in OpenAI error shape', async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ prompt: 'x', bogus: 1 }, 'bogus', 'unknown_parameter'],
      [{}, 'prompt', 'missing_required_parameter'],
      [{ prompt: '' }, 'prompt', 'invalid_value'],
      [{ prompt: 'x', n: 5 }, 'n', 'invalid_value'],
      [{ prompt: 'x', size: '640x480' }, 'size', 'invalid_value'],
      [{ prompt: 'x', model: 'dall-e-3' }, 'model', 'invalid_value'],
      [{ prompt: 'x', size: '1024x1024', aspect_ratio: '16:9' }, 'aspect_ratio', 'invalid_value'],
      [{ prompt: 'x', seed: Number.MAX_SAFE_INTEGER, n: 2 }, 'seed', 'invalid_value'],
    ];
    for (const [body, param, code] of cases) {
      const a = await images(body);
      expect(a.res.status, JSON.stringify(body)).toBe(400);
      expect(a.json.error).toMatchObject({ type: 'invalid_request_error', param, code });
    }
    const noKey = await images({ prompt: 'x' }, { key: null });
    expect(noKey.res.status).toBe(401);
    expect(noKey.json.error.type).toBe('authentication_error');
  });

  it('passes an upstream failure on as an HTTP error, and a mid-stream one as an error event', async () => {
    const prompt = uniquePrompt('images upstream fails');
    await script(prompt, [
      {
        kind: 'status',
        status: 400,
        body: { error: { message: 'bad prompt', type: 'invalid_request_error', code: 'invalid_prompt' } },
      },
    ]);
    const a = await images({ prompt });
    expect(a.res.status).toBeGreaterThanOrEqual(400);
    expect(a.json.error.message).toBeTruthy();

    const midway = uniquePrompt('images mid-stream');
    await script(midway, [{ kind: 'error-event' }]);
    const s = await images({ prompt: midway, stream: true });
    expect(s.res.status).toBe(200);
    const events = imageEvents(s.text);
    const err = events.find((e) => e.event === 'error');
    expect(err?.data.type).toBe('error');
    expect(err?.data.error.message).toBeTruthy();
    expect(events.some((e) => e.data === '[DONE]')).toBe(false);
  });

  it('records the generation: GET /v1/generations/:id has the prompt and the image', async () => {
    const prompt = uniquePrompt('images record');
    const a = await images({ prompt, seed: 3, size: '1792x1024' });
    const id = a.json.data[0].darkroom.generation_id;
    let rec: any;
    for (let i = 0; i < 100 && !rec?.images?.length; i++) {
      rec = (await call(`/v1/generations/${id}`)).json;
      if (!rec?.images?.length) await new Promise((r) => setTimeout(r, 25));
    }
    expect(rec.prompt).toBe(prompt);
    expect(rec.seed).toBe(3);
    expect(rec.aspect_ratio).toBe('16:9');
    expect(rec.images[0].url).toBe(a.json.data[0].url);
  });

  it('keeps SSE framing parseable by a naive client (no stray blocks)', async () => {
    const a = await images({ prompt: uniquePrompt('images framing'), stream: true, response_format: 'url' });
    for (const e of parseSse(a.text))
      if (e.data !== undefined) expect(e.data.startsWith('event: ') || e.data === '[DONE]').toBe(true);
    expect(a.text).not.toContain('b64_json');
  });
});
