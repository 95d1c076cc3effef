// Every route the Worker answers, declared once: method, path (OpenAPI style, `{param}`) and
// operation id. From this list: the 405 answers (allowFor), the OpenAPI document (its prose is
// keyed by operationId in worker/openapi/document.ts, a type error if one is missing; the
// console's pages are not in it), and the checks that the Hono app mounts exactly these routes
// and that wrangler.toml's run_worker_first sends every one of them to the Worker
// (tests/worker/routes.test.ts).

export interface RouteDecl {
  method: 'get' | 'post' | 'delete';
  path: string;
  operationId: string;
  /** Also answers HEAD (like GET, without the body). */
  head?: boolean;
  /** Answers CORS preflights (browsers call it from other origins). */
  cors?: boolean;
  /** The last path parameter may hold slashes (`/v1/models/openai/gpt-5.4-image-2`). */
  restParam?: boolean;
  /**
   * The operator console's pages (worker/routes/admin-page.ts): HTML for a browser, not in the
   * API document; the console's own catch-all answers other methods and paths under /admin (404).
   */
  console?: boolean;
}

export const ROUTES = [
  { method: 'post', path: '/v1/chat/completions', operationId: 'createChatCompletion', cors: true },
  { method: 'post', path: '/v1/images/generations', operationId: 'createImage', cors: true },
  { method: 'post', path: '/v1/images/edits', operationId: 'createImageEdit', cors: true },
  { method: 'get', path: '/v1/generations/{id}', operationId: 'getGeneration' },
  { method: 'get', path: '/v1/models', operationId: 'listModels' },
  { method: 'get', path: '/v1/models/{model}', operationId: 'retrieveModel', restParam: true },
  { method: 'post', path: '/api/v1/chat/completions', operationId: 'createOpenRouterChatCompletion', cors: true },
  { method: 'post', path: '/api/v1/images', operationId: 'createOpenRouterImage', cors: true },
  { method: 'get', path: '/api/v1/models', operationId: 'listOpenRouterModels' },
  { method: 'get', path: '/api/v1/generation', operationId: 'getOpenRouterGeneration' },
  { method: 'get', path: '/i/{name}', operationId: 'getImage', head: true },
  { method: 'get', path: '/i/{sha256}/{variant}', operationId: 'getImageVariant', head: true },
  { method: 'get', path: '/s/{id}', operationId: 'sharePage' },
  { method: 'get', path: '/embed', operationId: 'embedPage' },
  { method: 'get', path: '/v1/playground', operationId: 'playgroundMode' },
  { method: 'post', path: '/v1/playground/session', operationId: 'playgroundSession' },
  { method: 'get', path: '/admin', operationId: 'consolePage', console: true },
  { method: 'get', path: '/admin/assets/{file}', operationId: 'consoleAsset', console: true },
  { method: 'post', path: '/admin/sign-in', operationId: 'consoleSignIn', console: true },
  { method: 'post', path: '/admin/sign-out', operationId: 'consoleSignOut', console: true },
  { method: 'post', path: '/v1/admin/keys', operationId: 'createKey' },
  { method: 'get', path: '/v1/admin/keys', operationId: 'listKeys' },
  { method: 'delete', path: '/v1/admin/keys/{id}', operationId: 'revokeKey' },
  { method: 'get', path: '/v1/admin/usage', operationId: 'getUsage' },
  { method: 'get', path: '/v1/admin/generations', operationId: 'listRecentGenerations' },
  { method: 'get', path: '/v1/stats', operationId: 'getStats' },
  { method: 'get', path: '/healthz', operationId: 'health' },
  { method: 'get', path: '/openapi.json', operationId: 'openApiDocument' },
  { method: 'get', path: '/docs', operationId: 'docsPage' },
] as const satisfies readonly RouteDecl[];

/** A route's path as a pattern (a trailing slash is the same path). */
export function pathPattern(r: RouteDecl): RegExp {
  const parts = r.path.split(/\{[^}]+\}/).map((s) => s.replace(/[.*+?^$()|[\]\\]/g, '\\$&'));
  const params = r.path.match(/\{[^}]+\}/g) ?? [];
  const body = parts
    .map((p, i) => p + (i < params.length ? (r.restParam && i === params.length - 1 ? '.+' : '[^/]+') : ''))
    .join('');
  return new RegExp(`^${body}/?$`);
}

type Route = (typeof ROUTES)[number];
/** The routes of the API document and its 405 answers: all but the console's pages. */
export const API_ROUTES = ROUTES.filter((r): r is Exclude<Route, { console: true }> => !('console' in r));
export type OperationId = (typeof API_ROUTES)[number]['operationId'];

const byPath = (() => {
  const groups = new Map<string, { re: RegExp; methods: Set<string> }>();
  for (const r of API_ROUTES as readonly RouteDecl[]) {
    const g = groups.get(r.path) ?? { re: pathPattern(r), methods: new Set<string>() };
    g.methods.add(r.method.toUpperCase());
    if (r.head) g.methods.add('HEAD');
    if (r.cors) g.methods.add('OPTIONS');
    groups.set(r.path, g);
  }
  const order = ['GET', 'HEAD', 'POST', 'DELETE', 'OPTIONS'];
  return [...groups.values()].map((g) => ({ re: g.re, allow: order.filter((m) => g.methods.has(m)).join(', ') }));
})();

/** The methods a known path answers (the Allow header of its 405), or undefined for an unknown path. */
export function allowFor(path: string): string | undefined {
  return byPath.find((g) => g.re.test(path))?.allow;
}
