// Child processes for the fuzz and load scripts: each in its own process group (wrangler and its
// workerd stop together), their output gathered for the "uncaught/unhandled" checks.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

// The pinned toolchain first (wrangler needs Node 22: node_modules/.bin/node).
export const PATH = `${join(process.cwd(), 'node_modules', '.bin')}:${process.env.PATH}`;

export function children() {
  const started = [];
  const group = {
    output: '',
    start(cmd, argv, env) {
      const child = spawn(cmd, argv, {
        env: { ...process.env, PATH, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      child.stdout.on('data', (d) => (group.output += d));
      child.stderr.on('data', (d) => (group.output += d));
      started.push(child);
      return child;
    },
    stopAll() {
      for (const child of started.reverse()) {
        if (child.exitCode !== null) continue;
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {}
      }
    },
    async waitFor(url, ms) {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        try {
          if ((await fetch(url)).ok) return;
        } catch {}
        await sleep(200);
      }
      throw new Error(`${url} did not come up within ${ms} ms\n${group.output.slice(-2000)}`);
    },
  };
  return group;
}
