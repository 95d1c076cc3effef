// The official `openai` package's images.edit against the running app (wrangler dev, the fake
// upstream behind it): one file, several files and a mask, and streamed with partial images.
import { createHash, randomUUID } from 'node:crypto';
import OpenAI, { toFile } from 'openai';
import { describe, expect, inject, it } from 'vitest';
// @ts-expect-error plain ESM fixture without types
import { pngFile } from '../fixtures/png.mjs';

const base = inject('darkroomUrl');
const upstream = inject('fakeUpstreamUrl');
const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'sk-local-dev', maxRetries: 0 });
const MODEL = 'openai/gpt-5.4-image-2';
const prompt = (label: string) => `${label} ${randomUUID()}`;

/** A small real PNG (RGBA with a transparent left half when alpha). */
function png(w: number, h: number, seed: number, alpha = false): Buffer {
  const ch = alpha ? 4 : 3;
  const raw = Buffer.alloc((w * ch + 1) * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = y * (w * ch + 1) + 1 + x * ch;
      raw[p] = (x * 9 + seed) & 0xff;
      raw[p + 1] = (y * 7 + seed * 3) & 0xff;
      raw[p + 2] = seed & 0xff;
      if (alpha) raw[p + 3] = x < w / 2 ? 0 : 255;
    }
  }
  return pngFile(w, h, raw, alpha ? 6 : 2);
}

async function sentUpstream(match: string): Promise<any[]> {
  const res = await fetch(`${upstream}/__requests?match=${encodeURIComponent(match)}`);
  return ((await res.json()) as any).requests.map((r: any) => r.body);
}
const refBytes = (ref: any) => Buffer.from(ref.image_url.url.slice(ref.image_url.url.indexOf(',') + 1), 'base64');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('openai: images.edit', () => {
  it('one file: the answer has our URL and the base64; the upstream got the same bytes', async () => {
    const p = prompt('node edit one');
    const image = png(32, 24, 5);
    const res = await client.images.edit({
      model: MODEL,
      image: await toFile(image, 'photo.png', { type: 'image/png' }),
      prompt: p,
    });
    expect(res.data).toHaveLength(1);
    const [item] = res.data!;
    expect(item.url).toMatch(new RegExp(`^${base}/i/[0-9a-f]{64}\\.png$`));
    const out = Buffer.from(item.b64_json!, 'base64');
    expect(item.url).toContain(sha(out));
    const [body] = await sentUpstream(p);
    expect(body.input_references).toHaveLength(1);
    expect(refBytes(body.input_references[0]).equals(image)).toBe(true);
    // The input is stored and served like an output.
    const stored = await fetch(`${base}/i/${sha(image)}.png`);
    expect(Buffer.from(await stored.arrayBuffer()).equals(image)).toBe(true);
  });

  it('several files and a mask', async () => {
    const p = prompt('node edit many');
    const [a, b] = [png(16, 16, 1), png(16, 16, 2)];
    const mask = png(16, 16, 3, true);
    const res = await client.images.edit({
      model: MODEL,
      image: [await toFile(a, 'a.png', { type: 'image/png' }), await toFile(b, 'b.png', { type: 'image/png' })],
      mask: await toFile(mask, 'mask.png', { type: 'image/png' }),
      prompt: p,
      n: 2,
      size: '1024x1024',
      quality: 'high',
    });
    expect(res.data).toHaveLength(2);
    const bodies = await sentUpstream(p);
    expect(bodies).toHaveLength(2);
    for (const body of bodies) {
      expect(body.input_references.map(refBytes).map(sha)).toEqual([a, b, mask].map(sha));
      expect(body.quality).toBe('high');
    }
  });

  it('streamed with partial images: previews, then the completed image', async () => {
    const stream = await client.images.edit({
      model: MODEL,
      image: await toFile(png(16, 16, 9), 'a.png', { type: 'image/png' }),
      prompt: prompt('node edit stream'),
      stream: true,
      partial_images: 2,
    });
    const types: string[] = [];
    let completed: any;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'image_edit.partial_image')
        expect(Buffer.from(event.b64_json, 'base64').subarray(1, 4).toString()).toBe('PNG');
      if (event.type === 'image_edit.completed') completed = event;
    }
    expect(types).toEqual(['image_edit.partial_image', 'image_edit.partial_image', 'image_edit.completed']);
    expect(completed.url).toMatch(/\/i\/[0-9a-f]{64}\.png$/);
  });

  it('a text file named .png is a 400 the SDK raises with our message', async () => {
    const err = await client.images
      .edit({
        model: MODEL,
        image: await toFile(Buffer.from('not an image'), 'photo.png', { type: 'image/png' }),
        prompt: 'x',
      })
      .catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.status).toBe(400);
    expect(err.code).toBe('invalid_image');
    expect(err.message).toContain('not a PNG, JPEG, WebP or GIF');
  });
});
