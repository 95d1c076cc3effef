#!/usr/bin/env node
// `npm run keys -- <command>`: create, list and revoke Darkroom API keys in the RECORDS KV
// namespace, through wrangler. Local by default (the state `npm start` uses: .wrangler/state, or
// --persist-to DIR / WRANGLER_PERSIST_TO); --remote for the deployed namespace (needs
// `wrangler login` or CLOUDFLARE_API_TOKEN).
//
//   npm run keys -- create secret --name "my server" [--rpm 60] [--concurrency 4] [--daily-usd 50] [--window-s 60] [--cache shared]
//   npm run keys -- create publishable --name widget --origin https://shop.example.com --origin '*.example.com' [limits]
//   npm run keys -- list
//   npm run keys -- revoke <id | key>
//   common options: --remote, --persist-to DIR, --json
//
// The record format is not repeated here: it is worker/access/records.ts (and origins.ts),
// loaded with Node's type stripping, the very code the Worker runs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readArgs } from './lib/args.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// The record format is TypeScript: run under a Node that strips types (the pinned one does).
if (!process.features?.typescript) {
  const pinned = join(ROOT, 'node_modules/.bin/node');
  const r = spawnSync(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  if (r.error) {
    console.error(`keys: needs Node >= 22.18 (type stripping); run it as \`npm run keys -- ...\` (${r.error.message})`);
    process.exit(1);
  }
  process.exit(r.status ?? 1);
}

// Node 22 prints an ExperimentalWarning for type stripping; nothing else is silenced.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name !== 'ExperimentalWarning') console.error(w);
});
const records = await import(join(ROOT, 'worker/access/records.ts'));
const { parseOriginPattern } = await import(join(ROOT, 'worker/access/origins.ts'));
const { kvKey, generateKey, hashKey, newKeyRecord, limitsProblem, indexWith, indexWithout } = records;

const USAGE = `Usage: npm run keys -- <command> [options]

  create secret --name NAME [limits]
  create publishable --name NAME --origin ORIGIN [--origin ORIGIN ...] [limits]
        ORIGIN: https://shop.example.com, http://localhost:5173, *.example.com, https://*.example.com
        limits: --rpm N  --concurrency N  --daily-usd USD (negative: no cap)  --window-s SECONDS
        --cache shared: the key reads and writes the global shared cache scope (default: key, its own)
  list
  revoke <id | key>

Options: --remote (the deployed namespace)  --persist-to DIR (local state; default .wrangler/state)  --json`;

function fail(message, code = 2) {
  console.error(`keys: ${message}`);
  process.exit(code);
}

const string = { type: 'string' };
const { values, positionals } = readArgs(
  'keys',
  process.argv.slice(2),
  {
    name: string,
    type: string,
    origin: { type: 'string', multiple: true },
    origins: { type: 'string', multiple: true },
    rpm: string,
    concurrency: string,
    'daily-usd': string,
    'window-s': string,
    cache: string,
    remote: { type: 'boolean' },
    local: { type: 'boolean' },
    'persist-to': string,
    config: string,
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
  { positionals: true },
);
// --origin and --origins, each repeatable and each a comma-separated list.
const origin = [...(values.origin ?? []), ...(values.origins ?? [])].flatMap((v) =>
  v
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean),
);
const args = { ...values, origin, _: positionals };
const [command, ...rest] = args._;
if (args.help || !command) {
  console.log(USAGE);
  process.exit(command || args.help ? 0 : 2);
}
const persistTo = args['persist-to'] ?? process.env.WRANGLER_PERSIST_TO;
const where = args.remote ? ['--remote'] : ['--local', ...(persistTo ? ['--persist-to', resolve(persistTo)] : [])];
const config = args.config ? resolve(args.config) : join(ROOT, 'wrangler.toml');

// Local KV is a SQLite file that `wrangler dev` (and a second `npm run keys`) may hold at the
// same moment; a write that meets the lock fails with "KV PUT failed: 500" (or, with many at
// once, the local runtime fails to start or loses its connection). Every call here is idempotent
// (bulk put/delete of whole values, reads), so a busy store is simply tried again.
const BUSY = /\b500\b|SQLITE_BUSY|database is locked|runtime failed to start|Network connection lost/i;
const TRIES = 5;
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function wrangler(sub, ...extra) {
  for (let attempt = 1; ; attempt++) {
    const r = runWrangler(sub, extra);
    if (r.status === 0) return r.stdout;
    const output = r.stderr || r.stdout;
    if (args.remote || attempt >= TRIES || !BUSY.test(output)) {
      fail(`wrangler kv ${sub.join(' ')} failed:\n${output}`, 1);
    }
    sleep(200 * attempt + Math.random() * 200);
  }
}

function runWrangler(sub, extra) {
  return spawnSync(
    process.execPath,
    [
      join(ROOT, 'node_modules/wrangler/bin/wrangler.js'),
      'kv',
      ...sub,
      '--binding',
      'RECORDS',
      '--config',
      config,
      ...where,
      ...extra,
    ],
    {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', FORCE_COLOR: '0' },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
}

const tmp = mkdtempSync(join(tmpdir(), 'darkroom-keys-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
let files = 0;
const file = (data) => {
  const p = join(tmp, `${++files}.json`);
  writeFileSync(p, JSON.stringify(data));
  return p;
};
const jsonAfter = (text, open) => JSON.parse(text.slice(text.indexOf(open)));

/** name -> string value or null, in one wrangler call. */
function readMany(names) {
  if (!names.length) return {};
  const out = jsonAfter(wrangler(['bulk', 'get', file(names)]), '{');
  return Object.fromEntries(names.map((n) => [n, out[n]?.value ?? null]));
}
const readJson = (v) => (v == null ? null : JSON.parse(v));
function writeMany(pairs) {
  if (pairs.length) wrangler(['bulk', 'put', file(pairs.map(([key, value]) => ({ key, value })))]);
}
function deleteMany(names) {
  if (names.length) wrangler(['bulk', 'delete', file(names), '--force']);
}
function listNames(prefix) {
  return jsonAfter(wrangler(['key', 'list', '--prefix', prefix]), '[').map((k) => k.name);
}

function limitsFromArgs() {
  const n = (flag) => (args[flag] === undefined ? undefined : Number(args[flag]));
  const limits = { rpm: n('rpm'), concurrency: n('concurrency'), daily_usd: n('daily-usd'), window_s: n('window-s') };
  const problem = limitsProblem(limits);
  if (problem) fail(problem);
  return limits;
}

const fmtDate = (s) => (s ? new Date(s * 1000).toISOString().replace('T', ' ').slice(0, 16) : '');
const target = args.remote
  ? 'the deployed namespace'
  : `local state (${persistTo ? resolve(persistTo) : join(ROOT, '.wrangler/state')})`;

async function create() {
  const type = rest[0] ?? args.type;
  if (type !== 'secret' && type !== 'publishable') fail('create needs a type: secret or publishable');
  const name = String(args.name ?? '').trim();
  if (!name || name.length > 100) fail('create needs --name (1 to 100 characters)');
  const origins = args.origin.map(
    (o) => parseOriginPattern(o) ?? fail(`'${o}' is not an http(s) origin or a *.domain wildcard`),
  );
  if (type === 'publishable' && !origins.length) fail('a publishable key needs at least one --origin');
  if (type === 'secret' && origins.length) fail('secret keys have no origins (they are for servers, not browsers)');
  const limits = limitsFromArgs();
  const cache = args.cache;
  if (cache !== undefined && !records.CACHE_SCOPES.includes(cache))
    fail(`--cache is one of ${records.CACHE_SCOPES.join(', ')}`);
  const key = generateKey(type);
  const hash = await hashKey(key);
  const record = newKeyRecord(key, hash, { type, name, origins, limits, cache });
  const index = readMany((record.origins ?? []).map((p) => kvKey.origin(p)));
  writeMany([
    [kvKey.record(hash), JSON.stringify(record)],
    [kvKey.id(record.id), hash],
    ...(record.origins ?? []).map((p) => [
      kvKey.origin(p),
      JSON.stringify(indexWith(readJson(index[kvKey.origin(p)]), record.id)),
    ]),
  ]);
  if (args.json) return console.log(JSON.stringify({ object: 'api_key', key, ...record }));
  console.log(`Created ${type} key "${name}" (id ${record.id}) in ${target}:\n\n  ${key}\n`);
  console.log('This is the only time the key is shown; only its SHA-256 is stored.');
  const l = record.limits;
  console.log(
    `Limits: ${l.rpm} requests per ${l.window_s ? `${l.window_s} s` : 'minute (RATE_LIMIT_WINDOW_S)'}, ${l.concurrency} at once, ${l.daily_usd < 0 ? 'no daily cap' : `$${l.daily_usd} per UTC day`}.`,
  );
  if (record.origins) console.log(`Origins: ${record.origins.join(', ')}`);
  if (record.cache === 'shared') console.log('Cache: shared (answers from, and answers, every other shared key).');
}

function list() {
  const names = listNames('k:');
  const values = readMany(names);
  const keys = names
    .map((n) => readJson(values[n]))
    .filter(Boolean)
    .sort((a, b) => a.created - b.created);
  const spend = readMany(keys.map((k) => kvKey.spend(k.id)));
  const today = new Date().toISOString().slice(0, 10);
  const rows = keys.map((k) => {
    const s = readJson(spend[kvKey.spend(k.id)]);
    return { ...k, spent_today_usd: s?.day === today ? s.usd : 0, spent_total_usd: s?.total_usd ?? 0 };
  });
  if (args.json) return console.log(JSON.stringify({ object: 'list', data: rows }));
  if (!rows.length) return console.log(`No keys in ${target}.`);
  console.log(
    ['id', 'type', 'prefix', 'name', 'created', 'status', 'rpm', 'conc', 'usd/day', 'spent today', 'origins'].join(
      '\t',
    ),
  );
  for (const k of rows) {
    console.log(
      [
        k.id,
        k.type,
        `${k.prefix}…`,
        k.name,
        fmtDate(k.created),
        k.revoked ? `revoked ${fmtDate(k.revoked)}` : 'live',
        k.limits.rpm,
        k.limits.concurrency,
        k.limits.daily_usd,
        `$${k.spent_today_usd.toFixed(6)}`,
        (k.origins ?? []).join(','),
      ].join('\t'),
    );
  }
}

async function revoke() {
  const arg = rest[0];
  if (!arg) fail('revoke needs a key id (from `list`) or the key itself');
  let id = arg;
  let hash;
  if (records.KEY_FORMAT.test(arg)) {
    hash = await hashKey(arg);
    id = hash.slice(0, 16);
  } else if (!/^[0-9a-f]{16}$/.test(arg)) {
    fail(`'${arg}' is neither a key id (16 hex characters) nor a key`);
  } else {
    hash = readMany([kvKey.id(id)])[kvKey.id(id)];
  }
  const record = hash ? readJson(readMany([kvKey.record(hash)])[kvKey.record(hash)]) : null;
  if (!record) fail(`no key with id ${id} in ${target}`, 1);
  record.revoked ??= Math.floor(Date.now() / 1000);
  const patterns = record.origins ?? [];
  const index = readMany(patterns.map((p) => kvKey.origin(p)));
  const updated = patterns.map((p) => [p, indexWithout(readJson(index[kvKey.origin(p)]), record.id)]);
  writeMany([
    [kvKey.record(hash), JSON.stringify(record)],
    ...updated.filter(([, ids]) => ids.length).map(([p, ids]) => [kvKey.origin(p), JSON.stringify(ids)]),
  ]);
  deleteMany(updated.filter(([, ids]) => !ids.length).map(([p]) => kvKey.origin(p)));
  if (args.json) return console.log(JSON.stringify({ object: 'api_key', ...record }));
  console.log(
    `Revoked ${record.type} key "${record.name}" (id ${record.id}) in ${target}. Running Workers stop accepting it within seconds.`,
  );
}

const commands = { create, list, revoke };
if (!commands[command]) fail(`unknown command '${command}'\n\n${USAGE}`);
await commands[command]();
