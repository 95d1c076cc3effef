// A development stub of the API, used only while building the site before worker/index.ts existed
// (`npx wrangler dev -c tests/e2e/stub/wrangler.toml`). The e2e tests never use it: they run
// against the real `npm start`. It serves the real share and embed routes, a slow streamed chat
// completion (so the progress UI can be looked at), and images from R2.
import { Hono } from 'hono';
import type { AppEnv } from '../../../worker/env';
import { shareRoutes } from '../../../worker/routes/share';
import { embedRoutes } from '../../../worker/routes/embed';
import { putGenerationRecord } from '../../../worker/storage/records';
import { encodePng, paintScene } from '../../../worker/providers/demo/png';
import { dimensionsFor } from '../../../shared/model';

const app = new Hono<AppEnv>();
app.get('/healthz', (c) => c.text('ok'));
app.route('/s', shareRoutes);
app.route('/embed', embedRoutes);
app.get('/i/:key', async (c) => {
  const obj = await c.env.IMAGES.get(c.req.param('key'));
  return obj ? new Response(obj.body, { headers: { 'content-type': 'image/png' } }) : c.notFound();
});
app.post('/v1/chat/completions', async (c) => {
  const body = await c.req.json();
  const prompt = String(body.messages?.at(-1)?.content ?? '');
  if (!prompt.trim()) return c.json({ error: { message: 'messages must include a user prompt', type: 'invalid_request_error', param: 'messages', code: null } }, 400);
  if (prompt.includes('ratelimit')) {
    return c.json({ error: { message: 'Rate limit exceeded', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' } }, 429, { 'retry-after': '42' });
  }
  const seed = Number(body.seed ?? 0);
  const ratio = body.image_config?.aspect_ratio ?? '1:1';
  const { width, height } = dimensionsFor(ratio, 512);
  const png = await encodePng(width, height, paintScene(width, height, prompt, seed));
  const sha = [...new Uint8Array(await crypto.subtle.digest('SHA-256', png))].map((b) => b.toString(16).padStart(2, '0')).join('');
  const key = `${sha}.png`;
  const id = sha.slice(0, 16);
  const origin = new URL(c.req.url).origin;
  const cached = (await c.env.IMAGES.head(key)) !== null;
  await c.env.IMAGES.put(key, png);
  const text = `Stub: a picture of “${prompt.slice(0, 80)}”, seed ${seed}.`;
  await putGenerationRecord(c.env, {
    id, created: Math.floor(Date.now() / 1000), model: body.model, provider: 'demo', prompt, seed, aspect_ratio: ratio, text,
    images: [{ key, sha256: sha, content_type: 'image/png', bytes: png.length, width, height } as never],
    usage: { prompt_tokens: 10, completion_tokens: 1300, total_tokens: 1310, cost: 0.02 } as never,
  });
  const delay = cached ? 0 : Number(c.env.STUB_DELAY_MS ?? 300);
  const enc = new TextEncoder();
  const meta = { generation_id: id, share_url: `${origin}/s/${id}`, provider: 'demo', cache: cached ? 'HIT' : 'MISS' };
  const stream = new ReadableStream({
    async start(ctl) {
      const send = (o: object) => ctl.enqueue(enc.encode(`data: ${JSON.stringify(o)}\n\n`));
      send({ object: 'chat.completion.chunk', darkroom: meta, choices: [{ index: 0, delta: { role: 'assistant' } }] });
      for (const w of text.split(/(?<= )/)) {
        await new Promise((r) => setTimeout(r, delay));
        send({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: w } }] });
      }
      await new Promise((r) => setTimeout(r, delay * 10));
      const url = `${origin}/i/${key}`;
      send({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { images: [{ type: 'image_url', image_url: { url }, darkroom: { url, sha256: sha, content_type: 'image/png', bytes: png.length, width, height } }] }, finish_reason: 'stop' }], usage: { cost: 0.02 } });
      ctl.enqueue(enc.encode('data: [DONE]\n\n'));
      ctl.close();
    },
  });
  return new Response(stream, {
    headers: { 'content-type': 'text/event-stream', 'x-cache': meta.cache, 'x-darkroom-provider': 'demo', 'x-darkroom-generation': id, 'x-darkroom-share-url': meta.share_url, ...(cached ? { 'x-cache-age': '12' } : {}) },
  });
});
app.get('/v1/generations/:id', async (c) => c.json({ error: { message: 'stub', type: 'not_found', param: null, code: null } }, 404));

export default app;
