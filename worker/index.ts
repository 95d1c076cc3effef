// Darkroom: the Hono app. Routes are mounted here; everything else lives one folder down.
// One request, POST /v1/chat/completions: request context -> access -> routes/chat.ts
// (validate -> cache lookup -> generation -> stream pipeline -> answer).
import { Hono } from 'hono';
import { generationAccess, preflight } from './access/middleware';
import type { AppEnv } from './env';
import { ApiError, toApiError } from './lib/errors';
import { requestContext } from './middleware/request-context';
import { securityHeaders } from './middleware/security-headers';
import { logLine } from './observability/log';
import { adminRoutes, statsRoutes } from './routes/admin';
import { chatRoutes } from './routes/chat';
import { docsRoutes } from './routes/docs';
import { embedRoutes } from './routes/embed';
import { generationRoutes } from './routes/generations';
import { imageRoutes } from './routes/images';
import { imagesApiRoutes } from './routes/images-api';
import { imagesEditsRoutes } from './routes/images-edits';
import { modelRoutes } from './routes/models';
import { shareRoutes } from './routes/share';

export { GenerationCoordinator } from './generation/coordinator';
export { LimitCounter } from './access/limit-counter';
export { StatsCounter } from './observability/stats-counter';

const app = new Hono<AppEnv>();

app.use('*', requestContext(), securityHeaders());
app.use('/v1/*', preflight());
app.on('POST', ['/v1/chat/completions', '/v1/images/generations', '/v1/images/edits'], generationAccess());

app.route('/v1/chat/completions', chatRoutes);
app.route('/v1/images/generations', imagesApiRoutes);
app.route('/v1/images/edits', imagesEditsRoutes);
app.route('/v1/models', modelRoutes);
app.route('/v1/generations', generationRoutes);
app.route('/v1/admin', adminRoutes);
app.route('/v1/stats', statsRoutes);
app.route('/i', imageRoutes);
app.route('/s', shareRoutes);
app.route('/embed', embedRoutes);
app.route('/', docsRoutes);
app.get('/healthz', (c) => c.json({ ok: true }));

/** Paths that exist, with their methods: a wrong method is a 405, not a 404. */
const KNOWN: [RegExp, string][] = [
  [/^\/v1\/chat\/completions\/?$/, 'POST, OPTIONS'],
  [/^\/v1\/images\/generations\/?$/, 'POST, OPTIONS'],
  [/^\/v1\/images\/edits\/?$/, 'POST, OPTIONS'],
  [/^\/v1\/models(\/.*)?$/, 'GET'],
  [/^\/v1\/generations\/[^/]+$/, 'GET'],
  [/^\/v1\/stats\/?$/, 'GET'],
  [/^\/v1\/admin\/keys\/?$/, 'GET, POST'],
  [/^\/v1\/admin\/keys\/[^/]+$/, 'DELETE'],
  [/^\/i\/[^/]+$/, 'GET, HEAD'],
  [/^\/healthz$/, 'GET'],
  [/^\/openapi\.json$/, 'GET'],
  [/^\/docs$/, 'GET'],
];

app.notFound((c) => {
  const path = new URL(c.req.url).pathname;
  const allow = KNOWN.find(([re]) => re.test(path))?.[1];
  if (allow) {
    return new ApiError(405, `Method ${c.req.method} is not allowed on ${path}; use ${allow}.`, 'invalid_request_error', 'method_not_allowed', null, { allow }).toResponse();
  }
  return new ApiError(404, `Unknown route: ${c.req.method} ${path}`, 'not_found_error', 'unknown_route').toResponse();
});

app.onError((err, c) => {
  const api = toApiError(err);
  if (!(err instanceof ApiError)) {
    logLine({ level: 'error', request_id: c.get('requestId'), msg: 'unhandled error', error: String((err as Error)?.stack ?? err) });
  }
  return api.toResponse();
});

export default app;
