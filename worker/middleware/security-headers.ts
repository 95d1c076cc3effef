// Security headers on everything the Worker answers. Pages may not be framed, except /embed,
// which exists to be framed (its route sets frame-ancestors from the key's origins). Static
// files get the same headers from web/public/_headers.
// Hono's secureHeaders is not used: it sets one static set after every handler, while these
// depend on the answer (the CSP by content type, framing only for /embed), and its defaults
// (Cross-Origin-Resource-Policy: same-origin, COEP) would stop other sites' widgets from showing
// our images.
// Last line of defence for secrets: no header and no body byte leaves the Worker carrying a
// configured secret (see withoutSecrets).
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';
import { outgoingSecrets, scrubBytes, scrubHeaders } from '../lib/secrets';
import { logLine } from '../observability/log';

export const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
  "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'";

/** What a non-HTML answer (JSON, SSE, images) may do if opened as a document: nothing. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox";

const isEmbed = (path: string) => path === '/embed' || path === '/embed/';

export function securityHeadersFor(path: string, contentType: string | null, hasCsp: boolean): Record<string, string> {
  const frameable = isEmbed(path);
  const html = contentType?.includes('text/html') ?? false;
  const out: Record<string, string> = {
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'strict-origin-when-cross-origin',
  };
  if (!hasCsp)
    out['content-security-policy'] = html ? `${PAGE_CSP}; frame-ancestors ${frameable ? '*' : "'none'"}` : API_CSP;
  if (!frameable) out['x-frame-options'] = 'DENY';
  return out;
}

/**
 * Last line of defence: every header value and every byte of every body goes through the one
 * scrubber (worker/lib/secrets.ts) with every configured secret. Bodies are masked as they
 * stream (same length, so Content-Length stays true); nothing is buffered.
 */
function withoutSecrets(res: Response, secrets: string[], requestId: string | undefined): Response {
  const report = () =>
    logLine({ level: 'error', request_id: requestId, msg: 'a secret was about to leave the Worker; redacted' });
  const out = new Response(res.body ? res.body.pipeThrough(scrubBytes(secrets, report)) : null, res);
  if (scrubHeaders(out.headers, secrets)) report();
  return out;
}

export const securityHeaders = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    await next();
    const secrets = outgoingSecrets(c.env);
    if (secrets.length) {
      const before = c.res;
      const after = withoutSecrets(before, secrets, c.get('requestId'));
      c.res = undefined;
      c.res = after;
    }
    const path = new URL(c.req.url).pathname;
    const set = () => {
      const h = c.res.headers;
      for (const [k, v] of Object.entries(
        securityHeadersFor(path, h.get('content-type'), h.has('content-security-policy')),
      ))
        h.set(k, v);
      if (isEmbed(path) && c.res.status < 400) h.delete('x-frame-options'); // the no-key page stays unframable
    };
    try {
      set();
    } catch {
      // Immutable headers (a Response passed through unchanged): rebuild it once.
      c.res = new Response(c.res.body, c.res);
      set();
    }
  });
