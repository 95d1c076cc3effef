// Getting an answer started: retries with exponential backoff and jitter on connection errors,
// first-byte timeouts, 408/429/500/502/503 and OpenRouter's retryable availability errors; a
// bounded number of attempts and total time per upstream; then the next upstream. Everything
// here happens before the client has been sent a byte, so a retry is never visible to it.
import { ApiError } from '../lib/errors';
import type { Provider } from '../providers/types';
import { readTextCapped } from '../stream/json-completion';
import { mapUpstreamError } from '../stream/upstream-errors';

export interface RetryPolicy {
  firstByteMs: number;
  maxAttempts: number;
  baseMs: number;
  maxTotalMs: number;
}

export interface Started {
  res: Response;
  provider: Provider;
  attempts: number;
}

export type AttemptLog = (entry: { provider: string; attempt: number; outcome: string }) => void;

export async function startUpstream(
  providers: Provider[],
  body: Record<string, unknown>,
  policy: RetryPolicy,
  signal?: AbortSignal,
  log?: AttemptLog,
): Promise<Started> {
  let last: ApiError | undefined;
  let attempts = 0;
  for (const provider of providers) {
    const deadline = Date.now() + policy.maxTotalMs;
    for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
      attempts++;
      if (signal?.aborted) throw new ApiError(499 as never, 'The client went away.', 'invalid_request_error', 'client_closed');
      const outcome = await tryOnce(provider, body, policy.firstByteMs, signal);
      if (outcome.ok) return { res: outcome.res, provider, attempts };
      log?.({ provider: provider.name, attempt, outcome: `${outcome.error.status} ${outcome.error.code}` });
      last = outcome.error;
      if (!outcome.retryable && !outcome.fallback) throw outcome.error;
      if (!outcome.retryable || attempt === policy.maxAttempts) break;
      const backoff = Math.min(policy.baseMs * 2 ** (attempt - 1), 30_000) * (0.5 + Math.random() * 0.5);
      const wait = Math.max(backoff, (outcome.retryAfterS ?? 0) * 1000);
      if (Date.now() + wait > deadline) break;
      await sleep(wait, signal);
    }
  }
  throw last ?? new ApiError(502, 'No upstream is configured.', 'upstream_error', 'no_upstream');
}

type Outcome =
  | { ok: true; res: Response }
  | { ok: false; error: ApiError; retryable: boolean; fallback: boolean; retryAfterS?: number };

async function tryOnce(provider: Provider, body: Record<string, unknown>, firstByteMs: number, outer?: AbortSignal): Promise<Outcome> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(outer?.reason);
  outer?.addEventListener('abort', onAbort, { once: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error('first byte timeout'));
  }, firstByteMs);
  try {
    const res = await provider.chat({ body, signal: controller.signal });
    if (res.ok) return { ok: true, res };
    const text = (await readTextCapped(res, 64 * 1024).catch(() => '')) ?? '';
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { message: text.slice(0, 300) || res.statusText };
    }
    const raw = (parsed as { error?: unknown })?.error ?? parsed;
    const mapped = mapUpstreamError(raw, res.status, provider.secrets);
    const retryAfterHeader = Number(res.headers.get('retry-after'));
    const retryAfterS = Number.isFinite(retryAfterHeader) && retryAfterHeader > 0 ? retryAfterHeader : mapped.retryAfter;
    const headers: Record<string, string> = { 'x-should-retry': 'false' };
    if (mapped.status === 429 && retryAfterS) headers['retry-after'] = String(Math.ceil(retryAfterS));
    const error = new ApiError(mapped.status as never, mapped.error.message, mapped.error.type as never, mapped.error.code, null, headers);
    const fallback = mapped.retryable || [401, 402, 404].includes(res.status) || res.status >= 500;
    return { ok: false, error, retryable: mapped.retryable, fallback, retryAfterS };
  } catch (err) {
    if (outer?.aborted) throw err;
    const error = timedOut
      ? new ApiError(504, `The upstream did not answer within ${Math.round(firstByteMs / 1000)} s.`, 'timeout_error', 'upstream_timeout', null, { 'x-should-retry': 'false' })
      : new ApiError(502, 'Could not connect to the upstream.', 'upstream_error', 'upstream_unreachable', null, { 'x-should-retry': 'false' });
    return { ok: false, error, retryable: true, fallback: true };
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onAbort);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
}
