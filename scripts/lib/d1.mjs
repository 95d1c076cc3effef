// The console's D1 schema (migrations/) applied to a local store, as `npm start` and the bench
// need it: `wrangler d1 migrations apply darkroom-usage --local`; already applied ones are skipped.
import { spawnSync } from 'node:child_process';

/** Returns { ok, out } (wrangler's output, for the error message). */
export function applyLocalMigrations({ config, persistTo, env = process.env, cwd } = {}) {
  const r = spawnSync(
    'wrangler',
    [
      'd1',
      'migrations',
      'apply',
      'darkroom-usage',
      '--local',
      ...(config ? ['-c', config] : []),
      ...(persistTo ? ['--persist-to', persistTo] : []),
    ],
    { encoding: 'utf8', cwd, env: { ...env, CI: '1', WRANGLER_SEND_METRICS: 'false' } },
  );
  return { ok: r.status === 0, status: r.status, out: `${r.error ?? ''}${r.stdout ?? ''}${r.stderr ?? ''}` };
}
