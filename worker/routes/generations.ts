// GET /v1/generations/:id: a past generation's record (share pages and history use it).
import { Hono } from 'hono';
import type { AppEnv } from '../env';
import { ApiError } from '../lib/errors';
import { getGenerationRecord } from '../storage/records';

export const generationRoutes = new Hono<AppEnv>();

generationRoutes.get('/:id', async (c) => {
  const record = await getGenerationRecord(c.env, c.req.param('id'), new URL(c.req.url).origin);
  if (!record) throw new ApiError(404, 'No generation with that id.', 'not_found_error', 'generation_not_found', 'id');
  return c.json(record, 200, { 'cache-control': 'public, max-age=60' });
});
