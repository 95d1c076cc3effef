// The admin API is guarded by the ADMIN_TOKEN secret: `Authorization: Bearer <ADMIN_TOKEN>`
// (scripts, curl), or the console's session cookie (./admin-session.ts), which must also pass
// the CSRF check on every call that changes something. Without ADMIN_TOKEN configured (or with
// one shorter than 16 characters), the admin API is closed. Both sides are hashed before the
// constant-time comparison, so neither the token's bytes nor its length leak through timing.
// Wrong tokens are counted per IP (./admin-attempts.ts): guessing is refused after a few.
import { createMiddleware } from 'hono/factory';
import type { AppEnv, Env } from '../env';
import { ApiError } from '../lib/errors';
import { guardedTokenCheck } from './admin-attempts';
import { csrfProblem, sessionOf } from './admin-session';

export const MIN_ADMIN_TOKEN_LENGTH = 16;

async function digest(s: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(s)));
}

export async function tokenMatches(presented: string, token: string): Promise<boolean> {
  const [x, y] = await Promise.all([digest(presented), digest(token)]);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}

export const adminIsOpen = (env: Env): env is Env & { ADMIN_TOKEN: string } =>
  typeof env.ADMIN_TOKEN === 'string' && env.ADMIN_TOKEN.length >= MIN_ADMIN_TOKEN_LENGTH;

const SAFE_METHODS = new Set(['GET', 'HEAD']);

export const adminAuth = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const auth = c.req.header('authorization');
    const open = adminIsOpen(c.env);
    let allowed = false;
    if (open && auth !== undefined) {
      const presented = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth)?.[1];
      allowed =
        presented !== undefined &&
        (await guardedTokenCheck(c.env, c.req.raw, () => tokenMatches(presented, c.env.ADMIN_TOKEN as string)));
    } else if (open && (await sessionOf(c.env, c.req.raw))) {
      const problem = SAFE_METHODS.has(c.req.method) ? null : csrfProblem(c.req.raw, { needHeader: true });
      if (problem) throw new ApiError(403, problem, 'permission_error', 'csrf_check_failed');
      allowed = true;
    }
    if (!allowed) {
      throw new ApiError(
        401,
        'The admin API needs "Authorization: Bearer <ADMIN_TOKEN>" or a console session.',
        'authentication_error',
        'invalid_admin_token',
        null,
        {
          'www-authenticate': 'Bearer realm="darkroom-admin"',
        },
      );
    }
    await next();
  });
