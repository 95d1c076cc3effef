// Streaming is real: events reach the client while the upstream is still generating (no
// buffering), proven with a gate in the fake upstream instead of timings.
import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { DEV_KEY, ask, uniquePrompt, script, assertNoSecrets } from './helpers';

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
