// The built-in offline provider: deterministic, a real PNG at the requested aspect ratio, and
// through the same pipeline (R2, cache) as any upstream.
import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { call, chat, ask, dataUrlBytes, imagesOf, sseJson, textOf } from '../worker/helpers';
import { dataUrl, makePng } from '../worker/png';

describe('demo provider', () => {
  it('answers with a real PNG and says it is the demo', async () => {
    const a = await chat(ask('a lighthouse at dusk', { stream: true, image_config: { aspect_ratio: '16:9' } }));
    expect(a.res.status).toBe(200);
    expect(a.res.headers.get('x-darkroom-provider')).toBe('demo');
    expect(textOf(a)).toContain('Demo provider');
    const [img] = imagesOf(a);
    const png = dataUrlBytes(img.image_url.url);
    expect([...png.slice(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(img.darkroom.width / img.darkroom.height).toBeCloseTo(16 / 9, 1);
    const served = await call(new URL(img.darkroom.url).pathname, { key: null });
    expect(served.res.status).toBe(200);
  });

  it('is deterministic: same seed and prompt, byte-identical image and text', async () => {
    const body = ask('a lighthouse at dusk', { seed: 1234 });
    const a = await chat(body, { headers: { 'cache-control': 'no-store' } });
    const b = await chat(body, { headers: { 'cache-control': 'no-store' } });
    expect(a.res.headers.get('x-cache')).toBe('BYPASS');
    expect(textOf(a)).toBe(textOf(b));
    expect(imagesOf(a)[0].image_url.url).toBe(imagesOf(b)[0].image_url.url);
    const c = await chat(ask('a lighthouse at dusk', { seed: 1235 }), { headers: { 'cache-control': 'no-store' } });
    expect(imagesOf(c)[0].image_url.url).not.toBe(imagesOf(a)[0].image_url.url);
  });

  it('streams two low-resolution previews before the final image, on chat and on the Images API', async () => {
    const a = await chat(ask('a fox in the snow, previews', { stream: true }));
    const chunks = sseJson(a.text);
    const previews = chunks.flatMap((c, i) =>
      c.choices?.[0]?.delta?.darkroom?.partial_image ? [{ i, p: c.choices[0].delta.darkroom.partial_image }] : [],
    );
    expect(previews.map((x) => x.p.partial_image_index)).toEqual([0, 1]);
    const finalAt = chunks.findIndex((c) => c.choices?.[0]?.delta?.images?.length);
    expect(previews.every((x) => x.i < finalAt)).toBe(true);
    const sizes = previews.map((x) => dataUrlBytes(x.p.image_url.url).length);
    const finalSize = dataUrlBytes(chunks[finalAt].choices[0].delta.images[0].image_url.url).length;
    expect(sizes[0]).toBeLessThan(sizes[1]);
    expect(sizes[1]).toBeLessThan(finalSize);

    const res = await call('/v1/images/generations', {
      method: 'POST',
      body: JSON.stringify({ prompt: 'a fox, previews', stream: true, partial_images: 3 }),
    });
    const names = [...res.text.matchAll(/^event: (.+)$/gm)].map((m) => m[1]);
    expect(names).toEqual([
      'image_generation.partial_image',
      'image_generation.partial_image',
      'image_generation.completed',
    ]);
  });

  it('edits: the demo says how many images it was given', async () => {
    const form = new FormData();
    form.append('prompt', 'make it purple');
    form.append('image', new File([await makePng(16, 16)], 'a.png', { type: 'image/png' }));
    const res = await SELF.fetch('https://darkroom.test/v1/images/edits', {
      method: 'POST',
      headers: { authorization: 'Bearer sk-local-dev' },
      body: form,
    });
    expect(res.status).toBe(200);
    const viaChat = await chat({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: dataUrl(await makePng(8, 8)) } },
            { type: 'text', text: 'purple' },
          ],
        },
      ],
    });
    expect(textOf(viaChat)).toContain('from 1 input image');
  });
});
