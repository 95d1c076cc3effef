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
