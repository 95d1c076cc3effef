// The image stage alone: a chunk's images are checked, hashed and stored before anything refers
// to them; a failed store keeps the data URL (key null); anything not an image is an error event.
import { describe, expect, it } from 'vitest';
import type { ImageStore } from '../../worker/storage/image-store';
import type { GenEvent } from '../../worker/stream/events';
import { upstreamEvents } from '../../worker/stream/pipeline';
import { imageAhead, storeEventImages } from '../../worker/stream/store-images';

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

  it('keeps the request alive for the store it started (its image slot is shared by every request)', async () => {
    const kept: Promise<unknown>[] = [];
    const out = await storeEventImages(withImage(`data:image/png;base64,${PNG_B64}`), {
      store: memoryStore().store,
      waitUntil: (p) => kept.push(p),
    });
    expect(kept).toHaveLength(1);
    expect(await kept[0]).toBe(out);
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

describe('image hand-off', () => {
  const sse = (...chunks: unknown[]) =>
    new Response(chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('') + 'data: [DONE]\n\n', {
      headers: { 'content-type': 'text/event-stream' },
    });
  const envelope = { id: 'up-1', object: 'chat.completion.chunk', created: 1, model: 'm' };
  const imageChunk = (url: string) => ({
    ...envelope,
    choices: [{ index: 0, delta: { images: [{ type: 'image_url', image_url: { url } }] }, finish_reason: null }],
  });

  it("hands the upstream's image chunk over before the store has finished, then the stored chunk", async () => {
    let finishPut!: () => void;
    let putStarted!: () => void;
    const started = new Promise<void>((resolve) => (putStarted = resolve));
    const slowStore: ImageStore = {
      put: () => (putStarted(), new Promise<void>((done) => (finishPut = done))),
      get: async () => null,
    };
    const reader = upstreamEvents(
      sse(imageChunk(`data:image/png;base64,${PNG_B64}`), {
        ...envelope,
        choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
      }),
      { store: slowStore, idleMs: 5_000, progressMs: 5_000 },
    ).getReader();
    const ahead = (await reader.read()).value!;
    expect(ahead.type).toBe('image-ahead');
    if (ahead.type !== 'image-ahead') return;
    expect(ahead.ahead.upstreamId).toBe('up-1');
    expect(JSON.parse(ahead.ahead.raw)).toEqual(imageChunk(`data:image/png;base64,${PNG_B64}`));
    await started; // the R2 write is still running: the image went out before it
    const storedRead = reader.read();
    finishPut();
    const stored = (await storedRead).value!;
    expect(stored.type).toBe('chunk');
    expect(imageOf(stored)?.darkroom?.key).toMatch(/^[0-9a-f]{64}\.png$/);
    reader.cancel();
  });

  it('hands nothing over that is not plausibly an image, or that carries what we price (usage, finish)', () => {
    const event = (chunk: object): GenEvent => ({ type: 'chunk', raw: JSON.stringify(chunk), chunk: chunk as any });
    const opts = { store: memoryStore().store };
    expect(imageAhead(event(imageChunk(`data:image/png;base64,${PNG_B64}`)), opts)?.type).toBe('image-ahead');
    expect(
      imageAhead(event(imageChunk(`data:image/png;base64,${btoa('not an image at all, just text')}`)), opts),
    ).toBeNull();
    expect(imageAhead(event(imageChunk('https://example.com/a.png')), opts)).toBeNull();
    const withUsage = {
      ...imageChunk(`data:image/png;base64,${PNG_B64}`),
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    };
    expect(imageAhead(event(withUsage), opts)).toBeNull();
    const finished = imageChunk(`data:image/png;base64,${PNG_B64}`);
    finished.choices[0].finish_reason = 'stop' as never;
    expect(imageAhead(event(finished), opts)).toBeNull();
    expect(
      imageAhead({ type: 'chunk', chunk: imageChunk(`data:image/png;base64,${PNG_B64}`) as any }, opts),
    ).toBeNull(); // no raw text
  });
});
