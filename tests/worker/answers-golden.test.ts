// Answers, byte for byte: a fixed set of requests (chat JSON and SSE, seeded miss then hit,
// x-image-format: url, the Images API as JSON and streamed, and the errors: 400, 404, 405, 413,
// upstream failures before and after the first byte) compared with the answers recorded in
// tests/worker/__answers__/ before the answer layer was rebuilt. Only what is random per run is
// normalised (ids, timestamps, ages, timings); every other byte of status, headers and body counts.
// Re-record deliberately (and review the diff) with:
//   npx vitest run --project worker tests/worker/answers-golden.test.ts -u
import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { DEV_KEY, script } from './helpers';

/** Every prompt here is fixed (the answer depends on it) and used by no other test. */
const P = (label: string) => `golden answers: ${label}`;

interface Req {
  path: string;
  method?: string;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

async function fetchAnswer(r: Req): Promise<Response> {
  const headers = new Headers({ authorization: `Bearer ${DEV_KEY}`, ...r.headers });
  const body = r.raw ?? (r.body === undefined ? undefined : JSON.stringify(r.body));
  if (body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
  return SELF.fetch(`https://darkroom.test${r.path}`, { method: r.method ?? 'POST', headers, body });
}

/** Headers that differ per run by nature: the value is replaced, the header's presence still counts. */
const RANDOM_HEADERS = new Set(['x-request-id', 'server-timing', 'date', 'cf-ray']);

async function digest(text: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return [...d.slice(0, 12)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Status line, sorted headers and body, with what is random per run replaced by stable tokens:
 * generation ids (numbered in order of appearance, so "the same id twice" still shows), upstream
 * chunk ids, timestamps, cache ages. Long base64 runs become their SHA-256 (same bytes, same digest).
 */
async function normalised(res: Response): Promise<string> {
  const text = await res.text();
  const ids = new Map<string, string>();
  const idOf = (id: string) => {
    if (!ids.has(id)) ids.set(id, `<gen-${ids.size + 1}>`);
    return ids.get(id)!;
  };
  const genHeader = res.headers.get('x-darkroom-generation');
  for (const id of genHeader ? genHeader.split(/,\s*/) : []) idOf(id);
  for (const m of text.matchAll(/"generation_id":"([^"]+)"/g)) idOf(m[1]);
  const scrub = (s: string) => {
    let out = s;
    for (const [id, token] of ids) out = out.split(id).join(token);
    return out.replace(/chatcmpl-fake-\d+/g, 'chatcmpl-fake-<n>').replace(/"(created|created_at)":\d+/g, '"$1":<time>');
  };
  const headers = [...res.headers]
    .map(([k, v]) => {
      if (RANDOM_HEADERS.has(k)) return `${k}: <random>`;
      if (k === 'x-cache-age') return `${k}: <age>`;
      // Counters of the shared dev key: other test files spend from the same window.
      if (k === 'x-ratelimit-remaining' || k === 'x-ratelimit-reset') return `${k}: <n>`;
      return `${k}: ${scrub(v)}`;
    })
    .sort();
  let body = scrub(text);
  const blobs = [...new Set(body.match(/[A-Za-z0-9+/]{200,}={0,2}/g) ?? [])];
  for (const b of blobs) body = body.split(b).join(`<base64 ${b.length} sha256:${await digest(b)}>`);
  return `${res.status}\n${headers.join('\n')}\n\n${body}\n`;
}

const chat = (body: Record<string, unknown>, headers?: Record<string, string>): Req => ({
  path: '/v1/chat/completions',
  body,
  headers,
});
const images = (body: Record<string, unknown>): Req => ({ path: '/v1/images/generations', body });
const ask = (label: string, extra: Record<string, unknown> = {}) => ({
  messages: [{ role: 'user', content: P(label) }],
  ...extra,
});

/** In order: a miss must come before its hit. */
const CASES: [name: string, req: Req, setup?: () => Promise<void>][] = [
  ['chat-json-miss', chat(ask('chat json', { seed: 42 }))],
  ['chat-json-hit', chat(ask('chat json', { seed: 42 }))],
  ['chat-sse-from-json-hit', chat(ask('chat json', { seed: 42, stream: true }))],
  ['chat-sse-miss', chat(ask('chat sse', { seed: 43, stream: true, image_config: { aspect_ratio: '16:9' } }))],
  ['chat-sse-hit', chat(ask('chat sse', { seed: 43, stream: true, image_config: { aspect_ratio: '16:9' } }))],
  ['chat-json-from-sse-hit', chat(ask('chat sse', { seed: 43, image_config: { aspect_ratio: '16:9' } }))],
  ['chat-json-url-format', chat(ask('chat url', { seed: 44 }), { 'x-image-format': 'url' })],
  ['chat-sse-url-format', chat(ask('chat url', { seed: 45, stream: true }), { 'x-image-format': 'url' })],
  ['chat-json-unseeded', chat(ask('chat unseeded'))],
  ['chat-json-max-tokens', chat(ask('chat max tokens', { seed: 46, max_tokens: 300 }))],
  [
    'chat-sse-reasoning',
    chat(ask('chat reasoning', { seed: 47, stream: true })),
    () => script(P('chat reasoning'), [{ kind: 'reasoning' }]),
  ],
  ['images-json-miss', images({ prompt: P('images json'), seed: 7, size: '1536x1024' })],
  ['images-json-hit', images({ prompt: P('images json'), seed: 7, size: '1536x1024' })],
  ['images-json-url-n2', images({ prompt: P('images url n2'), seed: 8, n: 2, response_format: 'url' })],
  // One image per stream: with n > 1 the events come in the order the generations finish.
  ['images-sse-miss', images({ prompt: P('images sse'), seed: 9, stream: true })],
  ['images-sse-hit', images({ prompt: P('images sse'), seed: 9, stream: true })],
  ['images-sse-url', images({ prompt: P('images sse url'), stream: true, response_format: 'url' })],
  ['error-400-unknown-param', chat(ask('err 400', { temperature: 0.5 }))],
  ['error-400-invalid-json', { path: '/v1/chat/completions', raw: '{"messages": [' }],
  [
    'error-400-images-contradiction',
    images({ prompt: P('err contradiction'), size: '1536x1024', aspect_ratio: '1:1' }),
  ],
  [
    'error-401-bad-key',
    { path: '/v1/chat/completions', body: ask('err 401'), headers: { authorization: 'Bearer sk-nope' } },
  ],
  ['error-404-route', { path: '/v1/nothing-here', method: 'GET' }],
  ['error-405-method', { path: '/v1/chat/completions', method: 'GET' }],
  [
    'error-413-body',
    {
      path: '/v1/chat/completions',
      raw: JSON.stringify({ messages: [{ role: 'user', content: 'x'.repeat(25 * 1024 * 1024) }] }),
    },
  ],
  [
    'error-upstream-400-json',
    chat(ask('err up 400')),
    () =>
      script(P('err up 400'), [
        {
          kind: 'status',
          status: 400,
          body: { error: { message: 'bad prompt', type: 'invalid_request_error', code: 'invalid_prompt' } },
        },
      ]),
  ],
  ['error-upstream-400-sse', chat(ask('err up 400', { stream: true }))],
  [
    'error-upstream-402-credits',
    chat(ask('err up 402')),
    () =>
      script(P('err up 402'), [
        {
          kind: 'status',
          status: 402,
          body: {
            error: {
              code: 402,
              message: 'Insufficient credits. Add more using https://openrouter.ai/credits',
              metadata: { error_type: 'payment_required' },
            },
          },
        },
      ]),
  ],
  [
    'error-upstream-429',
    chat(ask('err up 429', { stream: true })),
    () => script(P('err up 429'), [{ kind: 'status', status: 429, headers: { 'retry-after': '120' } }]),
  ],
  [
    'error-upstream-mid-stream',
    chat(ask('err mid', { stream: true })),
    () => script(P('err mid'), [{ kind: 'error-chunk', code: 502 }]),
  ],
  [
    'error-upstream-mid-stream-json',
    chat(ask('err mid json')),
    () => script(P('err mid json'), [{ kind: 'error-chunk', code: 502 }]),
  ],
  [
    'error-upstream-truncated-sse',
    chat(ask('err trunc', { stream: true })),
    () => script(P('err trunc'), [{ kind: 'truncate' }]),
  ],
  ['error-upstream-html', chat(ask('err html')), () => script(P('err html'), [{ kind: 'html' }])],
  [
    'error-images-upstream-400',
    images({ prompt: P('err images 400') }),
    () =>
      script(P('err images 400'), [
        {
          kind: 'status',
          status: 400,
          body: { error: { message: 'bad prompt', type: 'invalid_request_error', code: 'invalid_prompt' } },
        },
      ]),
  ],
  [
    'error-images-mid-stream',
    images({ prompt: P('err images mid'), stream: true }),
    () => script(P('err images mid'), [{ kind: 'error-chunk', code: 502 }]),
  ],
];

describe('answers are byte for byte what they were', () => {
  for (const [name, req, setup] of CASES) {
    it(name, async () => {
      await setup?.();
      const text = await normalised(await fetchAnswer(req));
      await expect(text).toMatchFileSnapshot(`./__answers__/${name}.txt`);
    });
  }
});
