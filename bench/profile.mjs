#!/usr/bin/env node
// CPU profile of one Worker under load: `node bench/profile.mjs` (not part of `npm run bench`).
// Starts the fake upstream and the Worker exactly as bench/run.mjs does (frozen deploy bundle,
// `wrangler dev --local --no-bundle`, pinned), warms it up, then records a V8 CPU profile of the
// Worker's isolate through wrangler's inspector while wrk drives it, and prints the functions
// with the most self time and the time per bundle section (the `// path` comments esbuild
// writes above each module).
//
// Env: PROFILE_TOML (wrangler.toml of the Worker; default the repo's, i.e. Darkroom),
//      PROFILE_MODE=sse|json, PROFILE_PX=64 (image edge), PROFILE_NOISE=1, PROFILE_CONC=32,
//      PROFILE_DURATION=10, PROFILE_HEADERS="x-image-format: url|other: value",
//      PROFILE_CACHE=miss|hit, PROFILE_VARS="NAME:VALUE ...", PROFILE_TOP=30, PIN=1.
// Writes bench/results/profile-<stamp>.cpuprofile.json (open it in Chrome DevTools).
import { spawnSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SourceMap } from 'node:module';
import { request } from './lib/client.mjs';
import * as P from './lib/procs.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;
const MODE = env.PROFILE_MODE ?? 'sse';
const CONC = Number(env.PROFILE_CONC ?? 32);
const DURATION = Number(env.PROFILE_DURATION ?? 10);
const PIN = env.PIN !== '0';
const TOML = resolve(ROOT, env.PROFILE_TOML ?? 'wrangler.toml');
const TOP = Number(env.PROFILE_TOP ?? 30);
const STAMP = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
const TMP = mkdtempSync(join(os.tmpdir(), 'darkroom-profile-'));
const CHILD_ENV = { ...env, PATH: `${join(ROOT, 'node_modules/.bin')}:${env.PATH}`, WRANGLER_SEND_METRICS: 'false', CI: '1' };
const say = (...a) => console.error('[profile]', ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const cleanup = async () => { await P.stopAll(); rmSync(TMP, { recursive: true, force: true }); };
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => cleanup().finally(() => process.exit(130)));
process.on('exit', () => P.killAllSync());

const freePort = () => new Promise((res) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); }); });

function derived(src, main, assets, dest) {
  let t = readFileSync(src, 'utf8');
  const m = /^main\s*=\s*"([^"]+)"\s*$/m.exec(t);
  t = t.replace(m[0], `main = ${JSON.stringify(main ?? resolve(dirname(src), m[1]))}`);
  if (/^\[assets\]/m.test(t)) t = t.replace(/^directory\s*=.*$/m, `directory = ${JSON.stringify(assets)}`);
  mkdirSync(dirname(dest), { recursive: true });
  writeFileSync(dest, t);
  return dest;
}

async function waitHttp(url, name) {
  for (let i = 0; i < 360; i++) {
    try { await request(url, { method: 'GET', timeoutMs: 2000 }); return; } catch {}
    if (!P.running(name)) break;
    await sleep(250);
  }
  throw new Error(`${name} did not answer at ${url}`);
}

function wrk(url, headers, body, seconds) {
  const args = ['-t1', `-c${CONC}`, `-d${seconds}s`, '--timeout', '30s', '-s', join(ROOT, 'bench/wrk-chat.lua')];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
  args.push(url);
  return new Promise((res) => {
    const child = spawn(PIN ? 'taskset' : 'wrk', PIN ? ['-c', '0', 'wrk', ...args] : args, { env: { ...CHILD_ENV, BODY: body } });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.on('close', () => res(JSON.parse(/^RESULT (.*)$/m.exec(out)?.[1] ?? 'null')));
  });
}

/** Minimal Chrome DevTools Protocol client over WebSocket (Node 22 has a global WebSocket). */
async function cdp(wsUrl, origin) {
  // wrangler's inspector proxy refuses WebSocket upgrades without an Origin header.
  const ws = new WebSocket(wsUrl, { headers: { origin } });
  await new Promise((res, rej) => { ws.onopen = res; ws.onerror = rej; });
  let id = 0;
  const waiting = new Map();
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (msg.id && waiting.has(msg.id)) { waiting.get(msg.id)(msg); waiting.delete(msg.id); }
  };
  return {
    send: (method, params = {}) => new Promise((res) => { const i = ++id; waiting.set(i, res); ws.send(JSON.stringify({ id: i, method, params })); }),
    close: () => ws.close(),
  };
}

function summarize(profile, bundleText, mapText) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const counts = new Map();
  for (const s of profile.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
  const dt = (profile.endTime - profile.startTime) / profile.samples.length / 1000; // ms per sample
  // esbuild marks each module with a `// <path>` line; map bundle lines to modules.
  const lines = bundleText.split('\n');
  const moduleAt = [];
  let current = '(bundle prelude)';
  for (let i = 0; i < lines.length; i++) {
    const m = /^\/\/ (\S+\.(?:ts|js|mjs|cjs))$/.exec(lines[i]);
    if (m) current = m[1].replace(/^(\.\.\/)+/, '').replace(/^.*?\b(node_modules|worker|shared|src)\//, '$1/');
    moduleAt[i] = current;
  }
  // With a source map (minified bundles), frames are named by their original file and line.
  const map = mapText ? new SourceMap(JSON.parse(mapText)) : null;
  const orig = (cf) => {
    const e = map?.findEntry(cf.lineNumber, cf.columnNumber);
    return e && e.originalSource ? { file: e.originalSource.replace(/^.*?\b(node_modules|worker|shared|src)\//, '$1/'), line: e.originalLine + 1 } : null;
  };
  const modOf = (cf) => orig(cf)?.file ?? moduleAt[cf.lineNumber] ?? '(bundle)';
  const keyOf = (cf) => {
    if (!cf.url) return cf.functionName || '(anonymous)';
    const o = orig(cf);
    return `${cf.functionName || '(anonymous)'} ${o ? `${o.file}:${o.line}` : `${cf.url.split('/').pop()}:${cf.lineNumber + 1} [${moduleAt[cf.lineNumber] ?? '?'}]`}`;
  };
  const self = new Map();
  const incl = new Map();
  const byModule = new Map();
  let total = 0;
  for (const [id, n] of counts) {
    const cf = nodes.get(id).callFrame;
    const ms = n * dt;
    total += ms;
    self.set(keyOf(cf), (self.get(keyOf(cf)) ?? 0) + ms);
    // Native code (url '') is charged to the nearest bundle frame above it.
    let owner = id;
    while (owner !== undefined && !nodes.get(owner).callFrame.url) owner = parent.get(owner);
    const mod = owner === undefined ? nodes.get(id).callFrame.functionName || '(native, no JS caller)' : modOf(nodes.get(owner).callFrame);
    byModule.set(mod, (byModule.get(mod) ?? 0) + ms);
    const seen = new Set();
    for (let a = id; a !== undefined; a = parent.get(a)) {
      const k = keyOf(nodes.get(a).callFrame);
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + ms);
    }
  }
  const top = (m, f = () => true) => [...m].filter(([k]) => f(k)).sort((a, b) => b[1] - a[1]).slice(0, TOP);
  const pr = (title, rows) => {
    console.log(`\n${title}`);
    for (const [k, v] of rows) console.log(`${v.toFixed(0).padStart(7)} ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`);
  };
  console.log(`\nCPU profile: ${total.toFixed(0)} ms sampled over ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s (idle = waiting)`);
  pr('self ms (native code charged to its nearest JS caller), by module', top(byModule));
  pr('self ms, by function', top(self));
  pr('total ms (self + callees), by bundle function', top(incl, (k) => k.includes(' ') && /:\d+/.test(k) && !/\(root\)/.test(k)));
}

try {
  // Bundle like bench/run.mjs, then serve the frozen bundle.
  const assets = join(TMP, 'assets');
  if (existsSync(join(ROOT, 'dist/web'))) cpSync(join(ROOT, 'dist/web'), assets, { recursive: true });
  else mkdirSync(assets, { recursive: true });
  const out = join(TMP, 'bundle');
  const d = spawnSync('wrangler', ['deploy', '--dry-run', '--outdir', out, '-c', derived(TOML, null, assets, join(TMP, 'src/wrangler.toml'))], { cwd: ROOT, env: CHILD_ENV, encoding: 'utf8' });
  if (d.status !== 0) throw new Error(`dry run failed:\n${d.stdout}${d.stderr}`);
  const main = join(out, readdirSync(out).find((f) => f.endsWith('.js')));
  const [up, port, insp] = [await freePort(), await freePort(), await freePort()];
  P.start('upstream', process.execPath, [join(ROOT, 'tests/fixtures/fake-upstream.mjs'), String(up)], {
    cpu: PIN ? 0 : null, env: { ...CHILD_ENV, IMAGE_SIZE: env.PROFILE_PX ?? '64', NOISE_BITS: env.PROFILE_NOISE ?? '1' }, log: join(TMP, 'upstream.log'),
  });
  const vars = ['DARKROOM_ENV:development', `UPSTREAM_BASE_URL:http://127.0.0.1:${up}/v1`, 'DEV_RPM:1000000000', 'DEV_CONCURRENCY:1000000', 'DEV_DAILY_USD:-1',
    ...(env.PROFILE_VARS ?? '').split(/\s+/).filter(Boolean)];
  P.start('wrangler', 'wrangler', ['dev', '--local', '--no-bundle', '-c', derived(TOML, main, assets, join(TMP, 'run/wrangler.toml')),
    '--ip', '127.0.0.1', '--port', String(port), '--inspector-ip', '127.0.0.1', '--inspector-port', String(insp),
    '--log-level', 'warn', '--show-interactive-dev-session=false', '--persist-to', join(TMP, 'state'), ...vars.flatMap((v) => ['--var', v])],
  { cpu: PIN ? 1 : null, cwd: join(TMP, 'run'), env: CHILD_ENV, log: join(TMP, 'wrangler.log') });
  await waitHttp(`http://127.0.0.1:${up}/health`, 'upstream');
  await waitHttp(`http://127.0.0.1:${port}/healthz`, 'wrangler');

  const url = `http://127.0.0.1:${port}/v1/chat/completions`;
  const headers = { authorization: 'Bearer sk-local-dev' };
  if ((env.PROFILE_CACHE ?? 'miss') === 'miss') headers['cache-control'] = 'no-store';
  for (const h of (env.PROFILE_HEADERS ?? '').split('|').filter(Boolean)) { const [k, ...v] = h.split(':'); headers[k.trim()] = v.join(':').trim(); }
  const body = JSON.stringify({ model: 'openai/gpt-5.4-image-2', messages: [{ role: 'user', content: 'a watercolor fox' }], seed: 42, stream: MODE === 'sse' });
  if (env.PROFILE_CACHE === 'hit') await request(url, { headers: { ...headers, 'content-type': 'application/json' }, body });
  say('warm-up 3 s');
  await wrk(url, headers, body, 3);

  const targets = JSON.parse((await request(`http://127.0.0.1:${insp}/json`, { method: 'GET' })).body.toString());
  const target = targets.find((t) => !/proxy|ProxyWorker/i.test(t.title ?? '')) ?? targets[0];
  say(`inspector targets: ${targets.map((t) => t.title).join(', ')}; profiling "${target.title}"`);
  const c = await cdp(target.webSocketDebuggerUrl, `http://127.0.0.1:${insp}`);
  await c.send('Profiler.enable');
  await c.send('Profiler.setSamplingInterval', { interval: 200 });
  await c.send('Profiler.start');
  const w = await wrk(url, headers, body, DURATION);
  const { result } = await c.send('Profiler.stop');
  c.close();
  say(`wrk during profiling: ${JSON.stringify(w)}`);
  const file = join(ROOT, 'bench/results', `profile-${STAMP}.cpuprofile.json`);
  writeFileSync(file, JSON.stringify(result.profile));
  say(`wrote ${file}`);
  summarize(result.profile, readFileSync(main, 'utf8'), existsSync(`${main}.map`) ? readFileSync(`${main}.map`, 'utf8') : null);
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await cleanup();
}
