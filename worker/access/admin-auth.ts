// The admin API is guarded by the ADMIN_TOKEN secret (compared in constant time). Without
// ADMIN_TOKEN configured, the admin API is closed.
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';
import { ApiError } from '../lib/errors';

function timingSafeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

export const adminAuth = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const token = c.env.ADMIN_TOKEN;
    const presented = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    if (!token || !presented || !timingSafeEqual(presented, token)) {
      throw new ApiError(401, 'The admin API needs "Authorization: Bearer <ADMIN_TOKEN>".', 'authentication_error', 'invalid_admin_token');
    }
    await next();
  });
