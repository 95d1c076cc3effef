// The security suite (issue 11): each finding of the attack review is a test here, written
// against the code that had the hole. Findings: 1 overwriting the cache and share pages,
// 2 probing what others asked, 3 secrets in streamed errors and logs, 4 fallbacks sent the
// primary's key, 5 fallback answers cached, 6 free generations from any website, 7 limits that
// counted the wrong thing. The fuzz of a secret-echoing upstream is security-fuzz.test.ts.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { cacheKey } from '../../worker/cache/key';
import { createKey, gen, uniqueIp } from './access-helpers';
import { ask, call, chat, eventually, script, textOf, uniquePrompt, upstreamRequests } from './helpers';
import { callWith, captureLogs, chatBody, fetchWith, productionEnv, SITE, TURNSTILE_SECRET } from './security-helpers';

const WIDGET = 'https://shop.example.com';
const seeded = (prompt: string, extra: Record<string, unknown> = {}) => ask(prompt, { seed: 42, ...extra });
/** Runs fn with the console captured: the retries these tests cause log warnings by design. */
const quietly = async (fn: () => Promise<void>) => void (await captureLogs(fn));
const idOf = (a: { res: Response }) => a.res.headers.get('x-darkroom-generation')!;
const record = async (id: string) =>
  (await call(`/v1/generations/${id}`, { key: null, headers: { 'x-real-ip': uniqueIp() } })).json;

describe('finding 1: nobody can overwrite a cache entry, a record or a share page', () => {
  it('no-cache from one key makes a new generation; the old record, share page and other scopes keep theirs', async () => {
    const a = await createKey({ type: 'secret' });
    const b = await createKey({ type: 'secret' });
    const prompt = uniquePrompt('reroll');
    await script(prompt, [
      { kind: 'text', text: 'the honest answer' },
      { kind: 'text', text: 'the honest answer' },
      { kind: 'text', text: 'POISONED answer' },
    ]);
    const first = await gen(a.key, { prompt, extra: { seed: 42 } });
    const other = await gen(b.key, { prompt, extra: { seed: 42 } });
    expect(textOf(first)).toBe('the honest answer');
    const original = await eventually(() => record(idOf(first)));
    const page = await call(`/s/${idOf(first)}`, { key: null });
    const reroll = await gen(a.key, { prompt, extra: { seed: 42 }, headers: { 'cache-control': 'no-cache' } });
    expect(textOf(reroll)).toBe('POISONED answer');
    expect(idOf(reroll)).not.toBe(idOf(first));
    // The old share link and its record are unchanged, now and after the background writes.
    await eventually(() => record(idOf(reroll)));
    expect(await record(idOf(first))).toEqual(original);
    expect((await call(`/s/${idOf(first)}`, { key: null })).text).toBe(page.text);
    // The other key's scope still answers its own generation.
    const again = await gen(b.key, { prompt, extra: { seed: 42 } });
    expect(again.res.headers.get('x-cache')).toBe('HIT');
    expect(idOf(again)).toBe(idOf(other));
    expect(textOf(again)).toBe('the honest answer');
    // The caller's own scope now answers the new generation: a hit answers with the id it replays.
    const mine = await gen(a.key, { prompt, extra: { seed: 42 } });
    expect(mine.res.headers.get('x-cache')).toBe('HIT');
    expect(idOf(mine)).toBe(idOf(reroll));
  });

  it('the keyless playground cannot use Cache-Control or x-cache-ttl', async () => {
    const prompt = uniquePrompt('playground cache');
    const ip = uniqueIp();
    const first = await gen(null, { origin: SITE, ip, prompt, extra: { seed: 1 }, headers: { 'x-cache-ttl': '60' } });
    expect(first.res.status).toBe(200);
    const again = await gen(null, {
      origin: SITE,
      ip,
      prompt,
      extra: { seed: 1 },
      headers: { 'cache-control': 'no-cache' },
    });
    expect(again.res.headers.get('x-cache')).toBe('HIT');
    expect(idOf(again)).toBe(idOf(first));
    expect((await upstreamRequests(prompt)).count).toBe(1);
    const store = await gen(null, {
      origin: SITE,
      ip,
      prompt: `${prompt} store`,
      extra: { seed: 1 },
      headers: { 'cache-control': 'no-store' },
    });
    expect(store.res.headers.get('x-cache')).toBe('MISS');
  });

  it('a deployed playground refuses a forged Origin from curl (no Turnstile secrets: it is off)', async () => {
    const bindings = productionEnv({ TURNSTILE_SITE_KEY: '', TURNSTILE_SECRET_KEY: '' });
    const a = await callWith(bindings, '/v1/chat/completions', {
      method: 'POST',
      headers: { origin: SITE, 'cf-connecting-ip': uniqueIp() },
      body: chatBody(uniquePrompt('forged origin'), { seed: 5 }),
    });
    expect(a.res.status).toBe(403);
    expect(a.json.error.code).toBe('playground_off');
    expect(a.json.error.message).toContain('TURNSTILE_SITE_KEY');
  });
});

describe('finding 2: nobody can tell whether someone else asked a prompt, or read it', () => {
  it('two secret keys sending the same seeded request each get a MISS, with no age', async () => {
    const a = await createKey({ type: 'secret' });
    const b = await createKey({ type: 'secret' });
    const prompt = uniquePrompt('oracle');
    const first = await gen(a.key, { prompt, extra: { seed: 9 } });
    const second = await gen(b.key, { prompt, extra: { seed: 9 } });
    expect(first.res.headers.get('x-cache')).toBe('MISS');
    expect(second.res.headers.get('x-cache')).toBe('MISS');
    expect(second.res.headers.get('x-cache-age')).toBeNull();
    expect(second.res.headers.get('x-darkroom-coalesced')).toBeNull();
    expect(idOf(second)).not.toBe(idOf(first));
  });

  it('generation ids are random, carry at least 96 bits, and cannot be computed from the request', async () => {
    const prompt = uniquePrompt('ids');
    const a = await chat(seeded(prompt), { headers: { 'cache-control': 'no-store' } });
    const b = await chat(seeded(prompt), { headers: { 'cache-control': 'no-store' } });
    for (const id of [idOf(a), idOf(b)]) {
      expect(id).toMatch(/^[0-9A-Za-z]+$/);
      expect(id.length * Math.log2(62)).toBeGreaterThanOrEqual(96);
    }
    expect(idOf(a)).not.toBe(idOf(b));
    const key = await cacheKey({ ...seeded(prompt), model: 'openai/gpt-5.4-image-2' } as never, {
      scope: 'dev',
      upstream: 'custom',
    });
    expect(idOf(a)).not.toContain(key.slice(0, 8));
  });

  it('GET /v1/generations/{id} and /s/{id} are rate limited per IP', async () => {
    const bindings = productionEnv({ RECORDS_RPM: '3' });
    for (const path of ['/v1/generations/AAAAAAAAAAAAAAAAAAAAAA', '/s/AAAAAAAAAAAAAAAAAAAAAA']) {
      const ip = uniqueIp();
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++)
        statuses.push((await fetchWith(bindings, path, { headers: { 'cf-connecting-ip': ip } })).status);
      expect(statuses, path).toEqual([404, 404, 404, 429, 429]);
      const other = await fetchWith(bindings, path, { headers: { 'cf-connecting-ip': uniqueIp() } });
      expect(other.status).toBe(404);
      expect(
        (await fetchWith(bindings, path, { headers: { 'cf-connecting-ip': ip } })).headers.get('retry-after'),
      ).toMatch(/^\d+$/);
    }
  });
});

describe('finding 3: secrets never leave, in streams, error fields or logs', () => {
  // A key no generic pattern recognises: only the configured-secret scrubber can catch it.
  const KEY = 'Zq.upstream.credential.7c1e9b';
  const bindings = () => productionEnv({ UPSTREAM_API_KEY: KEY, UPSTREAM_FALLBACKS: '', TURNSTILE_SITE_KEY: '' });
  const cases: [string, Record<string, unknown>, boolean][] = [
    ['a streamed error chunk', { transport: 'mid-stream' }, true],
    ['a JSON error with status 200', { transport: 'json200' }, false],
    ['a JSON error with status 200, streamed', { transport: 'json200' }, true],
    ['an SSE stream whose first event is an error', { transport: 'sse-first' }, true],
    ['an SSE `event: error`', { transport: 'sse-event' }, true],
    ['metadata.error_type of a 400', { transport: 'status', status: 400 }, false],
    ['moderation reasons of a 403', { transport: 'status', status: 403 }, true],
    ['an error code that is the key', { transport: 'status', status: 400, code: 'key' }, false],
    ['the answer text itself', { transport: 'content' }, true],
  ];
  for (const [what, step, stream] of cases) {
    it(`keeps the upstream key out of ${what}, its headers and the log`, async () => {
      const { key } = await createKey({ type: 'secret' });
      const prompt = uniquePrompt(`echo ${what}`);
      await script(prompt, [{ kind: 'echo-key', ...step }]);
      const { value: a, logs } = await captureLogs(() =>
        callWith(bindings(), '/v1/chat/completions', { method: 'POST', key, body: chatBody(prompt, { stream }) }),
      );
      expect((await upstreamRequests(prompt)).requests[0].headers.authorization).toBe(`Bearer ${KEY}`);
      expect(a.text).not.toContain(KEY);
      expect([...a.res.headers].join('\n')).not.toContain(KEY);
      expect(logs).not.toContain(KEY);
    });
  }
});

describe('finding 4: a fallback upstream gets its own key, never the primary one', () => {
  it('a fallback base URL without a key variable is sent no key', () =>
    quietly(async () => {
      const prompt = uniquePrompt('fallback no key');
      await script(prompt, [{ kind: 'status', status: 503 }], '/v1');
      const a = await chat(ask(prompt));
      expect(a.res.status).toBe(200);
      const sent = (await upstreamRequests(prompt)).requests;
      const fallback = sent.filter((r) => r.path.startsWith('/fallback/'));
      expect(fallback.length).toBe(1);
      expect(fallback[0].headers.authorization).toBeUndefined();
      for (const r of sent.filter((x) => !x.path.startsWith('/fallback/')))
        expect(r.headers.authorization).toBe(`Bearer ${env.UPSTREAM_API_KEY}`);
    }));

  it('UPSTREAM_FALLBACKS=url|VAR sends that variable as the fallback key', () =>
    quietly(async () => {
      const other = 'other-vendor-credential-3f9a1c';
      const bindings = productionEnv({
        UPSTREAM_FALLBACKS: `openrouter,${env.FAKE_UPSTREAM}/fallback/v1|OTHER_API_KEY`,
        OTHER_API_KEY: other,
        OPENROUTER_API_KEY: '',
      });
      const { key } = await createKey({ type: 'secret' });
      const prompt = uniquePrompt('fallback own key');
      await script(prompt, [{ kind: 'status', status: 503 }], '/v1');
      const a = await callWith(bindings, '/v1/chat/completions', { method: 'POST', key, body: chatBody(prompt) });
      expect(a.res.status).toBe(200);
      const fallback = (await upstreamRequests(prompt)).requests.filter((r) => r.path.startsWith('/fallback/'));
      expect(fallback.map((r) => r.headers.authorization)).toEqual([`Bearer ${other}`]);
    }));
});

describe('finding 5: only the primary upstream is cached', () => {
  it('a fallback answer is neither stored nor replayed to late joiners', () =>
    quietly(async () => {
      const prompt = uniquePrompt('fallback cached');
      await script(
        prompt,
        [
          { kind: 'status', status: 503 },
          { kind: 'status', status: 503 },
          { kind: 'status', status: 503 },
          { kind: 'ok' },
        ],
        '/v1',
      );
      const a = await chat(seeded(prompt));
      expect(a.res.status).toBe(200);
      const b = await chat(seeded(prompt));
      expect(b.res.headers.get('x-cache')).toBe('MISS');
      expect((await upstreamRequests(prompt)).requests.filter((r) => r.path === '/v1/chat/completions').length).toBe(4);
      const c = await chat(seeded(prompt));
      expect(c.res.headers.get('x-cache')).toBe('HIT');
      expect(idOf(c)).toBe(idOf(b));
    }));

  it('an entry names its provider', async () => {
    const prompt = uniquePrompt('entry provider');
    const a = await chat(seeded(prompt));
    const entry = await eventually(async () => {
      for (const k of (await env.CACHE.list({ prefix: 'c:' })).keys) {
        const e = await env.CACHE.get<any>(k.name, 'json');
        if (e?.generation_id === idOf(a)) return e;
      }
      return null;
    });
    expect(entry).toMatchObject({ provider: 'custom', generation_id: idOf(a) });
  });
});

describe('finding 6: nobody runs generations on the playground budget from elsewhere', () => {
  it('/embed without a valid publishable key is a small page framable by nobody', async () => {
    const { key: secret } = await createKey({ type: 'secret' });
    for (const q of ['', '?key=pk_' + 'A'.repeat(32), `?key=${secret}`, '?key=junk']) {
      const a = await call(`/embed${q}`, { key: null });
      expect(a.res.status, q).toBe(403);
      expect(a.res.headers.get('content-security-policy'), q).toContain("frame-ancestors 'none'");
      expect(a.text, q).not.toContain('<darkroom-widget');
      expect(a.text, q).toContain('publishable key');
    }
  });

  it('/embed with a publishable key is framable by its origins only', async () => {
    const { key } = await createKey({ type: 'publishable', origins: [WIDGET] });
    const a = await call(`/embed?key=${key}`, { key: null });
    expect(a.res.status).toBe(200);
    const csp = a.res.headers.get('content-security-policy')!;
    expect(csp).toContain(`frame-ancestors ${WIDGET}`);
    expect(csp).not.toMatch(/frame-ancestors[^;]*(\*|'self')/);
    expect(a.text).toContain('<darkroom-widget');
  });

  it('a deployed playground with Turnstile needs the session cookie, which is good for a bounded number of generations', async () => {
    const bindings = productionEnv({ PLAYGROUND_SESSION_GENERATIONS: '2' });
    const ip = uniqueIp();
    const post = (cookie?: string) =>
      callWith(bindings, '/v1/chat/completions', {
        method: 'POST',
        headers: { origin: SITE, 'cf-connecting-ip': ip, ...(cookie ? { cookie } : {}) },
        body: chatBody(uniquePrompt('turnstile')),
      });
    const forged = await post();
    expect(forged.res.status).toBe(401);
    expect(forged.json.error.code).toBe('playground_session_required');
    const config = await callWith(bindings, '/v1/playground', {});
    expect(config.json).toMatchObject({ mode: 'turnstile', turnstile_site_key: '1x00000000000000000000AA' });
    const bad = await callWith(bindings, '/v1/playground/session', {
      method: 'POST',
      headers: { origin: SITE, 'cf-connecting-ip': ip },
      body: JSON.stringify({ token: 'fail-token' }),
    });
    expect(bad.res.status).toBe(403);
    const ok = await callWith(bindings, '/v1/playground/session', {
      method: 'POST',
      headers: { origin: SITE, 'cf-connecting-ip': ip },
      body: JSON.stringify({ token: 'pass-token' }),
    });
    expect(ok.res.status).toBe(200);
    const setCookie = ok.res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).toMatch(/Max-Age=\d+/i);
    const { verifications } = await (await fetch(`${env.FAKE_UPSTREAM}/__siteverify`)).json<any>();
    expect(verifications.at(-1)).toMatchObject({ secret: TURNSTILE_SECRET, response: 'pass-token', remoteip: ip });
    const cookie = setCookie.split(';')[0];
    expect((await post(cookie)).res.status).toBe(200);
    expect((await post(cookie)).res.status).toBe(200);
    const spent = await post(cookie);
    expect(spent.res.status).toBe(429);
    // A tampered cookie is no session.
    // (Not the last character: in base64url its low bits may be padding and decode the same.)
    const at = cookie.indexOf('=') + 2;
    const tampered = cookie.slice(0, at) + (cookie[at] === 'A' ? 'B' : 'A') + cookie.slice(at + 1);
    expect((await post(tampered)).res.status).toBe(401);
    // A cookie is no key: from another origin it gets nothing.
    const foreign = await callWith(bindings, '/v1/chat/completions', {
      method: 'POST',
      headers: { origin: 'https://evil.example', cookie, 'cf-connecting-ip': ip },
      body: chatBody('x'),
    });
    expect(foreign.res.status).toBe(401);
  });

  it('PLAYGROUND=off refuses the playground, and PLAYGROUND=open serves it as npm start does', async () => {
    const off = await callWith(productionEnv({ PLAYGROUND: 'off' }), '/v1/chat/completions', {
      method: 'POST',
      headers: { origin: SITE, 'cf-connecting-ip': uniqueIp() },
      body: chatBody(uniquePrompt('off')),
    });
    expect(off.res.status).toBe(403);
    const config = await callWith(productionEnv({ TURNSTILE_SECRET_KEY: '' }), '/v1/playground', {});
    expect(config.json.mode).toBe('off');
    const open = await callWith(productionEnv({ PLAYGROUND: 'open' }), '/v1/chat/completions', {
      method: 'POST',
      headers: { origin: SITE, 'cf-connecting-ip': uniqueIp() },
      body: chatBody(uniquePrompt('open')),
    });
    expect(open.res.status).toBe(200);
    expect((await call('/v1/playground', { key: null })).json.mode).toBe('open'); // the test server runs like npm start
  });
});

describe('finding 7: limits count what runs', () => {
  it('n images take n from the rate window', async () => {
    const { key } = await createKey({ type: 'secret', rpm: 5 });
    const images = (n: number) =>
      call('/v1/images/generations', {
        method: 'POST',
        key,
        body: JSON.stringify({ prompt: uniquePrompt('n images'), n }),
      });
    const four = await images(4);
    expect(four.res.status).toBe(200);
    expect(four.res.headers.get('x-ratelimit-remaining')).toBe('1');
    expect((await images(2)).res.status).toBe(429);
    expect((await images(1)).res.status).toBe(200);
  });

  it('a request body must arrive within BODY_TIMEOUT_MS, else 408', async () => {
    const bindings = productionEnv({ BODY_TIMEOUT_MS: '300' });
    const { key } = await createKey({ type: 'secret' });
    const slow = new ReadableStream<Uint8Array>({
      async pull(c) {
        await new Promise((r) => setTimeout(r, 100));
        c.enqueue(new TextEncoder().encode(' '));
      },
    });
    const t0 = Date.now();
    const res = await Promise.race([
      fetchWith(bindings, '/v1/chat/completions', {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: slow,
        duplex: 'half',
      } as RequestInit),
      new Promise<Response>((r) => setTimeout(() => r(new Response('still reading', { status: 599 })), 5000)),
    ]);
    expect(res.status).toBe(408);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect((await res.json<any>()).error.code).toBe('request_timeout');
  });

  it('a multipart edit body must arrive within BODY_TIMEOUT_MS as well, else 408', async () => {
    const bindings = productionEnv({ BODY_TIMEOUT_MS: '300' });
    const { key } = await createKey({ type: 'secret' });
    let sent = false;
    const slow = new ReadableStream<Uint8Array>({
      async pull(c) {
        await new Promise((r) => setTimeout(r, 100));
        c.enqueue(
          new TextEncoder().encode(sent ? ' ' : '--x\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nslow'),
        );
        sent = true;
      },
    });
    const res = await Promise.race([
      fetchWith(bindings, '/v1/images/edits', {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'multipart/form-data; boundary=x' },
        body: slow,
        duplex: 'half',
      } as RequestInit),
      new Promise<Response>((r) => setTimeout(() => r(new Response('still reading', { status: 599 })), 5000)),
    ]);
    expect(res.status).toBe(408);
    expect((await res.json<any>()).error.code).toBe('request_timeout');
  });

  it('admin routes never answer CORS, even for an origin that has keys', async () => {
    const origin = `https://admin${Date.now()}.example.org`;
    await createKey({ type: 'publishable', origins: [origin] });
    for (const path of ['/v1/admin/keys', '/v1/admin/keys/0123456789abcdef', '/v1/stats']) {
      const pre = await call(path, {
        method: 'OPTIONS',
        key: null,
        headers: { origin, 'access-control-request-method': 'POST' },
      });
      expect(pre.res.headers.get('access-control-allow-origin'), path).toBeNull();
    }
    const ok = await call('/v1/chat/completions', { method: 'OPTIONS', key: null, headers: { origin } });
    expect(ok.res.headers.get('access-control-allow-origin')).toBe(origin);
  });

  it('origins are compared and reflected in canonical form only', async () => {
    const { key } = await createKey({ type: 'publishable', origins: [WIDGET] });
    for (const origin of [
      'HTTPS://SHOP.EXAMPLE.COM',
      'https://shop.example.com:443',
      'https://shop.example.com/path',
      'https://Shop.example.com',
    ]) {
      const a = await gen(key, { origin });
      const acao = a.res.headers.get('access-control-allow-origin');
      expect(acao === null || acao === WIDGET, `${origin} -> ${acao}`).toBe(true);
      expect(a.res.status, origin).toBe(403);
    }
    expect((await gen(key, { origin: WIDGET })).res.headers.get('access-control-allow-origin')).toBe(WIDGET);
  });
});

describe('cache scopes', () => {
  it('keys created with cache "shared" share one scope; private keys and the dev key do not see it', async () => {
    const s1 = await createKey({ type: 'secret', cache: 'shared' });
    const s2 = await createKey({ type: 'secret', cache: 'shared' });
    expect(s1.record.cache).toBe('shared');
    const prompt = uniquePrompt('shared scope');
    const a = await gen(s1.key, { prompt, extra: { seed: 3 } });
    expect(a.res.headers.get('x-cache')).toBe('MISS');
    const b = await gen(s2.key, { prompt, extra: { seed: 3 } });
    expect(b.res.headers.get('x-cache')).toBe('HIT');
    expect(idOf(b)).toBe(idOf(a));
    const mine = await createKey({ type: 'secret' });
    expect((await gen(mine.key, { prompt, extra: { seed: 3 } })).res.headers.get('x-cache')).toBe('MISS');
    expect((await gen('sk-local-dev', { prompt, extra: { seed: 3 } })).res.headers.get('x-cache')).toBe('MISS');
    const bad = await call('/v1/admin/keys', {
      method: 'POST',
      key: env.ADMIN_TOKEN as string,
      body: JSON.stringify({ type: 'secret', name: 'x', cache: 'everyone' }),
    });
    expect(bad.res.status).toBe(400);
  });

  it('the playground is one scope, apart from the dev key', async () => {
    const prompt = uniquePrompt('playground scope');
    const a = await gen(null, { origin: SITE, prompt, extra: { seed: 4 } });
    const b = await gen(null, { origin: SITE, prompt, extra: { seed: 4 } });
    expect(a.res.headers.get('x-cache')).toBe('MISS');
    expect(b.res.headers.get('x-cache')).toBe('HIT');
    expect((await gen('sk-local-dev', { prompt, extra: { seed: 4 } })).res.headers.get('x-cache')).toBe('MISS');
  });
});
