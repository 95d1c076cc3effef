// The console's session: after one sign-in with ADMIN_TOKEN the browser holds a short-lived
// cookie `<expiry>.<nonce>.<hmac>` (HttpOnly, SameSite=Strict, Secure and `__Host-` on https).
// The HMAC key is derived from ADMIN_TOKEN, so rotating the token ends every session. Signing
// out also lists the nonce in RECORDS (`as:<nonce>`) until the cookie would have expired.
// Cookie-authenticated calls that change something must pass csrfProblem (same Origin plus the
// x-darkroom-csrf header a cross-site form or a no-CORS fetch cannot send).
import { CSRF_HEADER } from '../../shared/admin';
import type { Env } from '../env';

export const SESSION_TTL_S = 4 * 3600;
export { CSRF_HEADER };
const enc = new TextEncoder();

const b64url = (bytes: ArrayBuffer) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
const fromB64url = (s: string) =>
  Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (ch) => ch.charCodeAt(0));

async function sessionKey(token: string): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey('raw', enc.encode(token), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const derived = await crypto.subtle.sign('HMAC', base, enc.encode('darkroom admin session v1'));
  return crypto.subtle.importKey('raw', derived, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
}

export const cookieName = (url: string) =>
  new URL(url).protocol === 'https:' ? '__Host-darkroom_admin' : 'darkroom_admin';

export async function newSession(token: string, nowMs: number): Promise<{ value: string; expires: number }> {
  const expires = Math.floor(nowMs / 1000) + SESSION_TTL_S;
  const nonce = b64url(crypto.getRandomValues(new Uint8Array(16)).buffer as ArrayBuffer);
  const payload = `${expires}.${nonce}`;
  const sig = await crypto.subtle.sign('HMAC', await sessionKey(token), enc.encode(payload));
  return { value: `${payload}.${b64url(sig)}`, expires };
}

export interface Session {
  nonce: string;
  expires: number;
}

/** The session a cookie value proves, or null (bad signature, expired, malformed). */
export async function verifySession(token: string, value: string, nowMs: number): Promise<Session | null> {
  const m = /^(\d{1,12})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (!m) return null;
  const expires = Number(m[1]);
  if (expires * 1000 <= nowMs || expires > Math.floor(nowMs / 1000) + SESSION_TTL_S) return null;
  const ok = await crypto.subtle.verify(
    'HMAC',
    await sessionKey(token),
    fromB64url(m[3]),
    enc.encode(`${m[1]}.${m[2]}`),
  );
  return ok ? { nonce: m[2], expires } : null;
}

export function readCookie(req: Request): string | null {
  const name = cookieName(req.url);
  for (const part of (req.headers.get('cookie') ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return null;
}

export function sessionCookie(url: string, value: string, maxAge: number): string {
  const secure = new URL(url).protocol === 'https:' ? '; Secure' : '';
  return `${cookieName(url)}=${value}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secure}`;
}

const revokedKey = (nonce: string) => `as:${nonce}`;

export async function endSession(env: Env, s: Session, nowMs: number): Promise<void> {
  const ttl = Math.max(60, s.expires - Math.floor(nowMs / 1000));
  await env.RECORDS.put(revokedKey(s.nonce), '1', { expirationTtl: ttl });
}

/** The live session of a request, or null. */
export async function sessionOf(env: Env, req: Request, nowMs = Date.now()): Promise<Session | null> {
  const token = env.ADMIN_TOKEN;
  const value = readCookie(req);
  if (!value || typeof token !== 'string') return null;
  const s = await verifySession(token, value, nowMs);
  if (!s) return null;
  return (await env.RECORDS.get(revokedKey(s.nonce))) ? null : s;
}

/** Why a state-changing request may not be trusted as the console's own, or null. */
export function csrfProblem(req: Request, { needHeader }: { needHeader: boolean }): string | null {
  const origin = req.headers.get('origin');
  const site = req.headers.get('sec-fetch-site');
  const own = new URL(req.url).origin;
  if (origin !== null ? origin !== own : site !== 'same-origin')
    return 'This request did not come from the console (Origin check).';
  if (needHeader && req.headers.get(CSRF_HEADER) !== '1')
    return `Cookie-authenticated admin calls that change something need the header "${CSRF_HEADER}: 1".`;
  return null;
}
