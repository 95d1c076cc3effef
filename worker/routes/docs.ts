// GET /openapi.json and GET /docs (filled in by the docs work; see routes/openapi.ts).
import { Hono } from 'hono';
import type { AppEnv } from '../env';

export const docsRoutes = new Hono<AppEnv>();
