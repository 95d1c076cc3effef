#!/usr/bin/env node
// Fuzz the whole API over HTTP with fast-check: malformed bodies, wrong types, huge strings,
// deep nesting, invalid UTF-8, wrong methods, paths and headers. Every answer must be below 500,
// in OpenAI's error shape when it is an error (JSON with error.message/type/param/code), within
// a bounded time. The in-suite version (tests/worker/fuzz.test.ts) runs a few hundred cases;
// this one runs thousands.
//
//   node scripts/fuzz.mjs [--count 5000] [--seed N] [--concurrency 8] [--url http://localhost:8787]
//   node scripts/fuzz.mjs --start [--count 5000]    # starts wrangler dev + a fake upstream itself,
//                                                   # and also fails on "Uncaught"/"unhandled" log lines
// With --url, start the server with generous dev-key limits, e.g.
//   UPSTREAM_BASE_URL=http://127.0.0.1:18080/v1 npx wrangler dev --var DARKROOM_ENV:development \
//     --var DEV_RPM:100000 --var DEV_CONCURRENCY:1000
// Loopback only; everything it starts is stopped by PID. Exit code 1 on the first failure, with
// the failing request and the seed to replay it. Two dev-server artifacts are counted apart (see
// failedSend and devProxyArtifact): early_close and dev_proxy_500, both for large bodies answered
// before they were read.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readArgs } from './lib/args.mjs';
import { children } from './lib/children.mjs';
import { startFrozenDev } from './lib/dev-server.mjs';
import { FIELDS, fuzzRequests, replaceInMessages, valid } from '../tests/fixtures/fuzz-cases.mjs';
import fc from 'fast-check';

const string = { type: 'string' };
const { values: args } = readArgs('fuzz', process.argv.slice(2), {
  count: string,
  seed: string,
  concurrency: string,
  'time-limit-ms': string,
  key: string,
  url: string,
  start: { type: 'boolean' },
  port: string,
  'upstream-port': string,
});
const COUNT = Math.min(1_000_000, Number(args.count ?? 5000));
const CONCURRENCY = Math.max(1, Math.min(64, Number(args.concurrency ?? 8)));
const SEED = args.seed !== undefined ? Number(args.seed) : Date.now() % 2 ** 31;
const TIME_LIMIT_MS = Number(args['time-limit-ms'] ?? 10_000);
const KEY = args.key ?? 'sk-local-dev';
const PORT = Number(args.port ?? 8798);
const UP_PORT = Number(args['upstream-port'] ?? 18098);
const enc = new TextEncoder();
const procs = children();
const { start, stopAll, waitFor } = procs;

// ---- generators: the families of tests/worker/fuzz.test.ts (tests/fixtures/fuzz-cases.mjs), larger ----
// A valid chat body or an images body (more fields) with one part replaced; chat bodies also
// as 300 messages.
const mutated = (anyValue) =>
  fc
    .tuple(
      fc.constantFrom(...FIELDS, 'quality', 'response_format', 'output_format', 'background'),
      anyValue,
      fc.nat(5),
      fc.boolean(),
    )
    .map(([field, value, where, images]) => {
      const body = images ? { prompt: 'a fox' } : valid();
      if (images) body[field] = value;
      else if (where === 4)
        body.messages = Array.from({ length: 300 }, () => ({
          role: 'user',
          content: typeof value === 'string' ? value.slice(0, 1000) : value,
        }));
      else if (!replaceInMessages(body, where, value)) body[field] = value;
      // Valid requests reach the upstream: keep those few cheap and uncached.
      if (!images) body.stream = body.stream ?? false;
      return enc.encode(JSON.stringify(body));
    });
const request = fuzzRequests({
  key: KEY,
  mutated,
  mutatedWeight: 4,
  jsonDepth: 5,
  stringLength: 60,
  longString: 2_000_000,
  nesting: 500_000,
  badUtf8Bytes: 16,
  binaryBytes: 2048,
  textLength: 400,
  dataUrls: ['data:image/png;base64,iVBORw0KGgo='],
});

function describe(c) {
  const preview = c.body ? Buffer.from(c.body.subarray(0, 200)).toString('utf8') : '-';
  return `${c.method} ${c.path} [${c.headers['content-type']}] ${c.body?.length ?? 0} B: ${preview}`;
}

async function send(base, c) {
  const t0 = Date.now();
  const init = { method: c.method, headers: c.headers, signal: AbortSignal.timeout(TIME_LIMIT_MS * 3) };
  if (c.body && !['GET', 'HEAD'].includes(c.method)) init.body = c.body;
  const res = await fetch(base + c.path, init);
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', text, ms: Date.now() - t0 };
}

/**
 * A request whose body the server did not need (a 404, 405, 401 or 413 answered before the
 * upload finished) can lose the connection while the client is still sending: the client then
 * sees a socket error instead of the answer. That is HTTP, not a crash, if the server is still
 * healthy right after; anything else is a failure (status 599).
 */
async function failedSend(base, c, err) {
  const healthy = await fetch(`${base}/healthz`).then(
    (r) => r.ok,
    () => false,
  );
  if (healthy && (c.body?.length ?? 0) > 64 * 1024) return { status: 0, type: '', text: '', ms: 0, earlyClose: true };
  return {
    status: 599,
    type: '',
    text: `request failed: ${err?.cause?.code ?? ''} ${err}; server healthy: ${healthy}`,
    ms: 0,
  };
}

/**
 * Under `wrangler dev` only: miniflare's entry worker (in front of ours) answers 500 "Network
 * connection lost" when our Worker answered early (a preflight, a 404/405/401) without reading a
 * large request body it was still forwarding. Not Darkroom's answer and not in production;
 * counted and reported apart.
 */
const devProxyArtifact = (c, a) =>
  a.status === 500 &&
  (c.body?.length ?? 0) > 64 * 1024 &&
  /^Error: Network connection lost\.[\s\S]*miniflare[\s\S]*entry\.worker\.js/.test(a.text);

function problems(c, a) {
  if (a.earlyClose) return [];
  if (devProxyArtifact(c, a)) {
    a.devProxy = true;
    return [];
  }
  const out = [];
  if (a.status >= 500) out.push(`status ${a.status}: ${a.text.slice(0, 300)}`);
  if (a.ms > TIME_LIMIT_MS) out.push(`took ${a.ms} ms`);
  if (a.status >= 400 && c.method !== 'HEAD' && (c.path.startsWith('/v1/') || c.path.startsWith('/i/'))) {
    try {
      const e = JSON.parse(a.text).error;
      if (typeof e?.message !== 'string' || typeof e?.type !== 'string' || !('code' in e) || !('param' in e))
        out.push(`not OpenAI error shape: ${a.text.slice(0, 200)}`);
    } catch {
      out.push(`error body is not JSON (${a.type}): ${a.text.slice(0, 200)}`);
    }
  }
  return out;
}

async function main() {
  let base = args.url;
  const persist = mkdtempSync(join(tmpdir(), 'darkroom-fuzz-'));
  if (!base || args.start) {
    start(process.execPath, ['tests/fixtures/fake-upstream.mjs', String(UP_PORT)], { HOST: '127.0.0.1' });
    await waitFor(`http://127.0.0.1:${UP_PORT}/health`, 10_000);
    startFrozenDev(procs, {
      persist,
      port: PORT,
      upstream: `http://127.0.0.1:${UP_PORT}`,
      vars: { DEV_RPM: '1000000', DEV_CONCURRENCY: '10000', DEV_DAILY_USD: '1000000' },
    });
    base = `http://127.0.0.1:${PORT}`;
    await waitFor(`${base}/healthz`, 60_000);
  }
  let failure = '';
  console.log(`fuzz: ${COUNT} requests against ${base}, seed ${SEED}, concurrency ${CONCURRENCY}`);
  const statuses = {};
  let done = 0;
  const t0 = Date.now();
  // Batches of CONCURRENCY cases per property run keep the server busy; a failing batch is shrunk.
  const batch = fc.array(request, { minLength: 1, maxLength: CONCURRENCY });
  const result = await fc.check(
    fc.asyncProperty(batch, async (cases) => {
      const answers = await Promise.all(cases.map((c) => send(base, c).catch((err) => failedSend(base, c, err))));
      answers.forEach((a, i) => {
        const p = problems(cases[i], a);
        const key = a.earlyClose ? 'early_close' : a.devProxy ? 'dev_proxy_500' : a.status;
        statuses[key] = (statuses[key] ?? 0) + 1;
        if (p.length) {
          failure = `${p.join('; ')}\n  request: ${describe(cases[i])}`;
          throw new Error(failure);
        }
      });
      done += cases.length;
      if (done % 1000 < cases.length)
        console.log(
          `  ${done} requests, ${((Date.now() - t0) / 1000).toFixed(0)} s, statuses ${JSON.stringify(statuses)}`,
        );
    }),
    { numRuns: Math.ceil(COUNT / ((CONCURRENCY + 1) / 2)), seed: SEED, endOnFailure: true },
  );
  if (result.failed) {
    console.error(
      `FAILED after ${done} requests (replay with --seed ${SEED}):\n  ${failure || String(result.errorInstance ?? result.error).slice(0, 2000)}`,
    );
    return false;
  }
  const noisy = procs.output.split('\n').filter((l) => /uncaught|unhandled/i.test(l));
  console.log(
    `fuzz: ${done} requests in ${((Date.now() - t0) / 1000).toFixed(1)} s; statuses ${JSON.stringify(statuses)}; ${noisy.length} uncaught/unhandled log lines`,
  );
  for (const l of noisy.slice(0, 10)) console.error(`log: ${l}`);
  rmSync(persist, { recursive: true, force: true });
  return noisy.length === 0;
}

process.on('SIGINT', () => (stopAll(), process.exit(130)));
process.on('SIGTERM', () => (stopAll(), process.exit(143)));
main()
  .then((ok) => {
    stopAll();
    console.log(ok ? 'PASS' : 'FAIL');
    process.exit(ok ? 0 : 1);
  })
  .catch((err) => {
    console.error(String(err?.message ?? err));
    stopAll();
    console.log('FAIL');
    process.exit(1);
  });
