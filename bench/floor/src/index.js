// The "floor" Worker: Hono on workerd that forwards the request body to the upstream with fetch
// and streams the upstream's answer back unchanged. Any Hono-on-workerd gateway does at least
// this much work, so under the same `wrangler dev` it is the floor for Darkroom. Same code as
// /work/shared/bench-peers/floor-worker.mjs, except that UPSTREAM_BASE_URL already ends in /v1
// (the variable Darkroom reads), so both are configured the same way.
import { Hono } from 'hono';

const app = new Hono();

app.post('/v1/chat/completions', async (c) => {
  const upstream = await fetch(`${c.env.UPSTREAM_BASE_URL}/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': c.req.header('content-type') ?? 'application/json',
      authorization: c.req.header('authorization') ?? '',
    },
    body: c.req.raw.body,
  });
  return new Response(upstream.body, { status: upstream.status, headers: upstream.headers });
});

export default app;
