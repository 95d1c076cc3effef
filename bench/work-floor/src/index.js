// The "work floor" Worker: the floor (bench/floor) plus the storage round trips that every
// Darkroom generation must make, done in the simplest way, and no other code.
// Under the same `wrangler dev` its ratio to the floor is what that work alone costs here, so a
// target below it cannot be met by any gateway that keeps Darkroom's guarantees:
// - a limit is taken before the upstream is called (spend and concurrency need a Durable Object
//   round trip on the critical path: the upstream bills for a request the moment it starts);
// - the request body is parsed (validation) before it is forwarded;
// - every image is decoded, hashed (content address) and written to R2 before an answer refers
//   to it by our URL; a stream sends the upstream's bytes as they arrive, then our URL in a
//   following event, then [DONE];
// - after the answer: the generation record in KV and the lease's release (waitUntil).
// A stream's image is decoded from the whole answer at its end, the simplest way: a floor for the
// small-image stream and the JSON answer, not for a big streamed image (Darkroom relays it as it
// arrives, which is cheaper), so the bench leaves it out of the realistic cell.
// Not counted here, because it is Darkroom's own code to make cheaper: the answer layer, event
// parsing and rendering, the cache key, logging, usage and stats.
// WORK_FLOOR_SKIP (e.g. "lease record") leaves pieces out, to measure what each one costs
// (bench/profile.mjs with PROFILE_TOML=bench/work-floor/wrangler.toml PROFILE_VARS=...).
import { DurableObject } from 'cloudflare:workers';
import { Hono } from 'hono';
// Darkroom's own byte helpers: the work floor's cost should differ from Darkroom's by our code, not by these.
import { concatBytes as concat, fromBase64, sha256Hex } from '../../../worker/lib/bytes.ts';

/** One counter per key, like Darkroom's LimitCounter: kept in memory, persisted without waiting. */
export class Lease extends DurableObject {
  active = 0;
  acquire() {
    this.active++;
    void this.ctx.storage.put('active', this.active);
    return { ok: true, lease: crypto.randomUUID() };
  }
  release() {
    this.active = Math.max(0, this.active - 1);
    void this.ctx.storage.put('active', this.active);
  }
}

const DONE = new TextEncoder().encode('data: [DONE]\n\n');

/** Decodes, hashes and stores the first image in `text`; returns its URL, or null without one. */
async function storeImage(env, text, origin) {
  if (skips(env, 'store')) return null;
  // String indexOf (memchr), not a regex: a regex walks megabytes of base64 one char at a time.
  const at = text.indexOf('data:image/');
  if (at < 0) return null;
  const b64At = text.indexOf(';base64,', at) + 8;
  const bytes = fromBase64(text.slice(b64At, text.indexOf('"', b64At)));
  const key = `i/${await sha256Hex(bytes)}.png`;
  await env.IMAGES.put(key, bytes, { httpMetadata: { contentType: text.slice(at + 5, b64At - 8) } });
  return `${origin}/${key}`;
}

function afterAnswer(c, lease, id, url) {
  c.executionCtx.waitUntil(
    Promise.all([
      skips(c.env, 'record') ? null : c.env.RECORDS.put(`g:${id}`, JSON.stringify({ id, images: url ? [url] : [] })),
      lease?.release(),
    ]),
  );
}

const skips = (env, piece) => (env.WORK_FLOOR_SKIP ?? '').split(/[\s,]+/).includes(piece);

const app = new Hono();

app.post('/v1/chat/completions', async (c) => {
  const env = c.env;
  const body = await c.req.json();
  const lease = skips(env, 'lease') ? null : env.LEASES.get(env.LEASES.idFromName('key:bench'));
  await lease?.acquire();
  const id = crypto.randomUUID();
  const origin = new URL(c.req.url).origin;
  const upstream = await fetch(`${env.UPSTREAM_BASE_URL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: c.req.header('authorization') ?? '' },
    body: JSON.stringify(body),
  });
  if (!body.stream) {
    const text = await upstream.text();
    const url = await storeImage(env, text, origin);
    afterAnswer(c, lease, id, url);
    return new Response(text, { status: upstream.status, headers: upstream.headers });
  }
  // Forward every byte as it arrives, except the closing [DONE], which must follow our URL.
  const seen = [];
  let held = new Uint8Array(0);
  const relay = new TransformStream({
    transform(chunk, out) {
      seen.push(chunk);
      const all = held.length ? concat([held, chunk]) : chunk;
      const keep = Math.min(DONE.length, all.length);
      if (all.length > keep) out.enqueue(all.subarray(0, all.length - keep));
      held = all.slice(all.length - keep);
    },
    async flush(out) {
      const url = await storeImage(env, new TextDecoder().decode(concat(seen)), origin);
      if (!sameBytes(held, DONE)) out.enqueue(held);
      if (url)
        out.enqueue(new TextEncoder().encode(`data: ${JSON.stringify({ darkroom: { images: [{ url }] } })}\n\n`));
      out.enqueue(DONE);
      afterAnswer(c, lease, id, url);
    },
  });
  return new Response(upstream.body.pipeThrough(relay), { status: upstream.status, headers: upstream.headers });
});

const sameBytes = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

export default app;
