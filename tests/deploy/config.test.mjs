// The checked-in wrangler.toml deploys to a new Cloudflare account: `wrangler deploy --dry-run`
// accepts it and binds everything the Worker uses, no binding carries a placeholder where an
// account's resource id belongs (resources without ids are created by `wrangler deploy`), and the
// generated Env type (worker/worker-configuration.d.ts) is what the config generates now.
//   node --test tests/deploy/config.test.mjs   (run by npm test; about 30 s, no network, no account)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// wrangler needs Node >= 22.12: the pinned node from node_modules when this runs under Node 20.
const NODE = existsSync(join(ROOT, 'node_modules/.bin/node')) ? join(ROOT, 'node_modules/.bin/node') : process.execPath;
const ENV = { ...process.env, WRANGLER_SEND_METRICS: 'false', FORCE_COLOR: '0', CI: '1' };
const run = (args) => spawnSync(NODE, args, { cwd: ROOT, encoding: 'utf8', env: ENV, timeout: 180_000 });

const HEX32 = /^[0-9a-f]{32}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Every account-specific identifier in a config that is not a real id, as "binding.field = value". */
function placeholderIds(config) {
  const bad = [];
  const check = (list, fields, shape) => {
    for (const b of list ?? []) {
      for (const f of fields)
        if (b[f] !== undefined && !shape.test(String(b[f]))) bad.push(`${b.binding}.${f} = ${JSON.stringify(b[f])}`);
    }
  };
  check(config.kv_namespaces, ['id', 'preview_id'], HEX32);
  check(config.d1_databases, ['database_id', 'preview_database_id'], UUID);
  check(config.hyperdrive, ['id'], HEX32);
  if (config.account_id !== undefined && !HEX32.test(config.account_id))
    bad.push(`account_id = ${JSON.stringify(config.account_id)}`);
  return bad;
}

const { unstable_readConfig } = createRequire(import.meta.url)(join(ROOT, 'node_modules/wrangler'));
const config = unstable_readConfig({ config: join(ROOT, 'wrangler.toml') });

test('no binding in wrangler.toml carries a placeholder id', () => {
  assert.deepEqual(placeholderIds(config), []);
});

test('the placeholder check catches what wrangler deploy would reject', () => {
  assert.deepEqual(
    placeholderIds({
      kv_namespaces: [
        { binding: 'CACHE', id: 'darkroom-cache' },
        { binding: 'OK', id: '0123456789abcdef0123456789abcdef' },
        { binding: 'NEW' },
      ],
      d1_databases: [{ binding: 'DB', database_id: 'xxxx' }],
    }),
    ['CACHE.id = "darkroom-cache"', 'DB.database_id = "xxxx"'],
  );
});

test('wrangler deploy --dry-run accepts the config and binds every resource', { timeout: 200_000 }, () => {
  const web = join(ROOT, 'dist/web');
  const madeWeb = !existsSync(web);
  if (madeWeb) mkdirSync(web, { recursive: true });
  const out = mkdtempSync(join(os.tmpdir(), 'darkroom-dry-run-'));
  try {
    const r = run([join(ROOT, 'node_modules/wrangler/bin/wrangler.js'), 'deploy', '--dry-run', '--outdir', out]);
    assert.equal(r.status, 0, `wrangler deploy --dry-run failed:\n${r.stderr}\n${r.stdout}`);
    assert.ok(
      readdirSync(out).some((f) => f.endsWith('.js')),
      'a bundle was written',
    );
    const bindings = [
      ...config.kv_namespaces.map((b) => b.binding),
      ...config.r2_buckets.map((b) => b.binding),
      ...config.d1_databases.map((b) => b.binding),
      ...config.durable_objects.bindings.map((b) => b.name),
    ];
    assert.ok(bindings.length >= 6, `bindings: ${bindings}`);
    for (const name of bindings) assert.match(r.stdout, new RegExp(`env\\.${name}\\b`), `dry run binds ${name}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
    if (madeWeb) rmSync(web, { recursive: true, force: true });
  }
});

test('the generated Env type is current (npm run types)', { timeout: 120_000 }, () => {
  const r = run([join(ROOT, 'scripts/types.mjs'), '--check']);
  assert.equal(r.status, 0, `${r.stderr}${r.stdout}`);
});
