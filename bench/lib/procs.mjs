// Child processes for bench/run.mjs: started (optionally pinned to a CPU with taskset), logged to
// a file, and stopped by PID — the process, then every descendant it left behind. Nothing is
// ever stopped by name.
import { spawn } from 'node:child_process';
import { openSync, readdirSync, readFileSync, closeSync } from 'node:fs';

const SIG = 'SIGTERM';
const procs = new Map(); // name -> { child, pid, log }

/** Parent PID of every process, from /proc. */
function ppidMap() {
  const map = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      map.set(Number(d), Number(after[1]));
    } catch {}
  }
  return map;
}

export function descendants(pid) {
  const map = ppidMap();
  const out = [];
  const walk = (p) => {
    for (const [child, parent] of map)
      if (parent === p) {
        out.push(child);
        walk(child);
      }
  };
  walk(pid);
  return out;
}

export function comm(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return null;
  }
}

/** Running (zombies count as gone: they hold no memory or sockets). */
export function alive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** start(name, cmd, args, { cpu, cwd, env, log }) -> pid. cpu: null = not pinned. */
export function start(name, cmd, args, { cpu = null, cwd, env, log }) {
  const fd = openSync(log, 'a');
  const [file, argv] = cpu === null ? [cmd, args] : ['taskset', ['-c', String(cpu), cmd, ...args]];
  const child = spawn(file, argv, { cwd, env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.on('error', () => {});
  procs.set(name, { child, pid: child.pid, log });
  return child.pid;
}

export function pidOf(name) {
  return procs.get(name)?.pid ?? null;
}

export function running(name) {
  const p = procs.get(name);
  return !!p && p.child.exitCode === null && p.child.signalCode === null;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** TERM the process tree by PID, deepest first; KILL whatever is still running after ~8 s. */
export async function stop(name) {
  const p = procs.get(name);
  if (!p) return;
  procs.delete(name);
  // TERM the innermost process that has children first (for wrangler: its CLI node process,
  // which stops and reaps workerd and esbuild), then its ancestors. Killing the children or the
  // outer wrangler shim first leaves zombies: PID 1 here does not reap orphans.
  const kids = descendants(p.pid);
  const all = [p.pid, ...kids];
  const map = ppidMap();
  const parents = all.filter((q) => [...map.values()].includes(q));
  for (const q of (parents.length ? parents : [p.pid]).reverse()) {
    try {
      process.kill(q, SIG);
    } catch {}
    for (let i = 0; i < 30 && alive(q); i++) await sleep(100);
  }
  for (let i = 0; i < 50 && all.some(alive); i++) await sleep(100);
  for (const k of all.filter(alive)) {
    try {
      process.kill(k, 'SIGKILL');
    } catch {}
  }
}

export async function stopAll() {
  await Promise.all([...procs.keys()].map(stop));
}

/** Synchronous last resort (process 'exit'): KILL everything still known, by PID. */
export function killAllSync() {
  for (const { pid } of procs.values()) {
    for (const k of [pid, ...descendants(pid)]) {
      try {
        process.kill(k, 'SIGKILL');
      } catch {}
    }
  }
  procs.clear();
}

/** CPU seconds (user + system) used so far by a process and all its descendants, from /proc: { total, byName }. */
export function cpuSeconds(pid) {
  let total = 0;
  const byName = {};
  for (const q of [pid, ...descendants(pid)]) {
    try {
      const stat = readFileSync(`/proc/${q}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const s = (Number(f[11]) + Number(f[12])) / 100; // utime + stime (fields 14, 15), USER_HZ = 100
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      total += s;
      byName[name] = (byName[name] ?? 0) + s;
    } catch {}
  }
  return { total, byName };
}
