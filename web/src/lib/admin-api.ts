// The console's client for the admin API. The session cookie travels by itself (same origin,
// HttpOnly); calls that change something add the CSRF header the Worker requires with it.
// A 401 means the session ended: the page reloads into the sign-in form.
import {
  CSRF_HEADER,
  type AdminKey,
  type RangeName,
  type RecentGeneration,
  type UsageReport,
} from '../../../shared/admin';

export class AdminError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  if (init.method && init.method !== 'GET') headers.set(CSRF_HEADER, '1');
  if (init.body !== undefined) headers.set('content-type', 'application/json');
  const res = await fetch(path, { ...init, headers, credentials: 'same-origin' });
  if (res.status === 401) {
    location.reload();
    throw new AdminError('Your session ended; sign in again.', 401);
  }
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new AdminError(body?.error?.message ?? `The server answered ${res.status}.`, res.status);
  return body as T;
}

const query = (q: Record<string, string | undefined>) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v) p.set(k, v);
  return p.size ? `?${p}` : '';
};

export const listKeys = () => request<{ data: AdminKey[] }>('/v1/admin/keys').then((r) => r.data);

export interface NewKey {
  type: 'secret' | 'publishable';
  name: string;
  origins?: string[];
  rpm?: number;
  concurrency?: number;
  daily_usd?: number;
  window_s?: number;
  cache?: 'key' | 'shared';
}

export const createKey = (k: NewKey) =>
  request<AdminKey & { key: string }>('/v1/admin/keys', { method: 'POST', body: JSON.stringify(k) });

export const revokeKey = (id: string) =>
  request<AdminKey>(`/v1/admin/keys/${encodeURIComponent(id)}`, { method: 'DELETE' });

export const usage = (range: RangeName, key?: string) =>
  request<UsageReport>(`/v1/admin/usage${query({ range, key })}`);

export const recent = (q: { key?: string; status?: 'ok' | 'error'; limit?: number }) =>
  request<{ data: RecentGeneration[] }>(
    `/v1/admin/generations${query({ key: q.key, status: q.status, limit: q.limit ? String(q.limit) : undefined })}`,
  ).then((r) => r.data);

/** Money: small amounts keep their significant digits ($0.0123), larger ones have cents. */
export function usd(n: number): string {
  if (n === 0) return '$0';
  if (Math.abs(n) >= 1) return `$${n.toFixed(2)}`;
  return `$${n.toPrecision(3).replace(/0+$/, '').replace(/\.$/, '')}`;
}

export function ms(n: number | null): string {
  if (n === null) return '–';
  return n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`;
}

export const when = (unixMs: number) => new Date(unixMs).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
