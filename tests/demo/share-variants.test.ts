// Share pages with the demo provider's real PNG: link previews point at the 1200x630
// JPEG card (under 300 KB, what chat apps show), the page's image comes from WebP variants with
// its size reserved, and the original stays linked.
import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { call, chat, ask, imagesOf } from '../worker/helpers';
import { imageHeader } from '../fixtures/image-size';

const attr = (tag: string, name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1]?.replace(/&amp;/g, '&');
const meta = (html: string, key: string, name: string) =>
  new RegExp(`<meta ${key}="${name}" content="([^"]*)">`).exec(html)?.[1];

const fetchRaw = (url: string) => SELF.fetch(url);

describe('share page images', () => {
  it('og:image and twitter:image are a 1200x630 JPEG under 300 KB; the page uses variants', async () => {
    const a = await chat(
      ask('a lighthouse at dusk, share preview', { seed: 77, image_config: { aspect_ratio: '1:1' } }),
    );
    const [img] = imagesOf(a);
    const original: string = img.darkroom.url;
    const page = await call(new URL(a.res.headers.get('x-darkroom-share-url')!).pathname, { key: null });
    expect(page.res.status).toBe(200);
    const html = page.text;

    const og = meta(html, 'property', 'og:image')!;
    expect(og).toBe(original.replace(/\.png$/, '/og.jpg'));
    expect(meta(html, 'name', 'twitter:image')).toBe(og);
    expect(meta(html, 'property', 'og:image:type')).toBe('image/jpeg');
    expect(meta(html, 'property', 'og:image:width')).toBe('1200');
    expect(meta(html, 'property', 'og:image:height')).toBe('630');
    const card = await fetchRaw(og);
    const cardBytes = new Uint8Array(await card.arrayBuffer());
    expect(card.headers.get('content-type')).toBe('image/jpeg');
    expect(imageHeader(cardBytes)).toEqual({ type: 'image/jpeg', width: 1200, height: 630 });
    expect(cardBytes.byteLength).toBeLessThan(300_000);

    const tag = /<img class="share-image"[^>]*>/.exec(html)![0];
    expect(attr(tag, 'width')).toBe(String(img.darkroom.width));
    expect(attr(tag, 'height')).toBe(String(img.darkroom.height));
    expect(attr(tag, 'sizes')).toBeTruthy();
    const srcset = attr(tag, 'srcset')!
      .split(', ')
      .map((s) => s.split(' '));
    // The demo paints 512x512: every fixed width up to the original's, never one above it.
    expect([img.darkroom.width, img.darkroom.height]).toEqual([512, 512]);
    expect(srcset.map(([, w]) => w)).toEqual(['256w', '512w']);
    for (const [url, w] of srcset) {
      const r = await fetchRaw(url);
      expect(imageHeader(new Uint8Array(await r.arrayBuffer()))).toMatchObject({
        type: 'image/webp',
        width: parseInt(w, 10),
      });
    }
    expect(attr(tag, 'src')).toBe(original.replace(/\.png$/, '/w512.webp'));
    // The original is still one click away: the image links to it, and Download fetches it.
    expect(html).toContain(`<a href="${original}" title="Open the full image">`);
    expect(html).toMatch(new RegExp(`<a class="btn" href="${original}" download>`));
  });

  it('the generation record lists its variants, and each is what it says', async () => {
    const a = await chat(
      ask('a lighthouse at dusk, record variants', { seed: 78, image_config: { aspect_ratio: '16:9' } }),
    );
    const id = a.res.headers.get('x-darkroom-generation')!;
    const record = (await call(`/v1/generations/${id}`, { key: null })).json;
    const [image] = record.images;
    // The answer itself lists the same variants as the record.
    expect(imagesOf(a)[0].darkroom.variants).toEqual(image.variants);
    const base = image.url.replace(/\.png$/, '');
    expect(image.variants).toEqual([
      {
        url: `${base}/w256.webp`,
        width: 256,
        height: Math.round((image.height * 256) / image.width),
        content_type: 'image/webp',
      },
      {
        url: `${base}/w512.webp`,
        width: 512,
        height: Math.round((image.height * 512) / image.width),
        content_type: 'image/webp',
      },
      { url: `${base}/w1024.webp`, width: image.width, height: image.height, content_type: 'image/webp' },
      { url: `${base}/og.jpg`, width: 1200, height: 630, content_type: 'image/jpeg' },
    ]);
    for (const v of image.variants) {
      const r = await fetchRaw(v.url);
      expect(imageHeader(new Uint8Array(await r.arrayBuffer())), v.url).toEqual({
        type: v.content_type,
        width: v.width,
        height: v.height,
      });
    }
  });
});
