#!/usr/bin/env node
// `npm start`: build the site, then serve API + site with wrangler dev on http://localhost:$PORT
// (default 8787) with local KV, R2 and Durable Objects. No account, no network.
// Upstream selection comes from .dev.vars and the process environment:
//   UPSTREAM_BASE_URL (+ UPSTREAM_API_KEY) -> custom, else OPENROUTER_API_KEY -> openrouter, else demo.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const port = process.env.PORT || '8787';
const skipBuild = process.argv.includes('--no-build') || process.env.DARKROOM_SKIP_BUILD === '1';
if (!skipBuild || !existsSync('dist/web/index.html')) {
  const build = spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const upstream = process.env.UPSTREAM_BASE_URL
  ? `custom (${process.env.UPSTREAM_BASE_URL})`
  : process.env.OPENROUTER_API_KEY
    ? 'openrouter'
    : 'demo (offline; set UPSTREAM_BASE_URL or OPENROUTER_API_KEY in .dev.vars for a real model)';
console.log(`Darkroom on http://localhost:${port}  upstream: ${upstream}`);
console.log('Development key accepted here (refused when deployed): Authorization: Bearer sk-local-dev');

const args = [
  'dev',
  '--port', port,
  '--ip', process.env.HOST || 'localhost',
  '--var', 'DARKROOM_ENV:development',
  '--show-interactive-dev-session=false',
  ...(process.env.WRANGLER_LOG_LEVEL ? ['--log-level', process.env.WRANGLER_LOG_LEVEL] : []),
  ...(process.env.WRANGLER_PERSIST_TO ? ['--persist-to', process.env.WRANGLER_PERSIST_TO] : []),
  ...(process.env.INSPECTOR_PORT ? ['--inspector-port', process.env.INSPECTOR_PORT] : []),
];
const child = spawn('wrangler', args, {
  stdio: 'inherit',
  env: { ...process.env, CLOUDFLARE_INCLUDE_PROCESS_ENV: 'true', WRANGLER_SEND_METRICS: 'false' },
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
