#!/usr/bin/env node
// `npm run bench`: Darkroom against the floor, Portkey and the upstream direct, on 127.0.0.1,
// in one run, reported as ratios to the floor. See README.md "Benchmarks" for what each figure
// means; every knob is an environment variable (the CFG block below lists them all).
//
// Targets measured (all on 127.0.0.1, all bounded in time, all stopped by PID on exit):
//   direct    wrk -> fake upstream (tests/fixtures/fake-upstream.mjs)
//   floor     wrk -> bench/floor (minimal Hono Worker: forward body, stream the answer back)
//   static    wrk -> bench/static (Hono Worker answering one fixed body from memory: the floor for hits)
//   darkroom  wrk -> Darkroom (worker/, production bundle from `wrangler deploy --dry-run`)
//   portkey   wrk -> @portkey-ai/gateway 1.15.2 (Node), bound to loopback by a preload
// Both Workers run under the same `wrangler dev --local --no-bundle` on a frozen copy of their
// deploy bundle, so edits made in the checkout during a run do not reload them.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { request } from './lib/client.mjs';
import { connectWorker, heapUsage, profileTotals, startProfile, summarizeProfile } from './lib/inspector.mjs';
import * as P from './lib/procs.mjs';
import { applyLocalMigrations } from '../scripts/lib/d1.mjs';
import { runVariants, variantsReport } from './variants.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BENCH = join(ROOT, 'bench');
const env = process.env;
const list = (v, d) =>
  String(v ?? d)
    .split(/[\s,]+/)
    .filter(Boolean);
const num = (v, d) => (v === undefined || v === '' ? d : Number(v));

// ------------------------------------------------------------------------------------- config
const CFG = {
  duration: num(env.BENCH_DURATION, 10), // s of wrk per cell
  warmup: num(env.BENCH_WARMUP, 1), // s of wrk before each cell (not measured)
  ttfbDuration: num(env.BENCH_TTFB_DURATION, Math.max(1, num(env.BENCH_DURATION, 10) / 2)),
  repeat: Math.max(1, num(env.BENCH_REPEAT, 1)), // rounds per cell, interleaved; figure = median
  // Cache-hit cells: their target's margin (15%) is below this VM's drift between cells, so
  // three interleaved rounds by default (round four: one round read 1.41x, the same cell alone 1.03x).
  hitRepeat: Math.max(1, num(env.BENCH_HIT_REPEAT, Math.max(3, num(env.BENCH_REPEAT, 1)))),
  concurrency: list(env.BENCH_CONCURRENCY, '1 16 32').map(Number), // streaming miss + cache hit
  streamImagePx: num(env.BENCH_STREAM_IMAGE_PX, 64), // 64 px ≈ 3.7 KB PNG (noise 1), as the peer baseline
  imageMiB: list(env.BENCH_IMAGE_MB, '1 8').map(Number), // decoded PNG size of the image cells, MiB
  imageConcurrency: list(env.BENCH_IMAGE_CONCURRENCY, '1 8').map(Number),
  imageFormats: list(env.BENCH_IMAGE_FORMATS, 'default url'), // Darkroom answers: data URL kept / url only
  memStreams: num(env.BENCH_MEM_STREAMS, 16),
  memImageMiB: num(env.BENCH_MEM_IMAGE_MB, 8),
  memDuration: num(env.BENCH_MEM_DURATION, num(env.BENCH_DURATION, 10)),
  // V8 CPU profile of each Worker's isolate during a streaming-miss cell (isolate CPU per request)
  profileConcurrency: num(env.BENCH_PROFILE_CONCURRENCY, 16),
  profileDuration: num(env.BENCH_PROFILE_DURATION, num(env.BENCH_DURATION, 10)),
  // upstream's last image byte -> client's, streamed, default format, requests one after another
  handoffImageMiB: num(env.BENCH_HANDOFF_IMAGE_MB, 8),
  handoffRequests: num(env.BENCH_HANDOFF_N, 20),
  // The hand-off again with the image's line arriving over time, as from a network upstream:
  // "<pieces>x<ms apart>" (32x5: 11 MB in ~160 ms, ~70 MB/s); "0" skips it.
  handoffPace: env.BENCH_HANDOFF_PACE ?? '32x5',
  // the realistic cell: an upstream that is silent for realWaitMs, then streams a realImageMiB image
  realWaitMs: num(env.BENCH_REAL_WAIT_MS, 20_000),
  realStreams: num(env.BENCH_REAL_STREAMS, 16),
  realImageMiB: num(env.BENCH_REAL_IMAGE_MB, 2),
  isolateLimitMiB: num(env.BENCH_ISOLATE_LIMIT_MB, 128), // Workers' memory limit per isolate
  survivalImageMB: list(env.BENCH_SURVIVAL_IMAGE_MB, '1 4 8').map(Number), // sizes for the isolate estimate (MB = 10^6 B)
  sections: list(env.BENCH_SECTIONS, 'stream hit profile image handoff memory realistic size variants'),
  peers: list(env.BENCH_PEERS, 'direct portkey'), // besides floor + darkroom, in the stream section
  pin: env.PIN !== '0',
  build: env.BENCH_BUILD !== '0', // npm run build first (site assets, widget)
  minifiedSize: env.BENCH_MINIFIED_SIZE !== '0', // also report the --minify bundle size (info)
  // --var NAME:VALUE for Darkroom. The limits of the development key are raised, not switched off:
  // every request still takes and returns its lease in the LimitCounter Durable Object, as deployed.
  darkroomVars: [
    'LOG_LEVEL:warn',
    'DEV_RPM:1000000000',
    'DEV_CONCURRENCY:1000000',
    'DEV_DAILY_USD:-1',
    ...list(env.BENCH_DARKROOM_VARS, ''),
  ],
  out: env.BENCH_OUT || null,
  timeoutS: num(env.BENCH_TIMEOUT, 1800), // hard stop for the whole run
  // The targets of issue 16: each a ratio to the floor measured in the same run.
  targets: {
    streamC1P50: num(env.BENCH_TARGET_STREAM_C1_P50, 1.5), // darkroom/floor p50, streaming miss, c=1 (at most)
    streamRps: num(env.BENCH_TARGET_STREAM_RPS, 0.6), // darkroom/floor rps, streaming miss, every c > 1 (at least)
    streamCpu: num(env.BENCH_TARGET_STREAM_CPU, 2), // darkroom/floor CPU ms per answer, all processes, every c (at most)
    hitP50: num(env.BENCH_TARGET_HIT_P50, 1.15), // darkroom hit p50 / static Worker p50, every c
    hitCpu: num(env.BENCH_TARGET_HIT_CPU, 1.15), // darkroom hit CPU / static Worker CPU, every c
    image: num(env.BENCH_TARGET_IMAGE, 3), // darkroom/floor p50, non-streaming, largest image, default format
    handoff: num(env.BENCH_TARGET_HANDOFF, 1.2), // darkroom/floor time from the upstream's last image byte to the client's
    memory: num(env.BENCH_TARGET_MEMORY, 2), // workerd RSS / image bytes in flight (see memoryBasis)
    // growth: peak minus idle RSS (what the streams cost); absolute: the peak itself, which
    // includes workerd's idle ~270 MiB for two processes (more than 2x 16 x 8 MiB on its own).
    memoryBasis: env.BENCH_MEMORY_BASIS === 'absolute' ? 'absolute' : 'growth',
    bundleKB: num(env.BENCH_TARGET_BUNDLE_KB, 150), // Worker bundle, gzip, KB = 1000 B
    widgetKB: num(env.BENCH_TARGET_WIDGET_KB, 25), // dist/web/widget.js, gzip
  },
};

const MODEL = 'openai/gpt-5.4-image-2';
const PROMPT = 'a watercolor fox';
const SEED = 42;
const DEV_KEY = 'sk-local-dev';
const PORTKEY_VERSION = '1.15.2';

const STAMP = new Date()
  .toISOString()
  .replace(/[-:]/g, '')
  .replace(/\.\d+Z$/, 'Z');
const TMP = mkdtempSync(join(os.tmpdir(), `darkroom-bench-${STAMP}-`));
const LOGS = join(TMP, 'logs');
mkdirSync(LOGS, { recursive: true });
const OUT = CFG.out ? resolve(CFG.out) : join(BENCH, 'results', `bench-${STAMP}.json`);
const CHILD_ENV = {
  ...env,
  PATH: `${join(ROOT, 'node_modules', '.bin')}:${env.PATH}`,
  WRANGLER_SEND_METRICS: 'false',
  CI: '1',
};
const T0 = Date.now();
const say = (...a) => console.error(`[bench ${((Date.now() - T0) / 1000).toFixed(0).padStart(4)}s]`, ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const CPU_LOAD = CFG.pin ? 0 : null; // wrk, the TTFB client, the fake upstream, this script
const CPU_SUT = CFG.pin ? 1 : null; // the system under test: each gateway

// -------------------------------------------------------------------------- lifecycle / cleanup
let cleaning = null;
async function cleanup() {
  cleaning ??= (async () => {
    await P.stopAll();
    for (const d of readdirSync(TMP)) if (d !== 'logs') rmSync(join(TMP, d), { recursive: true, force: true });
  })();
  return cleaning;
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    say(`${sig}: stopping everything started here`);
    cleanup().finally(() => process.exit(130));
  });
}
process.on('exit', () => P.killAllSync());
const watchdog = setTimeout(() => {
  say(`BENCH_TIMEOUT=${CFG.timeoutS}s reached; stopping`);
  cleanup().finally(() => process.exit(124));
}, CFG.timeoutS * 1000);
watchdog.unref();

// --------------------------------------------------------------------------------- utilities
function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, env: CHILD_ENV, encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`, status: r.status };
}

function version(pkgDir) {
  try {
    return JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

async function waitHttp(url, name, seconds = 90) {
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    try {
      await request(url, { method: 'GET', timeoutMs: 2000 });
      return true;
    } catch {}
    if (!P.running(name)) break;
    await sleep(250);
  }
  const log = join(LOGS, `${name}.log`);
  say(
    `${name} is not answering at ${url}; log tail:\n${existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-25).join('\n') : '(no log)'}`,
  );
  return false;
}

/** Every TCP socket in LISTEN state on `port` must be bound to loopback. */
function assertLoopbackOnly(port) {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const bad = [];
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(f)) continue;
    for (const line of readFileSync(f, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4 || cols[3] !== '0A') continue; // LISTEN
      const [addr, p] = cols[1].split(':');
      if (p !== hex) continue;
      const loop = addr === '0100007F' || addr === '00000000000000000000000001000000';
      if (!loop) bad.push(addr);
    }
  }
  if (bad.length) throw new Error(`port ${port} listens beyond loopback (${bad.join(', ')})`);
}

const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
const round = (x, d = 3) => (typeof x === 'number' && Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null);
const ratio = (a, b) => (typeof a === 'number' && typeof b === 'number' && b > 0 ? round(a / b, 3) : null);

// ------------------------------------------------------------------------------ preflight
function ensureWrk() {
  if (sh('sh', ['-c', 'command -v wrk']).ok) return;
  say('wrk is missing: apt-get update && apt-get install -y wrk');
  const r1 = sh('apt-get', ['update'], { env: { ...CHILD_ENV, DEBIAN_FRONTEND: 'noninteractive' } });
  const r2 = sh('apt-get', ['install', '-y', 'wrk'], { env: { ...CHILD_ENV, DEBIAN_FRONTEND: 'noninteractive' } });
  if (!r2.ok) throw new Error(`could not install wrk (needs root and the Debian mirror):\n${r1.out}\n${r2.out}`);
}

function pinSelf() {
  if (!CFG.pin) return;
  if (os.cpus().length < 2 || !sh('sh', ['-c', 'command -v taskset']).ok) {
    say('fewer than 2 CPUs or no taskset: running unpinned (PIN=0)');
    CFG.pin = false;
    return;
  }
  sh('taskset', ['-a', '-p', '-c', String(CPU_LOAD), String(process.pid)]);
}

// ------------------------------------------------------------------------------ build + bundles
const RESULT = {
  schema: 1,
  date: new Date().toISOString(),
  machine: {},
  versions: {},
  config: CFG,
  notes: [],
  errors: [],
  cells: [],
  memory: [],
  profiles: [],
  handoff: [],
  realistic: [],
  survival: null,
  sizes: [],
  targets: [],
};
const fail = (msg) => {
  say(`ERROR ${msg}`);
  RESULT.errors.push(msg);
};

function gzipSize(buf) {
  return zlib.gzipSync(buf).length;
}

/** `wrangler deploy --dry-run --outdir out` with config; returns { ok, files, bytes, gzip_bytes, wrangler_gzip_kib }. */
function shAsync(cmd, args) {
  return new Promise((res) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: CHILD_ENV });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('error', (err) => res({ ok: false, out: `${out}${err.message}` }));
    child.on('close', (status) => res({ ok: status === 0, out, status }));
  });
}

async function dryRun(config, out, extra = []) {
  const r = await shAsync('wrangler', ['deploy', '--dry-run', '--outdir', out, '-c', config, ...extra]);
  writeFileSync(join(LOGS, `dry-run-${out.split('/').pop()}.log`), r.out);
  if (!r.ok) return { ok: false, out: r.out };
  const files = readdirSync(out).filter((f) => /\.(m?js|cjs|wasm)$/.test(f));
  let bytes = 0;
  let gz = 0;
  for (const f of files) {
    const b = readFileSync(join(out, f));
    bytes += b.length;
    gz += gzipSize(b);
  }
  const m = /Total Upload:\s*([\d.]+)\s*KiB\s*\/\s*gzip:\s*([\d.]+)\s*KiB/.exec(r.out);
  return {
    ok: true,
    files,
    bytes,
    gzip_bytes: gz,
    wrangler_total_kib: m ? Number(m[1]) : null,
    wrangler_gzip_kib: m ? Number(m[2]) : null,
  };
}

/**
 * A copy of a wrangler.toml at `dest` with `main` made absolute (or replaced by `main`) and the
 * [assets] directory replaced by `assetsDir` (made absolute without it): used for the dry-run
 * bundle and for `wrangler dev --no-bundle` on the frozen bundle. Its directory has no
 * .dev.vars, so none is loaded.
 */
function derivedConfig(srcToml, { main, assetsDir }, dest) {
  let toml = readFileSync(srcToml, 'utf8');
  const m = /^main\s*=\s*"([^"]+)"\s*$/m.exec(toml);
  if (!m) throw new Error(`${srcToml}: no main = "..." line`);
  toml = toml.replace(m[0], `main = ${JSON.stringify(main ?? resolve(dirname(srcToml), m[1]))}`);
  if (/^\[assets\]/m.test(toml)) {
    const dir = /^directory\s*=\s*"([^"]+)"\s*$/m.exec(toml);
    if (!dir) throw new Error(`${srcToml}: [assets] has no directory = "..." line`);
    // The floors keep their own (tiny) directory, made absolute; Darkroom gets the frozen site.
    toml = toml.replace(dir[0], `directory = ${JSON.stringify(assetsDir ?? resolve(dirname(srcToml), dir[1]))}`);
  }
  toml = toml.replace(
    /^migrations_dir\s*=\s*"([^"]+)"\s*$/m,
    (_, dir) => `migrations_dir = ${JSON.stringify(resolve(dirname(srcToml), dir))}`,
  );
  mkdirSync(dirname(dest), { recursive: true });
  writeFileSync(dest, `# Generated by bench/run.mjs from ${srcToml}\n${toml}`);
  return dest;
}

/** The entry module of a dry-run bundle (index.js, else the only .js file). */
function mainOf(bundle, dir) {
  const js = bundle.files.filter((f) => /\.m?js$/.test(f));
  return join(TMP, dir, js.includes('index.js') ? 'index.js' : js[0]);
}

// ------------------------------------------------------------------------------------ servers
const PORTS = {};
const UP_URL = () => `http://127.0.0.1:${PORTS.upstream}/v1`;

async function startUpstream(imagePx, noiseBits) {
  await P.stop('upstream');
  const pid = P.start(
    'upstream',
    process.execPath,
    [join(ROOT, 'tests/fixtures/fake-upstream.mjs'), String(PORTS.upstream)],
    {
      cpu: CPU_LOAD,
      env: { ...CHILD_ENV, IMAGE_SIZE: String(imagePx), NOISE_BITS: String(noiseBits), HOST: '127.0.0.1' },
      log: join(LOGS, 'upstream.log'),
    },
  );
  if (!(await waitHttp(`http://127.0.0.1:${PORTS.upstream}/health`, 'upstream', 30)))
    throw new Error('fake upstream did not start');
  return pid;
}

async function upstreamRequests() {
  try {
    const r = await request(`http://127.0.0.1:${PORTS.upstream}/stats`, { method: 'GET', timeoutMs: 5000 });
    return JSON.parse(r.body.toString()).requests;
  } catch {
    return null;
  }
}

function startWrangler(name, config, port, inspectorPort, vars) {
  const state = join(TMP, `${name}-state`);
  return P.start(
    'wrangler-' + name,
    'wrangler',
    [
      'dev',
      '--local',
      '--no-bundle',
      '-c',
      config,
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--inspector-ip',
      '127.0.0.1',
      '--inspector-port',
      String(inspectorPort),
      '--log-level',
      'warn',
      '--show-interactive-dev-session=false',
      '--persist-to',
      state,
      ...vars.flatMap((v) => ['--var', v]),
    ],
    { cpu: CPU_SUT, cwd: dirname(config), env: CHILD_ENV, log: join(LOGS, `wrangler-${name}.log`) },
  );
}

function startPortkey(port) {
  const preload = join(TMP, 'loopback-only.cjs');
  // @hono/node-server's serve() listens on every interface; this keeps Portkey on loopback
  // (the trick from /work/shared/bench-peers/run-peers.sh).
  writeFileSync(
    preload,
    `const net = require('node:net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number') {
    if (typeof args[1] === 'function') args.splice(1, 0, '127.0.0.1');
    else if (args[1] == null) args[1] = '127.0.0.1';
  }
  return listen.apply(this, args);
};
`,
  );
  return P.start(
    'portkey',
    process.execPath,
    [
      '--require',
      preload,
      join(ROOT, 'node_modules/@portkey-ai/gateway/build/start-server.js'),
      '--headless',
      `--port=${port}`,
    ],
    { cpu: CPU_SUT, cwd: TMP, env: CHILD_ENV, log: join(LOGS, 'portkey.log') },
  );
}

// ---------------------------------------------------------------------------- request shapes
const bodyOf = (stream, prompt = PROMPT) =>
  JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: prompt }], seed: SEED, stream });
const SLOW_PROMPT = `${PROMPT}, realistic slow generation`; // the fake upstream is scripted to wait before answering it
const PACED_PROMPT = `${PROMPT}, image arriving over time`; // scripted to write its image line in paced pieces

/** Target name -> { server, url, headers }. Every target gets the same base headers. */
function targetSpec(target) {
  const base = { authorization: `Bearer ${DEV_KEY}`, 'content-type': 'application/json', 'cache-control': 'no-store' };
  const path = '/v1/chat/completions';
  switch (target) {
    case 'direct':
      return { server: 'upstream', url: `http://127.0.0.1:${PORTS.upstream}${path}`, headers: base };
    case 'floor':
      return { server: 'wrangler-floor', url: `http://127.0.0.1:${PORTS.floor}${path}`, headers: base };
    case 'static':
      return { server: 'wrangler-static', url: `http://127.0.0.1:${PORTS.static}${path}`, headers: base };
    case 'portkey':
      return {
        server: 'portkey',
        url: `http://127.0.0.1:${PORTS.portkey}${path}`,
        headers: { ...base, 'x-portkey-provider': 'openai', 'x-portkey-custom-host': UP_URL() },
      };
    case 'work-floor':
      return { server: 'wrangler-work-floor', url: `http://127.0.0.1:${PORTS.workFloor}${path}`, headers: base };
    case 'darkroom':
      return { server: 'wrangler-darkroom', url: `http://127.0.0.1:${PORTS.darkroom}${path}`, headers: base };
    case 'darkroom-url':
      return {
        server: 'wrangler-darkroom',
        url: `http://127.0.0.1:${PORTS.darkroom}${path}`,
        headers: { ...base, 'x-image-format': 'url' },
      };
    case 'darkroom-hit': {
      const { 'cache-control': _, ...h } = base;
      return { server: 'wrangler-darkroom', url: `http://127.0.0.1:${PORTS.darkroom}${path}`, headers: h };
    }
    default:
      throw new Error(`unknown target ${target}`);
  }
}

const UP_STATE = new Map(); // server -> boolean (started and checked)
const serverUp = (target) => UP_STATE.get(targetSpec(target).server) === true;

// --------------------------------------------------------------------------- response checks
function pngInfo(buf) {
  const ok =
    buf.length > 33 &&
    buf.readUInt32BE(0) === 0x89504e47 &&
    buf.toString('latin1', 12, 16) === 'IHDR' &&
    buf.toString('latin1', buf.length - 8, buf.length - 4) === 'IEND';
  if (!ok) throw new Error('image is not a complete PNG');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20), bytes: buf.length };
}

async function imageFrom(url) {
  const m = /^data:image\/png;base64,(.+)$/s.exec(url ?? '');
  if (m) return pngInfo(Buffer.from(m[1], 'base64'));
  if (/^https?:\/\//.test(url ?? '')) {
    const u = new URL(url);
    u.hostname = '127.0.0.1'; // our URL may carry the request's Host; fetch it where we sent the request
    const r = await request(u.href, { method: 'GET', headers: { authorization: `Bearer ${DEV_KEY}` } });
    if (r.status !== 200) throw new Error(`GET ${url} -> HTTP ${r.status}`);
    return { ...pngInfo(r.body), url };
  }
  throw new Error(`no image URL in the answer (${String(url).slice(0, 60)})`);
}

/** One request through `target`; checks the answer carries a complete PNG; returns details. */
async function check(target, stream) {
  const spec = targetSpec(target);
  const r = await request(spec.url, { headers: spec.headers, body: bodyOf(stream) });
  const text = r.body.toString('utf8');
  if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${text.slice(0, 300)}`);
  let imageUrl;
  if (!stream) {
    const msg = JSON.parse(text).choices?.[0]?.message;
    imageUrl = msg?.images?.[0]?.image_url?.url;
  } else {
    const events = text
      .split('\n')
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).trim());
    if (events.at(-1) !== '[DONE]') throw new Error('stream does not end with data: [DONE]');
    for (const e of events.slice(0, -1)) {
      const img = JSON.parse(e).choices?.[0]?.delta?.images?.[0]?.image_url?.url;
      if (img) {
        imageUrl = img;
        break;
      }
    }
  }
  const img = await imageFrom(imageUrl);
  return {
    status: r.status,
    cache: r.headers['x-cache'] ?? null,
    bytes: r.body.length,
    image: img,
    ttfb_ms: r.ttfb_ms,
    total_ms: r.total_ms,
    body: r.body,
    content_type: r.headers['content-type'] ?? null,
  };
}

async function checkAll(targets, modes) {
  for (const t of targets) {
    if (!serverUp(t)) continue;
    for (const stream of modes) {
      try {
        const c = await check(t, stream);
        say(
          `  ok   ${t.padEnd(12)} ${stream ? 'sse ' : 'json'} ${c.image.width}x${c.image.height} PNG ${c.image.bytes} B, answer ${c.bytes} B${c.cache ? `, x-cache ${c.cache}` : ''}`,
        );
      } catch (err) {
        fail(`check ${t} ${stream ? 'sse' : 'json'}: ${err.message}`);
      }
    }
  }
}

// --------------------------------------------------------------------------------- measuring
function wrk(target, stream, conc, seconds) {
  const spec = targetSpec(target);
  const args = ['-t1', `-c${conc}`, `-d${seconds}s`, '--timeout', '30s', '-s', join(BENCH, 'wrk-chat.lua')];
  for (const [k, v] of Object.entries(spec.headers)) if (k !== 'content-type') args.push('-H', `${k}: ${v}`);
  args.push(spec.url);
  const [cmd, argv] = CFG.pin ? ['taskset', ['-c', String(CPU_LOAD), 'wrk', ...args]] : ['wrk', args];
  const r = spawnSync(cmd, argv, {
    env: { ...CHILD_ENV, BODY: bodyOf(stream) },
    encoding: 'utf8',
    timeout: (seconds + 60) * 1000,
  });
  const m = /^RESULT (.*)$/m.exec(r.stdout ?? '');
  if (!m) throw new Error(`wrk gave no result: ${(r.stdout ?? '') + (r.stderr ?? '')}`.slice(0, 500));
  return JSON.parse(m[1]);
}

/** bench/lib/client.mjs in one of its modes, pinned with the load generators; resolves with its RESULT. */
function client(mode, job, timeoutS) {
  const argv = [join(BENCH, 'lib/client.mjs'), mode, JSON.stringify(job)];
  const [cmd, a] = CFG.pin
    ? ['taskset', ['-c', String(CPU_LOAD), process.execPath, ...argv]]
    : [process.execPath, argv];
  return new Promise((res, rej) => {
    const child = spawn(cmd, a, { env: CHILD_ENV });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutS * 1000);
    child.on('close', () => {
      clearTimeout(timer);
      const m = /^RESULT (.*)$/m.exec(out);
      if (m) res(JSON.parse(m[1]));
      else rej(new Error(`${mode} client gave no result: ${out}`.slice(0, 500)));
    });
  });
}

function ttfb(target, stream, conc, seconds) {
  const spec = targetSpec(target);
  return client(
    'ttfb',
    { url: spec.url, headers: spec.headers, body: bodyOf(stream), concurrency: conc, duration_s: seconds },
    seconds + 60,
  );
}

/**
 * Measure a group of cells that differ only by target, `repeat` rounds, interleaved (f d p x, f d p x)
 * so drift on the shared machine hits every target alike. Each figure is the median over rounds.
 */
async function measureGroup({ section, targets, stream, conc, imageBytes, withTtfb, label, repeat = CFG.repeat }) {
  const runs = new Map(targets.map((t) => [t, []]));
  for (let round_ = 0; round_ < repeat; round_++) {
    for (const t of targets) {
      if (!serverUp(t)) continue;
      try {
        if (CFG.warmup > 0) wrk(t, stream, conc, CFG.warmup);
        let before = await upstreamRequests();
        const server = P.pidOf(targetSpec(t).server);
        let cpu0 = server ? P.cpuSeconds(server) : null;
        let w = wrk(t, stream, conc, CFG.duration);
        if (!w.requests) {
          // Nothing finished (a slow cell on a busy machine): once more, with four times the time.
          RESULT.notes.push(
            `${section} ${label} ${t} c=${conc}: no answer finished within ${CFG.duration} s; measured again for ${4 * CFG.duration} s`,
          );
          before = await upstreamRequests();
          cpu0 = server ? P.cpuSeconds(server) : null;
          w = wrk(t, stream, conc, 4 * CFG.duration);
        }
        const cpu1 = server ? P.cpuSeconds(server) : null;
        const after = await upstreamRequests();
        if (!w.requests) {
          // wrk reports zeros for a cell where no answer finished: no figure, not a zero latency.
          RESULT.notes.push(
            `${section} ${label} ${t} c=${conc}: no answer finished within ${4 * CFG.duration} s either (round ${round_ + 1})`,
          );
          say(
            `  ${section.padEnd(6)} ${label} ${t.padEnd(12)} c=${String(conc).padEnd(3)} no answer finished within ${4 * CFG.duration} s`,
          );
          continue;
        }
        // CPU the system under test (every process of it) spent per answer: less sensitive to
        // noisy neighbours than latency. The direct target's figure is the fake upstream's own.
        w.cpu_ms_per_request =
          cpu0 !== null && w.requests ? round(((cpu1.total - cpu0.total) * 1000) / w.requests, 3) : null;
        if (cpu0 !== null && w.requests) {
          // per process name (workerd, node = wrangler itself, ...): where the CPU went
          w.cpu_ms_per_request_by_process = Object.fromEntries(
            Object.entries(cpu1.byName).map(([k, v]) => [
              k,
              round(((v - (cpu0.byName[k] ?? 0)) * 1000) / w.requests, 3),
            ]),
          );
        }
        const tt = withTtfb ? await ttfb(t, stream, conc, CFG.ttfbDuration) : null;
        runs
          .get(t)
          .push({ ...w, upstream_requests: before !== null && after !== null ? after - before : null, ttfb: tt });
        say(
          `  ${section.padEnd(6)} ${label} ${t.padEnd(12)} c=${String(conc).padEnd(3)} rps ${w.rps.toFixed(1).padStart(8)}  p50 ${w.p50_ms.toFixed(2).padStart(8)}  p99 ${w.p99_ms.toFixed(2).padStart(8)}` +
            (tt ? `  ttfb p50 ${tt.ttfb_p50_ms?.toFixed(2)}` : '') +
            (w.non2xx || w.socket_errors ? `  !! non2xx ${w.non2xx} socket errors ${w.socket_errors}` : ''),
        );
      } catch (err) {
        fail(`${section} ${label} ${t} c=${conc}: ${err.message}`);
      }
    }
  }
  for (const t of targets) {
    const rs = runs.get(t);
    const cell = {
      id: `${section}.${stream ? 'sse' : 'json'}.${label}.c${conc}.${t}`,
      section,
      target: t,
      mode: stream ? 'sse' : 'json',
      image: label,
      image_bytes: imageBytes,
      concurrency: conc,
      rounds: rs.length,
      rps: round(median(rs.map((r) => r.rps)), 2),
      p50_ms: round(median(rs.map((r) => r.p50_ms))),
      p90_ms: round(median(rs.map((r) => r.p90_ms))),
      p99_ms: round(median(rs.map((r) => r.p99_ms))),
      max_ms: round(median(rs.map((r) => r.max_ms))),
      mb_per_s: round(median(rs.map((r) => r.mb_per_s)), 2),
      cpu_ms_per_request: round(median(rs.map((r) => r.cpu_ms_per_request))),
      cpu_ms_per_request_by_process: rs.at(-1)?.cpu_ms_per_request_by_process ?? null,
      requests: rs.reduce((s, r) => s + r.requests, 0),
      non2xx: rs.reduce((s, r) => s + r.non2xx, 0),
      socket_errors: rs.reduce((s, r) => s + r.socket_errors, 0),
      upstream_requests: rs.some((r) => r.upstream_requests === null)
        ? null
        : rs.reduce((s, r) => s + r.upstream_requests, 0),
      runs: rs,
    };
    if (withTtfb) {
      cell.ttfb_p50_ms = round(median(rs.map((r) => r.ttfb?.ttfb_p50_ms)));
      cell.ttfb_p99_ms = round(median(rs.map((r) => r.ttfb?.ttfb_p99_ms)));
    }
    if (!rs.length) cell.error = serverUp(t) ? 'no successful measurement' : 'server not running';
    RESULT.cells.push(cell);
  }
}

const INSPECTOR = { floor: 'floorInspector', 'work-floor': 'workFloorInspector', darkroom: 'darkroomInspector' };

/**
 * The Worker isolate's own CPU per request (what Cloudflare bills): a V8 CPU profile of the user
 * Worker's isolate, through wrangler's inspector, while wrk runs a streaming-miss cell.
 */
async function measureProfile(target, bundleMain) {
  const conc = CFG.profileConcurrency;
  const rec = { id: `profile.sse.c${conc}.${target}`, target, concurrency: conc };
  try {
    if (CFG.warmup > 0) wrk(target, true, conc, CFG.warmup);
    const session = await connectWorker(PORTS[INSPECTOR[target]]);
    try {
      const prof = await startProfile(session);
      const w = wrk(target, true, conc, CFG.profileDuration);
      const profile = await prof.stop();
      const t = profileTotals(profile);
      const per = (ms) => (w.requests ? round(ms / w.requests) : null);
      Object.assign(rec, {
        inspector_target: session.title,
        requests: w.requests,
        rps: w.rps,
        non2xx: w.non2xx,
        socket_errors: w.socket_errors,
        wall_ms: round(t.wall_ms, 1),
        busy_ms: round(t.busy_ms, 1),
        idle_ms: round(t.idle_ms, 1),
        isolate_cpu_ms_per_request: per(t.busy_ms),
        js_ms_per_request: per(t.js_ms),
        gc_ms_per_request: per(t.gc_ms),
        program_ms_per_request: per(t.program_ms),
        isolate_busy_share: round(t.busy_ms / t.wall_ms),
      });
      if (target === 'darkroom' && bundleMain) {
        const text = readFileSync(bundleMain, 'utf8');
        const map = existsSync(`${bundleMain}.map`) ? readFileSync(`${bundleMain}.map`, 'utf8') : null;
        const sum = summarizeProfile(profile, text, map, 12);
        const busy = ([k]) => k !== '(idle)';
        rec.top_modules_ms_per_request = sum.by_module.filter(busy).map(([k, v]) => [k, per(v)]);
        rec.top_functions_ms_per_request = sum.self.filter(busy).map(([k, v]) => [k, per(v)]);
      }
      const file = join(dirname(OUT), `profile-${STAMP}-${target}.cpuprofile.json`);
      if (env.BENCH_KEEP_PROFILES === '1') writeFileSync(file, JSON.stringify(profile));
      say(
        `  profile ${target.padEnd(10)} c=${conc} ${w.requests} answers: isolate busy ${rec.isolate_cpu_ms_per_request} ms/answer ` +
          `(JS ${rec.js_ms_per_request}, GC ${rec.gc_ms_per_request}, program ${rec.program_ms_per_request}), ${Math.round(100 * rec.isolate_busy_share)}% of wall time`,
      );
    } finally {
      session.close();
    }
  } catch (err) {
    rec.error = err.message;
    fail(`profile ${target}: ${err.message}`);
  }
  RESULT.profiles.push(rec);
}

/** Time from the upstream's last image byte to the client's, streamed, default format, requests in turn. */
async function measureHandoff(target, imageBytes, arrival = 'burst') {
  const spec = targetSpec(target);
  const mb = (imageBytes / 2 ** 20).toFixed(0);
  const rec = {
    id: `handoff.sse.${mb}MiB.${arrival === 'burst' ? '' : `paced${arrival}.`}${target}`,
    target,
    image_bytes: imageBytes,
    arrival,
  };
  try {
    const r = await client(
      'handoff',
      {
        url: spec.url,
        headers: spec.headers,
        body: bodyOf(true, arrival === 'burst' ? PROMPT : PACED_PROMPT),
        n: CFG.handoffRequests,
        stats_url: `http://127.0.0.1:${PORTS.upstream}/stats`,
      },
      60 + CFG.handoffRequests * 30,
    );
    Object.assign(rec, r);
    if (!r.requests) fail(`handoff ${target}: no measured request (${r.errors} errors)`);
    say(
      `  handoff ${arrival === 'burst' ? '' : `paced ${arrival} `}${target.padEnd(10)} ${r.requests} requests: last image byte upstream -> client p50 ${r.handoff_p50_ms} ms (min ${r.handoff_min_ms}, p90 ${r.handoff_p90_ms})`,
    );
  } catch (err) {
    rec.error = err.message;
    fail(`handoff ${target}: ${err.message}`);
  }
  RESULT.handoff.push(rec);
}

/** The realistic cell: realStreams generations at once from an upstream that is silent for realWaitMs. */
async function measureRealistic(target, imageBytes) {
  const spec = targetSpec(target);
  const rec = {
    id: `realistic.sse.${target}`,
    target,
    streams: CFG.realStreams,
    wait_ms: CFG.realWaitMs,
    image_bytes: imageBytes,
  };
  try {
    const server = P.pidOf(spec.server);
    const cpu0 = P.cpuSeconds(server);
    const r = await client(
      'burst',
      { url: spec.url, headers: spec.headers, body: bodyOf(true, SLOW_PROMPT), n: CFG.realStreams },
      CFG.realWaitMs / 1000 + 120,
    );
    const cpu1 = P.cpuSeconds(server);
    Object.assign(rec, r, {
      cpu_ms_per_request: r.requests ? round(((cpu1.total - cpu0.total) * 1000) / r.requests) : null,
      over_wait_p50_ms: r.total_p50_ms === null ? null : round(r.total_p50_ms - CFG.realWaitMs),
    });
    if (r.requests !== CFG.realStreams)
      fail(`realistic ${target}: ${r.requests}/${CFG.realStreams} answers (${r.errors} errors, ${r.non2xx} non-2xx)`);
    say(
      `  realistic ${target.padEnd(8)} ${r.requests}x: p50 ${r.total_p50_ms} ms (max ${r.total_max_ms}), ${rec.over_wait_p50_ms} ms over the upstream's wait`,
    );
  } catch (err) {
    rec.error = err.message;
    fail(`realistic ${target}: ${err.message}`);
  }
  RESULT.realistic.push(rec);
}

/** Sum of VmRSS (and VmHWM) over the workerd processes under a wrangler. */
function workerdRss(server) {
  const pid = P.pidOf(server);
  if (!pid) return null;
  let rss = 0;
  let hwm = 0;
  let n = 0;
  for (const k of P.descendants(pid)) {
    if (P.comm(k) !== 'workerd') continue;
    try {
      const st = readFileSync(`/proc/${k}/status`, 'utf8');
      rss += Number(/VmRSS:\s+(\d+)/.exec(st)?.[1] ?? 0) * 1024;
      hwm += Number(/VmHWM:\s+(\d+)/.exec(st)?.[1] ?? 0) * 1024;
      n++;
    } catch {}
  }
  return { rss, hwm, processes: n };
}

async function measureMemory(target, imageBytes) {
  const spec = targetSpec(target);
  if (!serverUp(target)) {
    RESULT.memory.push({ id: `memory.${target}`, target, error: 'server not running' });
    return;
  }
  const idle = workerdRss(spec.server);
  let peak = idle.rss;
  let samples = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const s = workerdRss(spec.server);
      if (s && s.rss > peak) peak = s.rss;
      samples++;
      await sleep(20);
    }
  })();
  // The user Worker's isolate itself (what the 128 MB limit counts): V8 heap plus ArrayBuffer
  // backing stores, from the inspector, every 50 ms (a sample waits while the isolate is busy).
  let heap = null;
  let session = null;
  try {
    session = INSPECTOR[target] ? await connectWorker(PORTS[INSPECTOR[target]]) : null;
  } catch (err) {
    RESULT.notes.push(`memory ${target}: no inspector (${err.message})`);
  }
  const size = (h) => h.used + (h.backing ?? 0);
  // The baseline is the lowest sample, before or during the cell: garbage left by earlier cells
  // is not memory in use, and the streams' allocations force the GCs that reveal it (workerd's
  // inspector does not run HeapProfiler.collectGarbage).
  if (session) {
    const first = await heapUsage(session);
    if (first)
      heap = {
        idle_bytes: size(first),
        idle_used_bytes: first.used,
        peak_bytes: size(first),
        peak_used_bytes: first.used,
        backing_reported: first.backing !== null,
        samples: 0,
      };
  }
  const heapSampler = (async () => {
    while (heap && sampling) {
      const h = await heapUsage(session);
      if (h) {
        heap.samples++;
        heap.idle_bytes = Math.min(heap.idle_bytes, size(h));
        heap.idle_used_bytes = Math.min(heap.idle_used_bytes, h.used);
        heap.peak_bytes = Math.max(heap.peak_bytes, size(h));
        heap.peak_used_bytes = Math.max(heap.peak_used_bytes, h.used);
      }
      await sleep(50);
    }
  })();
  // wrk runs in a child process; sample from here meanwhile (spawnSync would block the sampler).
  const w = await new Promise((res) => {
    const args = [
      '-t1',
      `-c${CFG.memStreams}`,
      `-d${CFG.memDuration}s`,
      '--timeout',
      '60s',
      '-s',
      join(BENCH, 'wrk-chat.lua'),
    ];
    for (const [k, v] of Object.entries(spec.headers)) if (k !== 'content-type') args.push('-H', `${k}: ${v}`);
    args.push(spec.url);
    const name = `wrk-mem-${target}`;
    const log = join(LOGS, `${name}.log`);
    writeFileSync(log, '');
    P.start(name, 'wrk', args, { cpu: CPU_LOAD, env: { ...CHILD_ENV, BODY: bodyOf(true) }, log });
    const poll = setInterval(() => {
      if (P.running(name)) return;
      clearInterval(poll);
      P.stop(name);
      const m = /^RESULT (.*)$/m.exec(readFileSync(log, 'utf8'));
      res(m ? JSON.parse(m[1]) : null);
    }, 100);
  });
  sampling = false;
  await sampler;
  await heapSampler;
  session?.close();
  const end = workerdRss(spec.server);
  const inFlight = CFG.memStreams * imageBytes;
  const rec = {
    id: `memory.${target}`,
    target,
    streams: CFG.memStreams,
    mode: 'sse',
    image_bytes: imageBytes,
    in_flight_bytes: inFlight,
    processes: idle.processes,
    samples,
    idle_rss_bytes: idle.rss,
    peak_rss_bytes: peak,
    growth_bytes: peak - idle.rss,
    hwm_sum_bytes: end?.hwm ?? null,
    peak_per_in_flight: ratio(peak, inFlight),
    growth_per_in_flight: ratio(peak - idle.rss, inFlight),
    requests: w?.requests ?? null,
    rps: w?.rps ?? null,
    non2xx: w?.non2xx ?? null,
    socket_errors: w?.socket_errors ?? null,
    isolate: heap && {
      ...heap,
      growth_bytes: heap.peak_bytes - heap.idle_bytes,
      growth_per_in_flight: ratio(heap.peak_bytes - heap.idle_bytes, inFlight),
    },
  };
  if (!w) fail(`memory ${target}: wrk gave no result`);
  say(
    `  memory ${target.padEnd(12)} ${CFG.memStreams} streams x ${(imageBytes / 2 ** 20).toFixed(1)} MiB: idle ${(idle.rss / 2 ** 20).toFixed(0)} MiB, peak ${(peak / 2 ** 20).toFixed(0)} MiB (${samples} samples, ${idle.processes} workerd), ${w?.requests ?? '?'} answers` +
      (heap
        ? `; isolate ${(heap.idle_bytes / 2 ** 20).toFixed(1)} -> ${(heap.peak_bytes / 2 ** 20).toFixed(1)} MiB`
        : ''),
  );
  RESULT.memory.push(rec);
}

/**
 * How many concurrent images of each size one isolate survives under the 128 MB limit, estimated
 * from the memory cell: memory per image = (measured growth / image bytes in flight) x image size,
 * linear in the size; survivors = floor((limit - idle) / memory per image). Two bases: the
 * isolate's own heap + ArrayBuffers (inspector; what the limit counts), and workerd's RSS growth
 * (an upper bound: it also counts the R2/KV/DO simulators and wrangler's proxy worker).
 */
function estimateSurvival() {
  const m = RESULT.memory.find((x) => x.target === 'darkroom' && !x.error);
  if (!m) return;
  const limit = CFG.isolateLimitMiB * 2 ** 20;
  const basis = (perByte, idle) =>
    CFG.survivalImageMB.map((mb) => {
      const perImage = perByte * mb * 1e6;
      return {
        image_mb: mb,
        bytes_per_image: Math.round(perImage),
        images: perImage > 0 ? Math.max(0, Math.floor((limit - idle) / perImage)) : null,
      };
    });
  RESULT.survival = {
    limit_bytes: limit,
    measured_with: `${m.streams} streams x ${(m.image_bytes / 2 ** 20).toFixed(1)} MiB`,
    isolate: m.isolate
      ? {
          growth_per_in_flight: m.isolate.growth_per_in_flight,
          idle_bytes: m.isolate.idle_bytes,
          sizes: basis(m.isolate.growth_per_in_flight, m.isolate.idle_bytes),
        }
      : null,
    rss: { growth_per_in_flight: m.growth_per_in_flight, idle_bytes: 0, sizes: basis(m.growth_per_in_flight, 0) },
  };
}

// ------------------------------------------------------------------------------------ sizes
function sizeOf(name, files, limitKB, floorGzip) {
  const present = files.filter((f) => existsSync(f));
  if (!present.length)
    return { name, missing: true, files: files.map((f) => f.replace(`${ROOT}/`, '')), bytes: null, gzip_bytes: null };
  let bytes = 0;
  let gz = 0;
  for (const f of present) {
    const b = readFileSync(f);
    bytes += b.length;
    gz += gzipSize(b);
  }
  return {
    name,
    missing: false,
    files: present.map((f) => f.replace(`${ROOT}/`, '').replace(`${TMP}/`, '')),
    bytes,
    gzip_bytes: gz,
    limit_gzip_bytes: limitKB ? limitKB * 1000 : null,
    ratio_to_limit: limitKB ? ratio(gz, limitKB * 1000) : null,
    ratio_to_floor: floorGzip ? ratio(gz, floorGzip) : null,
  };
}

// -------------------------------------------------------------------------------- ratios/targets
function computeRatios() {
  const find = (pred) => RESULT.cells.find(pred);
  for (const c of RESULT.cells) {
    // A hit's floor is the static Worker answering the same bytes from memory; a miss's is the floor Worker.
    const base = c.section === 'hit' ? 'static' : 'floor';
    const floor = find(
      (f) =>
        f.section === c.section &&
        f.target === base &&
        f.mode === c.mode &&
        f.image === c.image &&
        f.concurrency === c.concurrency,
    );
    c.floor_cell = floor?.id ?? null;
    c.ratio_to_floor = {
      rps: ratio(c.rps, floor?.rps),
      p50_ms: ratio(c.p50_ms, floor?.p50_ms),
      p99_ms: ratio(c.p99_ms, floor?.p99_ms),
      cpu_ms_per_request: ratio(c.cpu_ms_per_request, floor?.cpu_ms_per_request),
    };
    if ('ttfb_p50_ms' in c) c.ratio_to_floor.ttfb_p50_ms = ratio(c.ttfb_p50_ms, floor?.ttfb_p50_ms);
    if (c.section === 'hit') {
      const miss = find(
        (f) => f.section === 'stream' && f.target === 'floor' && f.mode === c.mode && f.concurrency === c.concurrency,
      );
      c.ratio_to_floor_miss = { p50_ms: ratio(c.p50_ms, miss?.p50_ms), rps: ratio(c.rps, miss?.rps) };
    }
  }
  const fp = RESULT.profiles.find((x) => x.target === 'floor');
  for (const x of RESULT.profiles)
    x.ratio_to_floor = {
      isolate_cpu_ms_per_request: ratio(x.isolate_cpu_ms_per_request, fp?.isolate_cpu_ms_per_request),
    };
  for (const x of RESULT.handoff) {
    const fh = RESULT.handoff.find((y) => y.target === 'floor' && y.arrival === x.arrival);
    x.ratio_to_floor = { handoff_p50_ms: ratio(x.handoff_p50_ms, fh?.handoff_p50_ms) };
  }
  const fr_ = RESULT.realistic.find((x) => x.target === 'floor');
  for (const x of RESULT.realistic) {
    x.ratio_to_floor = {
      total_p50_ms: ratio(x.total_p50_ms, fr_?.total_p50_ms),
      cpu_ms_per_request: ratio(x.cpu_ms_per_request, fr_?.cpu_ms_per_request),
    };
    // What this target adds to each generation on top of the floor, in ms and as a share of the floor's generation time.
    x.added_vs_floor_ms =
      fr_?.total_p50_ms != null && x.total_p50_ms != null ? round(x.total_p50_ms - fr_.total_p50_ms) : null;
    x.added_share_of_generation =
      x.added_vs_floor_ms !== null && fr_.total_p50_ms > 0 ? round(x.added_vs_floor_ms / fr_.total_p50_ms, 5) : null;
  }
  const floorMem = RESULT.memory.find((m) => m.target === 'floor');
  for (const m of RESULT.memory) {
    m.ratio_to_floor = {
      peak_rss_bytes: ratio(m.peak_rss_bytes, floorMem?.peak_rss_bytes),
      growth_bytes: ratio(m.growth_bytes, floorMem?.growth_bytes),
    };
  }
}

function computeTargets() {
  const T = CFG.targets;
  const cells = RESULT.cells;
  // at most (<=) unless `atLeast`; limit null = reported, no target
  const add = (name, description, value, limit, evidence, atLeast = false) =>
    RESULT.targets.push({
      name,
      description,
      value: round(value),
      limit,
      at_least: atLeast,
      met: value === null || value === undefined || limit === null ? null : atLeast ? value >= limit : value <= limit,
      evidence,
    });
  const worst = (xs, hi = true) =>
    xs.some((x) => x === null || x === undefined) || !xs.length ? null : hi ? Math.max(...xs) : Math.min(...xs);

  if (CFG.sections.includes('stream')) {
    const cMin = Math.min(...CFG.concurrency);
    /** One target's streaming-miss cells: all, at the lowest concurrency, and concurrent. */
    const streamOf = (target) => {
      const all = cells.filter((c) => c.section === 'stream' && c.target === target);
      return { all, c1: all.filter((c) => c.concurrency === cMin), many: all.filter((c) => c.concurrency > 1) };
    };
    const { all: d, c1, many } = streamOf('darkroom');
    add(
      'stream_miss_c1_p50_vs_floor',
      `streaming miss, c=${cMin}, p50 latency darkroom / floor (<= ${T.streamC1P50})`,
      worst(c1.map((c) => c.ratio_to_floor.p50_ms)),
      T.streamC1P50,
      c1.map((c) => c.id),
    );
    add(
      'stream_miss_rps_vs_floor',
      `streaming miss, c=${many.map((c) => c.concurrency).join('/')}, rps darkroom / floor, worst (>= ${T.streamRps})`,
      worst(
        many.map((c) => c.ratio_to_floor.rps),
        false,
      ),
      T.streamRps,
      many.map((c) => c.id),
      true,
    );
    add(
      'stream_miss_cpu_vs_floor',
      `CPU per streaming miss, all processes, darkroom / floor, worst over c (<= ${T.streamCpu})`,
      worst(d.map((c) => c.ratio_to_floor.cpu_ms_per_request)),
      T.streamCpu,
      d.map((c) => c.id),
    );
    // The work floor: the floor plus only the storage round trips Darkroom must make
    // (bench/work-floor). Where it is itself above a target, no code of ours can meet that target
    // on this runtime without giving up a guarantee; darkroom / work floor is our own code's share.
    const { all: w, c1: w1, many: wMany } = streamOf('work-floor');
    if (w.length) {
      add(
        'work_floor_stream_c1_p50_vs_floor',
        `work floor (floor + the storage work every generation needs), streaming miss, c=${cMin}, p50 / floor (reported)`,
        worst(w1.map((c) => c.ratio_to_floor.p50_ms)),
        null,
        w1.map((c) => c.id),
      );
      add(
        'work_floor_stream_rps_vs_floor',
        `work floor, streaming miss, c=${wMany.map((c) => c.concurrency).join('/')}, rps / floor, worst (reported)`,
        worst(
          wMany.map((c) => c.ratio_to_floor.rps),
          false,
        ),
        null,
        wMany.map((c) => c.id),
      );
      add(
        'work_floor_stream_cpu_vs_floor',
        'work floor, CPU per streaming miss, all processes / floor, worst over c (reported)',
        worst(w.map((c) => c.ratio_to_floor.cpu_ms_per_request)),
        null,
        w.map((c) => c.id),
      );
      const own = c1.map((c) =>
        ratio(c.p50_ms, w1.find((x) => x.concurrency === c.concurrency && x.mode === c.mode)?.p50_ms),
      );
      add(
        'stream_miss_c1_p50_vs_work_floor',
        `streaming miss, c=${cMin}, p50 darkroom / work floor: our own code's share (reported)`,
        worst(own),
        null,
        [...c1.map((c) => c.id), ...w1.map((c) => c.id)],
      );
    }
    if (CFG.peers.includes('portkey')) {
      const vp = d.map((c) =>
        ratio(
          c.p50_ms,
          cells.find((p) => p.section === 'stream' && p.target === 'portkey' && p.concurrency === c.concurrency)
            ?.p50_ms,
        ),
      );
      add(
        'stream_miss_p50_vs_portkey',
        'streaming miss p50, darkroom / portkey, worst over c (info; < 1: ahead of Portkey)',
        worst(vp),
        null,
        d.map((c) => c.id),
      );
    }
  }
  if (CFG.sections.includes('hit')) {
    const d = cells.filter((c) => c.section === 'hit' && c.target === 'darkroom-hit');
    add(
      'cache_hit_p50_vs_static',
      `cache hit p50 latency, darkroom / static Worker, worst over c (<= ${T.hitP50})`,
      worst(d.map((c) => c.ratio_to_floor.p50_ms)),
      T.hitP50,
      d.map((c) => c.id),
    );
    add(
      'cache_hit_cpu_vs_static',
      `CPU per cache hit, all processes, darkroom / static Worker, worst over c (<= ${T.hitCpu})`,
      worst(d.map((c) => c.ratio_to_floor.cpu_ms_per_request)),
      T.hitCpu,
      d.map((c) => c.id),
    );
  }
  if (CFG.sections.includes('profile')) {
    const d = RESULT.profiles.find((x) => x.target === 'darkroom');
    add(
      'isolate_cpu_vs_floor',
      `Worker isolate's own CPU per streaming miss (V8 profile, c=${CFG.profileConcurrency}), darkroom / floor (info: what Cloudflare bills)`,
      d?.ratio_to_floor?.isolate_cpu_ms_per_request ?? null,
      null,
      RESULT.profiles.map((x) => x.id),
    );
    const wp = RESULT.profiles.find((x) => x.target === 'work-floor');
    if (wp)
      add(
        'work_floor_isolate_cpu_vs_floor',
        `work floor's isolate CPU per streaming miss (V8 profile, c=${CFG.profileConcurrency}) / floor (reported)`,
        wp.ratio_to_floor?.isolate_cpu_ms_per_request ?? null,
        null,
        [wp.id],
      );
  }
  if (CFG.sections.includes('image')) {
    const big = Math.max(...CFG.imageMiB);
    const d = cells.filter((c) => c.section === 'image' && c.target === 'darkroom' && c.image === `${big}MiB`);
    add(
      'image_p50_vs_floor',
      `${big} MiB image answer (JSON, default format) p50, darkroom / floor, worst over c (<= ${T.image})`,
      worst(d.map((c) => c.ratio_to_floor.p50_ms)),
      T.image,
      d.map((c) => c.id),
    );
    const w = cells.filter((c) => c.section === 'image' && c.target === 'work-floor' && c.image === `${big}MiB`);
    if (w.length)
      add(
        'work_floor_image_p50_vs_floor',
        `work floor, ${big} MiB image answer (JSON) p50 / floor, worst over c (reported)`,
        worst(w.map((c) => c.ratio_to_floor.p50_ms)),
        null,
        w.map((c) => c.id),
      );
  }
  if (CFG.sections.includes('handoff')) {
    const d = RESULT.handoff.find((x) => x.target === 'darkroom' && x.arrival === 'burst');
    add(
      'image_handoff_vs_floor',
      `upstream's last image byte -> client's, streamed, default format, ${CFG.handoffImageMiB} MiB, p50 darkroom / floor (<= ${T.handoff})`,
      d?.ratio_to_floor?.handoff_p50_ms ?? null,
      T.handoff,
      [d?.id],
    );
    const p = RESULT.handoff.find((x) => x.target === 'darkroom' && x.arrival !== 'burst');
    if (p)
      add(
        'image_handoff_paced_vs_floor',
        `the same, the image arriving in ${p.arrival} (pieces x ms), p50 darkroom / floor (reported)`,
        p.ratio_to_floor?.handoff_p50_ms ?? null,
        null,
        [p.id],
      );
  }
  if (CFG.sections.includes('memory')) {
    const m = RESULT.memory.find((x) => x.target === 'darkroom');
    const abs = T.memoryBasis === 'absolute';
    const v = (abs ? m?.peak_per_in_flight : m?.growth_per_in_flight) ?? null;
    add(
      abs ? 'peak_rss_vs_in_flight' : 'rss_growth_vs_in_flight',
      `${abs ? 'peak workerd RSS' : 'workerd RSS growth (peak - idle)'}, sum over Darkroom's processes / image bytes in flight (<= ${T.memory})`,
      v,
      T.memory,
      [m?.id],
    );
  }
  if (CFG.sections.includes('realistic')) {
    const d = RESULT.realistic.find((x) => x.target === 'darkroom');
    add(
      'realistic_added_ms',
      `realistic: ${CFG.realStreams} at once, ${CFG.realWaitMs / 1000} s upstream + ${CFG.realImageMiB} MiB image: ms darkroom adds per generation over the floor (p50; info)`,
      d?.added_vs_floor_ms ?? null,
      null,
      RESULT.realistic.map((x) => x.id),
    );
    add(
      'realistic_added_share',
      "realistic: that, as a share of the floor's generation time (info)",
      d?.added_share_of_generation ?? null,
      null,
      RESULT.realistic.map((x) => x.id),
    );
  }
  if (CFG.sections.includes('size')) {
    const b = RESULT.sizes.find((s) => s.name === 'worker_bundle');
    const w = RESULT.sizes.find((s) => s.name === 'widget');
    add(
      'worker_bundle_gzip_kb',
      `Worker bundle, gzip, KB (<= ${T.bundleKB})`,
      b?.gzip_bytes != null ? b.gzip_bytes / 1000 : null,
      T.bundleKB,
      ['size.worker_bundle'],
    );
    add(
      'widget_gzip_kb',
      `dist/web/widget.js, gzip, KB (<= ${T.widgetKB})`,
      w?.gzip_bytes != null ? w.gzip_bytes / 1000 : null,
      T.widgetKB,
      ['size.widget'],
    );
  }
}

// ------------------------------------------------------------------------------------ report
function fmt(x) {
  if (x === null || x === undefined) return '–';
  const a = Math.abs(x);
  return a >= 100 ? String(Math.round(x)) : a >= 10 ? x.toFixed(1) : x.toFixed(2);
}
const fr = (x) => (x === null || x === undefined ? '–' : `${x.toFixed(2)}x`);
const mib = (b) => (b === null || b === undefined ? '–' : (b / 2 ** 20).toFixed(1));

function report() {
  const L = [];
  const m = RESULT.machine;
  L.push(
    `Darkroom benchmark ${RESULT.date} — ${m.cpus} CPUs (${m.cpu_model}), PIN=${CFG.pin ? 1 : 0}, ${CFG.duration}s per cell after ${CFG.warmup}s warm-up, ${CFG.repeat} round(s) (hits ${CFG.hitRepeat}), TTFB ${CFG.ttfbDuration}s`,
  );
  L.push(
    `git ${RESULT.versions.git}; ${Object.entries(RESULT.versions)
      .filter(([k]) => k !== 'git')
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  L.push(
    'rps = requests/s; latencies in ms, p50/p99 to the last byte (wrk), TTFB = first body byte (Node client); cpu ms/req = CPU time of all the target\'s processes during the wrk cell / answers; "x" = ratio to the floor in the same cell; ! = non-2xx or socket errors',
  );
  const bad = (c) => (c.non2xx || c.socket_errors ? '!' : '');
  const table = (title, rows, ttfbCol) => {
    if (!rows.length) return;
    L.push('', `### ${title}`, '');
    L.push(
      `| target | image | c | rps | p50 | p99 |${ttfbCol ? ' ttfb p50 |' : ''} cpu ms/req | rps x | p50 x | p99 x |${ttfbCol ? ' ttfb x |' : ''} cpu x | upstream req |`,
    );
    L.push(`|---|---|--:|--:|--:|--:|${ttfbCol ? '--:|' : ''}--:|--:|--:|--:|${ttfbCol ? '--:|' : ''}--:|--:|`);
    for (const c of rows) {
      L.push(
        `| ${c.target} | ${c.image} ${c.mode} | ${c.concurrency} | ${fmt(c.rps)}${bad(c)} | ${fmt(c.p50_ms)} | ${fmt(c.p99_ms)} |` +
          `${ttfbCol ? ` ${fmt(c.ttfb_p50_ms)} |` : ''} ${fmt(c.cpu_ms_per_request)} | ${fr(c.ratio_to_floor.rps)} | ${fr(c.ratio_to_floor.p50_ms)} | ${fr(c.ratio_to_floor.p99_ms)} |` +
          `${ttfbCol ? ` ${fr(c.ratio_to_floor.ttfb_p50_ms)} |` : ''} ${fr(c.ratio_to_floor.cpu_ms_per_request)} | ${c.upstream_requests ?? '–'}/${c.requests} |`,
      );
    }
  };
  const sec = (s) => RESULT.cells.filter((c) => c.section === s);
  table('1. Streaming, cache miss (Cache-Control: no-store)', sec('stream'), true);
  table('2. Images, non-streaming, cache miss (floor passes the same bytes)', sec('image'), false);
  table('3. Cache hits ("x" = ratio to the static Worker answering the same bytes from memory)', sec('hit'), true);
  if (RESULT.profiles.length) {
    L.push(
      '',
      "### 1b. Worker isolate's own CPU per streaming miss (V8 CPU profile through the inspector; what Cloudflare bills)",
      '',
    );
    L.push('| target | c | answers | isolate busy ms/answer | JS | GC | (program) | busy share of wall | x floor |');
    L.push('|---|--:|--:|--:|--:|--:|--:|--:|--:|');
    for (const x of RESULT.profiles) {
      if (x.error) {
        L.push(`| ${x.target} | ${x.error} ||||||||`);
        continue;
      }
      L.push(
        `| ${x.target} | ${x.concurrency} | ${x.requests} | ${fmt(x.isolate_cpu_ms_per_request)} | ${fmt(x.js_ms_per_request)} | ${fmt(x.gc_ms_per_request)} | ${fmt(x.program_ms_per_request)} | ${fmt(100 * x.isolate_busy_share)}% | ${fr(x.ratio_to_floor.isolate_cpu_ms_per_request)} |`,
      );
    }
    const d = RESULT.profiles.find((x) => x.target === 'darkroom' && x.top_modules_ms_per_request);
    if (d)
      L.push(
        '',
        `Darkroom's isolate, self ms per answer by module: ${d.top_modules_ms_per_request
          .slice(0, 8)
          .map(([k, v]) => `${k} ${fmt(v)}`)
          .join('; ')}`,
      );
  }
  if (RESULT.memory.length) {
    L.push('', '### 4. Memory: workerd RSS, sum over the processes of one wrangler dev', '');
    L.push(
      '| target | streams x image | in flight MiB | idle MiB | peak MiB | growth MiB | peak / in flight | growth / in flight | peak x floor | growth x floor | answers |',
    );
    L.push('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
    for (const x of RESULT.memory) {
      if (x.error) {
        L.push(`| ${x.target} | ${x.error} ||||||||||`);
        continue;
      }
      L.push(
        `| ${x.target} | ${x.streams} x ${mib(x.image_bytes)} MiB sse | ${mib(x.in_flight_bytes)} | ${mib(x.idle_rss_bytes)} | ${mib(x.peak_rss_bytes)} | ${mib(x.growth_bytes)} | ${fr(x.peak_per_in_flight)} | ${fr(x.growth_per_in_flight)} | ${fr(x.ratio_to_floor.peak_rss_bytes)} | ${fr(x.ratio_to_floor.growth_bytes)} | ${x.requests ?? '–'}${x.non2xx || x.socket_errors ? '!' : ''} |`,
      );
    }
  }
  if (RESULT.survival) {
    const S = RESULT.survival;
    L.push(
      '',
      `### 4b. Concurrent images one isolate survives under ${mib(S.limit_bytes)} MiB (estimate, linear in image size, from the ${S.measured_with} memory cell)`,
      '',
    );
    L.push(`| basis | growth / byte in flight | ${S.rss.sizes.map((x) => `${x.image_mb} MB`).join(' | ')} |`);
    L.push(`|---|--:|${S.rss.sizes.map(() => '--:').join('|')}|`);
    if (S.isolate)
      L.push(
        `| isolate heap + ArrayBuffers (inspector), idle ${mib(S.isolate.idle_bytes)} MiB | ${fr(S.isolate.growth_per_in_flight)} | ${S.isolate.sizes.map((x) => x.images ?? '–').join(' | ')} |`,
      );
    L.push(
      `| workerd RSS growth (upper bound: includes simulators) | ${fr(S.rss.growth_per_in_flight)} | ${S.rss.sizes.map((x) => x.images ?? '–').join(' | ')} |`,
    );
  }
  if (RESULT.handoff.length) {
    L.push(
      '',
      "### 6. Image hand-off: upstream's last image byte -> client's, streamed, default format, one request at a time",
      '',
    );
    L.push('| target | arrival | image MiB | requests | p50 ms | min | p90 | max | p50 x floor |');
    L.push('|---|---|--:|--:|--:|--:|--:|--:|--:|');
    for (const x of RESULT.handoff) {
      if (x.error) {
        L.push(`| ${x.target} | ${x.arrival} | ${x.error} ||||||`);
        continue;
      }
      L.push(
        `| ${x.target} | ${x.arrival} | ${mib(x.image_bytes)} | ${x.requests} | ${fmt(x.handoff_p50_ms)} | ${fmt(x.handoff_min_ms)} | ${fmt(x.handoff_p90_ms)} | ${fmt(x.handoff_max_ms)} | ${fr(x.ratio_to_floor.handoff_p50_ms)} |`,
      );
    }
  }
  if (RESULT.realistic.length) {
    L.push(
      '',
      `### 7. Realistic: ${CFG.realStreams} generations at once, upstream silent ${CFG.realWaitMs / 1000} s then streams a ${CFG.realImageMiB} MiB image`,
      '',
    );
    L.push(
      '| target | answers | p50 ms | min | max | over the wait, p50 ms | added vs floor ms | share of generation | cpu ms/gen | cpu x floor |',
    );
    L.push('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
    for (const x of RESULT.realistic) {
      if (x.error) {
        L.push(`| ${x.target} | ${x.error} |||||||||`);
        continue;
      }
      L.push(
        `| ${x.target} | ${x.requests} | ${fmt(x.total_p50_ms)} | ${fmt(x.total_min_ms)} | ${fmt(x.total_max_ms)} | ${fmt(x.over_wait_p50_ms)} | ${fmt(x.added_vs_floor_ms)} | ${x.added_share_of_generation === null ? '–' : `${(100 * x.added_share_of_generation).toFixed(2)}%`} | ${fmt(x.cpu_ms_per_request)} | ${fr(x.ratio_to_floor.cpu_ms_per_request)} |`,
      );
    }
  }
  if (RESULT.sizes.length) {
    L.push('', '### 5. Sizes (gzip level 6; KB = 1000 B)', '');
    L.push('| artefact | files | raw KB | gzip KB | x floor bundle | x limit |');
    L.push('|---|---|--:|--:|--:|--:|');
    for (const s of RESULT.sizes) {
      if (s.missing) {
        L.push(`| ${s.name} | MISSING: ${s.files.join(', ')} | – | – | – | – |`);
        continue;
      }
      const files = s.files.length > 2 ? `${s.files.length} files` : s.files.join(', ');
      L.push(
        `| ${s.name} | ${files} | ${(s.bytes / 1000).toFixed(1)} | ${(s.gzip_bytes / 1000).toFixed(1)} | ${fr(s.ratio_to_floor)} | ${fr(s.ratio_to_limit)} |`,
      );
    }
  }
  if (RESULT.targets.length) {
    L.push('', '### Targets', '');
    L.push('| target | value | limit | verdict |');
    L.push('|---|--:|--:|:-:|');
    for (const t of RESULT.targets) {
      const verdict = t.limit === null ? 'info' : t.met === null ? 'n/a' : t.met ? 'MET' : 'MISSED';
      L.push(
        `| ${t.description} | ${t.value ?? '–'} | ${t.limit === null ? '–' : `${t.at_least ? '>=' : '<='} ${t.limit}`} | ${verdict} |`,
      );
    }
  }
  if (RESULT.variants) L.push(...variantsReport(RESULT.variants));
  if (RESULT.errors.length) L.push('', '### Errors', '', ...RESULT.errors.map((e) => `- ${e}`));
  return L.join('\n');
}

// -------------------------------------------------------------------------------------- main
function imagePxFor(bytes) {
  // NOISE_BITS=8 makes every pixel byte random, so the PNG is incompressible and its size is
  // predictable: h * (1 + 3w) bytes of scanlines + ~0.03% deflate framing + 57 B of chunks.
  return Math.max(1, Math.floor((-1 + Math.sqrt(1 + 12 * bytes)) / 6));
}

async function main() {
  const tStart = Date.now();
  RESULT.machine = {
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model?.trim(),
    kernel: os.release(),
    mem_gib: round(os.totalmem() / 2 ** 30, 1),
    hostname: os.hostname(),
  };
  ensureWrk();
  pinSelf();
  const git = sh('git', ['rev-parse', '--short', 'HEAD']).out.trim();
  const dirty = sh('git', ['status', '--porcelain', '--', 'worker', 'shared', 'web', 'wrangler.toml'])
    .out.trim()
    .split('\n')
    .filter(Boolean).length;
  RESULT.versions = {
    git: `${git}${dirty ? ` (+${dirty} uncommitted files in worker/ shared/ web/)` : ''}`,
    node: process.version,
    wrk: sh('wrk', ['--version']).out.split('\n')[0].split(' ').slice(0, 2).join(' '),
    wrangler: version(join(ROOT, 'node_modules/wrangler')),
    workerd:
      version(join(ROOT, 'node_modules/wrangler/node_modules/workerd')) ?? version(join(ROOT, 'node_modules/workerd')),
    hono: version(join(ROOT, 'node_modules/hono')),
    portkey: version(join(ROOT, 'node_modules/@portkey-ai/gateway')),
    'hono-node-server': version(join(ROOT, 'node_modules/@hono/node-server')),
  };
  if (RESULT.versions.portkey !== PORTKEY_VERSION)
    RESULT.notes.push(`Portkey is ${RESULT.versions.portkey}, expected ${PORTKEY_VERSION}`);
  say(`logs in ${LOGS}`);

  // Build the site (assets + widget), then freeze both Workers as deploy bundles.
  if (CFG.build) {
    say('npm run build');
    const b = sh('npm', ['run', '--silent', 'build']);
    writeFileSync(join(LOGS, 'build.log'), b.out);
    if (!b.ok)
      fail(`npm run build failed (see ${join(LOGS, 'build.log')}): ${b.out.split('\n').slice(-8).join(' | ')}`);
  }
  const distWeb = join(ROOT, 'dist/web');
  const assets = join(TMP, 'darkroom-assets');
  if (existsSync(distWeb)) cpSync(distWeb, assets, { recursive: true });
  else {
    mkdirSync(assets, { recursive: true });
    fail('dist/web is missing: the site, widget and playground sizes are reported missing');
  }

  // Darkroom's dry run uses the frozen assets too (wrangler checks the directory exists).
  // BENCH_DARKROOM_TOML swaps in another Worker config (for testing the harness itself).
  const drToml = resolve(ROOT, env.BENCH_DARKROOM_TOML || 'wrangler.toml');
  const flToml = join(BENCH, 'floor/wrangler.toml');
  const wfToml = join(BENCH, 'work-floor/wrangler.toml');
  const stToml = join(BENCH, 'static/wrangler.toml');
  const wantStatic = CFG.sections.includes('hit');
  say('bundling Darkroom and the floor (wrangler deploy --dry-run)');
  const drSrc = derivedConfig(drToml, { assetsDir: assets }, join(TMP, 'darkroom-src/wrangler.toml'));
  const wantMin = CFG.minifiedSize && CFG.sections.includes('size');
  const [drBundle, flBundle, drMin, stBundle, wfBundle] = await Promise.all([
    dryRun(drSrc, join(TMP, 'darkroom-bundle')),
    dryRun(derivedConfig(flToml, {}, join(TMP, 'floor-src/wrangler.toml')), join(TMP, 'floor-bundle')),
    wantMin ? dryRun(drSrc, join(TMP, 'darkroom-bundle-min'), ['--minify']) : null,
    wantStatic
      ? dryRun(derivedConfig(stToml, {}, join(TMP, 'static-src/wrangler.toml')), join(TMP, 'static-bundle'))
      : null,
    dryRun(derivedConfig(wfToml, {}, join(TMP, 'work-floor-src/wrangler.toml')), join(TMP, 'work-floor-bundle')),
  ]);
  if (!wfBundle.ok) fail(`could not bundle the work floor Worker: ${wfBundle.out.split('\n').slice(-12).join(' | ')}`);
  if (stBundle && !stBundle.ok)
    fail(`could not bundle the static Worker: ${stBundle.out.split('\n').slice(-12).join(' | ')}`);
  if (!flBundle.ok)
    throw new Error(`could not bundle the floor Worker: ${flBundle.out.split('\n').slice(-12).join(' | ')}`);
  if (!drBundle.ok)
    fail(
      `could not bundle Darkroom (wrangler deploy --dry-run): ${drBundle.out
        .split('\n')
        .filter((l) => /ERROR|error/.test(l))
        .slice(0, 6)
        .join(' | ')}`,
    );

  // Ports and servers. Everything on 127.0.0.1.
  for (const k of [
    'upstream',
    'floor',
    'floorInspector',
    'workFloor',
    'workFloorInspector',
    'static',
    'staticInspector',
    'darkroom',
    'darkroomInspector',
    'portkey',
  ])
    PORTS[k] = await freePort();
  const streamNoise = 1;
  const startupWaits = [];
  await startUpstream(CFG.streamImagePx, streamNoise);
  UP_STATE.set('upstream', true);
  const flCfg = derivedConfig(flToml, { main: mainOf(flBundle, 'floor-bundle') }, join(TMP, 'floor-run/wrangler.toml'));
  startWrangler('floor', flCfg, PORTS.floor, PORTS.floorInspector, [`UPSTREAM_BASE_URL:${UP_URL()}`]);
  startupWaits.push(
    waitHttp(`http://127.0.0.1:${PORTS.floor}/`, 'wrangler-floor').then((ok) => UP_STATE.set('wrangler-floor', ok)),
  );
  if (wfBundle.ok) {
    const wfCfg = derivedConfig(
      wfToml,
      { main: mainOf(wfBundle, 'work-floor-bundle') },
      join(TMP, 'work-floor-run/wrangler.toml'),
    );
    startWrangler('work-floor', wfCfg, PORTS.workFloor, PORTS.workFloorInspector, [`UPSTREAM_BASE_URL:${UP_URL()}`]);
    startupWaits.push(
      waitHttp(`http://127.0.0.1:${PORTS.workFloor}/`, 'wrangler-work-floor').then((ok) =>
        UP_STATE.set('wrangler-work-floor', ok),
      ),
    );
  }
  if (stBundle?.ok) {
    const stCfg = derivedConfig(
      stToml,
      { main: mainOf(stBundle, 'static-bundle') },
      join(TMP, 'static-run/wrangler.toml'),
    );
    startWrangler('static', stCfg, PORTS.static, PORTS.staticInspector, []);
    startupWaits.push(
      waitHttp(`http://127.0.0.1:${PORTS.static}/`, 'wrangler-static').then((ok) =>
        UP_STATE.set('wrangler-static', ok),
      ),
    );
  }
  if (drBundle.ok) {
    const drCfg = derivedConfig(
      drToml,
      { main: mainOf(drBundle, 'darkroom-bundle'), assetsDir: assets },
      join(TMP, 'darkroom-run/wrangler.toml'),
    );
    // The console's D1 schema, as `npm start` applies it: the usage writes a deployed Worker makes
    // (batched, off the answer's path) are then measured too, instead of failing.
    const migrated = applyLocalMigrations({
      config: drCfg,
      persistTo: join(TMP, 'darkroom-state'),
      env: CHILD_ENV,
      cwd: ROOT,
    });
    if (!migrated.ok) say(`WARN d1 migrations for darkroom failed: ${migrated.out.slice(-300)}`);
    startWrangler('darkroom', drCfg, PORTS.darkroom, PORTS.darkroomInspector, [
      'DARKROOM_ENV:development',
      `UPSTREAM_BASE_URL:${UP_URL()}`,
      ...CFG.darkroomVars,
    ]);
    startupWaits.push(
      waitHttp(`http://127.0.0.1:${PORTS.darkroom}/healthz`, 'wrangler-darkroom').then((ok) =>
        UP_STATE.set('wrangler-darkroom', ok),
      ),
    );
  }
  if (CFG.peers.includes('portkey') && CFG.sections.includes('stream')) {
    startPortkey(PORTS.portkey);
    startupWaits.push(
      waitHttp(`http://127.0.0.1:${PORTS.portkey}/`, 'portkey', 30).then((ok) => UP_STATE.set('portkey', ok)),
    );
  }
  say(
    `starting servers: upstream :${PORTS.upstream}, floor :${PORTS.floor}, work floor :${PORTS.workFloor}, static :${PORTS.static}, darkroom :${PORTS.darkroom}, portkey :${PORTS.portkey}`,
  );
  await Promise.all(startupWaits);
  for (const [name, port] of [
    ['upstream', PORTS.upstream],
    ['wrangler-floor', PORTS.floor],
    ['wrangler-work-floor', PORTS.workFloor],
    ['wrangler-static', PORTS.static],
    ['wrangler-darkroom', PORTS.darkroom],
    ['portkey', PORTS.portkey],
  ]) {
    if (UP_STATE.get(name)) assertLoopbackOnly(port);
  }
  if (!UP_STATE.get('wrangler-floor')) throw new Error('the floor Worker did not start');
  if (wfBundle.ok && !UP_STATE.get('wrangler-work-floor')) fail('the work floor Worker did not start (see its log)');
  if (stBundle?.ok && !UP_STATE.get('wrangler-static')) fail('the static Worker did not start (see its log)');
  if (drBundle.ok && !UP_STATE.get('wrangler-darkroom')) fail('Darkroom did not start (see its log)');
  if (CFG.peers.includes('portkey') && UP_STATE.has('portkey') && !UP_STATE.get('portkey'))
    fail('Portkey did not start');

  // ---- 1 + 3: streaming cache misses, then cache hits, with the tiny image.
  const tiny = `${CFG.streamImagePx}px`;
  const tinyBytes = (await check('direct', false)).image.bytes;
  const streamTargets = ['floor', 'work-floor', 'darkroom', ...CFG.peers];
  if (CFG.sections.includes('stream') || CFG.sections.includes('hit')) {
    say(`checks (image ${tiny})`);
    await checkAll(CFG.sections.includes('stream') ? streamTargets : ['floor', 'darkroom'], [false, true]);
  }
  if (CFG.sections.includes('stream')) {
    say('1. streaming cache-miss');
    for (const c of CFG.concurrency)
      await measureGroup({
        section: 'stream',
        targets: streamTargets,
        stream: true,
        conc: c,
        imageBytes: tinyBytes,
        withTtfb: true,
        label: tiny,
      });
  } else if (CFG.sections.includes('hit')) {
    for (const c of CFG.concurrency)
      await measureGroup({
        section: 'stream',
        targets: ['floor'],
        stream: true,
        conc: c,
        imageBytes: tinyBytes,
        withTtfb: true,
        label: tiny,
      });
  }
  if (CFG.sections.includes('hit')) {
    say('3. cache hits');
    let hit = null;
    if (serverUp('darkroom-hit')) {
      // Prime: the same seeded request without no-store is stored; wait until it comes back as a HIT.
      try {
        for (let i = 0; i < 20 && !hit; i++) {
          const r = await check('darkroom-hit', true);
          if (r.cache === 'HIT') hit = r;
          else await sleep(250);
        }
        if (!hit) fail('cache hits: 20 identical seeded requests never answered x-cache: HIT');
        else say('  primed: x-cache HIT');
      } catch (err) {
        fail(`cache hits: priming failed: ${err.message}`);
      }
    }
    // The static Worker answers exactly Darkroom's hit (same bytes, same content type) from memory.
    if (hit && serverUp('static')) {
      const r = await request(`http://127.0.0.1:${PORTS.static}/__body`, {
        headers: { 'x-answer-content-type': hit.content_type ?? 'text/event-stream' },
        body: hit.body,
      });
      if (r.status !== 200) fail(`static Worker: loading the body answered ${r.status}`);
      else await checkAll(['static'], [true]);
    }
    for (const c of CFG.concurrency)
      await measureGroup({
        section: 'hit',
        targets: ['static', 'darkroom-hit'],
        stream: true,
        conc: c,
        imageBytes: tinyBytes,
        withTtfb: true,
        label: tiny,
        repeat: CFG.hitRepeat,
      });
    for (const cell of RESULT.cells.filter((x) => x.section === 'hit')) {
      if (cell.upstream_requests)
        RESULT.notes.push(`${cell.id}: ${cell.upstream_requests} requests reached the upstream during the hit cell`);
    }
  }
  await P.stop('portkey');
  if (CFG.sections.includes('profile')) {
    say(`1b. isolate CPU (V8 profile), streaming miss c=${CFG.profileConcurrency}`);
    await measureProfile('floor', null);
    if (serverUp('work-floor')) await measureProfile('work-floor', null);
    if (serverUp('darkroom'))
      await measureProfile('darkroom', drBundle.ok ? mainOf(drBundle, 'darkroom-bundle') : null);
  }
  await P.stop('wrangler-static');

  // ---- 2 + 4: image cells (non-streaming) per size; memory with the size it needs.
  const sizes = CFG.sections.includes('image') ? [...CFG.imageMiB] : [];
  for (const [section, mb] of [
    ['memory', CFG.memImageMiB],
    ['handoff', CFG.handoffImageMiB],
    ['realistic', CFG.realImageMiB],
  ]) {
    if (CFG.sections.includes(section) && !sizes.includes(mb)) sizes.push(mb);
  }
  for (const mb of sizes) {
    const px = imagePxFor(mb * 2 ** 20);
    say(`fake upstream: ${px}x${px} random-noise PNG (~${mb} MiB)`);
    await startUpstream(px, 8);
    const bytes = (await check('direct', false)).image.bytes;
    const label = `${mb}MiB`;
    const imgTargets = [
      'floor',
      'work-floor',
      ...CFG.imageFormats.map((f) => (f === 'url' ? 'darkroom-url' : 'darkroom')),
    ];
    await checkAll(imgTargets, [false]);
    if (CFG.sections.includes('image') && CFG.imageMiB.includes(mb)) {
      say(`2. images, ${label} (${bytes} B PNG)`);
      for (const c of CFG.imageConcurrency)
        await measureGroup({
          section: 'image',
          targets: imgTargets,
          stream: false,
          conc: c,
          imageBytes: bytes,
          withTtfb: false,
          label,
        });
    }
    if (CFG.sections.includes('memory') && mb === CFG.memImageMiB) {
      say(`4. memory, ${CFG.memStreams} streams x ${label}`);
      await checkAll(['darkroom'], [true]);
      await measureMemory('floor', bytes);
      await measureMemory('darkroom', bytes);
    }
    if (CFG.sections.includes('handoff') && mb === CFG.handoffImageMiB) {
      say(`6. image hand-off, ${label}, ${CFG.handoffRequests} streamed requests one after another`);
      for (const t of ['direct', 'floor', 'darkroom']) if (serverUp(t)) await measureHandoff(t, bytes);
      const [pieces, everyMs] = CFG.handoffPace.split('x').map(Number);
      if (pieces > 0) {
        const r = await request(`http://127.0.0.1:${PORTS.upstream}/__script`, {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ match: PACED_PROMPT, steps: [{ kind: 'dribble', pieces, everyMs: everyMs || 0 }] }),
        });
        if (r.status !== 200) fail(`handoff paced: scripting the upstream answered ${r.status}`);
        for (const t of ['direct', 'floor', 'darkroom'])
          if (serverUp(t)) await measureHandoff(t, bytes, CFG.handoffPace);
      }
    }
    if (CFG.sections.includes('realistic') && mb === CFG.realImageMiB) {
      say(`7. realistic: ${CFG.realStreams} at once, upstream silent ${CFG.realWaitMs} ms, ${label}`);
      const r = await request(`http://127.0.0.1:${PORTS.upstream}/__script`, {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ match: SLOW_PROMPT, steps: [{ kind: 'wait', ms: CFG.realWaitMs }] }),
      });
      if (r.status !== 200) fail(`realistic: scripting the upstream answered ${r.status}`);
      // Not the work floor: its whole-answer decode at the end is no floor for a streamed 2 MiB image
      // (it added 1.5-1.9 s here where Darkroom's relay added 0.1-0.7 s).
      for (const t of ['floor', 'darkroom']) if (serverUp(t)) await measureRealistic(t, bytes);
    }
  }
  estimateSurvival();

  // ---- 5: sizes
  if (CFG.sections.includes('size')) {
    const T = CFG.targets;
    const floorGz = flBundle.gzip_bytes;
    const wb = drBundle.ok
      ? {
          ...sizeOf(
            'worker_bundle',
            drBundle.files.map((f) => join(TMP, 'darkroom-bundle', f)),
            T.bundleKB,
            floorGz,
          ),
          wrangler_gzip_kib: drBundle.wrangler_gzip_kib,
        }
      : {
          name: 'worker_bundle',
          missing: true,
          files: ['(wrangler deploy --dry-run failed)'],
          bytes: null,
          gzip_bytes: null,
        };
    RESULT.sizes.push(wb);
    if (drMin?.ok)
      RESULT.sizes.push({
        ...sizeOf(
          'worker_bundle_minified',
          drMin.files.map((f) => join(TMP, 'darkroom-bundle-min', f)),
          T.bundleKB,
          floorGz,
        ),
        info: 'with --minify; not what `wrangler deploy` ships unless wrangler.toml sets minify = true',
      });
    RESULT.sizes.push({
      ...sizeOf(
        'floor_bundle',
        flBundle.files.map((f) => join(TMP, 'floor-bundle', f)),
        null,
        floorGz,
      ),
      wrangler_gzip_kib: flBundle.wrangler_gzip_kib,
    });
    RESULT.sizes.push(sizeOf('widget', [join(assets, 'widget.js')], T.widgetKB, floorGz));
    const assetJs = existsSync(join(assets, 'assets'))
      ? readdirSync(join(assets, 'assets'))
          .filter((f) => /\.m?js$/.test(f))
          .map((f) => join(assets, 'assets', f))
      : [];
    RESULT.sizes.push(sizeOf('playground_js', assetJs.length ? assetJs : [join(assets, 'assets/*.js')], null, floorGz));
    for (const s of RESULT.sizes) s.files = s.files.map((f) => f.replace('darkroom-assets/', 'dist/web/'));
  }

  // ---- 8: image variants (bench/variants.mjs: its own upstream and wrangler dev)
  if (CFG.sections.includes('variants')) {
    try {
      RESULT.variants = await runVariants({ say, tmp: TMP });
    } catch (err) {
      fail(`variants: ${err.message}`);
    }
  }

  computeRatios();
  computeTargets();
  if (RESULT.variants) RESULT.targets.push(...RESULT.variants.targets);
  RESULT.duration_s = round((Date.now() - tStart) / 1000, 1);
}

let code = 0;
try {
  await main();
} catch (err) {
  fail(`aborted: ${err.stack ?? err.message}`);
  code = 1;
} finally {
  await cleanup();
}
if (RESULT.errors.length) code = 1;
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, `${JSON.stringify(RESULT, null, 2)}\n`);
const text = report();
console.log(text);
say(`wrote ${OUT}; logs in ${LOGS}`);
if (env.BENCH_STRICT === '1' && RESULT.targets.some((t) => t.met === false)) code = code || 2;
process.exit(code);
