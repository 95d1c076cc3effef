// Helpers for the security suite: the Worker called with its own settings (production mode, a
// chosen upstream key, Turnstile pointed at the fake siteverify), and the log lines it writes.
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { vi } from 'vitest';
import type { Env } from '../../worker/env';
import worker from '../../worker/index';
import { type Answer, answerOf } from './helpers';

export const SITE = 'https://darkroom.test';
export const TURNSTILE_SECRET = 'turnstile-secret-for-tests-0123456789';

/** A deployed Worker: production, Turnstile configured against the fake siteverify. */
export function productionEnv(extra: Record<string, string> = {}): Env {
  return {
    ...env,
    DARKROOM_ENV: 'production',
    TURNSTILE_SITE_KEY: '1x00000000000000000000AA',
    TURNSTILE_SECRET_KEY: TURNSTILE_SECRET,
    TURNSTILE_VERIFY_URL: `${env.FAKE_UPSTREAM}/siteverify`,
    ...extra,
  } as Env;
}

/**
 * One request to the Worker with these bindings (uncached requests never leave this isolate's
 * env). `settle: false` does not wait for the background work (the stats batch waits a second).
 */
export async function fetchWith(
  bindings: Env,
  path: string,
  init: RequestInit & { settle?: boolean } = {},
): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${SITE}${path}`, init), bindings, ctx);
  const body = await res.arrayBuffer();
  if (init.settle !== false) await waitOnExecutionContext(ctx);
  return new Response(body, res);
}

/** Like helpers.call, with these bindings; the answer is checked for the test secrets. */
export async function callWith(
  bindings: Env,
  path: string,
  init: RequestInit & { key?: string | null; settle?: boolean } = {},
): Promise<Answer> {
  const headers = new Headers(init.headers);
  if (init.key) headers.set('authorization', `Bearer ${init.key}`);
  if (init.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
  return answerOf(await fetchWith(bindings, path, { ...init, headers }));
}

export const chatBody = (prompt: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ messages: [{ role: 'user', content: prompt }], ...extra });

/** Every console line written while fn runs (quietly: nothing is printed). */
export async function captureLogs<T>(fn: () => Promise<T>): Promise<{ value: T; logs: string }> {
  const lines: string[] = [];
  const spies = (['log', 'warn', 'error', 'info', 'debug'] as const).map((m) =>
    vi.spyOn(console, m).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' '))),
  );
  try {
    const value = await fn();
    return { value, logs: lines.join('\n') };
  } finally {
    for (const s of spies) s.mockRestore();
  }
}
