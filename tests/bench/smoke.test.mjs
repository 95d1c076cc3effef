// Smoke run of the benchmark harness (bench/run.mjs) so it cannot rot: the real harness, real
// servers (fake upstream, floor Worker, Darkroom, Portkey), tiny durations and one cell per
// section. It checks the shape of the JSON — every figure and every ratio — not the numbers.
//   node --test tests/bench/          (about 30 s: two wrangler dev start-ups and three dry-run bundles dominate)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// wrangler needs Node >= 22.12: use the pinned node from node_modules when this runs under Node 20.
const NODE = existsSync(join(ROOT, 'node_modules/.bin/node')) ? join(ROOT, 'node_modules/.bin/node') : process.execPath;

const isNum = (x) => typeof x === 'number' && Number.isFinite(x);

test('bench/run.mjs produces every figure and every ratio', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(os.tmpdir(), 'bench-smoke-'));
  const out = join(dir, 'smoke.json');
  try {
    const r = spawnSync(NODE, [join(ROOT, 'bench/run.mjs')], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 230_000,
      env: {
        ...process.env,
        PATH: `${join(ROOT, 'node_modules/.bin')}:${process.env.PATH}`,
        BENCH_OUT: out,
        // The variants section (Chromium, cold AVIF encodes) takes minutes: `node bench/variants.mjs` runs it alone.
        BENCH_SECTIONS: 'stream hit profile image handoff memory realistic size',
        BENCH_DURATION: '1',
        BENCH_WARMUP: '0',
        BENCH_TTFB_DURATION: '0.5',
        BENCH_CONCURRENCY: '1 2',
        BENCH_IMAGE_MB: '1',
        BENCH_IMAGE_CONCURRENCY: '2',
        BENCH_IMAGE_FORMATS: 'default url',
        BENCH_MEM_STREAMS: '2',
        BENCH_MEM_IMAGE_MB: '1',
        BENCH_MEM_DURATION: '3', // long enough for an answer to finish on a busy machine
        BENCH_PROFILE_CONCURRENCY: '2',
        BENCH_PROFILE_DURATION: '2',
        BENCH_HANDOFF_IMAGE_MB: '1',
        BENCH_HANDOFF_N: '3',
        BENCH_REAL_WAIT_MS: '1000',
        BENCH_REAL_STREAMS: '2',
        BENCH_REAL_IMAGE_MB: '1',
        BENCH_MINIFIED_SIZE: '0',
        BENCH_REPEAT: '1',
        BENCH_HIT_REPEAT: '2', // hits take the median of interleaved rounds, whatever BENCH_REPEAT says
        BENCH_BUILD: process.env.BENCH_BUILD ?? (existsSync(join(ROOT, 'dist/web/index.html')) ? '0' : '1'),
        BENCH_TIMEOUT: '220',
      },
    });
    assert.ok(existsSync(out), `no JSON written; exit ${r.status}\n${r.stderr}\n${r.stdout}`);
    const res = JSON.parse(readFileSync(out, 'utf8'));
    assert.deepEqual(res.errors, [], `harness errors:\n${res.errors.join('\n')}\n${r.stderr.slice(-3000)}`);
    assert.equal(r.status, 0, r.stderr.slice(-3000));

    // Every cell the sections promise is there, measured, and has its ratios to the floor.
    const want = [
      ...['floor', 'work-floor', 'darkroom', 'direct', 'portkey'].flatMap((t) => [
        `stream.sse.64px.c1.${t}`,
        `stream.sse.64px.c2.${t}`,
      ]),
      ...['static', 'darkroom-hit'].flatMap((t) => [`hit.sse.64px.c1.${t}`, `hit.sse.64px.c2.${t}`]),
      ...['floor', 'work-floor', 'darkroom', 'darkroom-url'].map((t) => `image.json.1MiB.c2.${t}`),
    ];
    const ids = res.cells.map((c) => c.id);
    for (const id of want) assert.ok(ids.includes(id), `missing cell ${id} (have ${ids.join(', ')})`);
    for (const c of res.cells) {
      for (const k of ['rps', 'p50_ms', 'p90_ms', 'p99_ms', 'max_ms']) assert.ok(isNum(c[k]), `${c.id}.${k} = ${c[k]}`);
      assert.ok(c.requests > 0, `${c.id}: no requests`);
      assert.equal(c.non2xx + c.socket_errors, 0, `${c.id}: ${c.non2xx} non-2xx, ${c.socket_errors} socket errors`);
      for (const k of ['rps', 'p50_ms', 'p99_ms'])
        assert.ok(isNum(c.ratio_to_floor?.[k]), `${c.id}.ratio_to_floor.${k}`);
      assert.ok(
        isNum(c.cpu_ms_per_request) && isNum(c.ratio_to_floor.cpu_ms_per_request),
        `${c.id}: cpu ms per request`,
      );
      if (c.section !== 'image') {
        assert.ok(isNum(c.ttfb_p50_ms) && isNum(c.ttfb_p99_ms), `${c.id}: ttfb`);
        assert.ok(isNum(c.ratio_to_floor.ttfb_p50_ms), `${c.id}.ratio_to_floor.ttfb_p50_ms`);
      }
      if (c.target === 'floor' || c.target === 'static') assert.equal(c.ratio_to_floor.p50_ms, 1);
    }
    // Hits are the median of BENCH_HIT_REPEAT interleaved rounds; every other cell has one.
    for (const c of res.cells) assert.equal(c.rounds, c.section === 'hit' ? 2 : 1, `${c.id}: ${c.rounds} round(s)`);
    // Cache hits never reach the upstream.
    for (const c of res.cells.filter((x) => x.target === 'darkroom-hit'))
      assert.equal(c.upstream_requests, 0, `${c.id} reached the upstream`);

    // The isolate's own CPU per request, from a V8 profile, for the floors and Darkroom.
    for (const t of ['floor', 'work-floor', 'darkroom']) {
      const p = res.profiles.find((x) => x.target === t);
      assert.ok(p && !p.error, `profile ${t}: ${p?.error}`);
      assert.ok(
        p.requests > 0 && isNum(p.isolate_cpu_ms_per_request) && p.isolate_cpu_ms_per_request > 0,
        `profile ${t}: ${JSON.stringify(p)}`,
      );
      assert.ok(isNum(p.ratio_to_floor.isolate_cpu_ms_per_request), `profile ${t}: ratio`);
    }

    // Hand-off: the upstream's last image byte to the client's, measured for every request.
    for (const t of ['floor', 'darkroom']) {
      const h = res.handoff.find((x) => x.target === t);
      assert.ok(
        h && h.requests === 3 && isNum(h.handoff_p50_ms) && isNum(h.ratio_to_floor.handoff_p50_ms),
        `handoff ${t}: ${JSON.stringify(h)}`,
      );
      assert.ok(
        h.handoff_min_ms >= -1,
        `handoff ${t}: the client saw the image end before the upstream sent it (${h.handoff_min_ms} ms)`,
      );
    }

    // The realistic cell: every generation waited for the upstream, and the added time is reported.
    for (const t of ['floor', 'darkroom']) {
      const x = res.realistic.find((r) => r.target === t);
      assert.ok(x && x.requests === 2 && x.total_min_ms >= 1000, `realistic ${t}: ${JSON.stringify(x)}`);
      assert.ok(isNum(x.added_vs_floor_ms) && isNum(x.added_share_of_generation), `realistic ${t}: added`);
    }

    // How many concurrent images one isolate survives, on both bases, for 1, 4 and 8 MB.
    assert.deepEqual(
      res.survival?.rss.sizes.map((x) => x.image_mb),
      [1, 4, 8],
    );
    for (const x of [...res.survival.rss.sizes, ...(res.survival.isolate?.sizes ?? [])])
      assert.ok(Number.isInteger(x.images), `survival ${JSON.stringify(x)}`);

    // Memory: floor and Darkroom, peak and growth, as ratios to the floor and to the bytes in flight.
    for (const t of ['floor', 'darkroom']) {
      const m = res.memory.find((x) => x.target === t);
      assert.ok(m, `memory ${t} missing`);
      for (const k of [
        'idle_rss_bytes',
        'peak_rss_bytes',
        'growth_bytes',
        'in_flight_bytes',
        'peak_per_in_flight',
        'growth_per_in_flight',
      ]) {
        assert.ok(isNum(m[k]), `memory.${t}.${k} = ${m[k]}`);
      }
      assert.ok(
        m.processes >= 1 && m.requests > 0,
        `memory.${t}: ${m.processes} workerd processes, ${m.requests} answers`,
      );
      assert.ok(isNum(m.ratio_to_floor.peak_rss_bytes), `memory.${t}.ratio_to_floor`);
    }

    // Sizes: present with gzip figures, or explicitly missing (never zero).
    for (const name of ['worker_bundle', 'floor_bundle', 'widget', 'playground_js']) {
      const s = res.sizes.find((x) => x.name === name);
      assert.ok(s, `size ${name} missing from the JSON`);
      if (s.missing) assert.equal(s.gzip_bytes, null);
      else assert.ok(s.gzip_bytes > 0 && s.bytes >= s.gzip_bytes && isNum(s.ratio_to_floor), `size ${name}`);
    }
    assert.equal(
      res.sizes.find((x) => x.name === 'worker_bundle').missing,
      false,
      'the Worker bundle must be measured',
    );

    // Every target is evaluated, with its value, limit and verdict.
    const targets = res.targets.map((t) => t.name);
    const gated = [
      'stream_miss_c1_p50_vs_floor',
      'stream_miss_rps_vs_floor',
      'stream_miss_cpu_vs_floor',
      'cache_hit_p50_vs_static',
      'cache_hit_cpu_vs_static',
      'image_p50_vs_floor',
      'image_handoff_vs_floor',
      'rss_growth_vs_in_flight',
      'worker_bundle_gzip_kb',
      'widget_gzip_kb',
    ];
    const info = [
      'stream_miss_p50_vs_portkey',
      'isolate_cpu_vs_floor',
      'realistic_added_ms',
      'realistic_added_share',
      'work_floor_stream_c1_p50_vs_floor',
      'work_floor_stream_rps_vs_floor',
      'work_floor_stream_cpu_vs_floor',
      'stream_miss_c1_p50_vs_work_floor',
      'work_floor_isolate_cpu_vs_floor',
      'work_floor_image_p50_vs_floor',
    ];
    for (const name of [...gated, ...info]) assert.ok(targets.includes(name), `target ${name} missing`);
    for (const t of res.targets) {
      if (t.name === 'widget_gzip_kb' && res.sizes.find((x) => x.name === 'widget').missing) continue;
      assert.ok(isNum(t.value), `target ${t.name}: ${JSON.stringify(t)}`);
      if (gated.includes(t.name))
        assert.ok(isNum(t.limit) && typeof t.met === 'boolean', `target ${t.name}: ${JSON.stringify(t)}`);
      else assert.equal(t.met, null, `info ${t.name} has no verdict`);
    }

    // The terminal table is printed.
    assert.match(r.stdout, /### 1\. Streaming, cache miss/);
    assert.match(r.stdout, /### Targets/);
    for (const title of [
      /### 1b\. Worker isolate/,
      /### 4b\. Concurrent images/,
      /### 6\. Image hand-off/,
      /### 7\. Realistic/,
    ])
      assert.match(r.stdout, title);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
