// Security headers on everything the Worker answers. Pages may not be framed, except /embed,
// which exists to be framed. Static files get the same headers from web/public/_headers.
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';

export const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
  "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'";

export const securityHeaders = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    await next();
    const h = c.res.headers;
    const frameable = new URL(c.req.url).pathname.startsWith('/embed');
    const html = h.get('content-type')?.includes('text/html');
    try {
      h.set('x-content-type-options', 'nosniff');
      h.set('referrer-policy', 'strict-origin-when-cross-origin');
      if (!h.has('content-security-policy')) {
        h.set('content-security-policy', html ? `${PAGE_CSP}; frame-ancestors ${frameable ? '*' : "'none'"}` : "default-src 'none'; frame-ancestors 'none'");
      }
      if (!frameable) h.set('x-frame-options', 'DENY');
    } catch {
      // Immutable headers (a Response passed through unchanged): rebuild it once.
      c.res = new Response(c.res.body, c.res);
      c.res.headers.set('x-content-type-options', 'nosniff');
    }
  });
