// An error answered as HTTP (before anything was streamed): the dialect's body, the error's own
// headers (Retry-After, x-should-retry) and the answer's.
import type { StreamError } from '../stream/events';
import type { Renderer } from './types';

/** OpenAI's error body: `{"error": {message, type, param, code}}`. */
export const openAiErrorBody = (err: StreamError) => ({ error: err.error });

export function errorResponse(
  err: StreamError,
  headers: Record<string, string> = {},
  errorBody: Renderer['errorBody'] = openAiErrorBody,
): Response {
  return Response.json(errorBody(err), { status: err.status, headers: { ...headers, ...err.headers } });
}
