// The keys CLI for real: keys made with `npm run keys -- create` in a fresh local state directory
// work against `wrangler dev` on that directory (as deployed: DARKROOM_ENV stays "production", so
// the development key is refused), and stop working once `npm run keys -- revoke` ran, while the
// server keeps running.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const run = promisify(execFile);
const state = mkdtempSync(join(tmpdir(), 'darkroom-keys-test-'));
const ORIGIN = 'https://shop.example.com';
let base = '';
let server: ChildProcess | undefined;
let serverLog = '';

async function keys(...args: string[]): Promise<any> {
  const { stdout } = await run(
    process.execPath,
    [join(ROOT, 'scripts/keys.mjs'), ...args, '--persist-to', state, '--json'],
    { cwd: ROOT },
  );
  return JSON.parse(stdout);
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

function chat(key: string | null, headers: Record<string, string> = {}) {
  return fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    body: JSON.stringify({ messages: [{ role: 'user', content: `cli test ${Math.random()}` }] }),
  });
}

let secret: any;
let publishable: any;

beforeAll(async () => {
  secret = await keys('create', 'secret', '--name', 'cli test', '--rpm', '30');
  publishable = await keys('create', 'publishable', '--name', 'cli widget', '--origin', ORIGIN);
  if (!existsSync(join(ROOT, 'dist/web'))) mkdirSync(join(ROOT, 'dist/web'), { recursive: true });
  const [port, inspector] = [await freePort(), await freePort()];
  base = `http://127.0.0.1:${port}`;
  server = spawn(
    process.execPath,
    [
      join(ROOT, 'node_modules/wrangler/bin/wrangler.js'),
      'dev',
      '--port',
      String(port),
      '--ip',
      '127.0.0.1',
      '--inspector-port',
      String(inspector),
      '--persist-to',
      state,
      '--var',
      'DEMO_DELAY_MS:0',
      '--show-interactive-dev-session=false',
    ],
    {
      cwd: ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', UPSTREAM_BASE_URL: '', OPENROUTER_API_KEY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  server.stdout!.on('data', (d) => (serverLog += d));
  server.stderr!.on('data', (d) => (serverLog += d));
  const until = Date.now() + 90_000;
  for (;;) {
    const ok = await fetch(`${base}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > until || server.exitCode !== null) throw new Error(`wrangler dev did not start:\n${serverLog}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}, 150_000);

afterAll(async () => {
  if (server?.pid && server.exitCode === null) {
    try {
      process.kill(-server.pid, 'SIGTERM');
    } catch {}
    await new Promise((r) => setTimeout(r, 500));
  }
  rmSync(state, { recursive: true, force: true });
});

describe('npm run keys against wrangler dev', () => {
  it('creates keys in the format the Worker reads', () => {
    expect(secret.key).toMatch(/^sk_[0-9A-Za-z]{32}$/);
    expect(secret.limits).toMatchObject({ rpm: 30, concurrency: 4, daily_usd: 50 });
    expect(publishable.key).toMatch(/^pk_/);
    expect(publishable.origins).toEqual([ORIGIN]);
  });

  it('refuses requests without a key, and the development key when deployed', async () => {
    expect((await chat(null)).status).toBe(401);
    expect((await chat(null, { origin: 'https://evil.example' })).status).toBe(401);
    const dev = await chat('sk-local-dev');
    expect(dev.status).toBe(401);
    expect((await dev.json()).error.message).toContain('sk-local-dev');
  });

  it('accepts the CLI-made secret key, with rate-limit headers', async () => {
    const res = await chat(secret.key);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-limit')).toBe('30');
    expect((await res.json()).object).toBe('chat.completion');
  });

  it(
    'creates a key in the shared cache scope with --cache shared, and refuses another scope',
    { timeout: 120_000 },
    async () => {
      // What sharing does is pinned in tests/worker/security.test.ts ("cache scopes"); here: the CLI writes it.
      const shared = await keys('create', 'secret', '--name', 'shared', '--cache', 'shared');
      expect(shared.cache).toBe('shared');
      expect(secret.cache).toBeUndefined();
      await expect(keys('create', 'secret', '--name', 'bad', '--cache', 'everyone')).rejects.toThrow(
        /--cache is one of key, shared/,
      );
    },
  );

  it('accepts the CLI-made publishable key on its origin only, preflight included', async () => {
    const ok = await chat(publishable.key, { origin: ORIGIN });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    await ok.arrayBuffer();
    const foreign = await chat(publishable.key, { origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const pre = await fetch(`${base}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST' },
    });
    expect(pre.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  });

  it('keeps every key when several CLI runs write the store the server holds open', { timeout: 120_000 }, async () => {
    // Each run is its own local runtime on one SQLite file; without the CLI's retry on a busy
    // store about one write in three of eight at once failed with "KV PUT failed: 500".
    const made = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => keys('create', 'secret', '--name', `busy ${n}`)));
    const names = (await keys('list')).data.map((k: any) => k.name);
    expect(names).toEqual(expect.arrayContaining(made.map((k) => k.name)));
    const ok = await Promise.all(made.map((k) => chat(k.key).then((r) => r.status)));
    expect(ok).toEqual(made.map(() => 200));
  });

  it('lists the keys, and a revoked key gets 401 from the running server', { timeout: 120_000 }, async () => {
    const list = await keys('list');
    expect(list.data.map((k: any) => k.id)).toEqual(expect.arrayContaining([secret.id, publishable.id]));
    expect(JSON.stringify(list)).not.toContain(secret.key);
    // By id, and by the key itself.
    const [revoked] = await Promise.all([keys('revoke', secret.id), keys('revoke', publishable.key)]);
    expect(revoked.revoked).toBeGreaterThan(0);
    let status = 0;
    for (const until = Date.now() + 15_000; Date.now() < until; await new Promise((r) => setTimeout(r, 500))) {
      status = (await chat(secret.key)).status;
      if (status === 401) break;
    }
    expect(status).toBe(401);
    const pk = await chat(publishable.key, { origin: ORIGIN });
    expect(pk.status).toBe(401);
    const mine = (await keys('list')).data.filter((k: any) => [secret.id, publishable.id].includes(k.id));
    expect(mine.length === 2 && mine.every((k: any) => k.revoked > 0)).toBe(true);
  });
});
