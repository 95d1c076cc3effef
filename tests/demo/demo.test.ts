// The built-in offline provider: deterministic, a real PNG at the requested aspect ratio, and
// through the same pipeline (R2, cache) as any upstream.
import { describe, expect, it } from 'vitest';
import { call, chat, ask, dataUrlBytes, imagesOf, textOf } from '../worker/helpers';

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
});
