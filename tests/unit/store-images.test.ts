// The image stage alone: a chunk's images are checked, hashed and stored before anything refers
// to them; a failed store keeps the data URL (key null); anything not an image is an error event.
import { describe, expect, it } from 'vitest';
import type { ImageStore } from '../../worker/storage/image-store';
import type { GenEvent } from '../../worker/stream/events';
import { storeEventImages } from '../../worker/stream/store-images';

// A real 1x1 PNG.
const PNG_B64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

function memoryStore(fail = false) {
  const puts: { key: string; bytes: number; contentType: string }[] = [];
  const store: ImageStore = {
    async put(key, bytes, contentType) {
      if (fail) throw new Error('R2 down');
      puts.push({ key, bytes: bytes.byteLength, contentType });
    },
    async get() {
      return null;
    },
  };
  return { store, puts };
}

const withImage = (url: string): GenEvent => ({
  type: 'chunk',
  raw: '{"raw":"text"}',
  chunk: {
    id: 'x',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta: { images: [{ type: 'image_url', image_url: { url } }] }, finish_reason: null }],
  },
});
const imageOf = (e: GenEvent) => (e.type === 'chunk' ? e.chunk.choices[0].delta.images![0] : undefined);

describe('store-images', () => {
  it('stores each image under its SHA-256 and describes it beside the untouched data URL', async () => {
    const { store, puts } = memoryStore();
    const out = await storeEventImages(withImage(`data:image/png;base64,${PNG_B64}`), { store });
    const img = imageOf(out)!;
    expect(img.image_url.url).toBe(`data:image/png;base64,${PNG_B64}`);
    expect(img.darkroom).toMatchObject({ content_type: 'image/png', width: 1, height: 1, b64clean: true });
    expect(img.darkroom!.key).toBe(`${img.darkroom!.sha256}.png`);
    expect(puts).toEqual([{ key: img.darkroom!.key, bytes: img.darkroom!.bytes, contentType: 'image/png' }]);
    expect(out.type === 'chunk' && out.raw).toBeFalsy(); // the raw text is stale once `darkroom` is added
  });

  it('falls back to the data URL (key null) when the store fails, and says so', async () => {
    const failures: unknown[] = [];
    const out = await storeEventImages(withImage(`data:image/png;base64,${PNG_B64}`), {
      store: memoryStore(true).store,
      onFallback: (e) => failures.push(e),
    });
    expect(imageOf(out)!.darkroom!.key).toBeNull();
    expect(failures).toHaveLength(1);
  });

  it('refuses what is not an image: an error event, nothing stored', async () => {
    const cases: [string, RegExp][] = [
      ['https://example.com/a.png', /not a base64 data URL/],
      ['data:image/png;base64,!!!!', /base64 is invalid|not a PNG/],
      [`data:text/plain;base64,${btoa('hello world')}`, /not a PNG, JPEG, WebP or GIF/],
    ];
    for (const [url, message] of cases) {
      const { store, puts } = memoryStore();
      const out = await storeEventImages(withImage(url), { store });
      expect(out).toMatchObject({ type: 'error', error: { status: 502, error: { code: 'upstream_invalid_image' } } });
      expect(out.type === 'error' && out.error.error.message).toMatch(message);
      expect(puts).toEqual([]);
    }
    const { store } = memoryStore();
    const big = await storeEventImages(withImage(`data:image/png;base64,${PNG_B64}`), { store, maxBytes: 10 });
    expect(big.type === 'error' && big.error.error.message).toMatch(/larger than 10 bytes/);
  });

  it('passes every other event through untouched', async () => {
    const { store } = memoryStore();
    const plain: GenEvent = {
      type: 'chunk',
      raw: 'r',
      chunk: { id: 'x', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [] },
    };
    expect(await storeEventImages(plain, { store })).toBe(plain);
    expect(await storeEventImages({ type: 'end' }, { store })).toEqual({ type: 'end' });
  });
});
