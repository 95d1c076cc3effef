// Admin API (ADMIN_TOKEN): create, list and revoke keys; GET /v1/stats totals.
import { Hono } from 'hono';
import { CreateKeyRequest } from '../../shared/schemas';
import { adminAuth } from '../access/admin-auth';
import { createKey, listKeys, revokeKey, spendSnapshot } from '../access/keys';
import { parseOriginPattern } from '../access/origins';
import { limitsProblem, type KeyRecord } from '../access/records';
import type { AppEnv, Env } from '../env';
import { ApiError, badRequest } from '../lib/errors';
import { readJsonBody, validate } from '../lib/request-body';
import { statsStub } from '../observability/stats';


export const adminRoutes = new Hono<AppEnv>();
adminRoutes.use('*', adminAuth());

adminRoutes.post('/keys', async (c) => {
  const req = validate(CreateKeyRequest, await readJsonBody(c.req.raw, 64 * 1024));
  const origins = (req.origins ?? []).map((o, i) => {
    const p = parseOriginPattern(o);
    if (!p) throw badRequest(`origins[${i}] is not an http(s) origin or a *.domain wildcard (e.g. https://shop.example.com, *.example.com).`, 'origins');
    return p;
  });
  const limits = { rpm: req.rpm, concurrency: req.concurrency, daily_usd: req.daily_usd, window_s: req.window_s };
  const problem = limitsProblem(limits);
  if (problem) throw badRequest(problem);
  const { key, record } = await createKey(c.env, { type: req.type, name: req.name, origins, limits });
  // The only time the key is ever shown.
  return c.json({ object: 'api_key', key, ...record }, 201);
});

/** A key as listed: its record plus today's spend (live from its counter, else the last snapshot). */
async function withUsage(env: Env, r: KeyRecord) {
  const live = await env.LIMITS.get(env.LIMITS.idFromName(`${r.type}:${r.id}`))
    .usage()
    .catch(() => null);
  const snap = live ? null : await spendSnapshot(env, r.id);
  const today = new Date().toISOString().slice(0, 10);
  return {
    object: 'api_key',
    ...r,
    spent_today_usd: live?.spentTodayUsd ?? (snap?.day === today ? snap.usd : 0),
    spent_total_usd: live?.totalUsd ?? snap?.total_usd ?? 0,
    ...(live ? { active: live.active } : {}),
  };
}

adminRoutes.get('/keys', async (c) => {
  const records = await listKeys(c.env);
  return c.json({ object: 'list', data: await Promise.all(records.map((r) => withUsage(c.env, r))) });
});

adminRoutes.delete('/keys/:id', async (c) => {
  const record = await revokeKey(c.env, c.req.param('id'));
  if (!record) throw new ApiError(404, 'No key with that id.', 'not_found_error', 'key_not_found', 'id');
  return c.json({ object: 'api_key', ...record });
});

export const statsRoutes = new Hono<AppEnv>();
statsRoutes.use('*', adminAuth());
statsRoutes.get('/', async (c) => c.json({ object: 'stats', ...(await statsStub(c.env).totals()) }));
