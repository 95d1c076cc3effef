#!/usr/bin/env node
// `npm start`: build the site, then serve API + site with wrangler dev on http://localhost:$PORT
// (default 8787) with local KV, R2 and Durable Objects. No account, no network.
// Upstream selection comes from .dev.vars and the process environment:
//   UPSTREAM_BASE_URL (+ UPSTREAM_API_KEY) -> custom, else OPENROUTER_API_KEY -> openrouter, else demo.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { applyLocalMigrations } from './lib/d1.mjs';

/** Whether .dev.vars sets a variable (wrangler dev reads the file itself). */
const hasDevVar = (name) =>
  existsSync('.dev.vars') && new RegExp(`^\\s*${name}\\s*=\\s*\\S`, 'm').test(readFileSync('.dev.vars', 'utf8'));

// The console (/admin) signs in with ADMIN_TOKEN, from .dev.vars (which wrangler prefers) or
// the environment. With neither, this run gets a random one, printed below: put
// `ADMIN_TOKEN=...` in .dev.vars to keep one across restarts.
let adminTokenNote = 'ADMIN_TOKEN from .dev.vars';
const runEnv = { ...process.env };
if (!hasDevVar('ADMIN_TOKEN')) {
  if (process.env.ADMIN_TOKEN) adminTokenNote = 'ADMIN_TOKEN from the environment';
  else {
    runEnv.ADMIN_TOKEN = `adm_${randomBytes(18).toString('hex')}`;
    adminTokenNote = `this run's admin token ${runEnv.ADMIN_TOKEN}; set ADMIN_TOKEN in .dev.vars to keep one`;
  }
}

const port = process.env.PORT || '8787';
const skipBuild = process.argv.includes('--no-build') || process.env.DARKROOM_SKIP_BUILD === '1';
if (!skipBuild || !existsSync('dist/web/index.html')) {
  const build = spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

// The console's local D1 store (migrations/): applied before the server starts; already
// applied migrations are skipped.
const migrated = applyLocalMigrations({ persistTo: process.env.WRANGLER_PERSIST_TO });
if (!migrated.ok) {
  console.error(`wrangler d1 migrations apply failed: ${migrated.out}`);
  process.exit(migrated.status ?? 1);
}

const upstream = process.env.UPSTREAM_BASE_URL
  ? `custom (${process.env.UPSTREAM_BASE_URL})`
  : process.env.OPENROUTER_API_KEY
    ? 'openrouter'
    : 'demo (offline; set UPSTREAM_BASE_URL or OPENROUTER_API_KEY in .dev.vars for a real model)';
console.log(`Darkroom on http://localhost:${port}  upstream: ${upstream}`);
console.log('Development key accepted here (refused when deployed): Authorization: Bearer sk-local-dev');
console.log(`Console: http://localhost:${port}/admin  (sign in with ${adminTokenNote})`);
console.log(
  `Keyless playground: ${process.env.PLAYGROUND || 'open'} (deployed default: turnstile with TURNSTILE_SITE_KEY + TURNSTILE_SECRET_KEY, else off)`,
);

const args = [
  'dev',
  '--port',
  port,
  '--ip',
  process.env.HOST || 'localhost',
  '--var',
  'DARKROOM_ENV:development',
  '--show-interactive-dev-session=false',
  ...(process.env.WRANGLER_LOG_LEVEL ? ['--log-level', process.env.WRANGLER_LOG_LEVEL] : []),
  ...(process.env.WRANGLER_PERSIST_TO ? ['--persist-to', process.env.WRANGLER_PERSIST_TO] : []),
  ...(process.env.INSPECTOR_PORT ? ['--inspector-port', process.env.INSPECTOR_PORT] : []),
];
const child = spawn('wrangler', args, {
  stdio: 'inherit',
  env: { ...runEnv, CLOUDFLARE_INCLUDE_PROCESS_ENV: 'true', WRANGLER_SEND_METRICS: 'false' },
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
