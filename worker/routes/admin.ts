// Admin API (ADMIN_TOKEN): create, list and revoke keys; GET /v1/stats totals.
import { Hono } from 'hono';
import { z } from 'zod';
import { adminAuth } from '../access/admin-auth';
import { createKey, listKeys, revokeKey } from '../access/keys';
import { isValidOriginPattern, normaliseOrigin } from '../access/origins';
import type { AppEnv } from '../env';
import { ApiError, badRequest } from '../lib/errors';
import { readJsonBody, validate } from '../lib/request-body';
import { statsStub } from '../observability/stats';

export const CreateKeyRequest = z
  .strictObject({
    type: z.enum(['secret', 'publishable']),
    name: z.string().min(1).max(100),
    origins: z.array(z.string().max(300)).max(100).optional(),
    rpm: z.number().int().min(1).max(1_000_000).optional(),
    concurrency: z.number().int().min(1).max(10_000).optional(),
    daily_usd: z.number().min(0).max(1_000_000).optional(),
  })
  .superRefine((r, ctx) => {
    if (r.type === 'publishable' && !r.origins?.length) {
      ctx.addIssue({ code: 'custom', path: ['origins'], message: 'a publishable key needs at least one origin' });
    }
    if (r.type === 'secret' && r.origins) ctx.addIssue({ code: 'custom', path: ['origins'], message: 'secret keys have no origins' });
  });

export const adminRoutes = new Hono<AppEnv>();
adminRoutes.use('*', adminAuth());

adminRoutes.post('/keys', async (c) => {
  const req = validate(CreateKeyRequest, await readJsonBody(c.req.raw, 64 * 1024));
  const origins = (req.origins ?? []).map((o) => {
    if (!isValidOriginPattern(o)) throw badRequest(`'${o}' is not an origin or a *.domain wildcard.`, 'origins');
    return normaliseOrigin(o) ?? o.trim().toLowerCase();
  });
  const limits = Object.fromEntries(
    Object.entries({ rpm: req.rpm, concurrency: req.concurrency, daily_usd: req.daily_usd }).filter(([, v]) => v !== undefined),
  );
  const { key, record } = await createKey(c.env, { type: req.type, name: req.name, origins, limits });
  return c.json({ object: 'api_key', key, ...record }, 201);
});

adminRoutes.get('/keys', async (c) => c.json({ object: 'list', data: await listKeys(c.env) }));

adminRoutes.delete('/keys/:id', async (c) => {
  const record = await revokeKey(c.env, c.req.param('id'));
  if (!record) throw new ApiError(404, 'No key with that id.', 'not_found_error', 'key_not_found', 'id');
  return c.json({ object: 'api_key', ...record });
});

export const statsRoutes = new Hono<AppEnv>();
statsRoutes.use('*', adminAuth());
statsRoutes.get('/', async (c) => c.json({ object: 'stats', ...(await statsStub(c.env).totals()) }));
