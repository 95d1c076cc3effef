// The "static" Worker: the floor for cache hits. Hono on workerd answering every chat request
// with one fixed body held in memory: what a cache hit would cost if the answer were already in
// the isolate. bench/run.mjs loads it with Darkroom's own cache-hit answer (same bytes, same
// content type) through POST /__body before the hit cells; until then chat requests get 503.
import { Hono } from 'hono';

const app = new Hono();
let body = null;
let contentType = 'application/octet-stream';

app.post('/__body', async (c) => {
  body = new Uint8Array(await c.req.arrayBuffer());
  contentType = c.req.header('x-answer-content-type') ?? contentType;
  return c.text(`stored ${body.byteLength} bytes`);
});

app.post('/v1/chat/completions', () =>
  body
    ? new Response(body, { headers: { 'content-type': contentType } })
    : new Response('no body loaded', { status: 503 }),
);

export default app;
