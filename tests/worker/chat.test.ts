// The core job end to end against the fake upstream: streamed and JSON answers, images in R2
// served back byte for byte, the lean URL format, keep-alives, usage and errors.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import {
  ask,
  call,
  chat,
  dataUrlBytes,
  eventually,
  imagesOf,
  script,
  sha256Hex,
  sseJson,
  textOf,
  uniquePrompt,
  upstreamRequests,
  parseSse,
} from './helpers';

describe('POST /v1/chat/completions', () => {
  it('answers JSON with the upstream data URL and our URL beside it, both the same PNG', async () => {
    const prompt = uniquePrompt('json fox');
    const a = await chat(ask(prompt));
    expect(a.res.status).toBe(200);
    expect(a.res.headers.get('x-darkroom-provider')).toBe('custom');
    expect(a.res.headers.get('x-request-id')).toMatch(/^req_/);
    expect(a.res.headers.get('x-cache')).toBe('BYPASS');
    expect(a.json.object).toBe('chat.completion');
    expect(textOf(a)).toContain('Here is your image');
    const [img] = imagesOf(a);
    expect(img.image_url.url).toMatch(/^data:image\/png;base64,/);
    const bytes = dataUrlBytes(img.image_url.url);
    expect(img.darkroom.sha256).toBe(await sha256Hex(bytes));
    expect(img.darkroom.url).toBe(`https://darkroom.test/i/${img.darkroom.sha256}.png`);
    const served = await call(new URL(img.darkroom.url).pathname, { key: null });
    expect(served.res.headers.get('content-type')).toBe('image/png');
    const stored = await env.IMAGES.get(`${img.darkroom.sha256}.png`);
    expect(new Uint8Array(await stored!.arrayBuffer())).toEqual(bytes);
    expect(a.json.usage.cost).toBeCloseTo(
      (a.json.usage.prompt_tokens * 8 + a.json.usage.completion_tokens * 15) / 1e6,
      8,
    );
    expect(a.json.darkroom.share_url).toMatch(/^https:\/\/darkroom\.test\/s\//);
  });

  it('streams chunks, the image, usage in the last chunk and [DONE]', async () => {
    const prompt = uniquePrompt('stream fox');
    const a = await chat(ask(prompt, { stream: true }));
    expect(a.res.headers.get('content-type')).toContain('text/event-stream');
    const events = parseSse(a.text);
    expect(events.at(-1)?.data).toBe('[DONE]');
    const chunks = sseJson(a.text);
    expect(chunks[0].darkroom.generation_id).toBe(a.res.headers.get('x-darkroom-generation'));
    expect(textOf(a)).toContain('Here is your image');
    const [img] = imagesOf(a);
    expect(await sha256Hex(dataUrlBytes(img.image_url.url))).toBe(img.darkroom.sha256);
    const last = chunks.at(-1);
    expect(last.choices).toEqual([]);
    expect(last.usage.cost).toBeGreaterThan(0);
  });

  it('records every finished generation behind its share id, streamed and not', async () => {
    for (const stream of [false, true]) {
      const prompt = uniquePrompt('record');
      const a = await chat(ask(prompt, { stream }));
      const id = a.res.headers.get('x-darkroom-generation');
      const record = await eventually(async () => {
        const r = await call(`/v1/generations/${id}`, { key: null });
        return r.res.status === 200 ? r.json : null;
      });
      expect(record, `record for ${stream ? 'SSE' : 'JSON'}`).toMatchObject({ id, prompt, object: 'generation' });
      expect(record.images[0].url).toBe(imagesOf(a)[0].darkroom.url);
    }
  });

  it('gives lean answers with x-image-format: url (no base64 at all)', async () => {
    const prompt = uniquePrompt('lean');
    for (const stream of [false, true]) {
      const a = await chat(ask(prompt, { stream }), { headers: { 'x-image-format': 'url' } });
      const [img] = imagesOf(a);
      expect(img.image_url.url).toBe(img.darkroom.url);
      expect(a.text).not.toContain('base64');
    }
  });

  it('sends the upstream the resolved model, default modalities and max_completion_tokens', async () => {
    const prompt = uniquePrompt('mapping');
    const a = await chat(ask(prompt, { model: 'gpt-5.4-image-2', max_tokens: 500 }));
    expect(a.res.status).toBe(200);
    expect(a.res.headers.get('deprecation')).toBe('true');
    const { requests } = await upstreamRequests(prompt);
    expect(requests[0].body.model).toBe('openai/gpt-5.4-image-2');
    expect(requests[0].body.modalities).toEqual(['image', 'text']);
    expect(requests[0].body.max_completion_tokens).toBe(500);
    expect(requests[0].body.max_tokens).toBeUndefined();
    expect(requests[0].headers.authorization).toBe(`Bearer ${env.UPSTREAM_API_KEY}`);
  });

  it('forwards upstream keep-alive comments as life', async () => {
    const prompt = uniquePrompt('keepalive');
    await script(prompt, [{ kind: 'keepalives', count: 3, everyMs: 20 }]);
    const a = await chat(ask(prompt, { stream: true }));
    expect(parseSse(a.text).filter((e) => e.comment === 'keep-alive').length).toBeGreaterThanOrEqual(3);
    expect(parseSse(a.text).at(-1)?.data).toBe('[DONE]');
  });

  it('passes reasoning through, streamed and not', async () => {
    const prompt = uniquePrompt('reasoning');
    await script(prompt, [{ kind: 'reasoning' }]);
    const json = await chat(ask(prompt));
    expect(json.json.choices[0].message.reasoning).toBe('Thinking about foxes.');
    const stream = await chat(ask(prompt, { stream: true }));
    expect(
      sseJson(stream.text)
        .map((c) => c.choices[0]?.delta?.reasoning ?? '')
        .join(''),
    ).toBe('Thinking about foxes.');
  });

  it('turns an upstream error chunk mid-stream into an OpenAI error event', async () => {
    const prompt = uniquePrompt('error chunk');
    await script(prompt, [{ kind: 'error-chunk' }]);
    const a = await chat(ask(prompt, { stream: true }));
    const events = parseSse(a.text);
    expect(events.at(-1)?.data).not.toBe('[DONE]');
    const last = JSON.parse(events.at(-1)!.data!);
    expect(last.error.type).toBe('upstream_error');
    expect(last.error.message).toBeTruthy();
  });
});

describe('GET /i/:name', () => {
  async function storedImage() {
    const a = await chat(ask(uniquePrompt('serve')));
    return imagesOf(a)[0].darkroom;
  }

  it('serves immutable bytes with a strong ETag, 304 and ranges', async () => {
    const img = await storedImage();
    const path = new URL(img.url).pathname;
    const full = await call(path, { key: null });
    expect(full.res.status).toBe(200);
    expect(full.res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(full.res.headers.get('x-content-type-options')).toBe('nosniff');
    const etag = full.res.headers.get('etag')!;
    expect(etag).toBe(`"${img.sha256}"`);
    const again = await call(path, { key: null, headers: { 'if-none-match': etag } });
    expect(again.res.status).toBe(304);
    const range = await call(path, { key: null, headers: { range: 'bytes=0-7' } });
    expect(range.res.status).toBe(206);
    expect(range.res.headers.get('content-range')).toBe(`bytes 0-7/${img.bytes}`);
    expect(range.res.headers.get('content-length')).toBe('8');
    const head = await call(path, { key: null, method: 'HEAD' });
    expect(head.res.status).toBe(200);
    expect(head.res.headers.get('content-length')).toBe(String(img.bytes));
    const bad = await call(path, { key: null, headers: { range: `bytes=${img.bytes + 10}-` } });
    expect(bad.res.status).toBe(416);
  });

  it('rejects malformed names and 404s unknown ones, in OpenAI error shape', async () => {
    for (const name of ['../etc/passwd', 'abc.png', `${'a'.repeat(64)}.exe`, `${'A'.repeat(64)}.png`]) {
      const a = await call(`/i/${encodeURIComponent(name)}`, { key: null });
      expect(a.res.status).toBe(404);
      expect(a.json.error.code).toBe('image_not_found');
    }
    const unknown = await call(`/i/${'0'.repeat(64)}.png`, { key: null });
    expect(unknown.res.status).toBe(404);
  });
});

describe('small routes', () => {
  it('lists the model with context length and prices', async () => {
    const a = await call('/v1/models', { key: null });
    expect(a.json.data[0]).toMatchObject({ id: 'openai/gpt-5.4-image-2', context_length: 272000 });
    expect(a.json.data[0].pricing).toMatchObject({ input_per_million_tokens: 8, output_per_million_tokens: 15 });
    expect((await call('/v1/models/gpt-5.4-image-2', { key: null })).json.id).toBe('openai/gpt-5.4-image-2');
    expect((await call('/v1/models/nope', { key: null })).res.status).toBe(404);
  });

  it('has /healthz, 404 for unknown routes and 405 for wrong methods', async () => {
    expect((await call('/healthz', { key: null })).json).toEqual({ ok: true });
    const nf = await call('/v1/nope', { key: null });
    expect(nf.res.status).toBe(404);
    expect(nf.json.error.type).toBe('not_found_error');
    const na = await call('/v1/chat/completions', { key: null, method: 'GET' });
    expect(na.res.status).toBe(405);
    expect(na.res.headers.get('allow')).toContain('POST');
  });
});
