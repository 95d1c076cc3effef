// One route table (worker/routes/table.ts): the Hono app mounts exactly its routes, every other
// method on its API paths is a 405 with the derived Allow header (in the path's dialect), the
// OpenAPI document has exactly its API operations, and wrangler.toml's run_worker_first sends
// every one of them to the Worker.
/// <reference types="vite/client" />
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import app from '../../worker/index';
import committed from '../../worker/openapi/openapi.json';
import { allowFor, API_ROUTES, pathPattern, ROUTES, type RouteDecl } from '../../worker/routes/table';
import wrangler from '../../wrangler.toml?raw';
import { call } from './helpers';

const routes = ROUTES as readonly RouteDecl[];
const apiRoutes = API_ROUTES as readonly RouteDecl[];
/** `/v1/models/:id{.+}` and `/v1/models/{model}` both become `/v1/models/{}`. */
const shape = (path: string) => path.replace(/:[A-Za-z_]+(\{[^}]*\})?|\{[^}]+\}/g, '{}').replace(/(.)\/$/, '$1');
const example = (path: string) => path.replace(/\{[^}]+\}/g, 'x');

describe('the route table', () => {
  it('is what the Hono app mounts, no more and no less', () => {
    // Middleware (app.use, or app.on with a method) is not a route: it takes `next`, a handler does not.
    const mounted = new Set(
      app.routes
        .filter((r) => r.method !== 'ALL' && r.method !== 'OPTIONS' && r.handler.length < 2)
        .map((r) => `${r.method} ${shape(r.path)}`),
    );
    const declared = new Set(
      routes.flatMap((r) => [
        `${r.method.toUpperCase()} ${shape(r.path)}`,
        ...(r.head ? [`HEAD ${shape(r.path)}`] : []),
      ]),
    );
    expect([...mounted].sort()).toEqual([...declared].sort());
  });

  it("answers every other method on its API paths with a 405 and the derived Allow header, in the path's dialect", async () => {
    for (const r of apiRoutes) {
      const path = example(r.path);
      // Admin routes authenticate first (a wrong method without the token is a 401).
      const key = path.startsWith('/v1/admin') || path === '/v1/stats' ? (env.ADMIN_TOKEN as string) : null;
      const a = await call(path, { method: 'PUT', key });
      expect(a.res.status, `PUT ${path}`).toBe(405);
      expect(a.res.headers.get('allow')).toBe(allowFor(path));
      expect(a.res.headers.get('allow')).toContain(r.method.toUpperCase());
      if (path.startsWith('/api/v1/'))
        expect(a.json.error, path).toMatchObject({ code: 405, metadata: { error_type: 'method_not_allowed' } });
      else expect(a.json.error, path).toMatchObject({ type: 'invalid_request_error', code: 'method_not_allowed' });
    }
    expect(allowFor('/v1/chat/completions')).toBe('POST, OPTIONS');
    expect(allowFor('/i/abc.png')).toBe('GET, HEAD');
    expect(allowFor('/v1/admin/keys')).toBe('GET, POST');
    expect(allowFor('/i/abc/w512.webp')).toBe('GET, HEAD');
    expect(allowFor('/api/v1/chat/completions')).toBe('POST, OPTIONS');
    expect(allowFor('/v1/nothing')).toBeUndefined();
  });

  it('leaves the console pages to the console: another method there is its plain 404, not API JSON', async () => {
    const consoleRoutes = routes.filter((r) => r.console);
    expect(consoleRoutes.length).toBeGreaterThan(0);
    for (const r of consoleRoutes) {
      expect(allowFor(example(r.path)), r.path).toBeUndefined();
      const a = await call(example(r.path), { method: 'PUT' });
      expect(a.res.status, `PUT ${r.path}`).toBe(404);
      expect(a.res.headers.get('content-type')).toContain('text/plain');
    }
  });

  it('is the OpenAPI document, operation for operation', () => {
    const doc = committed as unknown as { paths: Record<string, Record<string, { operationId?: string }>> };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([m, op]) => `${m} ${path} ${op.operationId}`),
    );
    expect(documented.sort()).toEqual(apiRoutes.map((r) => `${r.method} ${r.path} ${r.operationId}`).sort());
  });

  it('is sent to the Worker by run_worker_first, and every pattern there is needed', () => {
    const list = /run_worker_first\s*=\s*\[([^\]]*)\]/.exec(wrangler)?.[1] ?? '';
    const patterns = [...list.matchAll(/"([^"]+)"/g)].map((m) => m[1]);
    expect(patterns.length).toBeGreaterThan(0);
    const covers = (p: string, path: string) => (p.endsWith('/*') ? path.startsWith(p.slice(0, -1)) : path === p);
    for (const r of routes)
      expect(
        patterns.some((p) => covers(p, example(r.path))),
        `${r.path} is not in run_worker_first`,
      ).toBe(true);
    for (const p of patterns) {
      expect(
        routes.some((r) => covers(p, example(r.path))),
        `${p} in run_worker_first serves no route`,
      ).toBe(true);
    }
  });

  it('matches paths as Hono does: parameters, trailing slashes, rest parameters', () => {
    const models = routes.find((r) => r.operationId === 'retrieveModel')!;
    expect(pathPattern(models).test('/v1/models/openai/gpt-5.4-image-2')).toBe(true);
    const gen = routes.find((r) => r.operationId === 'getGeneration')!;
    expect(pathPattern(gen).test('/v1/generations/abc')).toBe(true);
    expect(pathPattern(gen).test('/v1/generations/abc/def')).toBe(false);
  });
});
