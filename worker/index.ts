// Darkroom: the Hono app. Routes are mounted here; everything else lives one folder down.
// One request, POST /v1/chat/completions: request context -> access -> routes/chat.ts
// (validate -> cache lookup -> generation -> stream pipeline -> answer).
import { Hono } from 'hono';
import { generationAccess, preflight } from './access/middleware';
import { dialectOf, errorBodyFor } from './answer/dialect';
import { errorResponse } from './answer/errors';
import type { AppEnv } from './env';
import { ApiError, toApiError } from './lib/errors';
import { recordReadLimit } from './access/read-limit';
import { bodyDeadline } from './middleware/body-deadline';
import { requestContext, requestIds } from './middleware/request-context';
import { securityHeaders } from './middleware/security-headers';
import { logLine } from './observability/log';
import { adminRoutes, statsRoutes } from './routes/admin';
import { adminPageRoutes } from './routes/admin-page';
import { chatRoutes } from './routes/chat';
import { docsRoutes } from './routes/docs';
import { embedRoutes } from './routes/embed';
import { generationRoutes } from './routes/generations';
import { imageRoutes } from './routes/images';
import { imagesApiRoutes } from './routes/images-api';
import { imagesEditsRoutes } from './routes/images-edits';
import { modelRoutes } from './routes/models';
import { playgroundRoutes } from './routes/playground';
import { openRouterGenerationRoutes, openRouterModelRoutes } from './routes/openrouter';
import { openRouterImagesRoutes } from './routes/openrouter-images';
import { shareRoutes } from './routes/share';
import { allowFor } from './routes/table';

export { GenerationCoordinator } from './generation/coordinator';
export { LimitCounter } from './access/limit-counter';
export { StatsCounter } from './observability/stats-counter';

const app = new Hono<AppEnv>();

app.use('*', requestIds(), requestContext(), securityHeaders(), bodyDeadline());
app.use('/v1/*', preflight());
app.use('/api/v1/*', preflight());
app.on('GET', ['/v1/generations/*', '/s/*', '/api/v1/generation'], recordReadLimit());
app.on(
  'POST',
  ['/v1/chat/completions', '/v1/images/generations', '/v1/images/edits', '/api/v1/chat/completions', '/api/v1/images'],
  generationAccess(),
);

app.route('/v1/chat/completions', chatRoutes);
app.route('/v1/images/generations', imagesApiRoutes);
app.route('/v1/images/edits', imagesEditsRoutes);
app.route('/v1/models', modelRoutes);
app.route('/v1/generations', generationRoutes);
app.route('/v1/admin', adminRoutes);
app.route('/v1/stats', statsRoutes);
app.route('/v1/playground', playgroundRoutes);
// OpenRouter's dialect: the same handlers, rendered in its shapes (worker/answer/dialect.ts).
app.route('/api/v1/chat/completions', chatRoutes);
app.route('/api/v1/models', openRouterModelRoutes);
app.route('/api/v1/generation', openRouterGenerationRoutes);
app.route('/api/v1/images', openRouterImagesRoutes);
app.route('/i', imageRoutes);
app.route('/s', shareRoutes);
app.route('/embed', embedRoutes);
app.route('/admin', adminPageRoutes);
app.route('/', docsRoutes);
app.get('/healthz', (c) => c.json({ ok: true }));

/** An error answered as HTTP, in the body of the dialect the path speaks. */
const errorAnswer = (path: string, err: ApiError) =>
  errorResponse(err.toStreamError(), {}, errorBodyFor(dialectOf(path)));

// A path of worker/routes/table.ts with a method it does not answer is a 405, not a 404.
app.notFound((c) => {
  const path = new URL(c.req.url).pathname;
  const allow = allowFor(path);
  if (allow) {
    return errorAnswer(
      path,
      new ApiError(
        405,
        `Method ${c.req.method} is not allowed on ${path}; use ${allow}.`,
        'invalid_request_error',
        'method_not_allowed',
        null,
        { allow },
      ),
    );
  }
  return errorAnswer(
    path,
    new ApiError(404, `Unknown route: ${c.req.method} ${path}`, 'not_found_error', 'unknown_route'),
  );
});

app.onError((err, c) => {
  const api = toApiError(err);
  if (!(err instanceof ApiError)) {
    logLine({
      level: 'error',
      request_id: c.get('requestId'),
      msg: 'unhandled error',
      error: String((err as Error)?.stack ?? err),
    });
  }
  return errorAnswer(new URL(c.req.url).pathname, api);
});

export default app;
