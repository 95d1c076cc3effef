// Image variants (/i/<sha256>/<size>.<format>): made by the Images binding (sharp, locally),
// stored once in R2 beside the original, served like originals; Accept negotiation on an
// original's URL; bad names are 400s; a missing or failing binding serves the original.
import { createExecutionContext, env, SELF, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { Env } from '../../worker/env';
import worker from '../../worker/index';
import { encodePng, paintScene } from '../../worker/providers/demo/png';
import { VARIANT_FORMATS, VARIANT_CONTENT_TYPES, type VariantFormat } from '../../shared/variants';
import { imageHeader } from '../fixtures/image-size';
import { sha256Hex, uniquePrompt } from './helpers';

const BASE = 'https://darkroom.test';

/** A real PNG (the demo painter) stored as an original; returns its hash and bytes. */
async function storeOriginal(
  width: number,
  height: number,
  label = 'variant',
): Promise<{ sha: string; bytes: Uint8Array }> {
  const bytes = await encodePng(width, height, paintScene(width, height, uniquePrompt(label), 7));
  const sha = await sha256Hex(bytes);
  await env.IMAGES.put(`${sha}.png`, bytes, { httpMetadata: { contentType: 'image/png' } });
  return { sha, bytes };
}

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await SELF.fetch(`${BASE}${path}`, { headers });
  return { res, bytes: new Uint8Array(await res.arrayBuffer()) };
}

/** The Worker with swapped bindings (a failing or missing Images binding). */
async function direct(path: string, bindings: Partial<Env>, headers: Record<string, string> = {}) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${BASE}${path}`, { headers }), { ...env, ...bindings } as Env, ctx);
  const bytes = new Uint8Array(await res.arrayBuffer());
  await waitOnExecutionContext(ctx);
  return { res, bytes };
}

describe('each size and format decodes to the right type and dimensions', () => {
  // 600x400: w1024 and full come out at the original's 600 px, never enlarged.
  const expected = {
    w256: [256, 171],
    w512: [512, 341],
    w1024: [600, 400],
    full: [600, 400],
    og: [1200, 630],
  } as const;
  it.each(VARIANT_FORMATS.map((f) => [f]))(
    '%s',
    async (format: VariantFormat) => {
      const { sha } = await storeOriginal(600, 400, `formats ${format}`);
      for (const [size, [w, h]] of Object.entries(expected)) {
        const { res, bytes } = await get(`/i/${sha}/${size}.${format}`);
        expect(res.status, `${size}.${format}`).toBe(200);
        expect(res.headers.get('content-type')).toBe(VARIANT_CONTENT_TYPES[format]);
        expect(res.headers.get('content-length')).toBe(String(bytes.byteLength));
        expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
        expect(res.headers.get('etag')).toBe(`"${sha}-${size}-${format}"`);
        expect(res.headers.get('x-darkroom-variant')).toBeNull();
        expect(imageHeader(bytes), `${size}.${format}`).toEqual({
          type: VARIANT_CONTENT_TYPES[format],
          width: w,
          height: h,
        });
      }
    },
    90_000,
  ); // AVIF encodes slowly under the local sharp binding on a shared machine
});

describe('a variant is made once, then served from R2 like an original', () => {
  it('stores it beside the original and answers the same bytes, ETag, 304 and ranges', async () => {
    const { sha, bytes: original } = await storeOriginal(1024, 1024, 'once');
    const first = await get(`/i/${sha}/w512.webp`);
    expect(first.res.status).toBe(200);
    const stored = await env.IMAGES.get(`${sha}/w512.webp`);
    expect(stored, 'stored in R2 beside the original').not.toBeNull();
    expect(new Uint8Array(await stored!.arrayBuffer())).toEqual(first.bytes);
    expect(stored!.httpMetadata?.contentType).toBe('image/webp');
    expect(first.bytes.byteLength * 10).toBeLessThan(original.byteLength);

    // Served from R2 now: an R2 with no way to transform still answers it.
    const again = await direct(`/i/${sha}/w512.webp`, { IMAGES_TRANSFORM: undefined });
    expect(again.res.status).toBe(200);
    expect(again.bytes).toEqual(first.bytes);
    expect(again.res.headers.get('etag')).toBe(first.res.headers.get('etag'));

    const etag = first.res.headers.get('etag')!;
    const cached = await get(`/i/${sha}/w512.webp`, { 'if-none-match': etag });
    expect(cached.res.status).toBe(304);
    expect(cached.bytes.byteLength).toBe(0);

    const part = await get(`/i/${sha}/w512.webp`, { range: 'bytes=0-15' });
    expect(part.res.status).toBe(206);
    expect(part.res.headers.get('content-range')).toBe(`bytes 0-15/${first.bytes.byteLength}`);
    expect(part.bytes).toEqual(first.bytes.subarray(0, 16));

    const head = await SELF.fetch(`${BASE}/i/${sha}/w512.webp`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(first.bytes.byteLength));
  });

  it('answers a range of a variant it has just made', async () => {
    const { sha } = await storeOriginal(512, 512, 'cold range');
    const part = await get(`/i/${sha}/w256.png`, { range: 'bytes=0-7' });
    expect(part.res.status).toBe(206);
    expect([...part.bytes]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const whole = await get(`/i/${sha}/w256.png`);
    expect(part.res.headers.get('content-range')).toBe(`bytes 0-7/${whole.bytes.byteLength}`);
  });
});

describe('the link-preview card', () => {
  it('is a 1200x630 JPEG under 300 KB, the whole image letterboxed', async () => {
    const { sha } = await storeOriginal(1024, 1024, 'og');
    const { res, bytes } = await get(`/i/${sha}/og.jpg`);
    expect(res.status).toBe(200);
    expect(imageHeader(bytes)).toEqual({ type: 'image/jpeg', width: 1200, height: 630 });
    expect(bytes.byteLength).toBeLessThan(300_000);
  });
});

describe('Accept negotiation on an original URL', () => {
  it('gives an <img> that accepts AVIF or WebP that format, full size, with Vary: Accept', async () => {
    const { sha, bytes: original } = await storeOriginal(320, 240, 'negotiate');
    const url = `/i/${sha}.png`;
    const avif = await get(url, { accept: 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8' });
    expect(avif.res.headers.get('content-type')).toBe('image/avif');
    expect(avif.res.headers.get('vary')).toBe('Accept');
    expect(avif.res.headers.get('etag')).toBe(`"${sha}-full-avif"`);
    expect(imageHeader(avif.bytes)).toEqual({ type: 'image/avif', width: 320, height: 240 });

    const webp = await get(url, { accept: 'image/webp,*/*' });
    expect(webp.res.headers.get('content-type')).toBe('image/webp');
    expect(webp.res.headers.get('vary')).toBe('Accept');
    expect(imageHeader(webp.bytes)).toEqual({ type: 'image/webp', width: 320, height: 240 });

    const refused = await get(url, { accept: 'image/avif;q=0, image/png' });
    expect(refused.res.headers.get('content-type')).toBe('image/png');

    // curl, SDKs and downloads (a navigation's Accept lists text/html) get the file as named.
    for (const accept of [
      undefined,
      '*/*',
      'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8',
    ]) {
      const r = await get(url, accept ? { accept } : {});
      expect(r.res.headers.get('content-type'), String(accept)).toBe('image/png');
      expect(r.res.headers.get('vary')).toBe('Accept');
      expect(r.res.headers.get('etag')).toBe(`"${sha}"`);
      expect(r.bytes).toEqual(original);
    }

    const revalidated = await get(url, { accept: 'image/webp', 'if-none-match': `"${sha}-full-webp"` });
    expect(revalidated.res.status).toBe(304);
    expect(revalidated.res.headers.get('vary')).toBe('Accept');
  }, 60_000);
});

describe('bad requests', () => {
  it('an unknown size or format is a 400 in the OpenAI error shape, made for nothing', async () => {
    const { sha } = await storeOriginal(64, 64, 'bad');
    for (const name of [
      'w300.webp',
      'w512.gif',
      'w512',
      'w512.WEBP',
      'w0512.webp',
      'og.jpeg',
      '.webp',
      'w512.webp.png',
    ]) {
      const { res, bytes } = await get(`/i/${sha}/${name}`);
      expect(res.status, name).toBe(400);
      const body = JSON.parse(new TextDecoder().decode(bytes));
      expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_variant', param: 'variant' });
      expect(body.error.message).toMatch(/^Unknown image (size|format)/);
    }
    expect(await env.IMAGES.list({ prefix: `${sha}/` }).then((l) => l.objects.length)).toBe(0);
  });

  it('a variant of an image that does not exist is a 404', async () => {
    const missing = '0'.repeat(63) + '1';
    for (const path of [`/i/${missing}/w512.webp`, `/i/${missing}.png`]) {
      const { res, bytes } = await get(path, { accept: 'image/webp' });
      expect(res.status, path).toBe(404);
      expect(JSON.parse(new TextDecoder().decode(bytes)).error.code).toBe('image_not_found');
    }
    expect((await get('/i/not-a-hash/w512.webp')).res.status).toBe(404);
    expect((await SELF.fetch(`${BASE}/i/${missing}/w512.webp`, { method: 'POST' })).status).toBe(405);
  });
});

describe('without a working binding the original is served', () => {
  const failing = {
    input() {
      return {
        transform() {
          return this;
        },
        output: () => Promise.reject(new Error('Images binding failed (injected)')),
      };
    },
  } as unknown as ImagesBinding;
  const hanging = {
    input() {
      return {
        transform() {
          return this;
        },
        output: () => new Promise(() => {}),
      };
    },
  } as unknown as ImagesBinding;

  it.each([
    ['failing', failing],
    ['missing', undefined],
  ])('%s binding', async (_label, binding) => {
    const { sha, bytes: original } = await storeOriginal(256, 256, `fallback ${_label}`);
    const v = await direct(`/i/${sha}/w512.webp`, { IMAGES_TRANSFORM: binding });
    expect(v.res.status).toBe(200);
    expect(v.res.headers.get('content-type')).toBe('image/png');
    expect(v.res.headers.get('x-darkroom-variant')).toBe('original');
    expect(v.res.headers.get('cache-control')).toBe('public, max-age=60');
    expect(v.bytes).toEqual(original);
    // Nothing was stored under the variant's key: the next request tries again.
    expect(await env.IMAGES.head(`${sha}/w512.webp`)).toBeNull();

    const negotiated = await direct(
      `/i/${sha}.png`,
      { IMAGES_TRANSFORM: binding },
      { accept: 'image/avif,image/webp' },
    );
    expect(negotiated.res.status).toBe(200);
    expect(negotiated.res.headers.get('content-type')).toBe('image/png');
    expect(negotiated.bytes).toEqual(original);
  });

  it('a slow binding: the original now, and the variant stored for the next request', async () => {
    const { sha, bytes: original } = await storeOriginal(256, 256, 'slow');
    const real = env.IMAGES_TRANSFORM!;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = {
      input: (s: ReadableStream<Uint8Array>) => {
        const t = real.input(s);
        return {
          transform(x: ImageTransform) {
            t.transform(x);
            return this;
          },
          output: async (o: ImageOutputOptions) => {
            await gate;
            return t.output(o);
          },
        };
      },
    } as unknown as ImagesBinding;
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request(`${BASE}/i/${sha}/w256.webp`),
      { ...env, IMAGES_TRANSFORM: slow, IMAGE_TRANSFORM_TIMEOUT_MS: '100' } as Env,
      ctx,
    );
    expect(res.headers.get('x-darkroom-variant')).toBe('original');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(original);
    release();
    await waitOnExecutionContext(ctx);
    const stored = await env.IMAGES.get(`${sha}/w256.webp`);
    expect(stored?.httpMetadata?.contentType).toBe('image/webp');
    const next = await get(`/i/${sha}/w256.webp`);
    expect(next.res.headers.get('x-darkroom-variant')).toBeNull();
    expect(imageHeader(next.bytes)).toEqual({ type: 'image/webp', width: 256, height: 256 });
  });

  it('new transforms are limited per client IP (then the original); stored variants are not', async () => {
    const { sha, bytes: original } = await storeOriginal(256, 256, 'transform budget');
    const real = env.IMAGES_TRANSFORM!;
    let calls = 0;
    const counting = { input: (s: ReadableStream<Uint8Array>) => (calls++, real.input(s)) } as unknown as ImagesBinding;
    const from = (path: string, ip: string) =>
      direct(path, { IMAGES_TRANSFORM: counting, IMAGE_TRANSFORMS_RPM: '2' }, { 'cf-connecting-ip': ip });
    const ip = '198.51.100.21';
    expect((await from(`/i/${sha}/w256.jpg`, ip)).res.headers.get('x-darkroom-variant')).toBeNull();
    expect((await from(`/i/${sha}/w256.png`, ip)).res.headers.get('x-darkroom-variant')).toBeNull();
    const over = await from(`/i/${sha}/w256.avif`, ip);
    expect(over.res.headers.get('x-darkroom-variant')).toBe('original');
    expect(over.bytes).toEqual(original);
    expect(calls).toBe(2);
    // Stored variants cost nothing: the same IP still gets them.
    expect((await from(`/i/${sha}/w256.jpg`, ip)).res.headers.get('x-darkroom-variant')).toBeNull();
    expect(calls).toBe(2);
    // Another IP may start its own.
    expect((await from(`/i/${sha}/w256.avif`, '198.51.100.22')).res.headers.get('x-darkroom-variant')).toBeNull();
  });

  it('a binding that never answers times out (a failure like the one above)', async () => {
    const { bytes: original } = await storeOriginal(128, 128, 'hang');
    const { makeVariant } = await import('../../worker/images/transform');
    await expect(
      makeVariant(hanging, async () => new Blob([original]).stream(), { size: 'w256', format: 'webp' }, 50),
    ).rejects.toThrow(/longer than 50 ms/);
  });
});
