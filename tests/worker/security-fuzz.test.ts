// Finding 3, fuzzed: an upstream that echoes the key it was sent in every error position
// (message, type, code, param, metadata.*, moderation reasons, a header), as an HTTP error, a
// JSON error with status 200, an SSE stream whose first event is an error, an `event: error`, an
// error chunk mid-stream or plain answer text, streamed and not, through chat and the Images
// API. Whatever the key looks like, it never reaches the client's body or headers, or the log.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createKey } from './access-helpers';
import { script, uniquePrompt, upstreamRequests } from './helpers';
import { callWith, captureLogs, productionEnv } from './security-helpers';

// Keys as vendors issue them, and some that look like nothing at all (no generic pattern fits).
const keyArb = fc.oneof(
  fc.stringMatching(/^sk-or-v1-[0-9a-f]{32}$/),
  fc.stringMatching(/^[A-Za-z0-9]{16,39}$/),
  fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._~-]{15,47}$/),
);
const stepArb = fc.record({
  transport: fc.constantFrom('status', 'json200', 'sse-first', 'sse-event', 'mid-stream', 'content'),
  status: fc.constantFrom(400, 401, 402, 403, 404, 408, 413, 422, 429, 500, 502, 503),
  code: fc.constantFrom('key', undefined, 400, 403, 502),
});

describe('a secret-echoing upstream never gets its key out', () => {
  it('fuzz: chat and Images API, streamed and not', { timeout: 120_000 }, async () => {
    const { key: apiKey } = await createKey({ type: 'secret', rpm: 100000, concurrency: 100 });
    await fc.assert(
      fc.asyncProperty(
        keyArb,
        stepArb,
        fc.boolean(),
        fc.constantFrom('chat', 'images'),
        async (secret, step, stream, route) => {
          const prompt = uniquePrompt('echo fuzz');
          await script(prompt, [{ kind: 'echo-key', ...step }]);
          const bindings = productionEnv({
            UPSTREAM_API_KEY: secret,
            UPSTREAM_FALLBACKS: '',
            RETRY_MAX_ATTEMPTS: '1',
            TURNSTILE_SITE_KEY: '',
          });
          const body =
            route === 'chat' ? { messages: [{ role: 'user', content: prompt }], stream } : { prompt, stream };
          const { value: a, logs } = await captureLogs(() =>
            callWith(bindings, route === 'chat' ? '/v1/chat/completions' : '/v1/images/generations', {
              method: 'POST',
              key: apiKey,
              body: JSON.stringify(body),
              settle: false,
            }),
          );
          // The upstream really was sent this key (and so had it to echo).
          expect((await upstreamRequests(prompt)).requests[0]?.headers.authorization).toBe(`Bearer ${secret}`);
          const what = `${route} ${JSON.stringify(step)} stream=${stream} key=${secret}`;
          expect(a.res.status, what).toBeLessThan(600);
          expect(a.text.includes(secret), `body: ${what}\n${a.text.slice(0, 500)}`).toBe(false);
          expect([...a.res.headers].join('\n').includes(secret), `headers: ${what}`).toBe(false);
          expect(logs.includes(secret), `log: ${what}\n${logs.slice(0, 500)}`).toBe(false);
        },
      ),
      { numRuns: 80 },
    );
  });
});
