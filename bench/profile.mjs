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
import { request } from './lib/client.mjs';
import { connectWorker, profileTotals, startProfile, summarizeProfile } from './lib/inspector.mjs';
import * as P from './lib/procs.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;
const MODE = env.PROFILE_MODE ?? 'sse';
const CONC = Number(env.PROFILE_CONC ?? 32);
const DURATION = Number(env.PROFILE_DURATION ?? 10);
const PIN = env.PIN !== '0';
const TOML = resolve(ROOT, env.PROFILE_TOML ?? 'wrangler.toml');
const TOP = Number(env.PROFILE_TOP ?? 30);
const STAMP = new Date()
  .toISOString()
  .replace(/[-:]/g, '')
  .replace(/\.\d+Z$/, 'Z');
const TMP = mkdtempSync(join(os.tmpdir(), 'darkroom-profile-'));
const CHILD_ENV = {
  ...env,
  PATH: `${join(ROOT, 'node_modules/.bin')}:${env.PATH}`,
  WRANGLER_SEND_METRICS: 'false',
  CI: '1',
};
const say = (...a) => console.error('[profile]', ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const cleanup = async () => {
  await P.stopAll();
  rmSync(TMP, { recursive: true, force: true });
};
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => cleanup().finally(() => process.exit(130)));
process.on('exit', () => P.killAllSync());

const freePort = () =>
  new Promise((res) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });

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
    try {
      await request(url, { method: 'GET', timeoutMs: 2000 });
      return;
    } catch {}
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
    const child = spawn(PIN ? 'taskset' : 'wrk', PIN ? ['-c', '0', 'wrk', ...args] : args, {
      env: { ...CHILD_ENV, BODY: body },
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('close', () => res(JSON.parse(/^RESULT (.*)$/m.exec(out)?.[1] ?? 'null')));
  });
}

function summarize(profile, bundleText, mapText) {
  const t = profileTotals(profile);
  const s = summarizeProfile(profile, bundleText, mapText, TOP);
  const pr = (title, rows) => {
    console.log(`\n${title}`);
    for (const [k, v] of rows)
      console.log(`${v.toFixed(0).padStart(7)} ${((100 * v) / s.total_ms).toFixed(1).padStart(5)}%  ${k}`);
  };
  console.log(
    `\nCPU profile: ${s.total_ms.toFixed(0)} ms sampled over ${(t.wall_ms / 1000).toFixed(1)} s; busy ${t.busy_ms.toFixed(0)} ms ` +
      `(JS ${t.js_ms.toFixed(0)}, GC ${t.gc_ms.toFixed(0)}, program ${t.program_ms.toFixed(0)}), idle ${t.idle_ms.toFixed(0)} ms`,
  );
  pr('self ms (native code charged to its nearest JS caller), by module', s.by_module);
  pr('self ms, by function', s.self);
  pr('total ms (self + callees), by bundle function', s.inclusive);
  return t;
}

try {
  // Bundle like bench/run.mjs, then serve the frozen bundle.
  const assets = join(TMP, 'assets');
  if (existsSync(join(ROOT, 'dist/web'))) cpSync(join(ROOT, 'dist/web'), assets, { recursive: true });
  else mkdirSync(assets, { recursive: true });
  const out = join(TMP, 'bundle');
  const d = spawnSync(
    'wrangler',
    ['deploy', '--dry-run', '--outdir', out, '-c', derived(TOML, null, assets, join(TMP, 'src/wrangler.toml'))],
    { cwd: ROOT, env: CHILD_ENV, encoding: 'utf8' },
  );
  if (d.status !== 0) throw new Error(`dry run failed:\n${d.stdout}${d.stderr}`);
  const main = join(
    out,
    readdirSync(out).find((f) => f.endsWith('.js')),
  );
  const [up, port, insp] = [await freePort(), await freePort(), await freePort()];
  P.start('upstream', process.execPath, [join(ROOT, 'tests/fixtures/fake-upstream.mjs'), String(up)], {
    cpu: PIN ? 0 : null,
    env: { ...CHILD_ENV, IMAGE_SIZE: env.PROFILE_PX ?? '64', NOISE_BITS: env.PROFILE_NOISE ?? '1' },
    log: join(TMP, 'upstream.log'),
  });
  const vars = [
    'DARKROOM_ENV:development',
    // as in npm run bench: at info, console.log through the inspector is a third of a hit
    'LOG_LEVEL:warn',
    `UPSTREAM_BASE_URL:http://127.0.0.1:${up}/v1`,
    'DEV_RPM:1000000000',
    'DEV_CONCURRENCY:1000000',
    'DEV_DAILY_USD:-1',
    ...(env.PROFILE_VARS ?? '').split(/\s+/).filter(Boolean),
  ];
  P.start(
    'wrangler',
    'wrangler',
    [
      'dev',
      '--local',
      '--no-bundle',
      '-c',
      derived(TOML, main, assets, join(TMP, 'run/wrangler.toml')),
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--inspector-ip',
      '127.0.0.1',
      '--inspector-port',
      String(insp),
      '--log-level',
      'warn',
      '--show-interactive-dev-session=false',
      '--persist-to',
      join(TMP, 'state'),
      ...vars.flatMap((v) => ['--var', v]),
    ],
    { cpu: PIN ? 1 : null, cwd: join(TMP, 'run'), env: CHILD_ENV, log: join(TMP, 'wrangler.log') },
  );
  await waitHttp(`http://127.0.0.1:${up}/health`, 'upstream');
  await waitHttp(`http://127.0.0.1:${port}/healthz`, 'wrangler');

  const url = `http://127.0.0.1:${port}/v1/chat/completions`;
  const headers = { authorization: 'Bearer sk-local-dev' };
  if ((env.PROFILE_CACHE ?? 'miss') === 'miss') headers['cache-control'] = 'no-store';
  for (const h of (env.PROFILE_HEADERS ?? '').split('|').filter(Boolean)) {
    const [k, ...v] = h.split(':');
    headers[k.trim()] = v.join(':').trim();
  }
  const body = JSON.stringify({
    model: 'openai/gpt-5.4-image-2',
    messages: [{ role: 'user', content: 'a watercolor fox' }],
    seed: 42,
    stream: MODE === 'sse',
  });
  if (env.PROFILE_CACHE === 'hit')
    await request(url, { headers: { ...headers, 'content-type': 'application/json' }, body });
  say('warm-up 3 s');
  await wrk(url, headers, body, 3);

  const c = await connectWorker(insp);
  say(`inspector targets: ${c.targets.join(', ')}; profiling "${c.title}"`);
  const prof = await startProfile(c);
  const w = await wrk(url, headers, body, DURATION);
  const profile = await prof.stop();
  c.close();
  say(`wrk during profiling: ${JSON.stringify(w)}`);
  const file = join(ROOT, 'bench/results', `profile-${STAMP}.cpuprofile.json`);
  writeFileSync(file, JSON.stringify(profile));
  say(`wrote ${file}`);
  const t = summarize(
    profile,
    readFileSync(main, 'utf8'),
    existsSync(`${main}.map`) ? readFileSync(`${main}.map`, 'utf8') : null,
  );
  if (w?.requests)
    console.log(`\nisolate CPU per request: ${(t.busy_ms / w.requests).toFixed(3)} ms (${w.requests} requests)`);
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await cleanup();
}
