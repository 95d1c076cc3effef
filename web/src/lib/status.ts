// What a generation's state means to a person: the error titles and the sentences the polite
// live regions (playground, widget, /embed) announce. One wording for every UI.
import { ApiError, type ErrorKind } from './api';

/** Typical seconds for the real model; progress estimates are shaped around it. */
export const TYPICAL_SECONDS = 50;

export const ERROR_TITLES: Record<ErrorKind, string> = {
  rate_limited: 'Slow down a little',
  bad_request: 'That prompt was not accepted',
  auth: 'Not allowed',
  upstream: 'The image model failed',
  timeout: 'The image model timed out',
  network: 'Cannot reach Darkroom',
  not_found: 'Not found',
  unknown: 'Something went wrong',
};

/** Any thrown value as an ApiError (AbortError is the caller's to check first). */
export function asApiError(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError('Something went wrong. Please try again.', 'unknown');
}

/** When a rate-limited caller may try again (ms epoch), from the error's Retry-After. */
export function retryAtFor(error: ApiError, now = Date.now()): number {
  return error.kind === 'rate_limited' ? now + (error.retryAfter ?? 10) * 1000 : 0;
}

/** Announcements for the live region: set once per state change, never per tick. */
export const announce = {
  generating: 'Generating your image. This usually takes about a minute.',
  ready: (prompt: string) => `Image ready: ${prompt}`,
  failed: (error: ApiError) => `Image failed. ${error.message}`,
  cancelled: 'Generation cancelled',
};
