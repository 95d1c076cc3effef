// OpenRouter's official TypeScript SDK (`@openrouter/sdk`, pinned) against the running app, with
// nothing changed but `serverURL`: chat JSON and streamed, the generation lookup by the answer's
// id, the Images API JSON and streamed, and typed errors.
import { randomUUID } from 'node:crypto';
import { OpenRouter } from '@openrouter/sdk';
import * as errors from '@openrouter/sdk/models/errors';
import { describe, expect, inject, it } from 'vitest';
import { scriptUpstream } from './upstream';

const base = inject('darkroomUrl');
const client = new OpenRouter({ apiKey: 'sk-local-dev', serverURL: `${base}/api/v1` });
const MODEL = 'openai/gpt-5.4-image-2';
const prompt = (label: string) => `${label} ${randomUUID()}`;
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const isPng = (b64: string) => Buffer.from(b64, 'base64').subarray(0, 8).equals(PNG);

describe('@openrouter/sdk: chat.send', () => {
  it('JSON: validates in the SDK, carries an image, and its id finds the generation', async () => {
    const res = await client.chat.send({
      chatRequest: { model: MODEL, messages: [{ role: 'user', content: prompt('sdk chat') }], seed: 7 },
    });
    expect(res.object).toBe('chat.completion');
    expect(res.systemFingerprint).toBeNull();
    const images = res.choices[0].message.images ?? [];
    expect(images).toHaveLength(1);
    const url = images[0].imageUrl.url;
    expect(url.startsWith('data:image/png;base64,')).toBe(true);
    expect(isPng(url.slice(url.indexOf(',') + 1))).toBe(true);
    expect(res.usage?.totalTokens).toBeGreaterThan(0);

    const gen = await client.generations.getGeneration({ id: res.id });
    expect(gen.data.id).toBe(res.id);
    expect(gen.data.model).toBe(res.model);
    expect(gen.data.tokensCompletion).toBe(res.usage?.completionTokens);
    expect(gen.data.streamed).toBe(false);
    expect(gen.data.finishReason).toBe('stop');
    expect(gen.data.latency).toBeNull(); // not known: null, never invented
  });

  it('streamed: chunks arrive with our id; the stream id finds the generation once it is over', async () => {
    const stream = await client.chat.send({
      chatRequest: { model: MODEL, messages: [{ role: 'user', content: prompt('sdk stream') }], stream: true },
    });
    const ids = new Set<string>();
    let text = '';
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      ids.add(chunk.id);
      text += chunk.choices[0]?.delta?.content ?? '';
    }
    expect(chunks).toBeGreaterThan(3);
    expect(text.length).toBeGreaterThan(0);
    expect(ids.size).toBe(1);
    const [id] = ids;
    let gen;
    for (let i = 0; i < 40 && !gen; i++) {
      gen = await client.generations
        .getGeneration({ id })
        .catch((e) => (e instanceof errors.NotFoundResponseError ? undefined : Promise.reject(e)));
      if (!gen) await new Promise((r) => setTimeout(r, 100)); // the record is written as the stream ends
    }
    expect(gen?.data.id).toBe(id);
    expect(gen?.data.streamed).toBe(true);
  });

  it("streamed: a large image in OpenRouter's own chunk shape (finish in the image's chunk) validates in the SDK", async () => {
    // Long enough to be relayed while it arrives (worker/stream/image-relay.ts), whose frame
    // closes after the image and must still be a ChatStreamChoice (finish_reason present).
    const p = prompt('sdk big image');
    await scriptUpstream(p, [{ kind: 'big-image', bytes: 512 * 1024, openrouter: true }]);
    const stream = await client.chat.send({
      chatRequest: { model: MODEL, messages: [{ role: 'user', content: p }], stream: true },
    });
    // This SDK's ChatStreamDelta has no `images` (it strips them): what is checked here is that
    // every frame, the relayed one included, validates, and the finish arrives once.
    let chunks = 0;
    const finishes: string[] = [];
    for await (const chunk of stream) {
      chunks++;
      if (chunk.choices[0]?.finishReason) finishes.push(chunk.choices[0].finishReason);
    }
    expect(chunks).toBeGreaterThan(3);
    expect(finishes).toEqual(['stop']);
  });
});

describe('@openrouter/sdk: images.generate', () => {
  it('JSON: raw base64 PNGs with their media type, and usage', async () => {
    const res = await client.images.generate({
      imageGenerationRequest: { model: MODEL, prompt: prompt('sdk images'), n: 2, aspectRatio: '3:2' },
    });
    if (!('data' in res)) throw new Error('expected a JSON answer');
    expect(res.data).toHaveLength(2);
    for (const d of res.data) {
      expect(isPng(d.b64Json)).toBe(true);
      expect(d.mediaType).toBe('image/png');
    }
    expect(res.usage?.totalTokens).toBeGreaterThan(0);
  });

  it('streamed: partial images arrive before the final image', async () => {
    const stream = await client.images.generate({
      imageGenerationRequest: { model: MODEL, prompt: prompt('sdk images stream'), stream: true },
    });
    if ('data' in stream) throw new Error('expected a stream');
    const types: string[] = [];
    let final = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'image_generation.partial_image') expect(isPng(event.b64Json)).toBe(true);
      if (event.type === 'image_generation.completed') final = event.b64Json;
    }
    expect(types.indexOf('image_generation.partial_image')).toBeGreaterThanOrEqual(0);
    expect(types.indexOf('image_generation.partial_image')).toBeLessThan(types.indexOf('image_generation.completed'));
    expect(types.at(-1)).toBe('image_generation.completed');
    expect(isPng(final)).toBe(true);
  });
});

describe('@openrouter/sdk: errors are typed', () => {
  it('a 400 is a BadRequestResponseError with the status as its code', async () => {
    const err = await client.chat.send({ chatRequest: { model: MODEL, messages: [], seed: 1 } }).catch((e) => e);
    expect(err).toBeInstanceOf(errors.BadRequestResponseError);
    expect(err.error.code).toBe(400);
    expect(err.error.message).toMatch(/messages/);
  });

  it('a 401 is an UnauthorizedResponseError', async () => {
    const stranger = new OpenRouter({ apiKey: 'sk-not-a-key-0000000000000000', serverURL: `${base}/api/v1` });
    const err = await stranger.chat
      .send({ chatRequest: { model: MODEL, messages: [{ role: 'user', content: 'hi' }] } })
      .catch((e) => e);
    expect(err).toBeInstanceOf(errors.UnauthorizedResponseError);
    expect(err.error.code).toBe(401);
  });

  it('an unknown generation is a NotFoundResponseError', async () => {
    const err = await client.generations.getGeneration({ id: 'nosuchgeneration00000000' }).catch((e) => e);
    expect(err).toBeInstanceOf(errors.NotFoundResponseError);
    expect(err.error.code).toBe(404);
  });
});

describe('@openrouter/sdk: models', () => {
  it('the model list validates and names the model', async () => {
    const list = await client.models.list();
    expect(list.result.data.map((m) => m.id)).toContain(MODEL);
    expect(list.result.totalCount).toBe(1);
  });
});
