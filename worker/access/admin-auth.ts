// The admin API is guarded by the ADMIN_TOKEN secret. Without ADMIN_TOKEN configured (or with
// one shorter than 16 characters), the admin API is closed. Both sides are hashed before the
// constant-time comparison, so neither the token's bytes nor its length leak through timing.
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';
import { ApiError } from '../lib/errors';

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

export const adminAuth = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const token = c.env.ADMIN_TOKEN;
    const presented = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(c.req.header('authorization') ?? '')?.[1];
    const open = typeof token === 'string' && token.length >= MIN_ADMIN_TOKEN_LENGTH;
    if (!open || !presented || !(await tokenMatches(presented, token))) {
      throw new ApiError(401, 'The admin API needs "Authorization: Bearer <ADMIN_TOKEN>".', 'authentication_error', 'invalid_admin_token', null, {
        'www-authenticate': 'Bearer realm="darkroom-admin"',
      });
    }
    await next();
  });
