// GET /openapi.json (OpenAPI 3.1 generated from the request schemas) and GET /docs (the same
// document as a readable page with curl, TypeScript and Python examples).
import { Hono } from 'hono';
import type { AppEnv } from '../env';
import { isDevelopment } from '../access/principal';
// Generated at build time from the request schemas (scripts/build-openapi.mjs); a test fails if stale.
import document from '../openapi/openapi.json';
import { docsPage } from '../openapi/page';

type Json = Record<string, unknown>;
const openApiDocument = (origin: string): Json => ({ ...(document as Json), servers: [{ url: origin }] });

export const docsRoutes = new Hono<AppEnv>();

docsRoutes.get('/openapi.json', (c) =>
  c.json(openApiDocument(new URL(c.req.url).origin), 200, {
    'access-control-allow-origin': '*',
    'cache-control': 'public, max-age=300',
  }),
);

docsRoutes.get('/docs', (c) => {
  const origin = new URL(c.req.url).origin;
  // Locally the examples run as written with the development key; elsewhere they read a variable.
  const key = isDevelopment(c.env) ? 'sk-local-dev' : '$DARKROOM_API_KEY';
  return c.html(docsPage(openApiDocument(origin), origin, key), 200, { 'cache-control': 'public, max-age=300' });
});
