#!/usr/bin/env node
// `npm test`: every test, in order: type checks (tsc; svelte-check for web/), lint, workerd + Node
// suites (vitest), the deploy config (dry run, generated types), the benchmark's smoke run, then
// the browser tests, accessibility included (they build the site and install Chromium if missing).
// Prints one closing line "N passed, N failed" over all suites.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const suites = [
  { name: 'typecheck', cmd: 'tsc', args: ['--noEmit', '-p', 'tsconfig.json'] },
  // web/ (Svelte components and their TypeScript): svelte-check, warnings (a11y among them) fail it.
  { name: 'typecheck web', cmd: 'npm', args: ['run', '--silent', 'typecheck:web'] },
  { name: 'lint', cmd: 'eslint', args: ['.'] },
  { name: 'format', cmd: 'prettier', args: ['--check', '--log-level', 'warn', '.'] },
  { name: 'vitest', cmd: 'vitest', args: ['run'] },
  { name: 'deploy config', cmd: 'node', args: ['--test', 'tests/deploy/config.test.mjs'] },
  {
    name: 'bench smoke',
    cmd: 'node',
    args: ['--test', 'tests/bench/smoke.test.mjs'],
    when: () => existsSync('tests/bench/smoke.test.mjs'),
  },
  { name: 'browser (e2e)', cmd: 'node', args: ['tests/e2e/run.mjs'], when: () => existsSync('tests/e2e/run.mjs') },
];

let passed = 0;
let failed = 0;
for (const s of suites) {
  if (s.when && !s.when()) continue;
  console.log(`\n=== ${s.name}: ${s.cmd} ${s.args.join(' ')}`);
  const r = spawnSync(s.cmd, s.args, {
    stdio: 'inherit',
    env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? '0' },
  });
  if (r.status === 0) passed++;
  else {
    failed++;
    console.error(`=== ${s.name} FAILED (exit ${r.status ?? r.signal})`);
  }
}
console.log(`\nsuites: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
