// Debian's chromium for the browser tests and the variants bench: playwright-core drives it and
// downloads no browser of its own. Installed once per machine by scripts/install-chromium.sh.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Installs chromium when it is missing (apt-get, through the project's script); throws if it cannot. */
export function ensureChromium() {
  if (existsSync(CHROMIUM)) return;
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), '../install-chromium.sh');
  const r = spawnSync('sh', [script], { stdio: 'inherit' });
  if (r.status !== 0 || !existsSync(CHROMIUM)) throw new Error(`chromium is not available at ${CHROMIUM}`);
}
