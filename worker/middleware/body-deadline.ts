// A request body must arrive within BODY_TIMEOUT_MS (default 30 s), or the request is a 408: a
// client sending one byte a second cannot hold a request open for as long as it likes.
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';
import { ApiError } from '../lib/errors';
import { settings } from '../lib/settings';

const timedOut = (ms: number) =>
  new ApiError(
    408,
    `The request body did not arrive within ${Math.round(ms / 100) / 10} s.`,
    'invalid_request_error',
    'request_timeout',
  );

/** The body as a stream that errors with a 408 once the deadline passes before its end. */
export function withDeadline(body: ReadableStream<Uint8Array>, ms: number): ReadableStream<Uint8Array> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    start(c) {
      timer = setTimeout(() => {
        c.error(timedOut(ms));
        reader.cancel().catch(() => {});
      }, ms);
    },
    async pull(c) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          clearTimeout(timer);
          c.close();
        } else c.enqueue(value);
      } catch (err) {
        clearTimeout(timer);
        c.error(err);
      }
    },
    cancel(reason) {
      clearTimeout(timer);
      return reader.cancel(reason);
    },
  });
}

export const bodyDeadline = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const raw = c.req.raw;
    if (raw.body && raw.method !== 'GET' && raw.method !== 'HEAD') {
      c.req.raw = new Request(raw, { body: withDeadline(raw.body, settings(c.env).bodyTimeoutMs) });
    }
    await next();
  });
