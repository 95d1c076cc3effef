// /api/v1/* speaks OpenRouter over the same pipeline as /v1/*: its error shape everywhere (routing,
// validation, access, upstream, mid-stream), the same answers, one cache and one record.
import { describe, expect, it } from 'vitest';
import { ask, call, dataUrlBytes, script, sseJson, uniquePrompt, upstreamRequests } from './helpers';

const orChat = (body: Record<string, unknown>, init: RequestInit & { key?: string | null } = {}) =>
  call('/api/v1/chat/completions', { method: 'POST', body: JSON.stringify(body), ...init });

/** OpenRouter's error body: an integer code equal to the status, a message, metadata. */
function expectOpenRouterError(json: any, status: number) {
  expect(json.error.code).toBe(status);
  expect(typeof json.error.message).toBe('string');
  expect(json.error).not.toHaveProperty('type');
  expect(json.error).not.toHaveProperty('param');
}

describe('OpenRouter dialect: errors', () => {
  it.each<[string, { body: Record<string, unknown>; key?: string }, number]>([
    ['an unknown parameter', { body: ask('x', { temperature: 0.5 }) }, 400],
    ['no messages', { body: { messages: [] } }, 400],
    ['a bad key', { body: ask('x'), key: 'sk-nope' }, 401],
  ])('%s is answered in its shape', async (_label, { body, key }, status) => {
    const { res, json } = await orChat(body, key ? { key } : {});
    expect(res.status).toBe(status);
    expectOpenRouterError(json, status);
  });

  it('unknown routes and wrong methods too, and /v1 keeps OpenAI shape for the same', async () => {
    const nf = await call('/api/v1/nothing-here', { method: 'GET' });
    expect(nf.res.status).toBe(404);
    expectOpenRouterError(nf.json, 404);
    const wrong = await call('/api/v1/chat/completions', { method: 'GET' });
    expect(wrong.res.status).toBe(405);
    expectOpenRouterError(wrong.json, 405);
    expect(wrong.json.error.metadata.error_type).toBe('method_not_allowed');
    const openai = await call('/v1/nothing-here', { method: 'GET' });
    expect(openai.json.error).toMatchObject({ type: 'not_found_error', code: 'unknown_route' });
  });

  it('an upstream error before the stream is an HTTP error; after it, a chunk with a top-level error', async () => {
    const before = uniquePrompt('or up 400');
    await script(before, [
      { kind: 'status', status: 400, body: { error: { message: 'bad prompt', code: 'invalid_prompt' } } },
    ]);
    const early = await orChat(ask(before, { stream: true }));
    expect(early.res.status).toBe(400);
    expectOpenRouterError(early.json, 400);

    const mid = uniquePrompt('or mid');
    await script(mid, [{ kind: 'error-chunk', code: 502 }]);
    const late = await orChat(ask(mid, { stream: true }));
    expect(late.res.status).toBe(200);
    const events = sseJson(late.text);
    const last = events.at(-1);
    expect(last.object).toBe('chat.completion.chunk');
    expect(last.error.code).toBe(502);
    expect(last.choices[0].finish_reason).toBe('error');
    expect(last.id).toBe(late.res.headers.get('x-darkroom-generation'));
  });
});

describe('OpenRouter dialect: answers', () => {
  it('JSON: system_fingerprint, our id, and the generation found by it on both dialects', async () => {
    const { res, json } = await orChat(ask(uniquePrompt('or json'), { seed: 3 }));
    expect(res.status).toBe(200);
    expect(json).toHaveProperty('system_fingerprint', null);
    expect(json.id).toBe(res.headers.get('x-darkroom-generation'));
    expect(res.headers.get('x-generation-id')).toBe(json.id);
    const or = await call(`/api/v1/generation?id=${json.id}`, { method: 'GET' });
    expect(or.res.status).toBe(200);
    expect(or.json.data).toMatchObject({
      id: json.id,
      model: json.model,
      streamed: false,
      finish_reason: 'stop',
      latency: null,
    });
    expect(or.json.data.total_cost).toBe(json.usage.cost);
    const openai = await call(`/v1/generations/${json.id}`, { method: 'GET' });
    expect(openai.res.status).toBe(200);
    expect(openai.json.id).toBe(json.id);
  });

  it('shares one cache with /v1: the same seeded request is a hit across dialects', async () => {
    const body = ask(uniquePrompt('or cache'), { seed: 11 });
    const first = await call('/v1/chat/completions', { method: 'POST', body: JSON.stringify(body) });
    expect(first.res.headers.get('x-cache')).toBe('MISS');
    const again = await orChat(body);
    expect(again.res.headers.get('x-cache')).toBe('HIT');
    expect(again.json.id).toBe(first.json.id);
  });

  it('a missing id is a 400 and an unknown one a 404, in OpenRouter shape', async () => {
    const missing = await call('/api/v1/generation', { method: 'GET' });
    expect(missing.res.status).toBe(400);
    expectOpenRouterError(missing.json, 400);
    const unknown = await call('/api/v1/generation?id=nosuchgeneration00000000', { method: 'GET' });
    expect(unknown.res.status).toBe(404);
    expectOpenRouterError(unknown.json, 404);
  });

  it('GET /api/v1/models lists the model in OpenRouter shape', async () => {
    const { json } = await call('/api/v1/models', { method: 'GET' });
    expect(json.total_count).toBe(1);
    expect(json.data[0]).toMatchObject({
      id: 'openai/gpt-5.4-image-2',
      architecture: { output_modalities: ['text', 'image'] },
    });
    expect(typeof json.data[0].pricing.prompt).toBe('string');
  });
});

describe('OpenRouter dialect: POST /api/v1/images', () => {
  const images = (body: Record<string, unknown>) =>
    call('/api/v1/images', { method: 'POST', body: JSON.stringify(body) });
  const isPng = (b64: string) => dataUrlBytes(`data:image/png;base64,${b64}`).subarray(0, 4).join() === '137,80,78,71';

  it('JSON: {created, data: [{b64_json, media_type}], usage} with our url beside it', async () => {
    const { res, json } = await images({
      prompt: uniquePrompt('or images'),
      n: 2,
      aspect_ratio: '16:9',
      resolution: '2K',
    });
    expect(res.status).toBe(200);
    expect(json.data).toHaveLength(2);
    for (const d of json.data) {
      expect(isPng(d.b64_json)).toBe(true);
      expect(d.media_type).toBe('image/png');
      expect(d.url).toMatch(/^https:\/\/darkroom\.test\/i\/[0-9a-f]{64}\.png$/);
    }
    expect(json.usage.total_tokens).toBe(json.usage.prompt_tokens + json.usage.completion_tokens);
    expect(typeof json.usage.cost).toBe('number');
  });

  it('goes to the upstream Images API with its resolution and aspect ratio', async () => {
    const prompt = uniquePrompt('or images upstream');
    await images({ prompt, aspect_ratio: '3:2', resolution: '1K', seed: 5 });
    const { requests } = await upstreamRequests(prompt);
    expect(requests.at(-1)!.path).toMatch(/\/images$/);
    expect(requests.at(-1)!.body).toMatchObject({ aspect_ratio: '3:2', resolution: '1K' });
  });

  it('streamed: partial images, then completed, then [DONE], as data-only events', async () => {
    const { res, text } = await images({ prompt: uniquePrompt('or images sse'), stream: true });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    expect(text).not.toMatch(/^event:/m);
    const events = sseJson(text);
    const types = events.map((e) => e.type);
    expect(types.filter((t) => t === 'image_generation.partial_image').length).toBeGreaterThanOrEqual(1);
    expect(types.at(-1)).toBe('image_generation.completed');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    const done = events.at(-1);
    expect(isPng(done.b64_json)).toBe(true);
    expect(done.usage.total_tokens).toBeGreaterThan(0);
    const partials = events.filter((e) => e.type === 'image_generation.partial_image');
    expect(partials.map((p) => p.partial_image_index)).toEqual(partials.map((_p, i) => i));
  });

  it('an upstream error mid-stream is an error event; bad input is a 400 in its shape', async () => {
    const prompt = uniquePrompt('or images err');
    await script(prompt, [{ kind: 'error-chunk', code: 502 }]);
    const { text } = await images({ prompt, stream: true });
    expect(sseJson(text).at(-1)).toMatchObject({ type: 'error', error: { message: expect.any(String) } });
    const bad = await images({ prompt: 'x', output_format: 'svg' });
    expect(bad.res.status).toBe(400);
    expectOpenRouterError(bad.json, 400);
    const refs = await images({
      prompt: 'x',
      input_references: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,aGVsbG8=' } }],
    });
    expect(refs.res.status).toBe(400);
    expect(refs.json.error.metadata.param).toBe('input_references[0].image_url.url');
  });
});
