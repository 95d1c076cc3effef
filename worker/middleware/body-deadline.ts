// Every request with a body gets a deadline for it (BODY_TIMEOUT_MS, default 30 s; past it the
// request is a 408): noted here, enforced by the body readers in lib/request-body.ts while they
// read, so no body is wrapped in a stream it may never need.
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';
import { setBodyDeadline } from '../lib/request-body';
import { settings } from '../lib/settings';

export const bodyDeadline = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const raw = c.req.raw;
    if (raw.body && raw.method !== 'GET' && raw.method !== 'HEAD') setBodyDeadline(raw, settings(c.env).bodyTimeoutMs);
    await next();
  });
