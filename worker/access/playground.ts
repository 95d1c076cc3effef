// The keyless playground: who may use it, and the Turnstile session that protects it when deployed.
//   PLAYGROUND=open       same-origin requests under per-IP limits (npm start, development)
//   PLAYGROUND=turnstile  same-origin requests carrying a session cookie, which the browser gets
//                         by solving Cloudflare Turnstile once (POST /v1/playground/session)
//   PLAYGROUND=off        no keyless generations at all
// Unset: `open` in development; deployed, `turnstile` when TURNSTILE_SITE_KEY and
// TURNSTILE_SECRET_KEY are both set, else `off`. An unknown value is `off` (fail closed).
//
// The session cookie is `<payload>.<HMAC-SHA256>` (base64url), signed with a key derived from
// TURNSTILE_SECRET_KEY: HttpOnly, SameSite=Strict, short-lived (PLAYGROUND_SESSION_S, default
// 1800 s), and good for PLAYGROUND_SESSION_GENERATIONS generations (default 20), counted per
// session in the limits Durable Object. Rotating the Turnstile secret ends every session.
import type { Env } from '../env';
import { randomId } from '../lib/bytes';
import { isDevelopment, settings, stringSetting } from '../lib/settings';

export type PlaygroundMode = 'open' | 'turnstile' | 'off';

export const SESSION_COOKIE = 'darkroom_session';
export const DEFAULT_VERIFY_URL = 'https://challenges.cloudflare.com/turnstile/v0/siteverify';

const turnstileConfigured = (env: Env) =>
  Boolean(stringSetting(env.TURNSTILE_SITE_KEY) && stringSetting(env.TURNSTILE_SECRET_KEY));

export function playgroundMode(env: Env): PlaygroundMode {
  const asked = stringSetting(env.PLAYGROUND)?.toLowerCase();
  if (asked === 'open' || asked === 'off') return asked;
  if (asked === 'turnstile') return turnstileConfigured(env) ? 'turnstile' : 'off';
  if (asked !== undefined) return 'off';
  if (isDevelopment(env)) return 'open';
  return turnstileConfigured(env) ? 'turnstile' : 'off';
}

export const sessionSeconds = (env: Env) => settings(env).sessionSeconds;
export const sessionGenerations = (env: Env) => settings(env).sessionGenerations;

export interface Session {
  /** Random id: the generations of one session are counted under it. */
  sid: string;
  /** Unix seconds. */
  exp: number;
}

const encoder = new TextEncoder();

const b64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
function fromB64url(s: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) return null;
  try {
    return Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

async function signingKey(env: Env): Promise<CryptoKey> {
  // A key of its own, derived from the secret, so the cookie's MAC never uses the secret itself.
  const base = await crypto.subtle.importKey(
    'raw',
    encoder.encode(String(env.TURNSTILE_SECRET_KEY)),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const derived = await crypto.subtle.sign('HMAC', base, encoder.encode('darkroom playground session v1'));
  return crypto.subtle.importKey('raw', derived, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
}

export async function issueSession(env: Env, now = Date.now()): Promise<{ cookieValue: string; session: Session }> {
  const session: Session = { sid: randomId(), exp: Math.floor(now / 1000) + sessionSeconds(env) };
  const payload = encoder.encode(JSON.stringify(session));
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', await signingKey(env), payload));
  return { cookieValue: `${b64url(payload)}.${b64url(mac)}`, session };
}

export function sessionCookie(value: string, env: Env, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=/v1/; Max-Age=${sessionSeconds(env)}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

/** The valid, unexpired session this request carries, or null. */
export async function readSession(env: Env, req: Request, now = Date.now()): Promise<Session | null> {
  if (!stringSetting(env.TURNSTILE_SECRET_KEY)) return null;
  const cookie = req.headers.get('cookie') ?? '';
  const value = cookie
    .split(';')
    .map((p) => p.trim())
    .find((p) => p.startsWith(`${SESSION_COOKIE}=`))
    ?.slice(SESSION_COOKIE.length + 1);
  const [p, m, extra] = (value ?? '').split('.');
  if (!p || !m || extra !== undefined) return null;
  const payload = fromB64url(p);
  const mac = fromB64url(m);
  if (!payload || !mac) return null;
  if (!(await crypto.subtle.verify('HMAC', await signingKey(env), mac, payload))) return null;
  try {
    const s = JSON.parse(new TextDecoder().decode(payload)) as Session;
    return typeof s.sid === 'string' && typeof s.exp === 'number' && s.exp * 1000 > now ? s : null;
  } catch {
    return null;
  }
}

/** Asks Turnstile's siteverify whether this token was solved (bounded: 10 s). */
export async function verifyTurnstile(env: Env, token: string, ip: string): Promise<boolean> {
  const form = new URLSearchParams({ secret: String(env.TURNSTILE_SECRET_KEY ?? ''), response: token });
  if (ip && ip !== 'unknown') form.set('remoteip', ip);
  try {
    const res = await fetch(stringSetting(env.TURNSTILE_VERIFY_URL) ?? DEFAULT_VERIFY_URL, {
      method: 'POST',
      body: form,
      signal: AbortSignal.timeout(10_000),
    });
    const out = (await res.json()) as { success?: unknown };
    return res.ok && out.success === true;
  } catch {
    return false;
  }
}
