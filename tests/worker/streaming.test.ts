// Streaming is real: events reach the client while the upstream is still generating (no
// buffering), proven with a gate in the fake upstream instead of timings.
import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { DEV_KEY, ask, assertNoSecrets, dataUrlBytes, script, sha256Hex, uniquePrompt } from './helpers';

async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, needle: string, seen = { text: '' }) {
  const decoder = new TextDecoder();
  while (!seen.text.includes(needle)) {
    const { done, value } = await reader.read();
    if (done) break;
    seen.text += decoder.decode(value, { stream: true });
  }
  return seen;
}

describe('streaming', () => {
  it('forwards text while the upstream is held mid-answer, then the rest once it continues', async () => {
    const prompt = uniquePrompt('gate');
    const gateId = `g-${prompt}`;
    await script(prompt, [{ kind: 'gate', id: gateId, afterEvents: 3 }]);
    const res = await SELF.fetch('https://darkroom.test/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${DEV_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(ask(prompt, { stream: true })),
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    // The upstream has sent only 3 events and is waiting: these must already be here.
    const seen = await readUntil(reader, '"content":"your image "');
    expect(seen.text).toContain('"content":"Here is "');
    expect(seen.text).not.toContain('[DONE]');
    await fetch(`${env.FAKE_UPSTREAM}/__release?id=${encodeURIComponent(gateId)}`, { method: 'POST' });
    await readUntil(reader, 'data: [DONE]', seen);
    expect(seen.text).toContain('"images"');
    assertNoSecrets(res, seen.text);
  });
});

describe('image hand-off of a long line', () => {
  it("writes the upstream's own bytes with our id, then our record, for an image of a megabyte", async () => {
    const prompt = uniquePrompt('long-line');
    await script(prompt, [{ kind: 'big-image', bytes: 1024 * 1024 }]);
    const res = await SELF.fetch('https://darkroom.test/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${DEV_KEY}`, 'content-type': 'application/json', 'cache-control': 'no-store' },
      body: JSON.stringify(ask(prompt, { stream: true })),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    const chunks = text
      .split('\n\n')
      .filter((f) => f.startsWith('data: {'))
      .map((f) => JSON.parse(f.slice(6)));
    const id = res.headers.get('x-darkroom-generation');
    expect(chunks.map((c) => c.id).filter((c) => c !== id)).toEqual([]);
    const at = chunks.findIndex((c) => c.choices?.[0]?.delta?.images);
    const url: string = chunks[at].choices[0].delta.images[0].image_url.url;
    const bytes = dataUrlBytes(url);
    expect(bytes.byteLength).toBe(1024 * 1024);
    expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    // The record follows in the next chunk, for the same bytes.
    const [record] = chunks[at + 1].choices[0].delta.darkroom.images;
    expect(record.sha256).toBe(await sha256Hex(bytes));
    expect(record.url).toBe(`https://darkroom.test/i/${record.sha256}.png`);
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
  });
});

describe('image relay: a long image line goes on while it arrives', () => {
  /** Reads until `done(text)`, or fails after 5 s (the upstream is held: a client would wait forever). */
  async function readUntilOrFail(
    reader: ReadableStreamDefaultReader<Uint8Array>,
    done: (text: string) => boolean,
    seen = { text: '' },
  ) {
    const decoder = new TextDecoder();
    const deadline = Date.now() + 5000;
    while (!done(seen.text)) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error('the bytes did not arrive while the upstream was held')),
          deadline - Date.now(),
        );
      });
      try {
        const { done: end, value } = await Promise.race([reader.read(), late]);
        if (end) break;
        seen.text += decoder.decode(value, { stream: true });
      } finally {
        if (timer !== undefined) clearTimeout(timer);
      }
    }
    return seen;
  }

  async function heldImage(prompt: string, step: Record<string, unknown>) {
    const gateId = `g-${prompt}`;
    await script(prompt, [{ kind: 'gate-image', id: gateId, bytes: 1024 * 1024, ...step }]);
    const res = await SELF.fetch('https://darkroom.test/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${DEV_KEY}`, 'content-type': 'application/json', 'cache-control': 'no-store' },
      body: JSON.stringify(ask(prompt, { stream: true })),
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    // The upstream has sent half of the image's line and waits: that half must be here already.
    // (Half of 1 MiB is ~700 KB of base64: at least 256 KiB of it must be here.)
    const image = 'data:image/png;base64,iVBORw0KGgo';
    const seen = await readUntilOrFail(reader, (t) => t.includes(image) && t.length - t.indexOf(image) > 256 * 1024);
    const release = () => fetch(`${env.FAKE_UPSTREAM}/__release?id=${encodeURIComponent(gateId)}`, { method: 'POST' });
    return { res, reader, seen, release };
  }

  const framesOf = (text: string) =>
    text
      .split('\n\n')
      .filter((f) => f.startsWith('data: {'))
      .map((f) => JSON.parse(f.slice(6)));

  it('writes half an image before the upstream sends the rest, then the whole frame as the upstream wrote it', async () => {
    const { res, reader, seen, release } = await heldImage(uniquePrompt('relay-half'), {});
    expect(seen.text).not.toContain('"darkroom":{"images"');
    await release();
    await readUntil(reader, 'data: [DONE]', seen);
    const id = res.headers.get('x-darkroom-generation');
    const frames = framesOf(seen.text);
    expect(frames.map((c) => c.id).filter((c) => c !== id)).toEqual([]);
    const at = frames.findIndex((c) => c.choices?.[0]?.delta?.images);
    expect(frames.filter((c) => c.choices?.[0]?.delta?.images)).toHaveLength(1);
    // The upstream's own frame: its finish_reason null and nothing of ours in it.
    expect(frames[at].choices[0].finish_reason).toBeNull();
    const bytes = dataUrlBytes(frames[at].choices[0].delta.images[0].image_url.url);
    expect(bytes.byteLength).toBe(1024 * 1024);
    const [record] = frames[at + 1].choices[0].delta.darkroom.images;
    expect(record.sha256).toBe(await sha256Hex(bytes));
    const stored = await SELF.fetch(record.url);
    expect(stored.status).toBe(200);
    expect(await sha256Hex(new Uint8Array(await stored.arrayBuffer()))).toBe(record.sha256);
    assertNoSecrets(res, seen.text);
  });

  it("closes the frame after the image when the chunk also finishes (OpenRouter's shape), and the finish follows", async () => {
    const { res, reader, seen, release } = await heldImage(uniquePrompt('relay-or'), { openrouter: true });
    await release();
    await readUntil(reader, 'data: [DONE]', seen);
    const id = res.headers.get('x-darkroom-generation');
    const frames = framesOf(seen.text);
    expect(frames.map((c) => c.id).filter((c) => c !== id)).toEqual([]);
    const withImages = frames.filter((c) => c.choices?.[0]?.delta?.images);
    expect(withImages).toHaveLength(1);
    const [image] = withImages;
    expect(image.provider).toBe('OpenAI');
    expect(image.choices[0]).toHaveProperty('finish_reason', null); // the upstream's is in a frame after it
    const bytes = dataUrlBytes(image.choices[0].delta.images[0].image_url.url);
    expect(bytes.byteLength).toBe(1024 * 1024);
    const finishes = frames.filter((c) => c.choices?.[0]?.finish_reason);
    expect(finishes.map((c) => c.choices[0].finish_reason)).toEqual(['stop']);
    expect(frames.indexOf(finishes[0])).toBeGreaterThan(frames.indexOf(image));
    const record = frames.find((c) => c.choices?.[0]?.delta?.darkroom?.images)!.choices[0].delta.darkroom.images[0];
    expect(record.sha256).toBe(await sha256Hex(bytes));
    expect(frames.some((c) => c.usage)).toBe(true);
  });

  it('closes a frame cut off mid-image as valid JSON, then ends with an error event', async () => {
    const { reader, seen, release } = await heldImage(uniquePrompt('relay-cut'), { cut: true });
    await release();
    await readUntil(reader, '"error"', seen);
    await readUntil(reader, '\u0000never', seen); // to the end of the body
    const frames = framesOf(seen.text); // every frame parses
    expect(frames.at(-1).error.code).toMatch(/^upstream_/);
    expect(seen.text).not.toContain('[DONE]');
    expect(seen.text).not.toContain('"darkroom":{"images"'); // nothing stored, nothing recorded
  });

  it('does not relay when the answer names our URL instead (x-image-format: url)', async () => {
    const prompt = uniquePrompt('relay-url');
    await script(prompt, [{ kind: 'big-image', bytes: 1024 * 1024 }]);
    const res = await SELF.fetch('https://darkroom.test/v1/chat/completions', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${DEV_KEY}`,
        'content-type': 'application/json',
        'cache-control': 'no-store',
        'x-image-format': 'url',
      },
      body: JSON.stringify(ask(prompt, { stream: true })),
    });
    const text = await res.text();
    expect(text).not.toContain('data:image/png;base64');
    const [frame] = framesOf(text).filter((c) => c.choices?.[0]?.delta?.images);
    expect(frame.choices[0].delta.images[0].image_url.url).toMatch(/^https:\/\/darkroom\.test\/i\/[0-9a-f]{64}\.png$/);
  });
});
