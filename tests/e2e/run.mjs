#!/usr/bin/env node
// Browser tests: headless Chromium (Debian's, driven by playwright-core) against the real
// `npm start` with the built-in demo provider.
//
//   node tests/e2e/run.mjs [name-filter]     (a|b: tests whose name contains a or b)
//
// Starts a host-page server on another port (the "third-party site" for the widget and iframe
// tests) and `npm start` on a free PORT with WRANGLER_PERSIST_TO in a temp dir, waits for
// /healthz, runs every test in tests/e2e/tests.mjs and a11y.mjs, stops everything by PID, prints
// "N passed, N failed" last and exits non-zero on any failure. Screenshots go to test-results/.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';
import { CHROMIUM, ensureChromium } from '../../scripts/lib/chromium.mjs';
import { tests } from './tests.mjs';
import { a11yTests } from './a11y.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const here = fileURLToPath(new URL('.', import.meta.url));
const filters = (process.argv[2] ?? '').split('|');
const shots = path.join(root, 'test-results');
mkdirSync(shots, { recursive: true });
for (const f of readdirSync(shots)) if (f.startsWith('FAILED-')) rmSync(path.join(shots, f));

const children = [];
const cleanups = [];
let stopping = false;
async function stopAll() {
  if (stopping) return;
  stopping = true;
  for (const fn of cleanups.reverse()) await fn().catch(() => {});
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    try {
      process.kill(-child.pid, 'SIGTERM'); // its own process group: npm -> node -> wrangler -> workerd
    } catch {}
    const exited = await Promise.race([
      new Promise((r) => child.once('exit', () => r(true))),
      sleep(5000).then(() => false),
    ]);
    if (!exited)
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
  }
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => stopAll().then(() => process.exit(130)));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const HOST_TYPES = { '.js': 'text/javascript', '.css': 'text/css' };

/** The "third-party site": serves tests/e2e/pages with {{APP}} and {{KEY}} filled in. */
function startHostServer(port, vars) {
  const server = http.createServer((req, res) => {
    const name = new URL(req.url, 'http://x').pathname.slice(1) || 'index.html';
    const file = path.join(here, 'pages', path.basename(name));
    if (!existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    const body = readFileSync(file, 'utf8').replace(/\{\{(\w+)\}\}/g, (_, k) => vars[k] ?? '');
    res.writeHead(200, {
      'content-type': HOST_TYPES[path.extname(file)] ?? 'text/html; charset=utf-8',
      'cache-control': 'no-store',
    });
    res.end(body);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

async function waitForHealth(url, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {}
    await sleep(500);
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000}s`);
}

async function main() {
  ensureChromium();
  const [port, hostPort] = await Promise.all([freePort(), freePort()]);
  const app = `http://127.0.0.1:${port}`;
  const host = `http://127.0.0.1:${hostPort}`;
  const persist = mkdtempSync(path.join(os.tmpdir(), 'darkroom-e2e-'));
  cleanups.push(async () => rmSync(persist, { recursive: true, force: true }));
  const adminToken = `adm_e2e_${randomBytes(12).toString('hex')}`;

  const logFile = path.join(shots, 'e2e-server.log');
  const log = createWriteStream(logFile);
  // PLAYGROUND_RPM: room for every playground test; the error test then spends the rest to see a 429.
  // IP_RPM: room for the widget and /embed tests (a publishable key is also limited per visitor IP).
  const env = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    WRANGLER_PERSIST_TO: persist,
    ADMIN_TOKEN: adminToken,
    PLAYGROUND_RPM: '40',
    IP_RPM: '40',
  };
  // The demo provider answers only when no upstream is configured.
  delete env.UPSTREAM_BASE_URL;
  delete env.OPENROUTER_API_KEY;
  const server = spawn('npm', ['start'], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(server);
  server.stdout.pipe(log);
  server.stderr.pipe(log);
  console.log(
    `e2e: npm start on ${app} (pid ${server.pid}, log ${path.relative(root, logFile)}), host pages on ${host}`,
  );
  await waitForHealth(`${app}/healthz`, server, 180_000);

  const ctx = { app, host, adminToken, shots, hostVars: { APP: app, KEY: '' } };
  const hostServer = await startHostServer(hostPort, ctx.hostVars);
  cleanups.push(() => new Promise((r) => hostServer.close(() => r())));

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
  });
  cleanups.push(() => browser.close());

  let passed = 0;
  let failed = 0;
  // Tests marked `last` (they spend a rate limit) run after every other suite's.
  const ordered = [...tests.filter((t) => !t.last), ...a11yTests, ...tests.filter((t) => t.last)];
  const selected = ordered.filter((t) => filters.some((f) => t.name.includes(f)));
  for (const t of selected) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    const errors = [];
    context.on('weberror', (e) => errors.push(String(e.error())));
    context.on('console', (m) => m.type() !== 'log' && console.log(`        [browser ${m.type()}] ${m.text()}`));
    const started = Date.now();
    try {
      await t.run({ ...ctx, browser, context, pageErrors: errors });
      if (errors.length) throw new Error(`uncaught page errors: ${errors.join(' | ')}`);
      passed++;
      console.log(`  ok    ${t.name} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
    } catch (e) {
      failed++;
      console.log(
        `  FAIL  ${t.name}\n        ${String(e?.stack ?? e)
          .split('\n')
          .slice(0, 6)
          .join('\n        ')}`,
      );
      for (const p of context.pages()) {
        await p
          .screenshot({ path: path.join(shots, `FAILED-${t.name.replace(/\W+/g, '-')}.png`), fullPage: true })
          .catch(() => {});
      }
    } finally {
      await context.close().catch(() => {});
    }
  }
  return { passed, failed };
}

let result = { passed: 0, failed: 1 };
try {
  result = await main();
} catch (e) {
  console.error(`e2e setup failed: ${e?.stack ?? e}`);
}
await stopAll();
console.log(`${result.passed} passed, ${result.failed} failed`);
process.exit(result.failed ? 1 : 0);
