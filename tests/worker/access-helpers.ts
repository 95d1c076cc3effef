// Helpers for the access tests: keys through the admin API, and requests posing as a browser
// on some origin and as some client IP.
import { env } from 'cloudflare:test';
import { expect } from 'vitest';
import { ask, call, chat, uniquePrompt } from './helpers';

export const ADMIN = env.ADMIN_TOKEN as string;
export const SITE = 'https://darkroom.test';

const octet = () => Math.floor(Math.random() * 256);
/** A client IP no other test uses (x-real-ip is trusted in development only). */
export const uniqueIp = () => `10.${octet()}.${octet()}.${octet()}`;

export async function createKey(body: Record<string, unknown>): Promise<{ key: string; id: string; record: any }> {
  const a = await call('/v1/admin/keys', {
    method: 'POST',
    key: ADMIN,
    body: JSON.stringify({ name: 'test', ...body }),
  });
  expect(a.res.status, a.text).toBe(201);
  return { key: a.json.key, id: a.json.id, record: a.json };
}

export async function listed(id: string): Promise<any> {
  const a = await call('/v1/admin/keys', { key: ADMIN });
  expect(a.res.status).toBe(200);
  return a.json.data.find((k: any) => k.id === id);
}

export function gen(
  key: string | null,
  opts: {
    origin?: string;
    ip?: string;
    prompt?: string;
    extra?: Record<string, unknown>;
    headers?: Record<string, string>;
  } = {},
) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.origin) headers.origin = opts.origin;
  headers['x-real-ip'] = opts.ip ?? uniqueIp();
  return chat(ask(opts.prompt ?? uniquePrompt('access'), opts.extra), { key, headers });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
