#!/usr/bin/env node
// Image variants, measured (a section of `npm run bench`, or alone: `node bench/variants.mjs`).
//
//   bytes   what a first-time visitor downloads (headless Chromium, every response counted) to
//           see the share page of a 1024x1024 generation and the widget's first image (the
//           /embed page: the same <darkroom-widget>), at a desktop (1280 px, DPR 1) and a phone
//           (390 px, DPR 3) viewport. "before" is the same page with every variant request
//           answered by the original, which is what the pages loaded before variants; the
//           link-preview card against the original a crawler fetched before.
//   time    making a variant (cold: the Images binding, sharp under wrangler dev) and serving it
//           (warm: from R2) against serving the original, sequential requests, p50.
//
// Starts its own fake upstream (1024x1024 PNG; NOISE_BITS low bits of noise make it photo-sized)
// and `wrangler dev` of the checkout, on 127.0.0.1, and stops both by PID.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import * as P from './lib/procs.mjs';
import { CHROMIUM, ensureChromium } from '../scripts/lib/chromium.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const VARIANT = /\/i\/[0-9a-f]{64}\/[a-z0-9]+\.(webp|avif|jpg|png)$/;
const p50 = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : null;
};
const r1 = (x) => (x == null ? null : Math.round(x * 10) / 10);

function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

async function waitHttp(url, seconds) {
  for (let i = 0; i < seconds * 4; i++) {
    try {
      if ((await fetch(url)).ok) return true;
    } catch {}
    await sleep(250);
  }
  return false;
}

/** Every response a Chromium context receives: body bytes, in total and for images. */
function countBytes(context) {
  const seen = [];
  context.on('requestfinished', async (req) => {
    const s = await req.sizes().catch(() => null);
    if (s)
      seen.push({
        url: req.url(),
        image: req.resourceType() === 'image',
        body: s.responseBodySize,
        headers: s.responseHeadersSize,
      });
  });
  return {
    async settle() {
      await sleep(300);
    },
    total: () => seen.reduce((n, r) => n + r.body + r.headers, 0),
    images: () => seen.filter((r) => r.image).reduce((n, r) => n + r.body, 0),
    imageUrls: () => seen.filter((r) => r.image).map((r) => r.url),
  };
}

const VIEWPORTS = {
  desktop: { viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 },
  phone: { viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true },
};

/** One first visit: a fresh context (empty cache); `before` answers variant requests with the original. */
async function visit(browser, device, { before, original }, go) {
  const context = await browser.newContext(VIEWPORTS[device]);
  const bytes = countBytes(context);
  // Before variants the pages loaded the original, and the server had no Accept negotiation.
  if (before) {
    await context.route(VARIANT, (route) =>
      route.continue({ url: original(), headers: { ...route.request().headers(), accept: '*/*' } }),
    );
  }
  try {
    const page = await context.newPage();
    await go(page);
    await bytes.settle();
    return {
      total_bytes: bytes.total(),
      image_bytes: bytes.images(),
      images: bytes.imageUrls().map((u) => u.replace(/^https?:\/\/[^/]+/, '')),
    };
  } finally {
    await context.close();
  }
}

async function loaded(img) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (await img.evaluate((el) => el.complete && el.naturalWidth > 0).catch(() => false)) return;
    await sleep(100);
  }
  throw new Error('image did not load');
}

async function generate(app, prompt, seed) {
  const res = await fetch(`${app}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      authorization: 'Bearer sk-local-dev',
      'content-type': 'application/json',
      'x-image-format': 'url',
      'cache-control': 'no-store',
    },
    body: JSON.stringify({
      model: 'openai/gpt-5.4-image-2',
      messages: [{ role: 'user', content: prompt }],
      image_config: { aspect_ratio: '1:1' },
      seed,
    }),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`generation answered ${res.status}: ${JSON.stringify(body).slice(0, 200)}`);
  const image = body.choices[0].message.images[0].darkroom;
  return {
    url: image.url,
    bytes: image.bytes,
    width: image.width,
    height: image.height,
    shareUrl: res.headers.get('x-darkroom-share-url'),
  };
}

async function timeGet(url, headers = {}) {
  const t0 = performance.now();
  const res = await fetch(url, { headers });
  const body = new Uint8Array(await res.arrayBuffer());
  return {
    ms: performance.now() - t0,
    status: res.status,
    bytes: body.byteLength,
    type: res.headers.get('content-type'),
    fallback: res.headers.get('x-darkroom-variant'),
  };
}

/** GETs a variant until it is served (not the original standing in while it is made): total ms. */
async function untilServed(url) {
  const t0 = performance.now();
  let fallbacks = 0;
  let r = await timeGet(url);
  while (r.status === 200 && r.fallback && performance.now() - t0 < 120_000) {
    fallbacks++;
    await sleep(250);
    r = await timeGet(url);
  }
  if (r.status !== 200 || r.fallback)
    throw new Error(`${url}: ${r.status}${r.fallback ? ' (still the original after 120 s)' : ''}`);
  return { ms: performance.now() - t0, bytes: r.bytes, fallbacks };
}

/**
 * The measurements against a running Darkroom at `app` (its upstream must answer with the image
 * to measure). Returns { image, share, widget, og, timing, targets }.
 */
export async function measureVariants(app, { say = () => {}, warmRepeat = 15, coldImages = 3, widgetKey } = {}) {
  ensureChromium(); // a fresh machine: as the browser tests do
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--disable-background-networking',
    ],
  });
  try {
    // ---- time: cold (first request makes it) and warm (R2) variants against the original
    say('variants: time to make (cold) and serve (warm)');
    const cold = { 'w512.webp': [], 'w1024.webp': [], 'w1024.avif': [], 'og.jpg': [] };
    const made = [];
    for (let i = 0; i < coldImages; i++) made.push(await generate(app, `variants bench cold ${i}`, 9100 + i));
    const stoodIn = {};
    for (const img of made) {
      for (const name of Object.keys(cold)) {
        // Cold = from the first request until the variant is served (a transform slower than
        // IMAGE_TRANSFORM_TIMEOUT_MS answers the original first and finishes in the background).
        const { ms, fallbacks } = await untilServed(img.url.replace(/\.png$/, `/${name}`));
        if (fallbacks) stoodIn[name] = (stoodIn[name] ?? 0) + fallbacks;
        cold[name].push(ms);
      }
    }
    const probe = made[0];
    const warm = {};
    const warmOriginal = [];
    for (let i = 0; i < warmRepeat; i++) warmOriginal.push((await timeGet(probe.url)).ms);
    for (const name of Object.keys(cold)) {
      warm[name] = [];
      for (let i = 0; i < warmRepeat; i++) warm[name].push((await timeGet(probe.url.replace(/\.png$/, `/${name}`))).ms);
    }
    const original_p50 = p50(warmOriginal);
    const timing = {
      original_p50_ms: r1(original_p50),
      cold_p50_ms: Object.fromEntries(Object.entries(cold).map(([k, v]) => [k, r1(p50(v))])),
      warm_p50_ms: Object.fromEntries(Object.entries(warm).map(([k, v]) => [k, r1(p50(v))])),
      warm_vs_original: Object.fromEntries(Object.entries(warm).map(([k, v]) => [k, r1(p50(v) / original_p50)])),
      original_stood_in: stoodIn,
      cold_images: coldImages,
      warm_repeat: warmRepeat,
    };

    // ---- bytes: the share page and the widget, first visit, before and after
    say('variants: bytes of a first visit (share page, widget)');
    const shareImg = await generate(app, 'variants bench share page', 4242);
    const sizes = {};
    for (const [name, size] of [
      ['original', null],
      ['og.jpg', 'og.jpg'],
      ['w512.webp', 'w512.webp'],
      ['w1024.webp', 'w1024.webp'],
      ['w1024.avif', 'w1024.avif'],
    ]) {
      sizes[name] = size
        ? (await untilServed(shareImg.url.replace(/\.png$/, `/${size}`))).bytes
        : (await timeGet(shareImg.url)).bytes;
    }
    const share = {};
    const widget = {};
    for (const device of Object.keys(VIEWPORTS)) {
      for (const before of [true, false]) {
        share[`${device}_${before ? 'before' : 'after'}`] = await visit(
          browser,
          device,
          { before, original: () => shareImg.url },
          async (page) => {
            await page.goto(shareImg.shareUrl);
            await loaded(page.locator('img.share-image'));
          },
        );
        let widgetOriginal = null;
        widget[`${device}_${before ? 'before' : 'after'}`] = await visit(
          browser,
          device,
          { before, original: () => widgetOriginal },
          async (page) => {
            // The widget's generation answer names the original its variants derive from.
            await page.route('**/v1/chat/completions', async (route) => {
              const res = await route.fetch();
              const text = await res.text();
              const m = /"url":"(http[^"]*\/i\/[0-9a-f]{64}\.png)"/.exec(text);
              if (m) widgetOriginal = m[1];
              await route.fulfill({ response: res, body: text });
            });
            await page.goto(`${app}/embed?key=${widgetKey}&aspect=1:1`);
            const w = page.locator('darkroom-widget');
            await w.getByLabel('Image prompt').fill(`variants bench widget ${device}`);
            await w.getByRole('button', { name: 'Generate' }).click();
            await loaded(w.locator('img'));
          },
        );
      }
    }
    const ratio = (a, b) => (b ? r1(a / b) : null);
    const summary = {};
    for (const [what, runs] of [
      ['share', share],
      ['widget', widget],
    ]) {
      for (const device of Object.keys(VIEWPORTS)) {
        const b = runs[`${device}_before`];
        const a = runs[`${device}_after`];
        summary[`${what}_${device}`] = {
          image_bytes_before: b.image_bytes,
          image_bytes_after: a.image_bytes,
          image_ratio: ratio(b.image_bytes, a.image_bytes),
          total_bytes_before: b.total_bytes,
          total_bytes_after: a.total_bytes,
          total_ratio: ratio(b.total_bytes, a.total_bytes),
          images_after: a.images,
        };
      }
    }
    const og = {
      original_bytes: sizes.original,
      card_bytes: sizes['og.jpg'],
      ratio: ratio(sizes.original, sizes['og.jpg']),
      under_300kb: sizes['og.jpg'] < 300_000,
    };
    const targets = [
      ...Object.entries(summary).map(([k, s]) => ({
        name: `variants.${k}`,
        description: `variants: ${k.replace('_', ' page, ')} first visit, image bytes before/after >= 10x`,
        value: s.image_ratio,
        limit: 10,
        at_least: true,
        met: s.image_ratio != null && s.image_ratio >= 10,
      })),
      {
        name: 'variants.og',
        description: 'variants: og:image card under 300 KB',
        value: og.card_bytes,
        limit: 300_000,
        at_least: false,
        met: og.under_300kb,
      },
    ];
    return { image: { width: shareImg.width, height: shareImg.height, sizes }, bytes: summary, og, timing, targets };
  } finally {
    await browser.close();
  }
}

/** A Markdown report of measureVariants' result. */
export function variantsReport(v) {
  const kb = (b) => (b == null ? '–' : (b / 1000).toFixed(1));
  const L = ['', `### 6. Image variants (1024x1024 original, ${kb(v.image.sizes.original)} KB PNG; KB = 1000 B)`, ''];
  L.push(
    '| first visit | image KB before | image KB after | image x | page KB before | page KB after | page x | image(s) loaded after |',
  );
  L.push('|---|--:|--:|--:|--:|--:|--:|---|');
  for (const [k, s] of Object.entries(v.bytes)) {
    L.push(
      `| ${k.replace('_', ', ')} | ${kb(s.image_bytes_before)} | ${kb(s.image_bytes_after)} | ${s.image_ratio}x | ${kb(s.total_bytes_before)} | ${kb(s.total_bytes_after)} | ${s.total_ratio}x | ${s.images_after.map((u) => u.replace(/^\/i\/[0-9a-f]{64}/, '…')).join(', ')} |`,
    );
  }
  L.push(
    '',
    `og:image: ${kb(v.og.card_bytes)} KB JPEG 1200x630 (was the ${kb(v.og.original_bytes)} KB original, ${v.og.ratio}x). Sizes: ${Object.entries(
      v.image.sizes,
    )
      .map(([k, b]) => `${k} ${kb(b)} KB`)
      .join(', ')}.`,
  );
  L.push('', '| variant | cold p50 ms (made) | warm p50 ms (R2) | warm x original |', '|---|--:|--:|--:|');
  for (const k of Object.keys(v.timing.cold_p50_ms))
    L.push(`| ${k} | ${v.timing.cold_p50_ms[k]} | ${v.timing.warm_p50_ms[k]} | ${v.timing.warm_vs_original[k]}x |`);
  L.push(`| original | – | ${v.timing.original_p50_ms} | 1.00x |`);
  return L;
}

/**
 * Its own fake upstream and `wrangler dev` of the checkout (through bench/lib/procs.mjs, so
 * bench/run.mjs stops them with everything else), measured, then stopped.
 */
export async function runVariants({ say = () => {}, tmp } = {}) {
  const dir = tmp ?? mkdtempSync(join(os.tmpdir(), 'darkroom-variants-'));
  const logs = join(dir, 'variants-logs');
  mkdirSync(logs, { recursive: true });
  const [upPort, appPort, inspector] = await Promise.all([freePort(), freePort(), freePort()]);
  // wrangler needs Node 22: the project's (the `node` devDependency) comes first on PATH.
  const env = {
    ...process.env,
    PATH: `${join(ROOT, 'node_modules/.bin')}:${process.env.PATH}`,
    WRANGLER_SEND_METRICS: 'false',
  };
  try {
    P.start('variants-upstream', process.execPath, [join(ROOT, 'tests/fixtures/fake-upstream.mjs'), String(upPort)], {
      env: { ...env, IMAGE_SIZE: '1024', NOISE_BITS: process.env.BENCH_VARIANTS_NOISE_BITS ?? '3', HOST: '127.0.0.1' },
      log: join(logs, 'upstream.log'),
    });
    P.start(
      'variants-wrangler',
      join(ROOT, 'node_modules/.bin/wrangler'),
      [
        'dev',
        '--local',
        '--ip',
        '127.0.0.1',
        '--port',
        String(appPort),
        '--inspector-port',
        String(inspector),
        '--persist-to',
        join(dir, 'variants-state'),
        '--log-level',
        'warn',
        '--show-interactive-dev-session=false',
        '--var',
        'DARKROOM_ENV:development',
        '--var',
        `UPSTREAM_BASE_URL:http://127.0.0.1:${upPort}/v1`,
        '--var',
        'LOG_LEVEL:warn',
        '--var',
        'DEV_RPM:100000',
        '--var',
        'PLAYGROUND_RPM:1000',
        '--var',
        'IMAGE_TRANSFORMS_RPM:100000',
        '--var',
        `ADMIN_TOKEN:${ADMIN_TOKEN}`,
      ],
      { cwd: ROOT, env, log: join(logs, 'wrangler.log') },
    );
    const app = `http://127.0.0.1:${appPort}`;
    say(`variants: fake upstream :${upPort} (1024x1024 PNG), wrangler dev :${appPort}, logs in ${logs}`);
    if (!(await waitHttp(`http://127.0.0.1:${upPort}/health`, 30))) throw new Error('fake upstream did not start');
    if (!(await waitHttp(`${app}/healthz`, 120))) throw new Error(`wrangler dev did not start (see ${logs})`);
    return await measureVariants(app, {
      say,
      widgetKey: await publishableKey(app),
      warmRepeat: Number(process.env.BENCH_VARIANTS_WARM ?? 15),
      coldImages: Number(process.env.BENCH_VARIANTS_COLD ?? 3),
    });
  } finally {
    await P.stop('variants-wrangler');
    await P.stop('variants-upstream');
  }
}

const ADMIN_TOKEN = `bench-admin-${process.pid}-0123456789`;

/** /embed needs a publishable key that lists the page's origin: made through the admin API. */
async function publishableKey(app) {
  const res = await fetch(`${app}/v1/admin/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'publishable', name: 'variants bench', origins: [app], rpm: 10_000 }),
  });
  if (res.status !== 201) throw new Error(`creating the widget's key: ${res.status} ${await res.text()}`);
  return (await res.json()).key;
}

/** Alone: `node bench/variants.mjs` measures, prints the table and writes bench/results/variants-<stamp>.json. */
async function main() {
  process.on('exit', () => P.killAllSync());
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => P.stopAll().finally(() => process.exit(130)));
  const result = await runVariants({ say: (m) => console.error(m) });
  const out =
    process.env.BENCH_OUT ||
    join(
      ROOT,
      'bench/results',
      `variants-${new Date()
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d+Z$/, 'Z')}.json`,
    );
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(variantsReport(result).join('\n'));
  console.error(`wrote ${out}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e) => {
    console.error(e?.stack ?? e);
    process.exitCode = 1;
  });
}
