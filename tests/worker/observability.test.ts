// One structured JSON log line per request, without prompts or secrets; admin-only totals.
import { env } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import { ask, call, chat, eventually, uniquePrompt } from './helpers';

describe('observability', () => {
  it('makes its own request ids: a forged X-Request-Id is neither echoed nor logged', async () => {
    const a = await call('/v1/models', { headers: { 'x-request-id': 'req_someone-elses-id' } });
    expect(a.res.status).toBe(200);
    expect(a.res.headers.get('x-request-id')).toMatch(/^req_[0-9A-Za-z]{16}$/);
    const b = await call('/v1/models');
    expect(b.res.headers.get('x-request-id')).not.toBe(a.res.headers.get('x-request-id'));
  });

  it('logs one JSON line per request with id, route, status, latency, cache, provider, tokens and cost', async () => {
    const spy = vi.spyOn(console, 'log');
    try {
      const prompt = uniquePrompt('logged secret-ish prompt');
      for (const stream of [false, true]) {
        const a = await chat(ask(prompt, { stream }));
        const id = a.res.headers.get('x-request-id');
        const line = await eventually(async () =>
          spy.mock.calls
            .map((c) => String(c[0]))
            .find((l) => l.includes(`"request_id":"${id}"`) && l.includes('cost_usd')),
        );
        expect(line, `log line for ${id}`).toBeTruthy();
        const fields = JSON.parse(line!);
        expect(fields).toMatchObject({
          route: '/v1/chat/completions',
          status: 200,
          provider: 'custom',
          cache: 'BYPASS',
          principal: 'dev',
        });
        expect(fields.latency_ms).toBeGreaterThanOrEqual(0);
        expect(fields.ttfb_ms).toBeGreaterThanOrEqual(0);
        expect(fields.tokens).toBeGreaterThan(0);
        expect(fields.cost_usd).toBeGreaterThan(0);
        const all = spy.mock.calls.map((c) => String(c[0])).join('\n');
        expect(all).not.toContain(prompt);
        expect(all).not.toContain(env.UPSTREAM_API_KEY);
        expect(all).not.toContain(env.ADMIN_TOKEN);
      }
    } finally {
      spy.mockRestore();
    }
  });

  it('GET /v1/stats is admin-only and counts requests, hits and money', async () => {
    expect((await call('/v1/stats', { key: null })).res.status).toBe(401);
    expect((await call('/v1/stats')).res.status).toBe(401); // a normal key is not the admin token
    const prompt = uniquePrompt('stats');
    await chat(ask(prompt, { seed: 3 }));
    await chat(ask(prompt, { seed: 3 }));
    const stats = await eventually(async () => {
      const s = (await call('/v1/stats', { key: env.ADMIN_TOKEN })).json;
      return s.cache_hits >= 1 && s.cost_saved_usd > 0 ? s : null;
    });
    expect(stats).toMatchObject({ object: 'stats' });
    expect(stats.requests).toBeGreaterThanOrEqual(2);
    expect(stats.cost_spent_usd).toBeGreaterThan(0);
    expect(stats.hit_ratio).toBeGreaterThan(0);
  });
});
