// Who is calling: a secret key, a publishable key from an allowed origin, the site's own
// playground (same origin, no key; with a Turnstile session when PLAYGROUND=turnstile), or the
// local development key. Each caller also gets its cache scope.
import type { Env } from '../env';
import { ApiError } from '../lib/errors';
import { isDevelopment, numberOr as num } from '../lib/settings';
import type { Principal } from './context';
import { findKey, KEY_FORMAT, type KeyLimits, type KeyRecord } from './keys';
import { normaliseOrigin, originMatches } from './origins';
import { playgroundMode, readSession, type Session } from './playground';

export { isDevelopment } from '../lib/settings';

export const DEV_KEY = 'sk-local-dev';

export interface Resolved {
  principal: Principal;
  limits: KeyLimits;
  record?: KeyRecord;
  /** Set when the caller is a browser on an allowed foreign origin: answer it with CORS (canonical form). */
  corsOrigin?: string;
  /** Whose cache entries it reads and writes (see worker/cache/key.ts). */
  cacheScope: string;
  /** The Turnstile session of a playground caller (its generations are counted under it). */
  session?: Session;
}

/**
 * The client's IP. On Cloudflare `cf-connecting-ip` is set by the edge and cannot be forged;
 * `x-real-ip` is trusted only in development (tests and local tools use it to pose as visitors).
 */
export function clientIp(req: Request, env: Env): string {
  const ip = req.headers.get('cf-connecting-ip') ?? (isDevelopment(env) ? req.headers.get('x-real-ip') : null);
  return ip?.trim().slice(0, 64) || 'unknown';
}

/** A browser request from the page's own origin (Origin is sent by browsers on every POST). */
export function isSameOrigin(req: Request): boolean {
  const origin = req.headers.get('origin');
  if (!origin || origin !== new URL(req.url).origin) return false;
  const site = req.headers.get('sec-fetch-site');
  return site === null || site === 'same-origin';
}

const unauthorized = (message: string, code: string) =>
  new ApiError(401, message, 'authentication_error', code, null, { 'www-authenticate': 'Bearer realm="darkroom"' });

export function playgroundLimits(env: Env): KeyLimits {
  return {
    rpm: num(env.PLAYGROUND_RPM, 10),
    concurrency: num(env.PLAYGROUND_CONCURRENCY, 2),
    daily_usd: num(env.PLAYGROUND_DAILY_USD, 2),
  };
}

export async function resolvePrincipal(env: Env, req: Request): Promise<Resolved> {
  const auth = req.headers.get('authorization');
  const origin = req.headers.get('origin');
  if (auth === null || auth.trim() === '') {
    if (!isSameOrigin(req)) {
      throw unauthorized(
        'Missing API key. Send "Authorization: Bearer <key>" (see the README to create one).',
        'missing_api_key',
      );
    }
    const playground = {
      principal: { kind: 'playground' as const, id: clientIp(req, env) },
      limits: playgroundLimits(env),
      cacheScope: 'playground',
    };
    const mode = playgroundMode(env);
    if (mode === 'open') return playground;
    if (mode === 'off') {
      throw new ApiError(403, PLAYGROUND_OFF, 'permission_error', 'playground_off');
    }
    const session = await readSession(env, req);
    if (!session) {
      throw unauthorized(
        'The playground needs a session: solve the Turnstile check on the site (POST /v1/playground/session), or send an API key.',
        'playground_session_required',
      );
    }
    return { ...playground, session };
  }
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
  if (!m) throw unauthorized('Malformed Authorization header; expected "Bearer <key>".', 'invalid_api_key');
  const key = m[1];
  if (key === DEV_KEY) {
    if (!isDevelopment(env)) {
      throw unauthorized(
        'The development key sk-local-dev only works on a local development server (npm start).',
        'invalid_api_key',
      );
    }
    return {
      principal: { kind: 'dev', id: 'dev', name: 'local development' },
      cacheScope: 'dev',
      limits: {
        rpm: num(env.DEV_RPM, 600),
        concurrency: num(env.DEV_CONCURRENCY, 64),
        daily_usd: num(env.DEV_DAILY_USD, 1000),
      },
    };
  }
  if (!KEY_FORMAT.test(key))
    throw unauthorized('Malformed API key; Darkroom keys start with sk_ or pk_.', 'invalid_api_key');
  const record = await findKey(env, key);
  if (!record || record.type !== (key.startsWith('sk_') ? 'secret' : 'publishable'))
    throw unauthorized('Unknown API key.', 'invalid_api_key');
  if (record.revoked) throw unauthorized('This API key has been revoked.', 'revoked_api_key');
  const cacheScope = record.cache === 'shared' ? 'shared' : `key:${record.id}`;
  if (record.type === 'publishable') {
    // The site's own pages (the /embed iframe, whose framing the key's origins restrict) count as
    // allowed. An Origin not in canonical form is no browser's: it matches nothing.
    const canonical = origin !== null && normaliseOrigin(origin) === origin;
    const allowed = canonical && (isSameOrigin(req) || (record.origins ?? []).some((p) => originMatches(origin, p)));
    if (!allowed) {
      throw new ApiError(
        403,
        'This publishable key is not allowed from this origin.',
        'permission_error',
        'origin_not_allowed',
      );
    }
    return {
      principal: { kind: 'publishable', id: record.id, name: record.name },
      limits: record.limits,
      record,
      cacheScope,
      ...(isSameOrigin(req) ? {} : { corsOrigin: origin! }),
    };
  }
  return { principal: { kind: 'secret', id: record.id, name: record.name }, limits: record.limits, record, cacheScope };
}

export const PLAYGROUND_OFF =
  'The keyless playground is off on this deployment. To turn it on, set TURNSTILE_SITE_KEY and ' +
  'TURNSTILE_SECRET_KEY (wrangler secret put ...) for a Turnstile-protected playground, or PLAYGROUND=open; or send an API key.';
