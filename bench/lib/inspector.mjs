// The Worker isolate through wrangler's inspector (Chrome DevTools Protocol): V8 CPU profiles and
// heap usage of the user Worker under `wrangler dev`. Shared by bench/run.mjs and bench/profile.mjs.
import { SourceMap } from 'node:module';
import { request } from './client.mjs';

/** Minimal CDP client over WebSocket (Node 22 has a global WebSocket). */
export async function cdp(wsUrl, origin) {
  // wrangler's inspector proxy refuses WebSocket upgrades without an Origin header.
  const ws = new WebSocket(wsUrl, { headers: { origin } });
  await new Promise((res, rej) => {
    ws.onopen = res;
    ws.onerror = rej;
  });
  let id = 0;
  const waiting = new Map();
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (msg.id && waiting.has(msg.id)) {
      waiting.get(msg.id)(msg);
      waiting.delete(msg.id);
    }
  };
  ws.onclose = () => {
    for (const res of waiting.values()) res({ error: { message: 'inspector closed' } });
    waiting.clear();
  };
  return {
    // Every call settles: an inspector that never answers a method gives an error after timeoutMs.
    send: (method, params = {}, timeoutMs = 30_000) =>
      new Promise((res) => {
        const i = ++id;
        const timer = setTimeout(() => {
          waiting.delete(i);
          res({ error: { message: `${method}: no answer within ${timeoutMs} ms` } });
        }, timeoutMs);
        waiting.set(i, (msg) => {
          clearTimeout(timer);
          res(msg);
        });
        ws.send(JSON.stringify({ id: i, method, params }));
      }),
    close: () => ws.close(),
  };
}

/** A CDP session on the user Worker (not wrangler's proxy worker) behind inspector port `port`. */
export async function connectWorker(port) {
  const targets = JSON.parse(
    (await request(`http://127.0.0.1:${port}/json`, { method: 'GET', timeoutMs: 5000 })).body.toString(),
  );
  const target = targets.find((t) => !/proxy|ProxyWorker/i.test(t.title ?? '')) ?? targets[0];
  if (!target) throw new Error(`no inspector target on :${port}`);
  const session = await cdp(target.webSocketDebuggerUrl, `http://127.0.0.1:${port}`);
  return { ...session, title: target.title, targets: targets.map((t) => t.title) };
}

/** Starts the sampling profiler; `stop()` resolves with the V8 CPU profile. */
export async function startProfile(session, intervalUs = 200) {
  await session.send('Profiler.enable');
  await session.send('Profiler.setSamplingInterval', { interval: intervalUs });
  await session.send('Profiler.start');
  return {
    stop: async () => {
      const r = await session.send('Profiler.stop');
      if (r.error) throw new Error(`Profiler.stop: ${r.error.message}`);
      return r.result.profile;
    },
  };
}

/**
 * Where the isolate's time went: total sampled, idle (the isolate waiting for I/O), garbage
 * collection, `(program)` (V8 and workerd native code outside any JS frame) and JS (everything
 * else, with the native code it calls). busy = total - idle is the isolate's own CPU.
 */
export function profileTotals(profile) {
  const dt = (profile.endTime - profile.startTime) / Math.max(1, profile.samples.length) / 1000; // ms per sample
  const kind = new Map(profile.nodes.map((n) => [n.id, n.callFrame.functionName]));
  const t = { sampled_ms: 0, idle_ms: 0, gc_ms: 0, program_ms: 0, js_ms: 0 };
  for (const s of profile.samples) {
    const f = kind.get(s);
    t.sampled_ms += dt;
    if (f === '(idle)') t.idle_ms += dt;
    else if (f === '(garbage collector)') t.gc_ms += dt;
    else if (f === '(program)') t.program_ms += dt;
    else t.js_ms += dt;
  }
  t.busy_ms = t.sampled_ms - t.idle_ms;
  t.wall_ms = (profile.endTime - profile.startTime) / 1000;
  return t;
}

/**
 * Self time per bundle module and per function, and inclusive time per function. esbuild marks
 * each module of the bundle with a `// <path>` line; with a source map, frames are named by
 * their original file and line. Native code (url '') is charged to its nearest JS caller.
 */
export function summarizeProfile(profile, bundleText, mapText, top = 30) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const counts = new Map();
  for (const s of profile.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
  const dt = (profile.endTime - profile.startTime) / profile.samples.length / 1000;
  const lines = bundleText ? bundleText.split('\n') : [];
  const moduleAt = [];
  let current = '(bundle prelude)';
  for (let i = 0; i < lines.length; i++) {
    const m = /^\/\/ (\S+\.(?:ts|js|mjs|cjs))$/.exec(lines[i]);
    if (m) current = m[1].replace(/^(\.\.\/)+/, '').replace(/^.*?\b(node_modules|worker|shared|src)\//, '$1/');
    moduleAt[i] = current;
  }
  const map = mapText ? new SourceMap(JSON.parse(mapText)) : null;
  const orig = (cf) => {
    const e = map?.findEntry(cf.lineNumber, cf.columnNumber);
    return e && e.originalSource
      ? { file: e.originalSource.replace(/^.*?\b(node_modules|worker|shared|src)\//, '$1/'), line: e.originalLine + 1 }
      : null;
  };
  const modOf = (cf) => orig(cf)?.file ?? moduleAt[cf.lineNumber] ?? '(bundle)';
  const keyOf = (cf) => {
    if (!cf.url) return cf.functionName || '(anonymous)';
    const o = orig(cf);
    return `${cf.functionName || '(anonymous)'} ${o ? `${o.file}:${o.line}` : `${cf.url.split('/').pop()}:${cf.lineNumber + 1} [${moduleAt[cf.lineNumber] ?? '?'}]`}`;
  };
  const self = new Map();
  const incl = new Map();
  const byModule = new Map();
  let total = 0;
  for (const [id, n] of counts) {
    const cf = nodes.get(id).callFrame;
    const ms = n * dt;
    total += ms;
    self.set(keyOf(cf), (self.get(keyOf(cf)) ?? 0) + ms);
    let owner = id;
    while (owner !== undefined && !nodes.get(owner).callFrame.url) owner = parent.get(owner);
    const mod =
      owner === undefined
        ? nodes.get(id).callFrame.functionName || '(native, no JS caller)'
        : modOf(nodes.get(owner).callFrame);
    byModule.set(mod, (byModule.get(mod) ?? 0) + ms);
    const seen = new Set();
    for (let a = id; a !== undefined; a = parent.get(a)) {
      const k = keyOf(nodes.get(a).callFrame);
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + ms);
    }
  }
  const pick = (m, f = () => true) =>
    [...m]
      .filter(([k]) => f(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top);
  return {
    total_ms: total,
    by_module: pick(byModule),
    self: pick(self),
    inclusive: pick(incl, (k) => k.includes(' ') && /:\d+/.test(k) && !/\(root\)/.test(k)),
  };
}

/** `Runtime.getHeapUsage` of the isolate: { used, total, backing } bytes (backing: ArrayBuffers, if reported). */
export async function heapUsage(session) {
  const r = await session.send('Runtime.getHeapUsage');
  if (r.error || !r.result) return null;
  const { usedSize, totalSize, backingStorageSize, embedderHeapUsedSize } = r.result;
  return {
    used: usedSize,
    total: totalSize,
    backing: backingStorageSize ?? null,
    embedder: embedderHeapUsedSize ?? null,
  };
}
