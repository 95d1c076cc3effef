// Getting an answer started: retries with exponential backoff and jitter on connection errors,
// first-byte timeouts, 408/429/500/502/503, OpenRouter's retryable availability errors and
// answers that are broken from their first byte (an HTML or empty 200); a bounded number of
// attempts and total time per upstream; then the next upstream. An attempt counts as started
// only once the first byte of its body arrived, so everything here happens before the client
// has been sent a byte: a retry is never visible to it, and nothing after this ever restarts.
import { parseRetryAfter } from '../../shared/parse';
import { ApiError, noRetry } from '../lib/errors';
import type { Provider } from '../providers/types';
import { readTextCapped } from '../stream/json-completion';
import { describeType } from '../stream/pipeline';
import { scrubUpstreamText } from '../lib/secrets';
import { mapUpstreamError } from '../stream/upstream-errors';

export interface RetryPolicy {
  /** Time to the first byte of the upstream body (headers alone do not count). */
  firstByteMs: number;
  /** Attempts per upstream. */
  maxAttempts: number;
  baseMs: number;
  /** Time budget per upstream for its attempts and the waits between them. */
  maxTotalMs: number;
  /** Longest backoff, and longest Retry-After we are willing to wait. */
  maxDelayMs?: number;
}

export interface Started {
  res: Response;
  provider: Provider;
  attempts: number;
}

export type AttemptLog = (entry: { provider: string; attempt: number; outcome: string; wait_ms?: number }) => void;

/** What to send: the chat-shaped body, and which upstream API should serve it. */
export interface UpstreamCall {
  body: Record<string, unknown>;
  /** `images`: the provider's Images API where it has one (it streams previews). */
  api: 'chat' | 'images';
}

export async function startUpstream(
  providers: Provider[],
  call: UpstreamCall,
  policy: RetryPolicy,
  signal?: AbortSignal,
  log?: AttemptLog,
): Promise<Started> {
  let last: ApiError | undefined;
  let attempts = 0;
  const maxDelay = policy.maxDelayMs ?? 30_000;
  for (const provider of providers) {
    const deadline = Date.now() + policy.maxTotalMs;
    for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
      attempts++;
      if (signal?.aborted) throw clientGone();
      const outcome = await tryOnce(provider, call, policy.firstByteMs, signal);
      if (outcome.ok) return { res: outcome.res, provider, attempts };
      last = outcome.error;
      if (!outcome.retryable && !outcome.fallback) {
        log?.({ provider: provider.name, attempt, outcome: `${outcome.error.status} ${outcome.error.code} (final)` });
        throw outcome.error;
      }
      const backoff = Math.min(policy.baseMs * 2 ** (attempt - 1), maxDelay) * (0.5 + Math.random() * 0.5);
      const wait = Math.max(backoff, Math.min((outcome.retryAfterS ?? 0) * 1000, maxDelay + 1));
      const again =
        outcome.retryable && attempt < policy.maxAttempts && Date.now() + wait < deadline && wait <= maxDelay;
      log?.({
        provider: provider.name,
        attempt,
        outcome: `${outcome.error.status} ${outcome.error.code}`,
        ...(again ? { wait_ms: Math.round(wait) } : {}),
      });
      if (!again) break;
      await sleep(wait, signal);
    }
  }
  throw last ?? new ApiError(502, 'No upstream is configured.', 'upstream_error', 'no_upstream', null, NO_RETRY);
}

const NO_RETRY = noRetry();

const clientGone = () => new ApiError(499 as never, 'The client went away.', 'invalid_request_error', 'client_closed');

type Outcome =
  | { ok: true; res: Response }
  | { ok: false; error: ApiError; retryable: boolean; fallback: boolean; retryAfterS?: number };

async function tryOnce(
  provider: Provider,
  call: UpstreamCall,
  firstByteMs: number,
  outer?: AbortSignal,
): Promise<Outcome> {
  // One controller per attempt, linked to the caller's signal for the attempt's whole life:
  // aborting the generation later still cancels this upstream request.
  const controller = new AbortController();
  const onAbort = () => controller.abort(outer?.reason);
  if (outer?.aborted) throw clientGone();
  outer?.addEventListener('abort', onAbort, { once: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error('first byte timeout'));
  }, firstByteMs);
  let started = false;
  try {
    const req = { body: call.body, signal: controller.signal };
    const res = await (call.api === 'images' && provider.images ? provider.images(req) : provider.chat(req));
    if (!res.ok) return await failed(provider, res);
    const type = res.headers.get('content-type') ?? '';
    if (!type.includes('text/event-stream') && !type.includes('json')) {
      // An HTML error page or a bare 200 from something in front of the upstream: nothing was generated.
      res.body?.cancel().catch(() => {});
      return broken(
        `The upstream answered with ${describeType(type)} instead of JSON or an event stream.`,
        'upstream_invalid_response',
      );
    }
    const first = await firstChunk(res);
    if (!first) return broken('The upstream answered with an empty body.', 'upstream_empty');
    started = true;
    return { ok: true, res: first };
  } catch (err) {
    if (outer?.aborted) throw clientGone();
    const error = timedOut
      ? new ApiError(
          504,
          `The upstream sent nothing within ${Math.round(firstByteMs / 1000)} s.`,
          'timeout_error',
          'upstream_timeout',
          null,
          NO_RETRY,
        )
      : new ApiError(502, 'Could not connect to the upstream.', 'upstream_error', 'upstream_unreachable');
    return { ok: false, error, retryable: true, fallback: true };
  } finally {
    clearTimeout(timer);
    if (!started) outer?.removeEventListener('abort', onAbort);
  }
}

function broken(message: string, code: string): Outcome {
  return { ok: false, error: new ApiError(502, message, 'upstream_error', code), retryable: true, fallback: true };
}

async function failed(provider: Provider, res: Response): Promise<Outcome> {
  const text = (await readTextCapped(res, 64 * 1024).catch(() => '')) ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { message: text.trim().slice(0, 300) || res.statusText || `HTTP ${res.status}` };
  }
  const raw = (parsed as { error?: unknown })?.error ?? parsed;
  const mapped = mapUpstreamError(raw, res.status, provider.secrets);
  const retryAfterS = parseRetryAfter(res.headers.get('retry-after')) ?? mapped.retryAfter;
  const retryable = mapped.retryable || [408, 429, 500, 502, 503].includes(res.status);
  const headers: Record<string, string> = {};
  // Nothing was generated for a 429/503 or an availability error: a client retry later costs
  // nothing, so the SDK may decide. Everything else would fail again or pay again.
  if (!(retryable && [429, 503].includes(mapped.status))) Object.assign(headers, NO_RETRY);
  if ([429, 503].includes(mapped.status) && retryAfterS) headers['retry-after'] = String(Math.ceil(retryAfterS));
  const message = scrubUpstreamText(mapped.error.message, provider.secrets);
  const error = new ApiError(
    mapped.status as never,
    message,
    mapped.error.type as never,
    mapped.error.code,
    null,
    headers,
  );
  // Our configuration or account at this upstream (auth, credits, model gone) or its failure:
  // another upstream may do better. The request itself (400, 403 moderation) would fail anywhere.
  const fallback = retryable || [401, 402, 404].includes(res.status) || res.status >= 500;
  return { ok: false, error, retryable, fallback, retryAfterS };
}

/**
 * Waits for the first byte of the body; the Response handed on still holds every byte. The body
 * is teed, not re-wrapped: the kept branch stays a native stream, where a JS pull wrapper cost a
 * tenth of the CPU of an 8 MiB answer (bench/profile.mjs).
 */
async function firstChunk(res: Response): Promise<Response | null> {
  if (!res.body) return null;
  const [probe, body] = res.body.tee();
  const reader = probe.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        body.cancel().catch(() => {});
        return null;
      }
      if (value.byteLength) break;
    }
  } catch (err) {
    body.cancel().catch(() => {});
    throw err;
  }
  reader.cancel().catch(() => {});
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
