// The client-facing SSE stage: keep-alive comments while the client waits, [DONE] at the end,
// an OpenAI error event (and no [DONE]) when the generation fails.
import { describe, expect, it } from 'vitest';
import type { GenEvent } from '../../worker/stream/events';
import { renderSse } from '../../worker/stream/render';

function source(steps: (GenEvent | number)[]): ReadableStream<GenEvent> {
  return new ReadableStream({
    async start(c) {
      for (const s of steps) {
        if (typeof s === 'number') await new Promise((r) => setTimeout(r, s));
        else c.enqueue(s);
      }
      c.close();
    },
  });
}

const chunk = (content: string): GenEvent => ({
  type: 'chunk',
  chunk: { id: 'x', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }] },
});

async function render(steps: (GenEvent | number)[], keepAliveMs: number) {
  const out = source(steps).pipeThrough(renderSse({ origin: 'https://h', imageFormat: 'data_url', keepAliveMs }));
  return new Response(out).text();
}

describe('renderSse', () => {
  it('sends a keep-alive comment whenever the client has waited keepAliveMs', async () => {
    const text = await render([chunk('a'), 200, chunk('b'), { type: 'end' }], 40);
    const before = text.indexOf('"content":"b"');
    expect(text.slice(0, before)).toContain(': keep-alive\n\n');
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('sends no keep-alive when events flow', async () => {
    const text = await render([chunk('a'), chunk('b'), { type: 'end' }], 10_000);
    expect(text).not.toContain('keep-alive');
  });

  it('ends a failed generation with an error event and no [DONE]', async () => {
    const text = await render(
      [chunk('a'), { type: 'error', error: { status: 502, error: { message: 'cut', type: 'upstream_error', param: null, code: 'upstream_truncated' } } }],
      0,
    );
    expect(text).toContain('data: {"error":{"message":"cut","type":"upstream_error","param":null,"code":"upstream_truncated"}}\n\n');
    expect(text).not.toContain('[DONE]');
  });

  it('passes an unchanged upstream chunk through as its original text', async () => {
    const raw = '{"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"extra":  "spacing kept"}';
    const text = await render([{ type: 'chunk', chunk: JSON.parse(raw), raw }, { type: 'end' }], 0);
    expect(text).toContain(`data: ${raw}\n\n`);
  });
});
