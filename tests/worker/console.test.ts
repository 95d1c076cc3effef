// The operator console: sign-in and the session cookie, CSRF, every admin endpoint's auth and
// bad input, and the D1 aggregates against the requests this test made.
import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { newSession, SESSION_TTL_S } from '../../worker/access/admin-session';
import { ADMIN, createKey, SITE } from './access-helpers';
import { answerOf, ask, call, chat, eventually, script, uniquePrompt } from './helpers';

const COOKIE = '__Host-darkroom_admin';

async function page(path: string, init: RequestInit = {}) {
  return answerOf(await SELF.fetch(`${SITE}${path}`, { redirect: 'manual', ...init }));
}

async function signIn(token = ADMIN, origin = SITE) {
  return page('/admin/sign-in', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
    body: new URLSearchParams({ token }).toString(),
  });
}

/** Signs in and returns the Cookie header value. */
async function session(): Promise<string> {
  const a = await signIn();
  expect(a.res.status, a.text).toBe(303);
  return a.res.headers.get('set-cookie')!.split(';')[0];
}

/** An admin API call with the session cookie (and, unless told, the console's CSRF header and Origin). */
function withCookie(path: string, cookie: string, init: RequestInit & { csrf?: boolean; origin?: string | null } = {}) {
  const headers = new Headers(init.headers);
  headers.set('cookie', cookie);
  if (init.csrf !== false) headers.set('x-darkroom-csrf', '1');
  if (init.origin !== null) headers.set('origin', init.origin ?? SITE);
  if (init.body !== undefined) headers.set('content-type', 'application/json');
  return call(path, { ...init, headers, key: null });
}

describe('console session', () => {
  it('without a session /admin is only a sign-in form: no console shell, no bundle, no data', async () => {
    const a = await page('/admin');
    expect(a.res.status).toBe(401);
    expect(a.res.headers.get('content-type')).toContain('text/html');
    expect(a.text).toContain('<form method="post" action="/admin/sign-in">');
    expect(a.text).not.toMatch(/<script/i);
    expect(a.text).not.toContain('/admin/assets/');
    expect(a.res.headers.get('cache-control')).toBe('no-store');
    const slash = await page('/admin/');
    expect(slash.res.status).toBe(308);
    expect(new URL(slash.res.headers.get('location')!, SITE).pathname).toBe('/admin');
    for (const path of ['/admin/index.html', '/admin/assets/index.js', '/admin/assets/x.css', '/admin/anything']) {
      const b = await page(path);
      expect(b.res.status, path).toBe(404);
      expect(b.text, path).not.toContain('<div id="admin"');
    }
    for (const path of ['/v1/admin/keys', '/v1/admin/usage', '/v1/admin/generations', '/v1/stats']) {
      const b = await call(path, { key: null });
      expect(b.res.status, path).toBe(401);
      expect(b.json.error.code).toBe('invalid_admin_token');
    }
  });

  it('signs in with ADMIN_TOKEN: a signed, HttpOnly, SameSite=Strict, Secure, short-lived cookie', async () => {
    const a = await signIn();
    expect(a.res.status).toBe(303);
    expect(a.res.headers.get('location')).toBe('/admin');
    const cookie = a.res.headers.get('set-cookie')!;
    expect(cookie).toMatch(
      new RegExp(
        `^${COOKIE}=\\d+\\.[\\w-]{22}\\.[\\w-]{43}; Path=/; Max-Age=${SESSION_TTL_S}; HttpOnly; SameSite=Strict; Secure$`,
      ),
    );
    expect(cookie).not.toContain(ADMIN);
    const shell = await page('/admin', { headers: { cookie: cookie.split(';')[0] } });
    // The built shell (200) or, in a checkout that was never built, a 503 saying so; never the form.
    expect([200, 503]).toContain(shell.res.status);
    expect(shell.text).not.toContain('action="/admin/sign-in"');
    const keys = await withCookie('/v1/admin/keys', cookie.split(';')[0]);
    expect(keys.res.status).toBe(200);
  });

  it('refuses a wrong token, another origin, and a sign-in without a form body', async () => {
    const wrong = await signIn('not-the-admin-token-at-all');
    expect(wrong.res.status).toBe(401);
    expect(wrong.res.headers.get('set-cookie')).toBeNull();
    expect(wrong.text).toContain('That is not the admin token.');
    const foreign = await signIn(ADMIN, 'https://evil.example');
    expect(foreign.res.status).toBe(403);
    expect(foreign.res.headers.get('set-cookie')).toBeNull();
    const noOrigin = await page('/admin/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${ADMIN}`,
    });
    expect(noOrigin.res.status).toBe(403);
    const json = await page('/admin/sign-in', {
      method: 'POST',
      headers: { origin: SITE, 'content-type': 'application/json' },
      body: JSON.stringify({ token: ADMIN }),
    });
    expect(json.res.status).toBe(401);
    const huge = await page('/admin/sign-in', {
      method: 'POST',
      headers: { origin: SITE, 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${'x'.repeat(5000)}`,
    });
    expect(huge.res.status).toBe(413);
  });

  it('after ADMIN_AUTH_FAILURES wrong tokens from one IP, every try from it is refused (form and bearer)', async () => {
    const formFrom = (ip: string, token: string) =>
      page('/admin/sign-in', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: SITE, 'cf-connecting-ip': ip },
        body: new URLSearchParams({ token }).toString(),
      });
    const bearerFrom = (ip: string, token: string) =>
      call('/v1/admin/keys', { key: token, headers: { 'cf-connecting-ip': ip } });
    const limit = Number(env.ADMIN_AUTH_FAILURES);
    expect(limit).toBeGreaterThan(0);
    const guesser = '203.0.113.71';
    for (let i = 0; i < limit; i++) expect((await formFrom(guesser, `wrong-guess-number-${i}`)).res.status).toBe(401);
    const right = await formFrom(guesser, ADMIN);
    expect(right.res.status).toBe(429);
    expect(right.res.headers.get('set-cookie')).toBeNull();
    expect(Number(right.res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(right.text).toContain('Too many wrong admin tokens');
    const bearer = await bearerFrom(guesser, ADMIN);
    expect(bearer.res.status).toBe(429);
    expect(bearer.json.error.code).toBe('too_many_admin_attempts');
    // Another IP is not affected; a right token is never counted.
    for (let i = 0; i < limit + 2; i++) expect((await bearerFrom('203.0.113.72', ADMIN)).res.status).toBe(200);
    expect((await formFrom('203.0.113.72', ADMIN)).res.status).toBe(303);
    // Wrong bearer tokens count as well.
    const scripted = '203.0.113.73';
    for (let i = 0; i < limit; i++)
      expect((await bearerFrom(scripted, `wrong-bearer-${i}-xxxxxxxx`)).res.status).toBe(401);
    expect((await bearerFrom(scripted, ADMIN)).res.status).toBe(429);
  });

  it('counts wrong admin tokens sent at once before comparing any (no burst gets past the limit); an IPv6 /64 is one address', async () => {
    const limit = Number(env.ADMIN_AUTH_FAILURES);
    const burst = await Promise.all(
      Array.from({ length: limit * 2 }, (_, i) =>
        call('/v1/admin/keys', { key: `burst-guess-${i}-xxxxxxxxxx`, headers: { 'cf-connecting-ip': '203.0.113.74' } }),
      ),
    );
    expect(burst.filter((a) => a.res.status === 401)).toHaveLength(limit);
    expect(burst.filter((a) => a.res.status === 429)).toHaveLength(limit);
    for (let i = 0; i < limit; i++) {
      const ip = `2001:db8:aa:bb:${i.toString(16)}::1`;
      expect(
        (await call('/v1/admin/keys', { key: `v6-guess-${i}-xxxxxxxxxxx`, headers: { 'cf-connecting-ip': ip } })).res
          .status,
      ).toBe(401);
    }
    const sameNet = await call('/v1/admin/keys', { key: ADMIN, headers: { 'cf-connecting-ip': '2001:db8:aa:bb::99' } });
    expect(sameNet.res.status).toBe(429);
    const otherNet = await call('/v1/admin/keys', { key: ADMIN, headers: { 'cf-connecting-ip': '2001:db8:aa:bc::1' } });
    expect(otherNet.res.status).toBe(200);
  });

  it('refuses forged, tampered and expired cookies', async () => {
    const good = await session();
    const [name, value] = good.split('=');
    const [exp, nonce, sig] = value.split('.');
    const tampered = `${name}=${Number(exp) + 60}.${nonce}.${sig}`;
    const otherKey = `${name}=${(await newSession('some-other-token-0123456789', Date.now())).value}`;
    const expired = `${name}=${(await newSession(ADMIN, Date.now() - (SESSION_TTL_S + 5) * 1000)).value}`;
    for (const cookie of [tampered, otherKey, expired, `${name}=garbage`, `darkroom_admin=${value}`]) {
      expect((await withCookie('/v1/admin/keys', cookie)).res.status, cookie).toBe(401);
      expect((await page('/admin', { headers: { cookie } })).res.status, cookie).toBe(401);
    }
  });

  it('state-changing calls with the cookie need the CSRF header and the console Origin; bearer calls need neither', async () => {
    const cookie = await session();
    const body = JSON.stringify({ type: 'secret', name: 'csrf test' });
    const noHeader = await withCookie('/v1/admin/keys', cookie, { method: 'POST', body, csrf: false });
    expect(noHeader.res.status).toBe(403);
    expect(noHeader.json.error.code).toBe('csrf_check_failed');
    const foreign = await withCookie('/v1/admin/keys', cookie, {
      method: 'POST',
      body,
      origin: 'https://evil.example',
    });
    expect(foreign.res.status).toBe(403);
    const noOrigin = await withCookie('/v1/admin/keys', cookie, { method: 'POST', body, origin: null });
    expect(noOrigin.res.status).toBe(403);
    const ok = await withCookie('/v1/admin/keys', cookie, { method: 'POST', body });
    expect(ok.res.status).toBe(201);
    const del = await withCookie(`/v1/admin/keys/${ok.json.id}`, cookie, { method: 'DELETE', csrf: false });
    expect(del.res.status).toBe(403);
    expect((await withCookie(`/v1/admin/keys/${ok.json.id}`, cookie, { method: 'DELETE' })).res.status).toBe(200);
    // Reads need no CSRF header (SameSite=Strict and no CORS keep other sites from reading them).
    expect((await withCookie('/v1/admin/usage?range=1h', cookie, { csrf: false, origin: null })).res.status).toBe(200);
    const bearer = await call('/v1/admin/keys', { method: 'POST', key: ADMIN, body });
    expect(bearer.res.status).toBe(201);
  });

  it('signing out ends the session on the server, not only in the browser', async () => {
    const cookie = await session();
    expect((await withCookie('/v1/admin/keys', cookie)).res.status).toBe(200);
    const foreign = await page('/admin/sign-out', {
      method: 'POST',
      headers: { cookie, origin: 'https://evil.example' },
    });
    expect(foreign.res.status).toBe(403);
    expect((await withCookie('/v1/admin/keys', cookie)).res.status).toBe(200);
    const out = await page('/admin/sign-out', { method: 'POST', headers: { cookie, origin: SITE } });
    expect(out.res.status).toBe(303);
    expect(out.res.headers.get('set-cookie')).toMatch(new RegExp(`^${COOKIE}=; Path=/; Max-Age=0;`));
    expect((await withCookie('/v1/admin/keys', cookie)).res.status).toBe(401);
    expect((await page('/admin', { headers: { cookie } })).res.status).toBe(401);
  });
});

describe('admin API input', () => {
  const bad: [string, string][] = [
    ['/v1/admin/usage?range=2h', 'range'],
    ['/v1/admin/usage?range=1h&key=nope', 'key'],
    ['/v1/admin/usage?key=0123456789abcdef0', 'key'],
    ['/v1/admin/generations?status=maybe', 'status'],
    ['/v1/admin/generations?limit=0', 'limit'],
    ['/v1/admin/generations?limit=201', 'limit'],
    ['/v1/admin/generations?limit=ten', 'limit'],
    ['/v1/admin/generations?before=-1', 'before'],
    ['/v1/admin/generations?key=%27%20OR%201%3D1', 'key'],
  ];
  it.each(bad)('%s is a 400 naming %s', async (path, param) => {
    const a = await call(path, { key: ADMIN });
    expect(a.res.status).toBe(400);
    expect(a.json.error).toMatchObject({ type: 'invalid_request_error', param });
  });

  it('a key needs a known cache scope, and keeps the one it was given', async () => {
    const bad = await call('/v1/admin/keys', {
      method: 'POST',
      key: ADMIN,
      body: JSON.stringify({ type: 'secret', name: 'x', cache: 'everyone' }),
    });
    expect(bad.res.status).toBe(400);
    const { record } = await createKey({ type: 'secret', cache: 'key' });
    expect(record.cache).toBe('key');
  });

  it('wrong methods on the console routes are 405s', async () => {
    const a = await call('/v1/admin/usage', { method: 'POST', key: ADMIN, body: '{}' });
    expect(a.res.status).toBe(405);
    expect(a.res.headers.get('allow')).toBe('GET');
  });
});

/** The key's usage once `n` requests are counted (writes are batched, about a second late). */
async function usageOf(id: string, n: number) {
  const u = await eventually(async () => {
    const a = await call(`/v1/admin/usage?range=1h&key=${id}`, { key: ADMIN });
    expect(a.res.status, a.text).toBe(200);
    return a.json.totals.requests >= n ? a.json : null;
  }, 8000);
  expect(u, `usage of ${id} reached ${n} requests`).toBeTruthy();
  return u;
}

const costOf = (a: { json: any }) => a.json?.usage?.cost ?? 0;

describe('console aggregates', () => {
  it('count the requests a key made: requests, images, errors by kind, hits, spend and savings', async () => {
    const { key, id } = await createKey({ type: 'secret' });
    const prompt = uniquePrompt('console');
    const miss = await chat(ask(prompt, { seed: 11 }), { key });
    const hit = await chat(ask(prompt, { seed: 11 }), { key });
    const bypass = await chat(ask(uniquePrompt('console bypass')), { key });
    const invalid = await chat(ask(prompt, { temperature: 2 }), { key });
    expect([miss, hit, bypass, invalid].map((a) => a.res.status)).toEqual([200, 200, 200, 400]);
    expect(hit.res.headers.get('x-cache')).toBe('HIT');
    const saved = Number(hit.res.headers.get('x-cache-saved-usd'));
    expect(saved).toBeGreaterThan(0);

    const u = await usageOf(id, 4);
    const spent = Math.round((costOf(miss) + costOf(hit) + costOf(bypass)) * 1e9) / 1e9;
    expect(u.totals).toMatchObject({
      requests: 4,
      images: 3,
      errors: 1,
      errors_by_kind: { invalid_request: 1 },
      cache_hits: 1,
      cache_misses: 1,
      cache_bypass: 1,
      coalesced: 0,
      hit_ratio: 0.5,
      cost_usd: spent,
      saved_coalesced_usd: 0,
    });
    expect(u.totals.saved_cache_usd).toBeCloseTo(saved, 6);
    expect(u.totals.cost_usd).toBeGreaterThan(0);
    expect(u.totals.ttfb_ms.p50).toBeGreaterThan(0);
    expect(u.totals.total_ms.p95).toBeGreaterThanOrEqual(u.totals.total_ms.p50);
    expect(u.series.reduce((a: number, p: any) => a + p.requests, 0)).toBe(4);
    expect(u.series.reduce((a: number, p: any) => a + p.cost_usd, 0)).toBeCloseTo(spent, 9);
    expect(u.series.every((p: any, i: number) => i === 0 || p.t - u.series[i - 1].t === 3600)).toBe(true);

    // The recent list, newest first, joined to the generation records for prompt and image.
    const list = await call(`/v1/admin/generations?key=${id}`, { key: ADMIN });
    expect(list.res.status).toBe(200);
    expect(list.json.data.map((r: any) => r.status)).toEqual([400, 200, 200, 200]);
    const [, , hitRow, missRow] = list.json.data;
    expect(hitRow).toMatchObject({
      key_id: id,
      key_name: 'test',
      cache: 'HIT',
      cost_usd: 0,
      generation_id: hit.res.headers.get('x-darkroom-generation'),
    });
    expect(hitRow.saved_usd).toBeCloseTo(saved, 6);
    expect(missRow).toMatchObject({ cache: 'MISS', cost_usd: costOf(miss), prompt, provider: 'custom', images: 1 });
    expect(missRow.thumbnail_url).toMatch(/^https:\/\/darkroom\.test\/i\/[0-9a-f]{64}\.png$/);
    expect(missRow.share_url).toBe(`https://darkroom.test/s/${missRow.generation_id}`);
    expect(missRow.record_url).toBe(`https://darkroom.test/v1/generations/${missRow.generation_id}`);
    const errors = await call(`/v1/admin/generations?key=${id}&status=error`, { key: ADMIN });
    expect(errors.json.data.map((r: any) => [r.status, r.error_kind, r.prompt])).toEqual([
      [400, 'invalid_request', null],
    ]);
    const page2 = await call(`/v1/admin/generations?key=${id}&limit=2&before=${list.json.data[1].seq}`, { key: ADMIN });
    expect(page2.json.data.map((r: any) => r.seq)).toEqual(list.json.data.slice(2).map((r: any) => r.seq));

    // The key list counts them too.
    const keys = await call('/v1/admin/keys', { key: ADMIN });
    const listed = keys.json.data.find((k: any) => k.id === id);
    expect(listed).toMatchObject({ requests_today: 4, requests_total: 4 });
    expect(listed.last_used).toBeGreaterThan(Date.now() / 1000 - 120);
    expect(listed.spent_today_usd).toBeCloseTo(spent, 6);
  });

  it('count what coalescing saved: the joined request paid nothing for what the first one paid', async () => {
    const { key, id } = await createKey({ type: 'secret' });
    const prompt = uniquePrompt('console coalesce');
    await script(prompt, [{ kind: 'delay', ms: 40 }]);
    const answers = await Promise.all([0, 1].map(() => chat(ask(prompt, { seed: 5 }), { key })));
    const joined = answers.filter((a) => a.res.headers.get('x-darkroom-coalesced') === 'true');
    expect(joined.length).toBe(1);
    const paid = answers.find((a) => !joined.includes(a))!;
    const u = await usageOf(id, 2);
    expect(u.totals).toMatchObject({
      requests: 2,
      coalesced: 1,
      cost_usd: costOf(paid),
      saved_coalesced_usd: costOf(paid),
    });
    expect(costOf(paid)).toBeGreaterThan(0);
  });

  it('counts the Images API and refused callers, and filters by key', async () => {
    const { key, id } = await createKey({ type: 'secret' });
    const a = await call('/v1/images/generations', {
      method: 'POST',
      key,
      body: JSON.stringify({ prompt: uniquePrompt('console images'), n: 2, response_format: 'url' }),
    });
    expect(a.res.status, a.text).toBe(200);
    const u = await usageOf(id, 1);
    expect(u.totals).toMatchObject({ requests: 1, images: 2, errors: 0, cost_usd: a.json.usage.cost });
    const before =
      (await call('/v1/admin/usage?range=1h&key=anonymous', { key: ADMIN })).json.totals.errors_by_kind.auth ?? 0;
    const refused = await chat(ask('x'), { key: 'sk_unknownunknownunknownunknown00' });
    expect(refused.res.status).toBe(401);
    const after = await eventually(async () => {
      const n =
        (await call('/v1/admin/usage?range=1h&key=anonymous', { key: ADMIN })).json.totals.errors_by_kind.auth ?? 0;
      return n > before ? n : null;
    }, 8000);
    expect(after).toBe(before + 1);
    // Another key's requests are not in this key's report.
    expect((await call(`/v1/admin/usage?range=30d&key=${id}`, { key: ADMIN })).json.totals.requests).toBe(1);
    const all = await call('/v1/admin/usage?range=30d', { key: ADMIN });
    expect(all.json.totals.requests).toBeGreaterThan(1);
    expect(all.json.series.length).toBeGreaterThanOrEqual(720);
  });
});

describe('console store retention', () => {
  it('keeps only the newest recent rows and drops hourly rows older than 30 days', async () => {
    const { writeUsageBatch, RETENTION_S } = await import('../../worker/observability/usage-store');
    const { addSample, emptyBatch } = await import('../../worker/observability/usage');
    const sample = (at: number, keyId: string) => ({
      at,
      keyId,
      status: 200,
      cache: null,
      coalesced: false,
      provider: 'demo',
      generationId: null,
      images: 1,
      costNusd: 1,
      savedCacheNusd: 0,
      savedCoalescedNusd: 0,
      ttfbMs: 5,
      totalMs: 9,
    });
    const now = Date.now();
    const old = emptyBatch();
    addSample(old, sample(now - (RETENTION_S + 7200) * 1000, 'retention-old'));
    await writeUsageBatch(env.USAGE, old, 0);
    expect(
      (await env.USAGE.prepare("SELECT count(*) AS n FROM usage_hourly WHERE key_id = 'retention-old'").first<{
        n: number;
      }>())!.n,
    ).toBe(1);
    const fresh = emptyBatch();
    for (let i = 0; i < 5; i++) addSample(fresh, sample(now, 'retention-new'));
    await writeUsageBatch(env.USAGE, fresh, now + 3_600_000, 3);
    expect(
      (await env.USAGE.prepare("SELECT count(*) AS n FROM usage_hourly WHERE key_id = 'retention-old'").first<{
        n: number;
      }>())!.n,
    ).toBe(0);
    expect((await env.USAGE.prepare('SELECT count(*) AS n FROM recent_generations').first<{ n: number }>())!.n).toBe(3);
  });
});
