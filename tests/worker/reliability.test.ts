// Upstream faults, injected with the fake upstream: what the client saw, how many attempts the
// upstream received, and that nothing broken was cached (a failed seeded request is a MISS next
// time) or left in R2.
import { env, SELF } from 'cloudflare:test';
import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import { sniffImage } from '../../worker/images/sniff';
import { ask, chat, imagesOf, parseSse, script, textOf, uniquePrompt, upstreamRequests } from './helpers';

const seeded = (prompt: string, extra: Record<string, unknown> = {}) => ask(prompt, { seed: 7, ...extra });
const PRIMARY = '/v1/chat/completions';
const FALLBACK = '/fallback/v1/chat/completions';

async function attempts(prompt: string) {
  const { requests } = await upstreamRequests(prompt);
  return {
    total: requests.length,
    primary: requests.filter((r) => r.path === PRIMARY).length,
    fallback: requests.filter((r) => r.path === FALLBACK).length,
  };
}

/** A finished answer: 200, text, one stored image, and for SSE a [DONE] tail. */
function expectClean(a: Awaited<ReturnType<typeof chat>>) {
  expect(a.res.status).toBe(200);
  expect(textOf(a)).toContain('Here is your image');
  expect(imagesOf(a)).toHaveLength(1);
  expect(imagesOf(a)[0].darkroom.url).toMatch(/\/i\/[0-9a-f]{64}\.png$/);
  if (a.res.headers.get('content-type')?.includes('event-stream')) expect(parseSse(a.text).at(-1)?.data).toBe('[DONE]');
}

/** The last SSE event is an OpenAI error object (what openai-node raises), with no [DONE]. */
function streamErrorOf(a: Awaited<ReturnType<typeof chat>>) {
  expect(a.res.status).toBe(200);
  expect(a.res.headers.get('x-should-retry')).toBe('false');
  const events = parseSse(a.text);
  expect(events.some((e) => e.data === '[DONE]')).toBe(false);
  const last = JSON.parse(events.at(-1)!.data!);
  expect(Object.keys(last)).toEqual(['error']);
  expect(typeof last.error.message).toBe('string');
  return last.error;
}

/** A failed seeded request left nothing: the next identical one is generated again (MISS), then cached (HIT). */
async function expectNotCached(prompt: string, extra: Record<string, unknown> = {}) {
  const next = await chat(seeded(prompt, extra));
  expect(next.res.headers.get('x-cache')).toBe('MISS');
  expectClean(next);
  const again = await chat(seeded(prompt, extra));
  expect(again.res.headers.get('x-cache')).toBe('HIT');
}

describe('retries before the first byte', () => {
  for (const stream of [false, true]) {
    it(`one 500 then success is a clean answer after one retry (${stream ? 'SSE' : 'JSON'})`, async () => {
      const prompt = uniquePrompt('500 once');
      await script(prompt, [{ kind: 'status', status: 500 }, { kind: 'ok' }]);
      const a = await chat(seeded(prompt, { stream }));
      expectClean(a);
      expect(a.res.headers.get('x-cache')).toBe('MISS');
      expect(await attempts(prompt)).toEqual({ total: 2, primary: 2, fallback: 0 });
      expect((await chat(seeded(prompt, { stream }))).res.headers.get('x-cache')).toBe('HIT');
    });
  }

  for (const status of [408, 429, 502, 503]) {
    it(`retries a ${status}`, async () => {
      const prompt = uniquePrompt(`retry ${status}`);
      await script(prompt, [{ kind: 'status', status }, { kind: 'ok' }]);
      expectClean(await chat(ask(prompt)));
      expect((await attempts(prompt)).total).toBe(2);
    });
  }

  it('honours Retry-After on a 429', async () => {
    const prompt = uniquePrompt('retry-after');
    await script(prompt, [{ kind: 'status', status: 429, headers: { 'retry-after': '1' } }, { kind: 'ok' }]);
    const t0 = Date.now();
    expectClean(await chat(ask(prompt)));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect((await attempts(prompt)).total).toBe(2);
  });

  it("retries OpenRouter's retryable availability error (capacity_exhausted)", async () => {
    const prompt = uniquePrompt('availability');
    const body = {
      error: {
        message: 'All providers for openai/gpt-5.4-image-2 are at capacity. Retry after 0 seconds.',
        error_type: 'rate_limit_exceeded',
        http_status: 429,
        availability: {
          code: 'capacity_exhausted',
          retryable: true,
          retry_after: 0,
          requested_models: ['openai/gpt-5.4-image-2'],
        },
      },
    };
    await script(prompt, [{ kind: 'status', status: 429, body }, { kind: 'ok' }]);
    expectClean(await chat(ask(prompt, { stream: true })));
    expect((await attempts(prompt)).total).toBe(2);
  });

  it('retries a connection reset', async () => {
    const prompt = uniquePrompt('reset');
    await script(prompt, [{ kind: 'reset' }, { kind: 'ok' }]);
    expectClean(await chat(ask(prompt, { stream: true })));
    expect((await attempts(prompt)).total).toBe(2);
  });

  it('retries an HTML 200 and an empty 200 (nothing reached the client yet)', async () => {
    for (const kind of ['html', 'empty']) {
      const prompt = uniquePrompt(`${kind} 200 once`);
      await script(prompt, [{ kind }, { kind: 'ok' }]);
      expectClean(await chat(seeded(prompt, { stream: true })));
      expect((await attempts(prompt)).total).toBe(2);
    }
  });

  it('times out a silent upstream at the first byte (headers alone do not count) and retries', async () => {
    for (const kind of ['hang', 'headers-then-hang']) {
      const prompt = uniquePrompt(`first byte ${kind}`);
      await script(prompt, [{ kind }, { kind: 'ok' }]);
      const t0 = Date.now();
      expectClean(await chat(ask(prompt, { stream: true })));
      const took = Date.now() - t0;
      expect(took).toBeGreaterThanOrEqual(2900); // FIRST_BYTE_TIMEOUT_MS = 3000 in tests
      expect(took).toBeLessThan(8000);
      expect((await attempts(prompt)).total).toBe(2);
    }
  });

  it('moves to the fallback upstream after the bounded attempts on the primary', async () => {
    const prompt = uniquePrompt('fallback');
    await script(prompt, [{ kind: 'status', status: 503 }], '/v1');
    const a = await chat(seeded(prompt, { stream: true }));
    expectClean(a);
    expect(await attempts(prompt)).toEqual({ total: 4, primary: 3, fallback: 1 });
  });

  it('gives up after every upstream failed: 502 in OpenAI shape, bounded attempts, nothing cached', async () => {
    const prompt = uniquePrompt('all down');
    await script(prompt, [
      { kind: 'status', status: 500 },
      { kind: 'status', status: 500 },
      { kind: 'status', status: 500 },
      { kind: 'status', status: 500 },
      { kind: 'status', status: 500 },
      { kind: 'status', status: 500 },
      { kind: 'ok' },
    ]);
    const t0 = Date.now();
    const a = await chat(seeded(prompt));
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(a.res.status).toBe(502);
    expect(a.json.error).toMatchObject({ type: 'upstream_error', code: 'upstream_error' });
    expect(a.res.headers.get('x-should-retry')).toBe('false');
    expect(await attempts(prompt)).toEqual({ total: 6, primary: 3, fallback: 3 });
    await expectNotCached(prompt);
  });

  it('answers a lasting 429 with 429 and Retry-After, and lets the SDK decide about retrying', async () => {
    const prompt = uniquePrompt('429 forever');
    await script(prompt, [{ kind: 'status', status: 429, headers: { 'retry-after': '120' } }]);
    const a = await chat(ask(prompt, { stream: true }));
    expect(a.res.status).toBe(429);
    expect(a.json.error.type).toBe('rate_limit_error');
    expect(a.res.headers.get('retry-after')).toBe('120');
    expect(a.res.headers.get('x-should-retry')).toBeNull();
    // Retry-After beyond what we wait: no second attempt on that upstream, the fallback is tried once.
    expect(await attempts(prompt)).toEqual({ total: 2, primary: 1, fallback: 1 });
  });
});

describe("OpenRouter's own errors are passed on with their status, scrubbed", () => {
  const cases: [string, number, Record<string, unknown>, number, string, RegExp, number][] = [
    [
      'credits',
      402,
      {
        error: {
          code: 402,
          message: `Insufficient credits for key ${env.UPSTREAM_API_KEY}. Add more using https://openrouter.ai/credits`,
          metadata: { error_type: 'payment_required' },
        },
      },
      402,
      'upstream_insufficient_credits',
      /credits/,
      2,
    ],
    [
      'moderation',
      403,
      {
        error: {
          code: 403,
          message: 'Input flagged',
          metadata: {
            reasons: ['violence'],
            flagged_input: 'a…',
            provider_name: 'OpenAI',
            model_slug: 'openai/gpt-5.4-image-2',
          },
        },
      },
      403,
      'content_policy_violation',
      /moderation \(violence\)/,
      1,
    ],
    [
      'context length',
      400,
      {
        error: {
          code: 400,
          message: 'This endpoint maximum context length is 272000 tokens',
          metadata: { error_type: 'context_length_exceeded' },
        },
      },
      400,
      'context_length_exceeded',
      /context length/,
      1,
    ],
  ];
  for (const [name, status, body, ourStatus, code, message, tries] of cases) {
    it(`${name}: ${status} -> ${ourStatus} ${code}`, async () => {
      const prompt = uniquePrompt(name);
      await script(prompt, [{ kind: 'status', status, body }]);
      for (const stream of [false, true]) {
        const a = await chat(ask(prompt, { stream })); // call() fails the test on a leaked secret
        expect(a.res.status).toBe(ourStatus);
        expect(a.json.error).toMatchObject({ code });
        expect(a.json.error.message).toMatch(message);
        expect(a.res.headers.get('x-should-retry')).toBe('false');
      }
      expect((await attempts(prompt)).total).toBe(tries * 2);
    });
  }
});

describe('failures after the stream started', () => {
  it('a stream cut in the middle reaches the openai client as an error; the next request is a MISS', async () => {
    const prompt = uniquePrompt('cut openai');
    await script(prompt, [{ kind: 'truncate' }, { kind: 'ok' }]);
    const client = new OpenAI({
      apiKey: 'sk-local-dev',
      baseURL: 'https://darkroom.test/v1',
      maxRetries: 0,
      fetch: (url: RequestInfo | URL, init?: RequestInit) => SELF.fetch(url as string, init),
    });
    const stream = await client.chat.completions.create({
      model: 'gpt-5.4-image-2',
      seed: 7,
      stream: true,
      messages: [{ role: 'user', content: prompt }],
    });
    let chunks = 0;
    const err = await (async () => {
      for await (const _ of stream) chunks++;
    })().catch((e) => e);
    expect(chunks).toBeGreaterThan(0);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(String(err.message)).toMatch(/cut off|lost|ended/);
    expect(await attempts(prompt)).toEqual({ total: 1, primary: 1, fallback: 0 }); // never silently restarted
    await expectNotCached(prompt);
  });

  const midStream: [string, Record<string, unknown>, RegExp][] = [
    ['truncate', { kind: 'truncate' }, /upstream_(truncated|connection_lost)/],
    ['no-done', { kind: 'no-done' }, /upstream_truncated/],
    ['error-chunk', { kind: 'error-chunk' }, /upstream_error/],
    ['event: error', { kind: 'event-error' }, /upstream_error/],
    ['invalid-json', { kind: 'invalid-json' }, /upstream_invalid_json/],
    ['stall (idle timeout)', { kind: 'stall', afterEvents: 3 }, /upstream_timeout/],
  ];
  for (const [name, step, code] of midStream) {
    it(`${name}: an error event ends the stream, one attempt, nothing cached`, async () => {
      const prompt = uniquePrompt(`mid ${name}`);
      await script(prompt, [step, { kind: 'ok' }]);
      const error = streamErrorOf(await chat(seeded(prompt, { stream: true })));
      expect(error.code).toMatch(code);
      expect((await attempts(prompt)).total).toBe(1);
      await expectNotCached(prompt, { stream: true });
    });
  }

  it('keep-alive comments are life, not progress: the progress timeout still ends the stream', async () => {
    const prompt = uniquePrompt('keepalives only');
    await script(prompt, [{ kind: 'keepalives', count: 60, everyMs: 150 }, { kind: 'ok' }]);
    const t0 = Date.now();
    const a = await chat(ask(prompt, { stream: true }));
    const took = Date.now() - t0;
    const error = streamErrorOf(a);
    expect(error).toMatchObject({ type: 'timeout_error', code: 'upstream_timeout' });
    expect(error.message).toMatch(/no progress/);
    expect(took).toBeGreaterThanOrEqual(3900); // PROGRESS_TIMEOUT_MS = 4000, IDLE_TIMEOUT_MS = 1500
    expect(took).toBeLessThan(7000);
    expect(parseSse(a.text).filter((e) => e.comment).length).toBeGreaterThan(10);
  });

  it('an image line still arriving is life: a slow multi-piece image is not an idle timeout', async () => {
    const prompt = uniquePrompt('dribble');
    // 8 pieces, 400 ms apart: 3.2 s for one event, longer than IDLE_TIMEOUT_MS = 1500 without bytes.
    await script(prompt, [{ kind: 'dribble', pieces: 8, everyMs: 400 }]);
    const a = await chat(ask(prompt, { stream: true }));
    expectClean(a);
  });

  it('CRLF line endings are parsed like LF', async () => {
    const prompt = uniquePrompt('crlf');
    await script(prompt, [{ kind: 'crlf' }]);
    expectClean(await chat(ask(prompt, { stream: true })));
  });

  it('a JSON body cut in the middle is a 502 after one attempt (non-streaming path)', async () => {
    const prompt = uniquePrompt('json cut');
    await script(prompt, [{ kind: 'truncate' }]);
    const a = await chat(ask(prompt));
    expect(a.res.status).toBe(502);
    expect(a.res.headers.get('x-should-retry')).toBe('false');
    expect((await attempts(prompt)).total).toBe(1);
  });
});

describe('malformed upstream output is a 502, never stored', () => {
  const garbage: [string, Record<string, unknown>, string][] = [
    ['invalid JSON', { kind: 'invalid-json' }, 'upstream_invalid_json'],
    ['invalid base64', { kind: 'bad-base64' }, 'upstream_invalid_image'],
    ['bytes that are not an image', { kind: 'not-image' }, 'upstream_invalid_image'],
    ['a text/plain data URL', { kind: 'text-data-url' }, 'upstream_invalid_image'],
    ['an image over the size limit', { kind: 'big-image', bytes: 33 * 1024 * 1024 }, 'upstream_invalid_image'],
  ];
  for (const [name, step, code] of garbage) {
    it(`${name}: 502 (JSON) / error event (SSE), nothing cached`, async () => {
      const prompt = uniquePrompt(`garbage ${name}`);
      await script(prompt, [step, step, { kind: 'ok' }]);
      const json = await chat(seeded(prompt));
      expect(json.res.status).toBe(502);
      expect(json.json.error).toMatchObject({ type: 'upstream_error', code });
      expect(json.res.headers.get('x-should-retry')).toBe('false');
      const sse = await chat(seeded(prompt, { stream: true }));
      expect(streamErrorOf(sse).code).toBe(code);
      expect((await attempts(prompt)).total).toBe(2);
      await expectNotCached(prompt);
    });
  }

  it('an HTML 200 every time is a 502 after the bounded attempts', async () => {
    const prompt = uniquePrompt('html always');
    await script(prompt, [{ kind: 'html' }]);
    const a = await chat(ask(prompt, { stream: true }));
    expect(a.res.status).toBe(502);
    expect(a.json.error).toMatchObject({ type: 'upstream_error', code: 'upstream_invalid_response' });
    expect(a.json.error.message).toMatch(/text\/html/);
    expect((await attempts(prompt)).total).toBe(6);
  });
});

afterAll(async () => {
  // R2 holds nothing broken: every object this file caused to be written is a real image.
  const listed = await env.IMAGES.list({ limit: 1000 });
  for (const obj of listed.objects) {
    const body = await env.IMAGES.get(obj.key);
    const bytes = new Uint8Array(await body!.arrayBuffer());
    expect(sniffImage(bytes), obj.key).not.toBeNull();
    expect(obj.key.endsWith(`.${sniffImage(bytes)!.ext}`)).toBe(true);
  }
});
