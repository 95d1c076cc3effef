// Starting the upstream alone: retries with backoff for what may pass next time, the fallback
// after the primary's attempts, no retry for what would fail anywhere, the first-byte timeout,
// and errors mapped (and scrubbed) for the client.
import { describe, expect, it } from 'vitest';
import { startUpstream, type UpstreamCall } from '../../worker/generation/upstream-call';
import type { Provider } from '../../worker/providers/types';

const policy = { firstByteMs: 200, maxAttempts: 3, baseMs: 1, maxTotalMs: 2_000 };
const sse = () => new Response('data: {"choices":[]}\n\n', { headers: { 'content-type': 'text/event-stream' } });
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

/** A provider answering from a script, one step per call (the last repeats). */
function scripted(name: string, steps: (() => Response | Promise<Response>)[], secrets: string[] = []) {
  const calls: number[] = [];
  const provider: Provider = {
    name,
    secrets,
    chat: async ({ signal }) => {
      calls.push(Date.now());
      const step = steps[Math.min(calls.length - 1, steps.length - 1)];
      return new Promise<Response>((resolve, reject) => {
        signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
        Promise.resolve(step()).then(resolve, reject);
      });
    },
  };
  return { provider, calls };
}

const errorOf = async (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e) => e as { status: number; code: string; message: string; headers: Record<string, string> },
  );

/** A chat request: the body does not matter to the scripted providers. */
const CALL: UpstreamCall = { body: {}, api: 'chat' };

describe('upstream-call', () => {
  it('retries a 500 on the same upstream and hands on the first good answer', async () => {
    const up = scripted('a', [() => json(500, { error: { message: 'boom' } }), sse]);
    const started = await startUpstream([up.provider], CALL, policy);
    expect(started).toMatchObject({ attempts: 2, provider: { name: 'a' } });
    expect(await started.res.text()).toBe('data: {"choices":[]}\n\n');
  });

  it('moves to the fallback after the bounded attempts on the primary', async () => {
    const primary = scripted('a', [() => json(503, { error: { message: 'down' } })]);
    const fallback = scripted('b', [sse]);
    const started = await startUpstream([primary.provider, fallback.provider], CALL, policy);
    expect(started.provider.name).toBe('b');
    expect(primary.calls).toHaveLength(3);
  });

  it('does not retry a request the upstream refused (400), and says a retry would not help', async () => {
    const up = scripted('a', [() => json(400, { error: { message: 'bad prompt' } })]);
    const err = await errorOf(startUpstream([up.provider, scripted('b', [sse]).provider], CALL, policy));
    expect(err.status).toBe(400);
    expect(err.headers['x-should-retry']).toBe('false');
    expect(up.calls).toHaveLength(1);
  });

  it('times out an upstream that sends no first byte, and retries it', async () => {
    const up = scripted('a', [() => new Promise<Response>(() => {}), sse]);
    const t0 = Date.now();
    const started = await startUpstream([up.provider], CALL, policy);
    expect(started.attempts).toBe(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
  });

  it('retries an HTML or empty 200 (nothing was generated)', async () => {
    const up = scripted('a', [
      () => new Response('<html></html>', { headers: { 'content-type': 'text/html' } }),
      () => new Response('', { headers: { 'content-type': 'application/json' } }),
      sse,
    ]);
    expect((await startUpstream([up.provider], CALL, policy)).attempts).toBe(3);
  });

  it('passes a lasting 429 on with its Retry-After, and scrubs the upstream key from messages', async () => {
    const secret = 'sk-or-secret-0123456789';
    const up = scripted(
      'a',
      [() => json(429, { error: { message: `limited for ${secret}` } }, { 'retry-after': '120' })],
      [secret],
    );
    const err = await errorOf(startUpstream([up.provider], CALL, policy));
    expect(err.status).toBe(429);
    expect(err.headers['retry-after']).toBe('120');
    expect(err.message).not.toContain(secret);
    expect(up.calls).toHaveLength(1); // 120 s is longer than we wait
  });

  it('stops at once when the caller has gone', async () => {
    const abort = new AbortController();
    abort.abort();
    const err = await errorOf(startUpstream([scripted('a', [sse]).provider], CALL, policy, abort.signal));
    expect(err.status).toBe(499);
  });
});
