// Who may call: secret keys, publishable keys bound to origins (CORS and preflight), the
// same-origin playground, the development key; the admin API; security headers; no secret in
// any answer (call() checks every response for the upstream key and the admin token).
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { resolvePrincipal } from '../../worker/access/principal';
import { hashKey } from '../../worker/access/records';
import type { Env } from '../../worker/env';
import { ADMIN, createKey, gen, listed, SITE, uniqueIp } from './access-helpers';
import { ask, call, chat, script, uniquePrompt } from './helpers';

const WIDGET = 'https://shop.example.com';

describe('keys: 401 for anything but a live key', () => {
  it('refuses a request with no key (curl) with 401 in the OpenAI error shape', async () => {
    const a = await gen(null);
    expect(a.res.status).toBe(401);
    expect(a.json.error).toMatchObject({ type: 'authentication_error', code: 'missing_api_key' });
    expect(a.res.headers.get('www-authenticate')).toContain('Bearer');
    expect(a.res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a keyless request from another origin with 401 and no CORS headers', async () => {
    const a = await gen(null, { origin: 'https://evil.example' });
    expect(a.res.status).toBe(401);
    expect(a.res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it.each([
    ['Basic dXNlcjpwYXNz', 'invalid_api_key'],
    ['Bearer', 'invalid_api_key'],
    ['Bearer sk-proj-abc', 'invalid_api_key'],
    ['Bearer sk_short', 'invalid_api_key'],
    ['Bearer sk_abc def', 'invalid_api_key'],
    [`Bearer ${ADMIN}`, 'invalid_api_key'],
  ])('refuses malformed credentials %s with 401', async (authorization, code) => {
    const a = await chat(ask(uniquePrompt('malformed')), { key: null, headers: { authorization } });
    expect(a.res.status).toBe(401);
    expect(a.json.error.code).toBe(code);
  });

  it('refuses unknown keys with 401, and a pk_ record presented as sk_ (type mismatch)', async () => {
    expect((await gen('sk_' + 'A'.repeat(32))).res.status).toBe(401);
    expect((await gen('pk_' + 'B'.repeat(32), { origin: WIDGET })).res.status).toBe(401);
  });

  it('accepts a new secret key, with x-ratelimit headers, and 401s it once revoked', async () => {
    const { key, id, record } = await createKey({ type: 'secret', rpm: 50 });
    expect(key).toMatch(/^sk_[0-9A-Za-z]{32}$/);
    expect(record.limits).toMatchObject({ rpm: 50, concurrency: 4, daily_usd: 50 });
    const ok = await gen(key);
    expect(ok.res.status).toBe(200);
    expect(ok.res.headers.get('x-ratelimit-limit')).toBe('50');
    expect(ok.res.headers.get('x-ratelimit-remaining')).toBe('49');
    expect(Number(ok.res.headers.get('x-ratelimit-reset'))).toBeGreaterThan(0);
    const del = await call(`/v1/admin/keys/${id}`, { method: 'DELETE', key: ADMIN });
    expect(del.res.status).toBe(200);
    expect(del.json.revoked).toBeGreaterThan(0);
    const after = await gen(key);
    expect(after.res.status).toBe(401);
    expect(after.json.error.code).toBe('revoked_api_key');
  });

  it('stores only the SHA-256 of a key, never the key', async () => {
    const { key, id } = await createKey({ type: 'secret' });
    const hash = await hashKey(key);
    expect(await env.RECORDS.get(`kid:${id}`)).toBe(hash);
    const raw = (await env.RECORDS.get(`k:${hash}`))!;
    expect(raw).not.toContain(key);
    expect(JSON.parse(raw)).toMatchObject({ id, type: 'secret', name: 'test', prefix: key.slice(0, 7) });
    const list = await call('/v1/admin/keys', { key: ADMIN });
    expect(list.text).not.toContain(key);
    expect(list.text).not.toContain(hash);
  });

  it('accepts the development key only in development', async () => {
    expect((await gen('sk-local-dev')).res.status).toBe(200);
    const req = new Request(`${SITE}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-local-dev' },
    });
    const prod = { ...env, DARKROOM_ENV: 'production' } as unknown as Env;
    await expect(resolvePrincipal(prod, req)).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
    const dev = await resolvePrincipal(env as unknown as Env, req);
    expect(dev.principal.kind).toBe('dev');
  });
});

describe('publishable keys: their origins only', () => {
  it('works from an allowed origin with CORS headers for that origin', async () => {
    const { key } = await createKey({ type: 'publishable', origins: [WIDGET] });
    expect(key).toMatch(/^pk_/);
    const a = await gen(key, { origin: WIDGET });
    expect(a.res.status).toBe(200);
    expect(a.res.headers.get('access-control-allow-origin')).toBe(WIDGET);
    expect(a.res.headers.get('access-control-expose-headers')).toContain('x-ratelimit-remaining');
    expect(a.res.headers.get('vary')).toContain('Origin');
  });

  it('gets 403 and no CORS headers from a foreign origin, and 403 with no origin at all', async () => {
    const { key } = await createKey({ type: 'publishable', origins: [WIDGET] });
    for (const origin of [
      'https://evil.example',
      'http://shop.example.com',
      'https://shop.example.com.evil.example',
      'null',
    ]) {
      const a = await gen(key, { origin });
      expect(a.res.status, origin).toBe(403);
      expect(a.json.error.code).toBe('origin_not_allowed');
      expect(a.res.headers.get('access-control-allow-origin')).toBeNull();
    }
    expect((await gen(key)).res.status).toBe(403);
  });

  it('matches *.example.com wildcards on subdomains, not on the apex', async () => {
    const { key } = await createKey({ type: 'publishable', origins: ['*.widgets.example'] });
    expect((await gen(key, { origin: 'https://a.widgets.example' })).res.status).toBe(200);
    expect((await gen(key, { origin: 'http://b.c.widgets.example' })).res.status).toBe(200);
    expect((await gen(key, { origin: 'https://widgets.example' })).res.status).toBe(403);
    expect((await gen(key, { origin: 'https://evilwidgets.example' })).res.status).toBe(403);
  });

  it('works on the site itself (the /embed iframe), without CORS headers', async () => {
    const { key } = await createKey({ type: 'publishable', origins: [WIDGET] });
    const a = await gen(key, { origin: SITE });
    expect(a.res.status).toBe(200);
    expect(a.res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('may not set logit_bias, and its cache-control headers are ignored', async () => {
    const { key } = await createKey({ type: 'publishable', origins: [WIDGET] });
    const bias = await gen(key, { origin: WIDGET, extra: { logit_bias: { '50256': -100 } } });
    expect(bias.res.status).toBe(403);
    expect(bias.json.error.param).toBe('logit_bias');
    expect(bias.res.headers.get('access-control-allow-origin')).toBe(WIDGET);
    const prompt = uniquePrompt('pk cache');
    const first = await gen(key, { origin: WIDGET, prompt, extra: { seed: 7 } });
    expect(first.res.headers.get('x-cache')).toBe('MISS');
    const second = await gen(key, {
      origin: WIDGET,
      prompt,
      extra: { seed: 7 },
      headers: { 'cache-control': 'no-cache' },
    });
    expect(second.res.headers.get('x-cache')).toBe('HIT');
  });

  it('answers preflights for allowed origins only, and stops once the key is revoked', async () => {
    const origin = `https://p${Date.now()}.example.org`;
    const preflight = () =>
      call('/v1/chat/completions', {
        method: 'OPTIONS',
        key: null,
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type',
        },
      });
    const before = await preflight();
    expect(before.res.status).toBe(204);
    expect(before.res.headers.get('access-control-allow-origin')).toBeNull();
    const { id } = await createKey({ type: 'publishable', origins: [origin] });
    const ok = await preflight();
    expect(ok.res.status).toBe(204);
    expect(ok.res.headers.get('access-control-allow-origin')).toBe(origin);
    expect(ok.res.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(ok.res.headers.get('access-control-allow-methods')).toContain('POST');
    const foreign = await call('/v1/chat/completions', {
      method: 'OPTIONS',
      key: null,
      headers: { origin: 'https://evil.example' },
    });
    expect(foreign.res.headers.get('access-control-allow-origin')).toBeNull();
    await call(`/v1/admin/keys/${id}`, { method: 'DELETE', key: ADMIN });
    expect(await env.RECORDS.get(`o:${origin}`)).toBeNull();
    expect((await preflight()).res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers preflights for wildcard origins', async () => {
    const domain = `w${Date.now()}.example.net`;
    await createKey({ type: 'publishable', origins: [`https://*.${domain}`] });
    const a = await call('/v1/chat/completions', {
      method: 'OPTIONS',
      key: null,
      headers: { origin: `https://app.${domain}` },
    });
    expect(a.res.headers.get('access-control-allow-origin')).toBe(`https://app.${domain}`);
    const b = await call('/v1/chat/completions', {
      method: 'OPTIONS',
      key: null,
      headers: { origin: `http://app.${domain}` },
    });
    expect(b.res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('playground: same origin, no key', () => {
  it('works from the site itself and not from anywhere else', async () => {
    expect((await gen(null, { origin: SITE })).res.status).toBe(200);
    expect((await gen(null, { origin: SITE, headers: { 'sec-fetch-site': 'cross-site' } })).res.status).toBe(401);
    expect((await gen(null, { origin: 'https://darkroom.test.evil.example' })).res.status).toBe(401);
    expect((await gen(null, { origin: 'http://darkroom.test' })).res.status).toBe(401);
  });
});

describe('admin API', () => {
  it('is 401 without the token or with a wrong one', async () => {
    for (const key of [null, 'wrong-token-0123456789', 'sk-local-dev', `${ADMIN}x`]) {
      for (const [method, path] of [
        ['GET', '/v1/admin/keys'],
        ['POST', '/v1/admin/keys'],
        ['DELETE', '/v1/admin/keys/0123456789abcdef'],
        ['GET', '/v1/stats'],
      ]) {
        const a = await call(path, {
          method,
          key,
          ...(method === 'POST' ? { body: JSON.stringify({ type: 'secret', name: 'x' }) } : {}),
        });
        expect(a.res.status, `${method} ${path} with ${key}`).toBe(401);
        expect(a.json.error.code).toBe('invalid_admin_token');
      }
    }
  });

  it('a publishable or secret key is not an admin token', async () => {
    const { key } = await createKey({ type: 'secret' });
    expect((await call('/v1/admin/keys', { key })).res.status).toBe(401);
  });

  it.each([
    [{ type: 'publishable' }, 'origins'],
    [{ type: 'publishable', origins: ['*.com'] }, 'origins'],
    [{ type: 'publishable', origins: ['*'] }, 'origins'],
    [{ type: 'publishable', origins: ['https://a.example/path'] }, 'origins'],
    [{ type: 'publishable', origins: ['javascript:alert(1)'] }, 'origins'],
    [{ type: 'secret', origins: ['https://a.example'] }, 'origins'],
    [{ type: 'secret', rpm: 0 }, 'rpm'],
    [{ type: 'secret', extra: 1 }, null],
  ])('validates key creation: %j', async (body, param) => {
    const a = await call('/v1/admin/keys', {
      method: 'POST',
      key: ADMIN,
      body: JSON.stringify({ name: 'bad', ...body }),
    });
    expect(a.res.status).toBe(400);
    expect(a.json.error.type).toBe('invalid_request_error');
    if (param) expect(a.json.error.param ?? a.json.error.message).toContain(param);
  });

  it('stores canonical origins and lists keys with spend, without secrets', async () => {
    const { id } = await createKey({
      type: 'publishable',
      origins: ['HTTPS://Shop.Example.com:443/', '*.Example.org'],
      rpm: 5,
      daily_usd: 1,
    });
    const k = await listed(id);
    expect(k).toMatchObject({
      type: 'publishable',
      origins: ['https://shop.example.com', '*.example.org'],
      limits: { rpm: 5, concurrency: 2, daily_usd: 1 },
    });
    expect(k.spent_today_usd).toBe(0);
    expect(k.key).toBeUndefined();
  });

  it('404s revoking an unknown id', async () => {
    const a = await call('/v1/admin/keys/ffffffffffffffff', { method: 'DELETE', key: ADMIN });
    expect(a.res.status).toBe(404);
  });
});

describe('headers and secrets', () => {
  it('sends the security headers on API answers, errors and pages; only /embed may be framed', async () => {
    for (const path of ['/healthz', '/v1/models', '/v1/nope']) {
      const a = await call(path, { key: null });
      expect(a.res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(a.res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
      expect(a.res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(a.res.headers.get('x-frame-options')).toBe('DENY');
    }
    const refused = await gen(null);
    expect(refused.res.headers.get('x-content-type-options')).toBe('nosniff');
    const { key } = await createKey({ type: 'publishable', origins: [WIDGET] });
    const embed = await call(`/embed?key=${key}`, { key: null });
    expect(embed.res.headers.get('x-frame-options')).toBeNull();
    expect(embed.res.headers.get('content-security-policy')).toContain('frame-ancestors');
    expect(embed.res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('scrubs the upstream key and the admin token out of upstream error messages', async () => {
    const prompt = uniquePrompt('leak');
    const message = `bad request: key ${env.UPSTREAM_API_KEY} token ${env.ADMIN_TOKEN} Bearer ${env.UPSTREAM_API_KEY}`;
    await script(prompt, [
      {
        kind: 'status',
        status: 400,
        body: { error: { message, code: 400 } },
        headers: { 'x-echo': String(env.UPSTREAM_API_KEY) },
      },
    ]);
    for (const stream of [false, true]) {
      const a = await chat(ask(prompt, { stream }));
      expect(a.res.status).toBe(400);
      expect(a.json.error.message).toContain('bad request');
    }
    await script(prompt + ' 401', [
      { kind: 'status', status: 401, body: { error: { message: `invalid key ${env.UPSTREAM_API_KEY}` } } },
    ]);
    const b = await chat(ask(prompt + ' 401'));
    expect(b.res.status).toBe(502);
  });

  it('uses the caller IP only from cf-connecting-ip in production', async () => {
    const { clientIp } = await import('../../worker/access/principal');
    const req = new Request(SITE, { headers: { 'x-real-ip': '1.2.3.4' } });
    expect(clientIp(req, { DARKROOM_ENV: 'production' } as unknown as Env)).toBe('unknown');
    expect(clientIp(req, { DARKROOM_ENV: 'development' } as unknown as Env)).toBe('1.2.3.4');
    const cf = new Request(SITE, { headers: { 'x-real-ip': '1.2.3.4', 'cf-connecting-ip': '5.6.7.8' } });
    expect(clientIp(cf, { DARKROOM_ENV: 'production' } as unknown as Env)).toBe('5.6.7.8');
    expect(uniqueIp()).toMatch(/^10\./);
  });
});
