// The keyless playground's own API (see worker/access/playground.ts):
//   GET  /v1/playground          {object, mode, turnstile_site_key?}: what the site should show
//   POST /v1/playground/session  {token}: a solved Turnstile token -> the session cookie
import { Hono } from 'hono';
import * as z from 'zod';
import {
  issueSession,
  playgroundMode,
  sessionCookie,
  sessionGenerations,
  sessionSeconds,
  verifyTurnstile,
} from '../access/playground';
import { clientIp, isSameOrigin, PLAYGROUND_OFF } from '../access/principal';
import type { AppEnv } from '../env';
import { ApiError } from '../lib/errors';
import { readJsonBody, validate } from '../lib/request-body';

export const playgroundRoutes = new Hono<AppEnv>();

playgroundRoutes.get('/', (c) => {
  const mode = playgroundMode(c.env);
  return c.json(
    {
      object: 'playground',
      mode,
      ...(mode === 'turnstile' ? { turnstile_site_key: String(c.env.TURNSTILE_SITE_KEY).trim() } : {}),
      ...(mode === 'off' ? { message: PLAYGROUND_OFF } : {}),
    },
    200,
    { 'cache-control': 'no-store' },
  );
});

const SessionRequest = z.strictObject({ token: z.string().min(1).max(4096) });

playgroundRoutes.post('/session', async (c) => {
  if (playgroundMode(c.env) !== 'turnstile') {
    throw new ApiError(
      404,
      'This deployment does not use Turnstile sessions (GET /v1/playground says what it does).',
      'not_found_error',
      'no_playground_sessions',
    );
  }
  // The site's own page only: a session is no use anywhere else, and this keeps it that way.
  if (!isSameOrigin(c.req.raw))
    throw new ApiError(
      403,
      'Playground sessions are issued to the site itself only.',
      'permission_error',
      'origin_not_allowed',
    );
  const { token } = validate(SessionRequest, await readJsonBody(c.req.raw, 8 * 1024));
  if (!(await verifyTurnstile(c.env, token, clientIp(c.req.raw, c.env)))) {
    throw new ApiError(
      403,
      'The Turnstile check did not pass; solve it again.',
      'permission_error',
      'turnstile_failed',
    );
  }
  const { cookieValue, session } = await issueSession(c.env);
  const secure = new URL(c.req.url).protocol === 'https:';
  return c.json(
    {
      object: 'playground_session',
      expires_at: session.exp,
      generations: sessionGenerations(c.env),
      seconds: sessionSeconds(c.env),
    },
    200,
    { 'set-cookie': sessionCookie(cookieValue, c.env, secure), 'cache-control': 'no-store' },
  );
});
