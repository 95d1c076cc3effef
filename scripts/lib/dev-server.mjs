// `wrangler dev` for the fuzz and load scripts: a frozen copy of the Worker (../frozen-worker.mjs)
// on loopback, in development, against the given upstream and with no fallbacks.
import { frozenWorker } from '../frozen-worker.mjs';
import { PATH } from './children.mjs';

/**
 * Starts it as one of `procs` (children()) and returns the child process.
 * @param {ReturnType<typeof import('./children.mjs').children>} procs
 * @param {object} o
 * @param {string} o.persist  the temp directory for the frozen copy and the local state
 * @param {number} o.port  its port (and the inspector's, 1000 above)
 * @param {string} o.upstream  the upstream's origin (its API under /v1)
 * @param {Record<string, string>} o.vars  more settings (`--var NAME:value`), e.g. the dev key's limits
 * @param {string} [o.logLevel]  wrangler's --log-level
 * @param {Record<string, string>} [o.env]  more environment for wrangler
 */
export function startFrozenDev(procs, { persist, port, upstream, vars, logLevel = 'warn', env = {} }) {
  const config = frozenWorker(persist, { ...process.env, PATH, WRANGLER_SEND_METRICS: 'false' });
  const settings = {
    DARKROOM_ENV: 'development',
    UPSTREAM_BASE_URL: `${upstream}/v1`,
    UPSTREAM_FALLBACKS: '',
    ...vars,
  };
  return procs.start(
    'node_modules/.bin/wrangler',
    [
      'dev',
      '--no-bundle',
      '-c',
      config,
      '--port',
      String(port),
      '--ip',
      '127.0.0.1',
      '--log-level',
      logLevel,
      '--show-interactive-dev-session=false',
      '--persist-to',
      persist,
      '--inspector-port',
      String(port + 1000),
      ...Object.entries(settings).flatMap(([name, value]) => ['--var', `${name}:${value}`]),
    ],
    { WRANGLER_SEND_METRICS: 'false', ...env },
  );
}
