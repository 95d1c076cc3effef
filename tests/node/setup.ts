// globalSetup of the `node` project: the fake upstream on a free port, then `wrangler dev` of the
// real app on another (local KV, R2 and Durable Objects in a temp dir), as a developer runs it.
// Provides `darkroomUrl` and `fakeUpstreamUrl`; stops both by PID afterwards.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
// @ts-expect-error plain ESM fixture without types
import { createFakeUpstream } from '../fixtures/fake-upstream.mjs';

const ROOT = resolve(import.meta.dirname, '../..');

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

async function waitForHealth(url: string, child: ChildProcess, log: () => string, ms = 120_000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited (${child.exitCode}):\n${log()}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`wrangler dev did not answer /healthz within ${ms} ms:\n${log()}`);
}

export default async function setup(project: TestProject) {
  const upstream = createFakeUpstream();
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const upPort = (upstream.address() as { port: number }).port;

  // The site's assets directory must exist for wrangler; an empty shell will do.
  const web = join(ROOT, 'dist/web');
  let madeWeb = false;
  if (!existsSync(web)) {
    mkdirSync(web, { recursive: true });
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>Darkroom</title>\n');
    madeWeb = true;
  }

  const persist = mkdtempSync(join(tmpdir(), 'darkroom-node-'));
  const [port, inspector] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child = spawn(
    join(ROOT, 'node_modules/.bin/wrangler'),
    [
      'dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--inspector-port',
      String(inspector),
      '--log-level',
      'warn',
      '--show-interactive-dev-session=false',
      '--persist-to',
      persist,
      '--var',
      'DARKROOM_ENV:development',
      '--var',
      `UPSTREAM_BASE_URL:http://127.0.0.1:${upPort}/v1`,
      '--var',
      'DEV_RPM:100000',
    ],
    {
      cwd: ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);

  const stop = async () => {
    if (child.exitCode === null && child.pid) {
      const exited = new Promise((r) => child.once('exit', r));
      try {
        process.kill(-child.pid, 'SIGTERM'); // the process group we started: wrangler and its workerd
      } catch {}
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      try {
        if (child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }
    upstream.closeAllConnections();
    await new Promise((r) => upstream.close(r));
    rmSync(persist, { recursive: true, force: true });
    if (madeWeb && readdirSync(web).join() === 'index.html') rmSync(web, { recursive: true, force: true });
  };

  try {
    await waitForHealth(url, child, () => output);
  } catch (err) {
    await stop();
    throw err;
  }
  project.provide('darkroomUrl', url);
  project.provide('fakeUpstreamUrl', `http://127.0.0.1:${upPort}`);
  return stop;
}

declare module 'vitest' {
  export interface ProvidedContext {
    darkroomUrl: string;
    fakeUpstreamUrl: string;
  }
}
