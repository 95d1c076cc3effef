// Hostile and broken input, generated: malformed bodies, wrong types, huge strings, deep
// nesting, invalid UTF-8, wrong methods, paths and headers. Every answer is below 500, in
// OpenAI's error shape when it is an error, within a bounded time, and nothing is left as an
// unhandled rejection or an "unhandled error" log line. `node scripts/fuzz.mjs` runs the same
// idea at scale against `npm start`.
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LIMITS } from '../../shared/limits';
import type { Env } from '../../worker/env';
import worker from '../../worker/index';
// @ts-expect-error plain ESM fixture without types
import { FIELDS, fuzzRequests, replaceInMessages, valid } from '../fixtures/fuzz-cases.mjs';
import { DEV_KEY } from './helpers';

// The dev key's rate limits would turn most of the run into 429s before validation is reached.
// USAGE_FLUSH_MS: each request here waits for its background work, and a 1 s usage batch per
// request would be most of the run.
const fuzzEnv = {
  ...env,
  DEV_RPM: '1000000',
  DEV_CONCURRENCY: '10000',
  DEV_DAILY_USD: '1000000',
  USAGE_FLUSH_MS: '0',
} as Env;
const enc = new TextEncoder();

const rejections: unknown[] = [];
const onRejection = (e: PromiseRejectionEvent) => void rejections.push(e.reason);
const logged: string[] = [];

beforeAll(() => {
  addEventListener('unhandledrejection', onRejection);
  const keep =
    (orig: (...a: unknown[]) => void) =>
    (...args: unknown[]) => {
      logged.push(args.map(String).join(' '));
      if (!String(args[0]).includes('"level":"error"')) return;
      orig(...args);
    };
  vi.spyOn(console, 'log').mockImplementation(keep(console.log.bind(console)));
  vi.spyOn(console, 'error').mockImplementation(keep(console.error.bind(console)));
});
afterAll(() => {
  removeEventListener('unhandledrejection', onRejection);
  vi.restoreAllMocks();
});

interface Case {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array;
}

async function send(c: Case): Promise<{ status: number; text: string; type: string; ms: number }> {
  const t0 = Date.now();
  const init: RequestInit = { method: c.method, headers: c.headers };
  if (c.body && !['GET', 'HEAD'].includes(c.method)) init.body = c.body;
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`https://darkroom.test${c.path}`, init), fuzzEnv, ctx);
  const text = await res.text();
  await waitOnExecutionContext(ctx);
  return { status: res.status, text, type: res.headers.get('content-type') ?? '', ms: Date.now() - t0 };
}

/** The contract for every answer: no 5xx, errors in OpenAI's shape, quick. */
function check(c: Case, a: Awaited<ReturnType<typeof send>>) {
  const what = `${c.method} ${c.path} ${c.headers['content-type'] ?? ''} body=${c.body ? new TextDecoder().decode(c.body.subarray(0, 160)) : '-'}`;
  expect(a.status, what).toBeLessThan(500);
  expect(a.ms, what).toBeLessThan(10_000);
  if (a.status >= 400 && c.method !== 'HEAD' && (c.path.startsWith('/v1/') || c.path.startsWith('/i/'))) {
    expect(a.type, what).toContain('application/json');
    const err = JSON.parse(a.text).error;
    expect(typeof err.message, what).toBe('string');
    expect(typeof err.type, what).toBe('string');
    expect('code' in err && 'param' in err, what).toBe(true);
  }
}

/** A valid request with one part replaced by something else. */
const mutated = (anyValue: fc.Arbitrary<unknown>) =>
  fc.tuple(fc.constantFrom(...FIELDS), anyValue, fc.nat(4)).map(([field, value, where]) => {
    const body: Record<string, any> = valid();
    if (!replaceInMessages(body, where, value)) body[field] = value;
    return enc.encode(JSON.stringify(body));
  });

// Sizes for a few hundred cases in-suite; scripts/fuzz.mjs runs the same families larger.
const request: fc.Arbitrary<Case> = fuzzRequests({
  key: DEV_KEY,
  mutated,
  mutatedWeight: 3,
  jsonDepth: 4,
  stringLength: 40,
  longString: 300_000,
  nesting: 100_000,
  badUtf8Bytes: 8,
  binaryBytes: 512,
  textLength: 200,
  strings: ['${}'],
  methods: ['PROPFIND'],
  contentTypes: ['application/jsonx'],
  emptyAuthorization: true,
});

describe('fuzzing the whole API', () => {
  it('answers every generated request below 500, in OpenAI error shape, in bounded time', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (c) => {
        if (!c.headers.authorization) delete (c.headers as Record<string, string>).authorization;
        check(c, await send(c));
      }),
      { numRuns: 400, endOnFailure: true },
    );
    // Each answer is bounded (check: under 10 s, i.e. never a hang); the run's total is not a
    // figure for a unit test on a shared machine (speed belongs in npm run bench).
  }, 180_000);

  it('refuses a 1 GB body without reading it (declared length), and a streamed one at the limit', async () => {
    for (const declared of [true, false]) {
      let pulled = 0;
      const chunk = new Uint8Array(64 * 1024).fill(0x20);
      const stream = new ReadableStream<Uint8Array>({
        pull(c) {
          pulled += chunk.byteLength;
          if (pulled > 1024 ** 3) return c.close();
          c.enqueue(chunk);
        },
      });
      const headers: Record<string, string> = {
        authorization: `Bearer ${DEV_KEY}`,
        'content-type': 'application/json',
      };
      if (declared) headers['content-length'] = String(1024 ** 3);
      const ctx = createExecutionContext();
      const res = await worker.fetch(
        new Request('https://darkroom.test/v1/chat/completions', {
          method: 'POST',
          headers,
          body: stream,
          duplex: 'half',
        } as RequestInit),
        fuzzEnv,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      expect(res.status).toBe(413);
      expect((await res.json<any>()).error.code).toBe('request_too_large');
      expect(pulled).toBeLessThan(LIMITS.maxBodyBytes + 1024 * 1024);
      if (declared) expect(pulled).toBeLessThan(1024 * 1024);
    }
  });

  const sized: [string, () => unknown, number, RegExp][] = [
    [
      'too many messages',
      () => ({ messages: Array.from({ length: LIMITS.maxMessages + 1 }, () => ({ role: 'user', content: 'x' })) }),
      400,
      /messages/,
    ],
    [
      'a prompt over the character limit',
      () => ({
        messages: Array.from({ length: 3 }, () => ({ role: 'user', content: 'x'.repeat(LIMITS.maxPromptChars / 2) })),
      }),
      400,
      /characters/,
    ],
    [
      'deep nesting inside an accepted field',
      () =>
        JSON.parse(
          `{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"n","schema":{"x":${'['.repeat(5000)}${']'.repeat(5000)}}}}}`,
        ),
      400,
      /nested deeper/,
    ],
  ];
  for (const [name, make, status, message] of sized) {
    it(`${name} is a clear ${status}`, async () => {
      const c: Case = {
        method: 'POST',
        path: '/v1/chat/completions',
        headers: { authorization: `Bearer ${DEV_KEY}`, 'content-type': 'application/json' },
        body: enc.encode(JSON.stringify(make())),
      };
      const a = await send(c);
      check(c, a);
      expect(a.status).toBe(status);
      expect(JSON.parse(a.text).error.message).toMatch(message);
    });
  }

  it('left no unhandled rejection and no "unhandled error" log line', () => {
    expect(rejections.map(String)).toEqual([]);
    expect(logged.filter((l) => l.includes('unhandled error'))).toEqual([]);
  });
});
