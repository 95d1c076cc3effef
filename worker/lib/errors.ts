// OpenAI's error shape, the only error shape Darkroom ever answers with.
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { OpenAIErrorBody } from '../../shared/api';
import { H } from '../../shared/headers';

/**
 * The one place `x-should-retry: false` is made: on errors where a client-side retry would run
 * (and bill) the generation again or fail the same way, and on every streamed answer.
 */
export const noRetry = (): Record<string, string> => ({ [H.shouldRetry]: 'false' });

export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'insufficient_quota'
  | 'upstream_error'
  | 'timeout_error'
  | 'server_error';

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
    readonly type: ErrorType = 'invalid_request_error',
    readonly code: string | null = null,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }

  /** The error as the answer layer renders it, in whichever dialect's body (worker/answer/). */
  toStreamError(): { status: number; error: OpenAIErrorBody['error']; headers: Record<string, string> } {
    return { status: this.status, error: this.body().error, headers: this.headers };
  }

  toResponse(extraHeaders: Record<string, string> = {}): Response {
    return Response.json(this.body(), {
      status: this.status,
      headers: { ...this.headers, ...extraHeaders },
    });
  }
}

export const badRequest = (message: string, param: string | null = null, code: string | null = 'invalid_value') =>
  new ApiError(400, message, 'invalid_request_error', code, param);

/** Anything thrown that is not an ApiError becomes a 500 without leaking its message. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError(500, 'Internal error. It has been logged; please retry.', 'server_error', 'internal_error');
}
