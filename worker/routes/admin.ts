// Admin API (ADMIN_TOKEN or a console session): create, list and revoke keys; the console's
// usage report and recent generations (D1, see worker/observability/usage-store.ts);
// GET /v1/stats totals.
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
import { fromNusd } from '../observability/usage';
import { keyUsage, RANGES, type RangeName, recentGenerations, usageReport } from '../observability/usage-store';
import { getGenerationRecord } from '../storage/records';

export const adminRoutes = new Hono<AppEnv>();
adminRoutes.use('*', adminAuth());

adminRoutes.post('/keys', async (c) => {
  const req = validate(CreateKeyRequest, await readJsonBody(c.req.raw, 64 * 1024));
  const origins = (req.origins ?? []).map((o, i) => {
    const p = parseOriginPattern(o);
    if (!p)
      throw badRequest(
        `origins[${i}] is not an http(s) origin or a *.domain wildcard (e.g. https://shop.example.com, *.example.com).`,
        'origins',
      );
    return p;
  });
  const limits = { rpm: req.rpm, concurrency: req.concurrency, daily_usd: req.daily_usd, window_s: req.window_s };
  const problem = limitsProblem(limits);
  if (problem) throw badRequest(problem);
  const { key, record } = await createKey(c.env, {
    type: req.type,
    name: req.name,
    origins,
    limits,
    ...(req.cache ? { cache: req.cache } : {}),
  });
  // The only time the key is ever shown.
  return c.json({ object: 'api_key', key, ...record }, 201);
});

type Counted = { requests_today: number; requests_total: number; last_used: number | null };
const NEVER: Counted = { requests_today: 0, requests_total: 0, last_used: null };

/** A key as listed: its record, today's spend (live from its counter, else the last snapshot) and its requests. */
async function withUsage(env: Env, r: KeyRecord, counted: Counted) {
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
    ...counted,
  };
}

/** Request counts from the console's store; none when it is unavailable (the keys still list). */
const countsOf = (env: Env) => keyUsage(env.USAGE, Date.now()).catch(() => new Map<string, Counted>());

adminRoutes.get('/keys', async (c) => {
  const [records, counts] = await Promise.all([listKeys(c.env), countsOf(c.env)]);
  return c.json({
    object: 'list',
    data: await Promise.all(records.map((r) => withUsage(c.env, r, counts.get(r.id) ?? NEVER))),
  });
});

adminRoutes.delete('/keys/:id', async (c) => {
  const record = await revokeKey(c.env, c.req.param('id'));
  if (!record) throw new ApiError(404, 'No key with that id.', 'not_found_error', 'key_not_found', 'id');
  return c.json({ object: 'api_key', ...record });
});

const KEY_FILTER = /^([0-9a-f]{16}|playground|dev|anonymous)$/;

function keyFilter(v: string | undefined): string | null {
  if (v === undefined || v === '') return null;
  if (!KEY_FILTER.test(v))
    throw badRequest('key must be a key id (16 hex characters), "playground", "dev" or "anonymous".', 'key');
  return v;
}

function consoleStore(env: Env): D1Database {
  if (!env.USAGE)
    throw new ApiError(
      503,
      'The console store (D1 binding USAGE) is not configured.',
      'server_error',
      'console_store_missing',
    );
  return env.USAGE;
}

adminRoutes.get('/usage', async (c) => {
  const range = c.req.query('range') ?? '24h';
  if (!Object.hasOwn(RANGES, range))
    throw badRequest(`range must be one of ${Object.keys(RANGES).join(', ')}.`, 'range');
  const report = await usageReport(consoleStore(c.env), range as RangeName, keyFilter(c.req.query('key')), Date.now());
  return c.json(report);
});

/** Labels for the counters that are not keys. */
const KEYLESS: Record<string, string> = {
  playground: 'playground',
  dev: 'sk-local-dev',
  anonymous: 'refused (no valid key)',
};

adminRoutes.get('/generations', async (c) => {
  const key = keyFilter(c.req.query('key')) ?? undefined;
  const status = c.req.query('status') || undefined;
  if (status !== undefined && status !== 'ok' && status !== 'error')
    throw badRequest('status must be "ok" or "error".', 'status');
  const limitText = c.req.query('limit') ?? '50';
  const beforeText = c.req.query('before');
  if (!/^\d{1,3}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > 200)
    throw badRequest('limit must be an integer from 1 to 200.', 'limit');
  if (beforeText !== undefined && !/^\d{1,15}$/.test(beforeText))
    throw badRequest("before must be a positive integer (a row's seq).", 'before');
  const origin = new URL(c.req.url).origin;
  const [rows, keys] = await Promise.all([
    recentGenerations(consoleStore(c.env), {
      key,
      status,
      limit: Number(limitText),
      before: beforeText ? Number(beforeText) : undefined,
    }),
    listKeys(c.env),
  ]);
  const names = new Map(keys.map((k) => [k.id, k.name]));
  // Prompts and images live only in the generation records; they are joined here.
  const records = await Promise.all(
    rows.map((r) => (r.generation_id ? getGenerationRecord(c.env, r.generation_id, origin).catch(() => null) : null)),
  );
  const data = rows.map((r, i) => {
    const rec = records[i];
    return {
      object: 'generation_request',
      seq: r.seq,
      at: r.at,
      key_id: r.key_id,
      key_name: names.get(r.key_id) ?? KEYLESS[r.key_id] ?? null,
      status: r.status,
      error_kind: r.error_kind,
      cache: r.cache,
      coalesced: Boolean(r.coalesced),
      provider: r.provider,
      generation_id: r.generation_id,
      images: r.images,
      cost_usd: fromNusd(r.cost_nusd),
      saved_usd: fromNusd(r.saved_nusd),
      ttfb_ms: r.ttfb_ms,
      total_ms: r.total_ms,
      prompt: rec ? rec.prompt.slice(0, 300) : null,
      thumbnail_url: rec?.images[0]?.url ?? null,
      share_url: rec ? rec.share_url : null,
      record_url: rec ? `${origin}/v1/generations/${rec.id}` : null,
    };
  });
  return c.json({
    object: 'list',
    data,
    next_before: rows.length === Number(limitText) ? rows[rows.length - 1].seq : null,
  });
});

export const statsRoutes = new Hono<AppEnv>();
statsRoutes.use('*', adminAuth());
statsRoutes.get('/', async (c) => c.json({ object: 'stats', ...(await statsStub(c.env).totals()) }));
