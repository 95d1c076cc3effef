// Security headers on everything the Worker answers. Pages may not be framed, except /embed,
// which exists to be framed (its route sets frame-ancestors from the key's origins). Static
// files get the same headers from web/public/_headers.
// Last line of defence for secrets: no header, and no error body, leaves the Worker carrying the
// upstream key or the admin token (error bodies are small; successful streams are not touched).
import { createMiddleware } from 'hono/factory';
import type { AppEnv, Env } from '../env';
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
  if (!hasCsp) out['content-security-policy'] = html ? `${PAGE_CSP}; frame-ancestors ${frameable ? '*' : "'none'"}` : API_CSP;
  if (!frameable) out['x-frame-options'] = 'DENY';
  return out;
}

const REDACTED = '[redacted]';

export function secretsOf(env: Env): string[] {
  return [env.UPSTREAM_API_KEY, env.OPENROUTER_API_KEY, env.ADMIN_TOKEN].filter((s): s is string => typeof s === 'string' && s.length >= 8);
}

const redact = (text: string, secrets: string[]) => secrets.reduce((t, s) => t.split(s).join(REDACTED), text);

async function withoutSecrets(res: Response, secrets: string[], requestId: string | undefined): Promise<Response> {
  let leaked = false;
  for (const [k, v] of [...res.headers]) {
    if (secrets.some((s) => v.includes(s))) {
      leaked = true;
      res = new Response(res.body, res);
      res.headers.set(k, redact(v, secrets));
    }
  }
  const type = res.headers.get('content-type') ?? '';
  const length = Number(res.headers.get('content-length') ?? 0);
  if (res.status >= 400 && res.body && !type.startsWith('text/event-stream') && length <= 256 * 1024) {
    const text = await res.text();
    const clean = redact(text, secrets);
    if (clean !== text) leaked = true;
    res = new Response(clean, res);
    res.headers.delete('content-length');
  }
  if (leaked) logLine({ level: 'error', request_id: requestId, msg: 'a secret was about to leave the Worker; redacted' });
  return res;
}

export const securityHeaders = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    await next();
    const secrets = secretsOf(c.env);
    if (secrets.length) {
      const before = c.res;
      const after = await withoutSecrets(before, secrets, c.get('requestId'));
      if (after !== before) {
        c.res = undefined;
        c.res = after;
      }
    }
    const path = new URL(c.req.url).pathname;
    const set = () => {
      const h = c.res.headers;
      for (const [k, v] of Object.entries(securityHeadersFor(path, h.get('content-type'), h.has('content-security-policy')))) h.set(k, v);
      if (isEmbed(path)) h.delete('x-frame-options');
    };
    try {
      set();
    } catch {
      // Immutable headers (a Response passed through unchanged): rebuild it once.
      c.res = new Response(c.res.body, c.res);
      set();
    }
  });
