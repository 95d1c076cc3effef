#!/usr/bin/env node
// Load test: N concurrent streaming generations with multi-megabyte images through Darkroom,
// on loopback only, bounded in count and time. Starts (and stops, by PID) a local fake upstream
// and `wrangler dev`, or uses --url to aim at a server you started yourself.
//
//   node scripts/load.mjs [--n 200] [--image-size 2048] [--disconnect 0.1] [--seeded 0.25]
//                         [--chunk-delay 250] [--timeout 300] [--port 8799] [--upstream-port 18099]
//                         [--url http://127.0.0.1:8787 --upstream-url http://127.0.0.1:18080] [--log file]
//
// Every request streams (`stream: true`) a unique prompt. A fraction (--seeded) is seeded, so
// it runs in the coalescing Durable Object and must land in the cache; a fraction
// (--disconnect) of clients hang up after their first chunk. Checks:
//   - every kept stream ends in [DONE] with one image whose bytes hash to darkroom.sha256;
//   - disconnected seeded generations still finish: the same request afterwards is a HIT;
//   - disconnected unseeded generations are cancelled upstream, and no upstream answer is left
//     in flight (fake upstream /stats);
//   - no "Uncaught"/"unhandled" line in wrangler's output;
//   - workerd's peak RSS (sum over the workerd processes, sampled from /proc every 100 ms).
// Exits non-zero when a check fails.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readArgs } from './lib/args.mjs';
import { children } from './lib/children.mjs';
import { startFrozenDev } from './lib/dev-server.mjs';

const string = { type: 'string' };
const { values: args } = readArgs('load', process.argv.slice(2), {
  n: string,
  'image-size': string,
  disconnect: string,
  seeded: string,
  'chunk-delay': string,
  timeout: string,
  port: string,
  'upstream-port': string,
  url: string,
  'upstream-url': string,
  key: string,
  log: string,
  'log-level': string,
});
const N = Math.min(2000, Number(args.n ?? 200));
const IMAGE_SIZE = String(args['image-size'] ?? 2048);
const DISCONNECT = Number(args.disconnect ?? 0.1);
const SEEDED = Number(args.seeded ?? 0.25);
// Delay before each upstream SSE chunk: > 0 makes the answer last long enough for a client's
// disconnect to reach the upstream (the fake upstream then counts it as aborted).
const CHUNK_DELAY = Number(args['chunk-delay'] ?? 1000);
const TIMEOUT_S = Math.min(1800, Number(args.timeout ?? 300));
const PORT = Number(args.port ?? 8799);
const UP_PORT = Number(args['upstream-port'] ?? 18099);
const KEY = args.key ?? 'sk-local-dev';
const procs = children();
const { start, stopAll, waitFor } = procs;
const RUN = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
let finished = 0;

/** All workerd processes under our wrangler (or every workerd with --url). */
function workerdPids(rootPid) {
  const children = new Map();
  const names = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      names.set(Number(d), stat.slice(stat.indexOf('(') + 1, close));
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(d));
    } catch {}
  }
  if (!rootPid) return [...names].filter(([, n]) => n.includes('workerd')).map(([p]) => p);
  const out = [];
  const stack = [rootPid];
  while (stack.length) {
    const p = stack.pop();
    if (names.get(p)?.includes('workerd')) out.push(p);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}

function rssKb(pids) {
  let total = 0;
  for (const p of pids) {
    try {
      total += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {}
  }
  return total;
}

const pct = (xs, p) =>
  xs.length ? xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] : NaN;

async function one(base, i, plan) {
  // One prompt and seed for all: the fake upstream encodes its PNG once (a 2048 px PNG costs it
  // ~0.5 s of its single thread), so the figures measure the gateway. Seeded requests still get
  // distinct cache keys (and their own Durable Object) through a distinct frequency_penalty.
  const body = {
    messages: [{ role: 'user', content: `load test ${RUN}` }],
    stream: true,
    ...(plan.seeded ? { seed: 42, frequency_penalty: Number((i / N).toFixed(6)) } : {}),
  };
  const t0 = performance.now();
  const ac = new AbortController();
  const r = { i, ...plan, ok: false, ttfb: NaN, ms: NaN, bytes: 0, body, error: '' };
  try {
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: ac.signal,
    });
    r.status = res.status;
    if (res.status !== 200) {
      r.error = `HTTP ${res.status} ${(await res.text()).slice(0, 200)}`;
      return r;
    }
    const reader = res.body.getReader();
    const parts = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (Number.isNaN(r.ttfb)) r.ttfb = performance.now() - t0;
      r.bytes += value.byteLength;
      if (plan.disconnect) {
        await reader.cancel();
        ac.abort();
        r.ok = true;
        r.ms = performance.now() - t0;
        return r;
      }
      parts.push(value);
    }
    r.ms = performance.now() - t0;
    const text = Buffer.concat(parts).toString('utf8');
    const events = text
      .split('\n\n')
      .filter((e) => e.startsWith('data: '))
      .map((e) => e.slice(6));
    if (events.at(-1) !== '[DONE]') throw new Error(`no [DONE]; last: ${events.at(-1)?.slice(0, 200)}`);
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    const images = chunks.flatMap((c) => c.choices?.[0]?.delta?.images ?? []);
    if (images.length !== 1) throw new Error(`${images.length} images`);
    const [img] = images;
    const bytes = Buffer.from(img.image_url.url.slice(img.image_url.url.indexOf(',') + 1), 'base64');
    const sha = createHash('sha256').update(bytes).digest('hex');
    if (sha !== img.darkroom.sha256 || bytes.length !== img.darkroom.bytes)
      throw new Error('image bytes do not match darkroom.sha256');
    if (!img.darkroom.url) throw new Error('image not stored in R2 (data-url fallback)');
    r.imageBytes = bytes.length;
    r.ok = true;
  } catch (err) {
    r.error = String(err?.message ?? err);
  } finally {
    finished++;
  }
  return r;
}

async function main() {
  let base = args.url;
  let upstream = args['upstream-url'];
  let root;
  const persist = mkdtempSync(join(tmpdir(), 'darkroom-load-'));
  if (!base) {
    start(process.execPath, ['tests/fixtures/fake-upstream.mjs', String(UP_PORT)], {
      IMAGE_SIZE,
      HOST: '127.0.0.1',
      CHUNK_DELAY_MS: String(CHUNK_DELAY),
    });
    upstream = `http://127.0.0.1:${UP_PORT}`;
    await waitFor(`${upstream}/health`, 10_000);
    const wrangler = startFrozenDev(procs, {
      persist,
      port: PORT,
      upstream,
      vars: { DEV_RPM: '100000', DEV_CONCURRENCY: '1000', DEV_DAILY_USD: '1000000' },
      logLevel: args['log-level'] ?? 'warn',
      env: { CLOUDFLARE_INCLUDE_PROCESS_ENV: 'false' },
    });
    root = wrangler.pid;
    base = `http://127.0.0.1:${PORT}`;
    await waitFor(`${base}/healthz`, 60_000);
  }
  // Warm-up: one generation, so the first-request compile is not in the figures.
  await one(base, -1, { seeded: false, disconnect: false });
  const pids = workerdPids(root);
  const idleRss = rssKb(pids);
  let peak = idleRss;
  const sampler = setInterval(() => (peak = Math.max(peak, rssKb(pids))), 100);
  const before = upstream ? await (await fetch(`${upstream}/stats`)).json() : null;

  const plans = Array.from({ length: N }, (_, i) => ({
    seeded: i % Math.round(1 / SEEDED || Infinity) === 0 && SEEDED > 0,
    disconnect: (i * 7919) % 100 < DISCONNECT * 100,
  }));
  console.log(
    `load: ${N} concurrent streams, image ${IMAGE_SIZE}px, ${plans.filter((p) => p.seeded).length} seeded, ${plans.filter((p) => p.disconnect).length} disconnecting; workerd pids ${pids.join(',')}, idle RSS ${(idleRss / 1024).toFixed(0)} MB`,
  );
  const t0 = performance.now();
  const progress = setInterval(
    () =>
      console.log(
        `  ${finished}/${N} done after ${((performance.now() - t0) / 1000).toFixed(0)} s, workerd RSS peak ${(peak / 1024).toFixed(0)} MB`,
      ),
    10_000,
  );
  const deadline = sleep(TIMEOUT_S * 1000).then(() => 'timeout');
  const results = await Promise.race([Promise.all(plans.map((p, i) => one(base, i, p))), deadline]);
  const wall = performance.now() - t0;
  clearInterval(progress);
  if (results === 'timeout') throw new Error(`not finished within ${TIMEOUT_S} s`);

  // Disconnected seeded generations still finish: the same request becomes a HIT.
  const gone = results.filter((r) => r.disconnect && r.seeded);
  let hits = 0;
  const hitDeadline = Date.now() + 30_000;
  for (const r of gone) {
    for (;;) {
      const res = await fetch(`${base}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', 'x-image-format': 'url' },
        body: JSON.stringify({ ...r.body, stream: false }),
      });
      await res.arrayBuffer();
      if (res.headers.get('x-cache') === 'HIT') {
        hits++;
        break;
      }
      if (Date.now() > hitDeadline) break;
      await sleep(250);
    }
  }
  await sleep(1500); // let cancellations reach the upstream
  clearInterval(sampler);
  const after = upstream ? await (await fetch(`${upstream}/stats`)).json() : null;
  // Bounded means it comes back down: RSS once the isolates had a few idle seconds (GC).
  await sleep(8000);
  const settledRss = rssKb(pids);
  const kept = results.filter((r) => !r.disconnect);
  const ok = kept.filter((r) => r.ok);
  const failed = results.filter((r) => !r.ok);
  const ms = ok.map((r) => r.ms);
  const ttfb = results.filter((r) => !Number.isNaN(r.ttfb)).map((r) => r.ttfb);
  const noisy = procs.output.split('\n').filter((l) => /uncaught|unhandled/i.test(l));
  const report = {
    streams: N,
    completed: ok.length,
    kept: kept.length,
    disconnected: results.filter((r) => r.disconnect).length,
    failed: failed.length,
    image_bytes: ok[0]?.imageBytes,
    wall_s: +(wall / 1000).toFixed(2),
    duration_ms: { p50: Math.round(pct(ms, 50)), p95: Math.round(pct(ms, 95)), max: Math.round(Math.max(...ms)) },
    ttfb_ms: { p50: Math.round(pct(ttfb, 50)), p95: Math.round(pct(ttfb, 95)), max: Math.round(Math.max(...ttfb)) },
    mb_per_s: +(ok.reduce((a, r) => a + r.bytes, 0) / 1e6 / (wall / 1000)).toFixed(1),
    workerd_rss_mb: {
      idle: Math.round(idleRss / 1024),
      peak: Math.round(peak / 1024),
      after_idle_10s: Math.round(settledRss / 1024),
    },
    disconnected_seeded_finished: `${hits}/${gone.length}`,
    upstream: after &&
      before && {
        requests: after.requests - before.requests,
        completed: after.completed - before.completed,
        aborted: after.aborted - before.aborted,
        inflight_after: after.inflight,
      },
    uncaught_log_lines: noisy.length,
  };
  console.log(JSON.stringify(report, null, 2));
  const kinds = {};
  for (const f of failed) {
    const k = `${f.seeded ? 'seeded' : 'unseeded'}: ${f.error.slice(0, 120)}`;
    kinds[k] = (kinds[k] ?? 0) + 1;
  }
  for (const [k, n] of Object.entries(kinds)) console.error(`failed ×${n} ${k}`);
  if (args.log) writeFileSync(args.log, procs.output);
  for (const l of noisy.slice(0, 5)) console.error(`log: ${l}`);
  // Unseeded streams whose client left are cancelled upstream (when the upstream was slow enough to notice).
  const cancelledOk =
    !after ||
    CHUNK_DELAY === 0 ||
    after.aborted - before.aborted >= results.filter((r) => r.disconnect && !r.seeded).length;
  const pass =
    failed.length === 0 &&
    hits === gone.length &&
    noisy.length === 0 &&
    (!after || after.inflight === 0) &&
    cancelledOk;
  console.log(pass ? 'PASS' : 'FAIL');
  rmSync(persist, { recursive: true, force: true });
  return pass;
}

const onSignal = () => {
  stopAll();
  process.exit(130);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
main()
  .then((pass) => {
    stopAll();
    process.exit(pass ? 0 : 1);
  })
  .catch((err) => {
    console.error(err);
    stopAll();
    process.exit(1);
  });
