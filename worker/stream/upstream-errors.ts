// What an upstream error (OpenRouter's `{error:{code,message,metadata}}` or OpenAI's
// `{error:{message,type,code}}`) becomes for our client: a status that tells the truth about
// whose fault it is, and a message with every secret scrubbed out (worker/lib/secrets.ts).
import { noRetry } from '../lib/errors';
import { scrubUpstreamText } from '../lib/secrets';
import type { GenEvent, StreamError } from './events';

interface UpstreamErrorObject {
  code?: number | string | null;
  message?: unknown;
  type?: unknown;
  metadata?: { reasons?: unknown; error_type?: unknown; [k: string]: unknown };
  availability?: { retryable?: boolean; retry_after?: number };
  http_status?: number;
}

/** An error code we pass on: a short identifier an upstream may set (metadata.error_type), else ours. */
const CODE = /^[a-z][a-z0-9_.-]{0,63}$/i;

export function mapUpstreamError(
  raw: unknown,
  httpStatus: number,
  secrets: readonly (string | undefined)[] = [],
): StreamError & { retryable: boolean; retryAfter?: number } {
  const err = (raw && typeof raw === 'object' ? raw : {}) as UpstreamErrorObject;
  const code = typeof err.code === 'number' ? err.code : (err.http_status ?? httpStatus);
  const upstreamMessage = scrubUpstreamText(typeof err.message === 'string' ? err.message : 'no message', secrets);
  // Every field an upstream wrote is scrubbed; a code must also look like a code.
  const errorType =
    typeof err.metadata?.error_type === 'string' ? scrubUpstreamText(err.metadata.error_type, secrets) : '';
  const retryable = Boolean(err.availability?.retryable) || [408, 429, 500, 502, 503].includes(code);
  const retryAfter = err.availability?.retry_after;
  const make = (status: number, type: string, ourCode: string, message: string) => ({
    status,
    error: { message, type, param: null, code: ourCode },
    retryable,
    retryAfter,
  });
  switch (code) {
    case 400:
    case 413:
    case 422:
      return make(
        400,
        'invalid_request_error',
        CODE.test(errorType) ? errorType : 'upstream_rejected_request',
        `The model rejected the request: ${upstreamMessage}`,
      );
    case 401:
      return make(
        502,
        'upstream_error',
        'upstream_auth_failed',
        'The upstream rejected the gateway credentials. This is a server configuration problem, not your key.',
      );
    case 402:
      return make(
        402,
        'insufficient_quota',
        'upstream_insufficient_credits',
        `The upstream account has run out of credits: ${upstreamMessage}`,
      );
    case 403: {
      const reasons = Array.isArray(err.metadata?.reasons)
        ? ` (${scrubUpstreamText(err.metadata.reasons.map(String).join(', '), secrets)})`
        : '';
      return make(
        403,
        'permission_error',
        'content_policy_violation',
        `The prompt was refused by moderation${reasons}: ${upstreamMessage}`,
      );
    }
    case 408:
    case 504:
      return make(504, 'timeout_error', 'upstream_timeout', `The upstream timed out: ${upstreamMessage}`);
    case 429:
      return make(429, 'rate_limit_error', 'upstream_rate_limited', `The upstream is rate limited: ${upstreamMessage}`);
    case 503:
      return make(503, 'upstream_error', 'upstream_unavailable', `The upstream is unavailable: ${upstreamMessage}`);
    case 404:
      return make(
        502,
        'upstream_error',
        'upstream_model_unavailable',
        `The upstream cannot serve this model: ${upstreamMessage}`,
      );
    default:
      return make(502, 'upstream_error', 'upstream_error', `The upstream failed: ${upstreamMessage}`);
  }
}

export function upstreamErrorEvent(
  raw: unknown,
  httpStatus: number,
  secrets?: readonly (string | undefined)[],
): GenEvent {
  const { status, error } = mapUpstreamError(raw, httpStatus, secrets);
  return { type: 'error', error: { status, error, headers: noRetry() } };
}
