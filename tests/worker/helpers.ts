// Test helpers for the workerd projects: call the Worker, script the fake upstream, read SSE,
// and check every response for leaked secrets.
import { env, SELF } from 'cloudflare:test';
import { expect } from 'vitest';

export const DEV_KEY = 'sk-local-dev';
const SECRETS = [env.UPSTREAM_API_KEY as string, env.ADMIN_TOKEN as string].filter(Boolean);

export interface Answer {
  res: Response;
  text: string;
  json: any;
}

/** Fails the test when a secret appears in a status line, header or body. */
export function assertNoSecrets(res: Response, text: string) {
  const headers = [...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
  for (const s of SECRETS) {
    expect(headers.includes(s), 'secret leaked in headers').toBe(false);
    expect(text.includes(s), 'secret leaked in body').toBe(false);
  }
}

export async function call(path: string, init: RequestInit & { key?: string | null } = {}): Promise<Answer> {
  const headers = new Headers(init.headers);
  const key = init.key === undefined ? DEV_KEY : init.key;
  if (key && !headers.has('authorization')) headers.set('authorization', `Bearer ${key}`);
  if (init.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
  return answerOf(await SELF.fetch(`https://darkroom.test${path}`, { ...init, headers }));
}

/** Reads a whole answer, checks it for secrets, and parses it when it is JSON. */
export async function answerOf(res: Response, beforeCheck?: () => Promise<void>): Promise<Answer> {
  const text = await res.text();
  await beforeCheck?.();
  assertNoSecrets(res, text);
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {}
  return { res, text, json };
}

export function chat(body: Record<string, unknown>, init: RequestInit & { key?: string | null } = {}) {
  return call('/v1/chat/completions', { method: 'POST', body: JSON.stringify(body), ...init });
}

export const ask = (prompt: string, extra: Record<string, unknown> = {}) => ({
  messages: [{ role: 'user', content: prompt }],
  ...extra,
});

let counter = 0;
/** A prompt no other test uses: scripts and request counts of the fake upstream key on it. */
export const uniquePrompt = (label: string) =>
  `${label} #${Date.now().toString(36)}-${++counter}-${Math.random().toString(36).slice(2, 8)}`;

const upstream = () => env.FAKE_UPSTREAM as string;

export async function script(match: string, steps: Record<string, unknown>[], path?: string) {
  const res = await fetch(`${upstream()}/__script`, { method: 'POST', body: JSON.stringify({ match, steps, path }) });
  expect(res.status).toBe(200);
}

export async function upstreamRequests(
  match: string,
): Promise<{ count: number; requests: { path: string; body: any; headers: Record<string, string> }[] }> {
  return (await fetch(`${upstream()}/__requests?match=${encodeURIComponent(match)}`)).json();
}

export interface SseEvent {
  data?: string;
  comment?: string;
}

/** Splits an SSE body into its events and comments (test-side parser, deliberately naive). */
export function parseSse(text: string): SseEvent[] {
  return text
    .split(/\r?\n\r?\n/)
    .filter((block) => block.length)
    .map((block) =>
      block.startsWith(':') ? { comment: block.slice(1).trim() } : { data: block.replace(/^data: ?/, '') },
    );
}

/** Named SSE events (`event:` + `data:`) of an images stream. */
export function imageEvents(text: string): { event?: string; data: any }[] {
  return text
    .split(/\n\n/)
    .filter((b) => b && !b.startsWith(':'))
    .map((b) => {
      const event = /^event: (.+)$/m.exec(b)?.[1];
      const data = /^data: (.*)$/m.exec(b)?.[1] ?? '';
      return { event, data: data === '[DONE]' ? data : JSON.parse(data) };
    });
}

export function sseJson(text: string): any[] {
  return parseSse(text)
    .filter((e) => e.data !== undefined && e.data !== '[DONE]')
    .map((e) => JSON.parse(e.data!));
}

export function imagesOf(answer: Answer): any[] {
  if (answer.json) return answer.json.choices[0].message.images ?? [];
  // A streamed data-URL answer carries each image chunk's records (darkroom) in the chunk after
  // it (delta.darkroom.images); a client puts them back on the images, as here.
  const images: any[] = [];
  for (const c of sseJson(answer.text)) {
    const delta = c.choices?.[0]?.delta;
    images.push(...(delta?.images ?? []).map((i: any) => ({ ...i })));
    const records: any[] = delta?.darkroom?.images ?? [];
    records.forEach((r, k) => {
      const image = images[images.length - records.length + k];
      if (image && r) image.darkroom = r;
    });
  }
  return images;
}

export function textOf(answer: Answer): string {
  if (answer.json) return answer.json.choices[0].message.content ?? '';
  return sseJson(answer.text)
    .map((c) => c.choices?.[0]?.delta?.content ?? '')
    .join('');
}

export function dataUrlBytes(url: string): Uint8Array {
  const b64 = url.slice(url.indexOf(',') + 1);
  return Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return [...d].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Waits until fn() is truthy (eventual effects written in waitUntil). */
export async function eventually<T>(fn: () => Promise<T>, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
}
