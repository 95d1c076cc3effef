// The answer layer on its own (worker/answer): the live SSE writer (keep-alive while the client
// waits, [DONE], the error event instead of [DONE], a source that stops or breaks), the first-event
// check, the cost rule, the meta headers, and n generations in one stream.
import { describe, expect, it } from 'vitest';
import { answer } from '../../worker/answer';
import { openAiChat } from '../../worker/answer/openai-chat';
import { openAiImages } from '../../worker/answer/openai-images';
import type { Outcome } from '../../worker/env';
import type { GenEvent, GenMeta } from '../../worker/stream/events';
import { fromEvents } from '../../worker/stream/pipeline';

/** A live source: events, with pauses (ms) between them; `throw` breaks it. */
function source(steps: (GenEvent | number | 'throw')[]): ReadableStream<GenEvent> {
  const rest = [...steps];
  return new ReadableStream({
    async pull(c) {
      for (;;) {
        const s = rest.shift();
        if (s === undefined) return c.close();
        if (s === 'throw') throw new Error('broken');
        if (typeof s === 'number') await new Promise((r) => setTimeout(r, s));
        else return c.enqueue(s);
      }
    },
  });
}

const meta = (m: Partial<GenMeta> = {}): GenEvent => ({
  type: 'meta',
  meta: { generationId: 'gen1', provider: 'custom', cache: 'MISS', ...m },
});
const chunk = (content: string, extra: Record<string, unknown> = {}): GenEvent => ({
  type: 'chunk',
  chunk: {
    id: 'x',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta: { content }, finish_reason: null }],
    ...extra,
  },
});
const usage = (cost: number): GenEvent => ({
  type: 'chunk',
  chunk: {
    id: 'x',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [],
    usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3, cost },
  },
});
const image = (n: number): GenEvent => ({
  type: 'chunk',
  chunk: {
    id: 'x',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [
      {
        index: 0,
        delta: {
          images: [
            {
              type: 'image_url',
              image_url: { url: `data:image/png;base64,AAA${n}` },
              darkroom: {
                key: `${'a'.repeat(63)}${n}.png`,
                sha256: 'a'.repeat(64),
                content_type: 'image/png',
                bytes: 3,
              },
            },
          ],
        },
        finish_reason: null,
      },
    ],
  },
});
const END: GenEvent = { type: 'end' };
const cut: GenEvent = {
  type: 'error',
  error: { status: 502, error: { message: 'cut', type: 'upstream_error', param: null, code: 'upstream_truncated' } },
};

async function chatSse(sources: ReadableStream<GenEvent>[], keepAliveMs = 0) {
  const outcomes: Outcome[] = [];
  const res = await answer(sources, openAiChat({ imageFormat: 'data_url' }), {
    origin: 'https://h',
    stream: true,
    keepAliveMs,
    onSettled: (o) => outcomes.push(o),
  });
  return { res, text: await res.text(), outcomes };
}

describe('the SSE writer', () => {
  it('sends a keep-alive comment whenever the client has waited keepAliveMs, and none while events flow', async () => {
    const slow = await chatSse([source([meta(), chunk('a'), 150, chunk('b'), END])], 20);
    expect(slow.text.slice(0, slow.text.indexOf('"content":"b"'))).toContain(': keep-alive\n\n');
    expect(slow.text.endsWith('data: [DONE]\n\n')).toBe(true);
    const fast = await chatSse([source([meta(), chunk('a'), chunk('b'), END])], 10_000);
    expect(fast.text).not.toContain('keep-alive');
  });

  it('writes the stream headers once: event-stream, no-cache, x-should-retry: false, and the meta headers', async () => {
    const { res } = await chatSse([source([meta(), chunk('a'), END])]);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-should-retry')).toBe('false');
    expect(res.headers.get('x-darkroom-generation')).toBe('gen1');
    expect(res.headers.get('x-darkroom-share-url')).toBe('https://h/s/gen1');
  });

  it('ends a failed generation with an error event and no [DONE]', async () => {
    const { text, outcomes } = await chatSse([source([meta(), chunk('a'), cut])]);
    expect(text).toContain(
      'data: {"error":{"message":"cut","type":"upstream_error","param":null,"code":"upstream_truncated"}}\n\n',
    );
    expect(text).not.toContain('[DONE]');
    expect(outcomes).toEqual([expect.objectContaining({ status: 502 })]);
  });

  it('never lets a source that stops early or breaks look finished', async () => {
    for (const tail of [[] as GenEvent[], ['throw' as const]]) {
      const { text } = await chatSse([source([meta(), chunk('a'), ...tail])]);
      expect(text).toMatch(/"code":"upstream_(truncated|connection_lost)"/);
      expect(text).not.toContain('[DONE]');
    }
  });

  it('passes an unchanged upstream chunk through as its original text (with our generation id); the first chunk carries our meta', async () => {
    const raw =
      '{"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"extra":  "spacing kept"}';
    const { text } = await chatSse([
      source([meta(), chunk('first'), { type: 'chunk', chunk: JSON.parse(raw), raw }, END]),
    ]);
    expect(text).toContain(
      '"darkroom":{"generation_id":"gen1","share_url":"https://h/s/gen1","provider":"custom","cache":"MISS"}',
    );
    expect(text).toContain(`data: ${raw.replace('"id":"x"', '"id":"gen1"')}\n\n`);
  });

  it('renders a whole answer (a cache hit) to the same bytes as the live one', async () => {
    const events = [meta({ cache: 'HIT', age: 3, savedUsd: 0.5 }), chunk('a'), usage(0.5), END];
    const live = await chatSse([source(events)]);
    const whole = await chatSse([fromEvents(events)]);
    expect(whole.text).toBe(live.text);
    expect(whole.res.headers.get('x-cache-age')).toBe('3');
  });

  it('tells the caller once when the client went away (499)', async () => {
    const outcomes: Outcome[] = [];
    const res = await answer([source([meta(), chunk('a'), 10_000, END])], openAiChat({ imageFormat: 'data_url' }), {
      origin: 'https://h',
      stream: true,
      keepAliveMs: 0,
      onSettled: (o) => outcomes.push(o),
    });
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    expect(outcomes).toEqual([expect.objectContaining({ status: 499 })]);
  });
});

describe('the answer', () => {
  it('answers a source that opens with an error, or with nothing, as a plain HTTP error', async () => {
    const failed = await answer([source([cut])], openAiChat({ imageFormat: 'url' }), {
      origin: 'https://h',
      stream: true,
      keepAliveMs: 0,
    });
    expect(failed.status).toBe(502);
    expect(await failed.json()).toEqual({ error: cut.type === 'error' && cut.error.error });
    const empty = await answer([source([])], openAiChat({ imageFormat: 'url' }), {
      origin: 'https://h',
      stream: false,
      keepAliveMs: 0,
    });
    expect(empty.status).toBe(502);
    expect(((await empty.json()) as any).error).toMatchObject({
      message: 'The generation produced no answer.',
      code: 'upstream_empty',
    });
  });

  it('charges what the usage says, and nothing for a hit or a joined answer', async () => {
    const cost = async (m: Partial<GenMeta>) => {
      const outcomes: Outcome[] = [];
      const res = await answer([source([meta(m), chunk('a'), usage(0.25), END])], openAiChat({ imageFormat: 'url' }), {
        origin: 'https://h',
        stream: false,
        keepAliveMs: 0,
        onSettled: (o) => outcomes.push(o),
      });
      const body = (await res.json()) as any;
      return { charged: outcomes[0].costUsd, shown: body.usage.cost, tokens: outcomes[0].tokens };
    };
    expect(await cost({})).toEqual({ charged: 0.25, shown: 0.25, tokens: 3 });
    expect(await cost({ cache: 'HIT' })).toEqual({ charged: 0, shown: 0, tokens: 3 });
    expect(await cost({ joined: true })).toEqual({ charged: 0, shown: 0, tokens: 3 });
  });

  it('streams n generations into one Images API stream, in the order they finish, then [DONE]', async () => {
    const req = { prompt: 'p', n: 2 } as never;
    const slow = source([meta({ generationId: 'genA' }), 60, image(1), usage(0.1), END]);
    const fast = source([meta({ generationId: 'genB' }), image(2), usage(0.2), END]);
    const outcomes: Outcome[] = [];
    const res = await answer([slow, fast], openAiImages({ req, withB64: false }), {
      origin: 'https://h',
      stream: true,
      keepAliveMs: 0,
      onSettled: (o) => outcomes.push(o),
    });
    expect(res.headers.get('x-darkroom-generation')).toBe('genA, genB');
    const events = (await res.text()).split('\n\n').filter(Boolean);
    expect(events.map((e) => /^event: (.*)$/m.exec(e)?.[1] ?? e)).toEqual([
      'image_generation.completed',
      'image_generation.completed',
      'data: [DONE]',
    ]);
    expect(events.map((e) => /"index":(\d)/.exec(e)?.[1])).toEqual(['1', '0', undefined]);
    expect(outcomes).toEqual([expect.objectContaining({ status: 200, costUsd: 0.3, tokens: 6 })]);
  });

  it('fails the whole Images API stream with an error event when one generation fails', async () => {
    const req = { prompt: 'p', n: 2 } as never;
    const res = await answer(
      [source([meta(), image(1), usage(0.1), END]), source([meta({ generationId: 'g2' }), cut])],
      openAiImages({ req, withB64: false }),
      { origin: 'https://h', stream: true, keepAliveMs: 0 },
    );
    const text = await res.text();
    expect(text).toContain('event: error\ndata: {"type":"error","error":{"message":"cut"');
    expect(text).not.toContain('[DONE]');
  });
});
