// Who is calling: a secret key, a publishable key from an allowed origin, the site's own
// playground (same origin, no key), or the local development key.
import type { Env } from '../env';
import { ApiError } from '../lib/errors';
import type { Principal } from './context';
import { findKey, type KeyLimits, type KeyRecord } from './keys';
import { originMatches } from './origins';

export const DEV_KEY = 'sk-local-dev';

export interface Resolved {
  principal: Principal;
  limits: KeyLimits;
  record?: KeyRecord;
  /** Set when the caller is a browser on an allowed foreign origin: answer it with CORS. */
  corsOrigin?: string;
}

const num = (v: unknown, d: number) => (v !== undefined && v !== '' && Number.isFinite(Number(v)) ? Number(v) : d);

export function isDevelopment(env: Env): boolean {
  return env.DARKROOM_ENV === 'development';
}

export const clientIp = (req: Request) =>
  req.headers.get('cf-connecting-ip') ?? req.headers.get('x-real-ip') ?? '127.0.0.1';

export function isSameOrigin(req: Request): boolean {
  const origin = req.headers.get('origin');
  const own = new URL(req.url).origin;
  if (origin) return origin === own;
  return req.headers.get('sec-fetch-site') === 'same-origin';
}

const unauthorized = (message: string, code: string) =>
  new ApiError(401, message, 'authentication_error', code, null, { 'www-authenticate': 'Bearer realm="darkroom"' });

export async function resolvePrincipal(env: Env, req: Request): Promise<Resolved> {
  const auth = req.headers.get('authorization');
  const origin = req.headers.get('origin');
  if (!auth) {
    if (isSameOrigin(req) && origin !== null) {
      const ip = clientIp(req);
      return {
        principal: { kind: 'playground', id: ip },
        limits: { rpm: num(env.PLAYGROUND_RPM, 10), concurrency: num(env.PLAYGROUND_CONCURRENCY, 2), daily_usd: num(env.PLAYGROUND_DAILY_USD, 2) },
      };
    }
    throw unauthorized('Missing API key. Send "Authorization: Bearer <key>" (see the README to create one).', 'missing_api_key');
  }
  const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
  if (!m) throw unauthorized('Malformed Authorization header; expected "Bearer <key>".', 'invalid_api_key');
  const key = m[1];
  if (key === DEV_KEY) {
    if (!isDevelopment(env)) {
      throw unauthorized('The development key sk-local-dev only works on a local development server.', 'invalid_api_key');
    }
    return {
      principal: { kind: 'dev', id: 'dev', name: 'local development' },
      limits: { rpm: num(env.DEV_RPM, 600), concurrency: num(env.DEV_CONCURRENCY, 64), daily_usd: num(env.DEV_DAILY_USD, 1000) },
    };
  }
  if (!/^(sk|pk)_[0-9A-Za-z]{24,64}$/.test(key)) throw unauthorized('Malformed API key.', 'invalid_api_key');
  const record = await findKey(env, key);
  if (!record) throw unauthorized('Unknown API key.', 'invalid_api_key');
  if (record.revoked) throw unauthorized('This API key has been revoked.', 'revoked_api_key');
  if (record.type === 'publishable') {
    if (!origin || !(record.origins ?? []).some((p) => originMatches(origin, p))) {
      throw new ApiError(403, 'This publishable key is not allowed from this origin.', 'permission_error', 'origin_not_allowed');
    }
    return { principal: { kind: 'publishable', id: record.id, name: record.name }, limits: record.limits, record, corsOrigin: origin };
  }
  return { principal: { kind: 'secret', id: record.id, name: record.name }, limits: record.limits, record };
}
