// A frozen copy of the Worker for the load and fuzz scripts: bundled once with
// `wrangler deploy --dry-run` into a temp directory and served with `wrangler dev --no-bundle`
// from there, so edits in the checkout (other people's, mid-run) never reload the Worker and cut
// every stream in flight. Assets are copied too.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export function frozenWorker(tmp, env) {
  const root = process.cwd();
  const assets = join(tmp, 'assets');
  if (existsSync('dist/web')) cpSync('dist/web', assets, { recursive: true });
  else mkdirSync(assets, { recursive: true });
  const toml = readFileSync('wrangler.toml', 'utf8');
  const m = /^main\s*=\s*"([^"]+)"\s*$/m.exec(toml);
  if (!m) throw new Error('wrangler.toml: no main = "..." line');
  const write = (dir, main) => {
    mkdirSync(join(tmp, dir), { recursive: true });
    const out = toml
      .replace(m[0], `main = ${JSON.stringify(main)}`)
      .replace(/^directory\s*=.*$/m, `directory = ${JSON.stringify(assets)}`);
    writeFileSync(join(tmp, dir, 'wrangler.toml'), out);
    return join(tmp, dir, 'wrangler.toml');
  };
  const src = write('src', resolve(root, m[1]));
  const bundle = join(tmp, 'bundle');
  const r = spawnSync('wrangler', ['deploy', '--dry-run', '--outdir', bundle, '-c', src], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${(r.stdout + r.stderr).slice(-2000)}`);
  const js = readdirSync(bundle).filter((f) => /\.m?js$/.test(f));
  const main = join(bundle, js.includes('index.js') ? 'index.js' : js[0]);
  return write('run', main);
}
