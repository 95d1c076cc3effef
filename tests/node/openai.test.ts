// The official `openai` package against the running app (wrangler dev), unmodified except for the
// base URL: chat streamed and not, the Images API, and errors carrying our status and message.
import { createHash, randomUUID } from 'node:crypto';
import OpenAI from 'openai';
import { describe, expect, inject, it } from 'vitest';

const base = inject('darkroomUrl');
const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'sk-local-dev', maxRetries: 0 });
const MODEL = 'openai/gpt-5.4-image-2';
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const prompt = (label: string) => `${label} ${randomUUID()}`;

const isPng = (b: Buffer) => b.subarray(0, 8).equals(PNG);
const fromDataUrl = (url: string) => {
  expect(url).toMatch(/^data:image\/png;base64,/);
  return Buffer.from(url.slice(url.indexOf(',') + 1), 'base64');
};
async function download(url: string): Promise<Buffer> {
  expect(url.startsWith(`${base}/i/`)).toBe(true);
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

describe('openai: chat completions', () => {
  it('non-streamed: message.images holds a PNG identical to the bytes at darkroom.url', async () => {
    const res = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: prompt('openai chat') }],
      seed: 4,
    });
    expect(res.object).toBe('chat.completion');
    const images = (res.choices[0].message as any).images as any[];
    expect(images).toHaveLength(1);
    const bytes = fromDataUrl(images[0].image_url.url);
    expect(isPng(bytes)).toBe(true);
    expect((await download(images[0].darkroom.url)).equals(bytes)).toBe(true);
    expect(images[0].darkroom.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(res.usage!.total_tokens).toBeGreaterThan(0);
  });

  it('streamed: delta.images holds the same kind of PNG, and the text arrives in pieces', async () => {
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: prompt('openai stream') }],
      stream: true,
    });
    const images: any[] = [];
    const records: any[] = [];
    let text = '';
    let chunks = 0;
    let usage: any;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta?.content ?? '';
      images.push(...(((chunk.choices[0]?.delta as any)?.images as any[]) ?? []));
      // The image is handed over as it arrives; our stored copy follows in the next chunk.
      records.push(...(((chunk.choices[0]?.delta as any)?.darkroom?.images as any[]) ?? []));
      usage ??= chunk.usage;
    }
    expect(chunks).toBeGreaterThan(3);
    expect(text).toContain('Here is your image');
    expect(images).toHaveLength(1);
    const bytes = fromDataUrl(images[0].image_url.url);
    expect(isPng(bytes)).toBe(true);
    expect(images[0].darkroom).toBeUndefined();
    expect(records).toHaveLength(1);
    expect((await download(records[0].url)).equals(bytes)).toBe(true);
    expect(records[0].sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(usage.cost).toBeGreaterThan(0);
  });
});

describe('openai: images', () => {
  it('images.generate: b64_json decodes to a PNG and url serves the same bytes', async () => {
    const res = await client.images.generate({
      model: MODEL,
      prompt: prompt('openai images'),
      size: '1536x1024',
      n: 2,
    });
    expect(res.data).toHaveLength(2);
    for (const item of res.data!) {
      const bytes = Buffer.from(item.b64_json!, 'base64');
      expect(isPng(bytes)).toBe(true);
      expect((await download(item.url!)).equals(bytes)).toBe(true);
    }
    expect(res.usage!.input_tokens).toBeGreaterThan(0);
    expect(res.usage!.total_tokens).toBe(res.usage!.input_tokens + res.usage!.output_tokens);
    expect(res.created).toBeGreaterThan(0);
  });

  it('images.generate with stream: image_generation.completed carries the image', async () => {
    const stream = await client.images.generate({ model: MODEL, prompt: prompt('openai images stream'), stream: true });
    const events: any[] = [];
    for await (const e of stream) events.push(e);
    const done = events.filter((e) => e.type === 'image_generation.completed');
    expect(done).toHaveLength(1);
    const bytes = Buffer.from(done[0].b64_json, 'base64');
    expect(isPng(bytes)).toBe(true);
    expect((await download(done[0].url)).equals(bytes)).toBe(true);
    expect(done[0].usage.total_tokens).toBeGreaterThan(0);
  });

  it('response_format "url" gives URLs only', async () => {
    const res = await client.images.generate({
      model: MODEL,
      prompt: prompt('openai url only'),
      response_format: 'url',
    });
    expect(res.data![0].b64_json).toBeUndefined();
    expect(isPng(await download(res.data![0].url!))).toBe(true);
  });
});

describe('openai: errors', () => {
  it('an unknown parameter is a BadRequestError with our status, message, param and code', async () => {
    const err: any = await client.chat.completions
      .create({ model: MODEL, messages: [{ role: 'user', content: 'x' }], temperature: 0.5 })
      .catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.status).toBe(400);
    expect(err.message).toContain('Unrecognized request argument supplied: temperature');
    expect(err.param).toBe('temperature');
    expect(err.code).toBe('unknown_parameter');
    expect(err.requestID ?? err.headers?.get?.('x-request-id')).toBeTruthy();
  });

  it('the Images API refuses what it cannot do, e.g. n above 4 or another model', async () => {
    const tooMany: any = await client.images.generate({ model: MODEL, prompt: 'x', n: 5 }).catch((e) => e);
    expect(tooMany).toBeInstanceOf(OpenAI.BadRequestError);
    expect(tooMany.param).toBe('n');
    const dalle: any = await client.images.generate({ model: 'dall-e-3', prompt: 'x' }).catch((e) => e);
    expect(dalle.status).toBe(400);
    expect(dalle.message).toContain('model must be one of');
  });

  it('a bad key is an AuthenticationError (401)', async () => {
    const key = 'sk_0000000000000000000000000000dead';
    const bad = new OpenAI({ baseURL: `${base}/v1`, apiKey: key, maxRetries: 0 });
    const err: any = await bad.images.generate({ model: MODEL, prompt: 'x' }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(err.status).toBe(401);
    const raw = await fetch(`${base}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, prompt: 'x' }),
    });
    const { error } = await raw.json();
    expect(error.type).toBe('authentication_error');
    expect(err.message).toBe(`401 ${error.message}`);
  });

  it('models.list and models.retrieve work', async () => {
    const list = await client.models.list();
    expect(list.data.map((m) => m.id)).toContain(MODEL);
    expect((await client.models.retrieve('gpt-5.4-image-2')).id).toBe(MODEL);
  });
});
