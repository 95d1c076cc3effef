// The browser tests run by tests/e2e/run.mjs. Each gets a fresh browser context and
// { app, host, adminToken, shots, hostVars, context } from the runner. Real assertions only.
import assert from 'node:assert/strict';
import path from 'node:path';
import { pngFile } from '../fixtures/png.mjs';
import { assertAccessible } from './axe.mjs';

export const tests = [];
/** `last`: runs after every other suite's tests (the runner orders them). */
const test = (name, run, opts = {}) => tests.push({ name, run, ...opts });

export const TIMEOUT = 60_000;

export async function until(what, fn, timeoutMs = TIMEOUT) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

export const shot = (ctx, page, name, fullPage = true) =>
  page.screenshot({ path: path.join(ctx.shots, `${name}.png`), fullPage, animations: 'disabled' });

/** Records, inside the page, whether the progress UI ever showed (demo answers can be quick). */
export const watchProgress = () => {
  window.__seen = { progress: false, elapsed: '', streamedText: false, runs: 0 };
  let busy = false;
  new MutationObserver(() => {
    const nowBusy = !!document.querySelector('.frame.busy');
    if (busy && !nowBusy) window.__seen.runs++;
    busy = nowBusy;
    const card = document.querySelector('.progress-card');
    if (card) {
      window.__seen.progress = true;
      window.__seen.elapsed = card.querySelector('.elapsed-time')?.textContent ?? '';
      if (card.querySelector('[role=progressbar]')?.getAttribute('aria-valuenow')) window.__seen.bar = true;
    }
    if (document.querySelector('.model-text-body.streaming')?.textContent) window.__seen.streamedText = true;
    const partial = document.querySelector('.frame img.partial');
    if (partial) {
      window.__seen.partials ??= new Set();
      window.__seen.partials.add(partial.getAttribute('src'));
      // A preview shown while the final image is not there yet.
      if (!document.querySelector('img.result')) window.__seen.previewBeforeResult = true;
    }
  }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
};

export async function openPlayground(ctx, query = '') {
  await ctx.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: ctx.app });
  const page = await ctx.context.newPage();
  await page.addInitScript(watchProgress);
  await page.goto(`${ctx.app}/${query}`);
  await page.getByLabel('Prompt').waitFor();
  return page;
}

/** The shown image right now (no waiting), or null. */
export const shownImage = (page) =>
  page.evaluate(() => {
    const img = document.querySelector('img.result');
    return img ? { src: img.getAttribute('src'), alt: img.alt, loaded: img.complete && img.naturalWidth > 0 } : null;
  });

/** Runs `start`, then waits for the generation it begins to finish with a loaded image. */
export async function finishes(page, start) {
  const runs = await page.evaluate(() => window.__seen.runs);
  await start();
  await until('the generation to finish', () => page.evaluate((n) => window.__seen.runs > n, runs));
  const alert = await page.evaluate(() => document.querySelector('.error-notice')?.textContent ?? null);
  assert.equal(alert, null, `no error after generating: ${alert}`);
  await until('the image to load', async () => (await shownImage(page))?.loaded);
  return readResult(page);
}

export async function generateIn(page, prompt, { aspect } = {}) {
  if (prompt !== undefined) await page.getByLabel('Prompt').fill(prompt);
  if (aspect) await page.getByRole('radio', { name: aspect, exact: true }).check();
  return finishes(page, () => page.getByRole('button', { name: 'Generate', exact: true }).click());
}

async function readResult(page) {
  const img = page.locator('img.result');
  return {
    src: await img.getAttribute('src'),
    alt: await img.getAttribute('alt'),
    natural: await img.evaluate((el) => ({ w: el.naturalWidth, h: el.naturalHeight })),
    seed: (await page.locator('.shown-seed').textContent()).trim(),
    cached: await page.locator('.badge-cache').count(),
  };
}

export async function createPublishableKey(ctx, origins) {
  const res = await fetch(`${ctx.app}/v1/admin/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ctx.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'publishable', name: 'e2e', origins }),
  });
  const body = await res.text();
  assert.equal(res.status < 300, true, `POST /v1/admin/keys answered ${res.status}: ${body}`);
  const key = JSON.parse(body).key;
  assert.match(key, /^pk_/, 'a publishable key starts with pk_');
  return key;
}

const metaOf = (html, attr, name) => {
  const re = new RegExp(`<meta ${attr}="${name.replace(/[:]/g, '\\:')}" content="([^"]*)"`, 'i');
  return html.match(re)?.[1];
};
const unescape = (s) =>
  s
    ?.replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** A small real PNG (8-bit RGB), for attaching. */
function pngBytes(w, h, seed = 1) {
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) raw.set([(x * 8 + seed) & 255, (y * 8) & 255, seed & 255], y * (w * 3 + 1) + 1 + x * 3);
  return pngFile(w, h, raw);
}

/** The JSON body of the next chat request the page sends, while `start` runs. */
async function chatBodyOf(page, start) {
  const req = page.waitForRequest((r) => r.url().endsWith('/v1/chat/completions') && r.method() === 'POST', {
    timeout: TIMEOUT,
  });
  const [r] = await Promise.all([req, start()]);
  return JSON.parse(r.postData());
}

// ---------------------------------------------------------------------------------------------

test('playground: generate streams, shows progress, then the image with working actions', async (ctx) => {
  const page = await openPlayground(ctx);
  await shot(ctx, page, 'playground-empty');
  assert.equal(await page.locator('.demo-notice').count(), 0, 'no demo notice before any answer');

  const prompt = 'A lighthouse on a basalt cliff at dusk, long exposure';
  const r = await generateIn(page, prompt, { aspect: '16:9' });
  const seen = await page.evaluate(() => window.__seen);
  assert.ok(seen.progress, 'the progress card (elapsed time and bar) was shown while generating');
  assert.match(seen.elapsed, /^\d+:\d\d$/, 'elapsed time reads like 0:01');
  assert.ok(seen.streamedText, "the model's text streamed in before the image");

  assert.equal(r.alt, prompt, 'the prompt is the image alt text');
  assert.match(r.src, /\/i\/[0-9a-f]{64}\.png$/, 'the image is served from /i/<sha256>.png');
  assert.ok(Math.abs(r.natural.w / r.natural.h - 16 / 9) < 0.05, `16:9 image, got ${r.natural.w}x${r.natural.h}`);
  assert.match(r.seed, /^\d+$/, 'the seed is shown after the generation');
  assert.equal(
    await page.getByRole('textbox', { name: 'Seed', exact: true }).inputValue(),
    r.seed,
    'the seed field shows the seed used',
  );
  assert.equal(r.cached, 0, 'a first generation is not marked cached');
  assert.match(await page.locator('.demo-notice').textContent(), /Demo mode/, 'the demo provider notice is shown');
  assert.match(await page.locator('.model-text-body').textContent(), /seed/i, "the model's text stays visible");

  // Actions.
  const download = page.getByRole('link', { name: 'Download' });
  assert.equal(await download.getAttribute('href'), r.src);
  assert.match(await download.getAttribute('download'), /^a-lighthouse-on-a-basalt-cliff.*\.png$/);
  await page.getByRole('button', { name: 'Copy image link' }).click();
  assert.equal(
    await page.evaluate(() => navigator.clipboard.readText()),
    r.src,
    'Copy image link copies the image URL',
  );
  await until('the toast', async () => /Image link copied/.test(await page.locator('.toast').textContent()));
  await page.getByRole('button', { name: 'Share' }).click();
  const shareUrl = await page.evaluate(() => navigator.clipboard.readText());
  assert.match(
    shareUrl,
    new RegExp(`^${ctx.app}/s/[0-9A-Za-z]+$`),
    `Share copies the share page link, got ${shareUrl}`,
  );
  await shot(ctx, page, 'playground-result');

  // Generate again with a new seed: a different seed and a different image.
  const again = await finishes(page, () => page.getByRole('button', { name: 'New seed' }).click());
  assert.notEqual(again.seed, r.seed, 'New seed uses another seed');
  assert.notEqual(again.src, r.src, 'another seed gives another image');

  // Keyboard: Ctrl+Enter in the prompt generates; focus is visible.
  await page.getByLabel('Prompt').fill('A paper boat on a puddle, macro');
  const typed = await finishes(page, () => page.getByLabel('Prompt').press('Control+Enter'));
  assert.equal(typed.alt, 'A paper boat on a puddle, macro', 'Ctrl+Enter in the prompt generates');
  await page.getByLabel('Prompt').focus();
  await page.keyboard.press('Tab'); // the aspect ratio radio group
  await page.keyboard.press('Tab'); // the seed
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'seed', 'Tab reaches the seed field');
  const focusRing = await page.evaluate(() => getComputedStyle(document.activeElement).boxShadow);
  assert.notEqual(focusRing, 'none', 'the focused control shows a focus ring');
});

test('playground: a locked seed reproduces the image, from the cache', async (ctx) => {
  const page = await openPlayground(ctx);
  const prompt = `A red fox in fresh snow ${Date.now()}`;
  const first = await generateIn(page, prompt, { aspect: '4:5' });
  // Change the seed, then type the first seed back: typing locks it.
  const second = await finishes(page, () => page.getByRole('button', { name: 'New seed' }).click());
  assert.notEqual(second.src, first.src);

  await page.getByRole('textbox', { name: 'Seed', exact: true }).fill(first.seed);
  assert.equal(
    await page.getByRole('button', { name: /^(Lock|Locked)$/ }).getAttribute('aria-pressed'),
    'true',
    'typing a seed locks it',
  );
  const again = await generateIn(page);
  assert.equal(again.seed, first.seed, 'the locked seed was used');
  assert.equal(again.src, first.src, 'same prompt, seed and shape give the same image');
  assert.equal(again.cached, 1, 'the reproduced image is marked cached');
  assert.match(await page.locator('.badge-cache').textContent(), /Cached/);
  // A locked seed stays for the next run too.
  const third = await generateIn(page, prompt);
  assert.equal(third.seed, first.seed);
  await shot(ctx, page, 'playground-cached');
});

test('playground: history survives a reload and reopens a generation', async (ctx) => {
  const page = await openPlayground(ctx);
  const a = await generateIn(page, 'Lavender field under a thunderstorm', { aspect: '3:2' });
  const b = await generateIn(page, 'Isometric tiny greenhouse, soft light', { aspect: '1:1' });
  await page.reload();
  await page.getByLabel('Prompt').waitFor();
  const items = page.locator('.history-item');
  await until('history items', async () => (await items.count()) >= 2);
  assert.match(await items.nth(0).getAttribute('aria-label'), /Isometric tiny greenhouse/, 'newest first');
  assert.match(await items.nth(1).getAttribute('aria-label'), /Lavender field/);
  assert.equal(await page.locator('img.result').count(), 0, 'nothing shown before reopening');

  await items.nth(1).click();
  await until('the reopened image', async () => (await shownImage(page))?.src === a.src);
  assert.equal(await page.locator('img.result').getAttribute('alt'), 'Lavender field under a thunderstorm');
  assert.equal(await page.getByLabel('Prompt').inputValue(), 'Lavender field under a thunderstorm');
  assert.equal(await page.getByRole('textbox', { name: 'Seed', exact: true }).inputValue(), a.seed);
  assert.equal(await page.getByRole('radio', { name: '3:2', exact: true }).isChecked(), true);
  assert.equal(await page.getByRole('button', { name: /^(Lock|Locked)$/ }).getAttribute('aria-pressed'), 'true');
  // Reproducible: Generate now gives the same image, from the cache.
  const again = await generateIn(page);
  assert.equal(again.src, a.src);
  assert.equal(again.cached, 1);
  assert.ok(b.src);
  await shot(ctx, page, 'playground-history');
});

test('share page: meta tags in the HTML, escaped, and Remix fills the playground', async (ctx) => {
  // Make a generation whose prompt needs escaping, then read its share page as a crawler would.
  const prompt = `A neon sign that says "<script>alert('x')</script> & friends" in the rain`;
  const res = await fetch(`${ctx.app}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-image-format': 'url', origin: ctx.app },
    body: JSON.stringify({
      model: 'openai/gpt-5.4-image-2',
      messages: [{ role: 'user', content: prompt }],
      modalities: ['image', 'text'],
      image_config: { aspect_ratio: '3:4' },
      seed: 4242,
    }),
  });
  assert.equal(res.status, 200, `generation answered ${res.status}`);
  const shareUrl = res.headers.get('x-darkroom-share-url');
  assert.match(shareUrl ?? '', /\/s\/[0-9A-Za-z]+$/, 'x-darkroom-share-url names the share page');
  const record = await (await fetch(`${ctx.app}/v1/generations/${shareUrl.split('/').pop()}`)).json();

  const page$ = await fetch(shareUrl, { headers: { 'user-agent': 'Twitterbot/1.0' } });
  assert.equal(page$.status, 200);
  assert.match(page$.headers.get('content-type'), /^text\/html/);
  const html = await page$.text();
  assert.equal(unescape(metaOf(html, 'property', 'og:title')), prompt, 'og:title is the prompt');
  const ogImage = metaOf(html, 'property', 'og:image');
  // Link previews get the 1200x630 JPEG card of the image, not the multi-megabyte original.
  assert.equal(ogImage, record.images[0].url.replace(/\.png$/, '/og.jpg'));
  assert.match(ogImage, new RegExp(`^${ctx.app}/i/[0-9a-f]{64}/og\\.jpg$`), 'og:image is an absolute URL');
  assert.equal(metaOf(html, 'property', 'og:image:type'), 'image/jpeg');
  assert.equal(Number(metaOf(html, 'property', 'og:image:width')), 1200);
  assert.equal(Number(metaOf(html, 'property', 'og:image:height')), 630);
  assert.equal(metaOf(html, 'name', 'twitter:card'), 'summary_large_image');
  assert.equal(metaOf(html, 'name', 'twitter:image'), ogImage);
  assert.doesNotMatch(html, /<script>alert/, 'the prompt is escaped');
  assert.match(html, /&lt;script&gt;alert\(&#39;x&#39;\)&lt;\/script&gt; &amp; friends/);
  assert.doesNotMatch(html, /<script(?![^>]*\b(type="application\/json"|src=))[^>]*>/, 'no inline executable script');
  const card = await fetch(ogImage);
  assert.equal(card.headers.get('content-type'), 'image/jpeg');
  const cardBytes = (await card.arrayBuffer()).byteLength;
  assert.ok(cardBytes > 100 && cardBytes < 300_000, `the og:image URL serves a JPEG under 300 KB (${cardBytes} B)`);

  const page = await ctx.context.newPage();
  await page.goto(shareUrl);
  const img = page.locator('img.share-image');
  await until('the share image', () => img.evaluate((el) => el.complete && el.naturalWidth > 0));
  assert.equal(await img.getAttribute('alt'), prompt);
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), prompt);
  assert.match(await page.locator('.share-meta').textContent(), /Seed4242.*3:4.*openai\/gpt-5\.4-image-2/s);
  assert.equal(await page.getByRole('button', { name: 'Copy link' }).isVisible(), true, 'the script enabled Copy link');
  await shot(ctx, page, 'share-page');

  await page.setViewportSize({ width: 390, height: 844 });
  await shot(ctx, page, 'share-page-phone');
  await page.setViewportSize({ width: 1280, height: 900 });

  await page.getByRole('link', { name: 'Remix in the playground' }).click();
  await page.waitForURL((u) => u.pathname === '/');
  const q = new URL(page.url()).searchParams;
  assert.equal(q.get('prompt'), prompt);
  assert.equal(q.get('seed'), '4242');
  assert.equal(q.get('aspect'), '3:4');
  await page.getByLabel('Prompt').waitFor();
  await until('the filled prompt', async () => (await page.getByLabel('Prompt').inputValue()) === prompt);
  assert.equal(await page.getByRole('textbox', { name: 'Seed', exact: true }).inputValue(), '4242');
  assert.equal(await page.getByRole('button', { name: /^(Lock|Locked)$/ }).getAttribute('aria-pressed'), 'true');
  assert.equal(await page.getByRole('radio', { name: '3:4', exact: true }).isChecked(), true);
  await shot(ctx, page, 'share-remix-playground');
});

test('share page: an unknown id is a real 404 page', async (ctx) => {
  const res = await fetch(`${ctx.app}/s/doesnotexist42`);
  assert.equal(res.status, 404);
  assert.match(res.headers.get('content-type'), /^text\/html/);
  const html = await res.text();
  assert.match(html, /This image is not in the darkroom/);
  assert.match(html, /<meta name="robots" content="noindex">/);
  const page = await ctx.context.newPage();
  const nav = await page.goto(`${ctx.app}/s/doesnotexist42`);
  assert.equal(nav.status(), 404);
  assert.equal(await page.getByRole('link', { name: 'Open the playground' }).getAttribute('href'), '/');
  await shot(ctx, page, 'share-404');
});

test('playground: usable at a phone width', async (ctx) => {
  await ctx.context.close();
  const context = await ctx.browser.newContext({
    viewport: { width: 375, height: 812 },
    isMobile: true,
    hasTouch: true,
  });
  try {
    const page = await context.newPage();
    await page.goto(`${ctx.app}/`);
    await page.getByLabel('Prompt').waitFor();
    await page.getByLabel('Prompt').fill('A bowl of ramen, top-down, studio light');
    await page.getByRole('radio', { name: '9:16', exact: true }).check();
    await page.getByRole('button', { name: 'Generate', exact: true }).tap();
    await until('the image', () => page.locator('img.result').evaluate((el) => el.complete && el.naturalWidth > 0));
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    assert.ok(overflow <= 0, `no horizontal scrolling at 375px (overflow ${overflow}px)`);
    const box = await page.locator('img.result').boundingBox();
    assert.ok(box.width <= 375 && box.width > 150, `the image fits the phone (${box.width}px)`);
    await shot(ctx, page, 'playground-phone');
  } finally {
    await context.close();
  }
});

test('widget: one-line embed on another origin, Shadow DOM, darkroom:image event', async (ctx) => {
  const key = await createPublishableKey(ctx, [ctx.host]);
  ctx.hostVars.KEY = key;
  const page = await ctx.context.newPage();
  await page.goto(`${ctx.host}/widget.html`);
  const widget = page.locator('darkroom-widget');
  const input = widget.getByLabel('Image prompt');
  await input.waitFor({ timeout: TIMEOUT });
  assert.equal(
    await widget.evaluate((el) => !!el.shadowRoot && el.shadowRoot.mode),
    'open',
    'the widget renders into a Shadow DOM',
  );
  assert.equal(await input.getAttribute('placeholder'), 'What should we draw?', 'the placeholder attribute is used');

  // Neither side's CSS leaks: the host's loud button style stays outside, the widget's inside.
  const hostBg = await page.locator('#host-button').evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.equal(hostBg, 'rgb(0, 255, 0)');
  const widgetButton = widget.getByRole('button', { name: 'Generate' });
  assert.notEqual(
    await widgetButton.evaluate((el) => getComputedStyle(el).backgroundColor),
    'rgb(0, 255, 0)',
    'host CSS does not reach the widget',
  );
  assert.notEqual(
    await widget.locator('form').evaluate((el) => getComputedStyle(el).display),
    'none',
    'host .row rule does not hide the widget form',
  );
  assert.equal(
    await page
      .locator('main > p')
      .first()
      .evaluate((el) => getComputedStyle(el).fontFamily),
    'Georgia, serif',
    'widget CSS does not reach the host',
  );
  await shot(ctx, page, 'widget-host-before');

  await input.fill('A hot-air balloon over a patchwork of fields');
  await widgetButton.click();
  await until('the darkroom:image event', () => page.evaluate(() => window.__darkroom.events.length > 0));
  const [ev] = await page.evaluate(() => window.__darkroom.events);
  assert.equal(ev.bubbles, true);
  assert.equal(ev.composed, true);
  assert.equal(ev.target, 'DARKROOM-WIDGET');
  assert.equal(ev.detail.prompt, 'A hot-air balloon over a patchwork of fields');
  assert.equal(typeof ev.detail.seed, 'number');
  assert.match(ev.detail.url, new RegExp(`^${ctx.app}/i/[0-9a-f]{64}\\.png$`), 'the image URL is on the API origin');
  assert.match(ev.detail.shareUrl, new RegExp(`^${ctx.app}/s/`));
  assert.match(ev.detail.generationId, /^[0-9A-Za-z]+$/);
  const img = widget.locator('img');
  await until('the widget image', () => img.evaluate((el) => el.complete && el.naturalWidth > 0));
  assert.equal(await img.getAttribute('alt'), ev.detail.prompt);
  const ratio = await img.evaluate((el) => el.naturalWidth / el.naturalHeight);
  assert.ok(Math.abs(ratio - 1.5) < 0.05, `aspect-ratio="3:2" is used (${ratio})`);
  await shot(ctx, page, 'widget-host');

  // A key is bound to its origins: the same key from an origin not on its list is refused.
  const refused = await fetch(`${ctx.app}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, origin: 'http://evil.example', 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'openai/gpt-5.4-image-2', messages: [{ role: 'user', content: 'x' }] }),
  });
  assert.ok(refused.status === 401 || refused.status === 403, `another origin is refused (got ${refused.status})`);
});

/** Every image URL a page requested (a listener on the context sees iframes and shadow roots too). */
function imageRequests(context) {
  const urls = [];
  context.on('request', (r) => r.resourceType() === 'image' && urls.push(r.url()));
  return urls;
}
const VARIANT = /\/i\/[0-9a-f]{64}\/w(256|512|1024)\.webp$/;
const ORIGINAL = /\/i\/[0-9a-f]{64}\.(png|jpg|webp|gif)$/;

test('variants: the share page and the widget load a sized WebP, not the original', async (ctx) => {
  const requested = imageRequests(ctx.context);
  const res = await fetch(`${ctx.app}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-image-format': 'url', origin: ctx.app },
    body: JSON.stringify({
      model: 'openai/gpt-5.4-image-2',
      messages: [{ role: 'user', content: 'A paper boat on a puddle, variants' }],
      image_config: { aspect_ratio: '1:1' },
      seed: 515,
    }),
  });
  assert.equal(res.status, 200);
  const page = await ctx.context.newPage();
  await page.goto(res.headers.get('x-darkroom-share-url'));
  const img = page.locator('img.share-image');
  await until('the share image', () => img.evaluate((el) => el.complete && el.naturalWidth > 0));
  const shown = await img.evaluate((el) => ({
    current: el.currentSrc,
    w: el.getAttribute('width'),
    h: el.getAttribute('height'),
    type: el.naturalWidth,
  }));
  assert.match(shown.current, VARIANT, `the share page shows a variant (${shown.current})`);
  assert.ok(shown.w && shown.h, 'the share image has explicit dimensions');
  assert.deepEqual(
    requested.filter((u) => ORIGINAL.test(u)),
    [],
    'the share page did not download the original',
  );

  const key = await createPublishableKey(ctx, [ctx.host]);
  ctx.hostVars.KEY = key;
  const host = await ctx.context.newPage();
  await host.goto(`${ctx.host}/widget.html`);
  const widget = host.locator('darkroom-widget');
  await widget.getByLabel('Image prompt').fill('A paper boat on a puddle, in the widget');
  await widget.getByRole('button', { name: 'Generate' }).click();
  // The finished image (previews are drawn in place first, as data URLs).
  await until('the darkroom:image event', () => host.evaluate(() => window.__darkroom?.events.length > 0));
  const wimg = widget.locator('img:not(.partial)');
  await until('the widget image', () => wimg.evaluate((el) => el.complete && el.naturalWidth > 0));
  const current = await wimg.evaluate((el) => el.currentSrc);
  assert.match(current, VARIANT, `the widget shows a variant (${current})`);
  assert.equal(await wimg.getAttribute('loading'), 'lazy');
  assert.ok(await wimg.getAttribute('width'), 'the widget image has explicit dimensions');
  const served = await fetch(current);
  assert.equal(served.headers.get('content-type'), 'image/webp', 'the widget image is a WebP');
  assert.deepEqual(
    requested.filter((u) => ORIGINAL.test(u)),
    [],
    'neither page downloaded an original',
  );

  // The playground's history thumbnails (its result pane keeps the original: it is what Download gives).
  const playground = await openPlayground(ctx);
  await generateIn(playground, 'A paper boat on a puddle, in the history');
  const thumb = playground.locator('.history .thumb img').first();
  await until('the history thumbnail', () => thumb.evaluate((el) => el.complete && el.naturalWidth > 0));
  assert.match(await thumb.evaluate((el) => el.currentSrc), VARIANT, 'the history thumbnail is a variant');
  assert.equal(await thumb.getAttribute('loading'), 'lazy');
});

test('iframe embed: /embed posts darkroom:image to the parent', async (ctx) => {
  const key = await createPublishableKey(ctx, [ctx.host, ctx.app]);
  ctx.hostVars.KEY = key;
  const head = await fetch(`${ctx.app}/embed?key=${key}&theme=dark&aspect=16:9`);
  assert.equal(head.status, 200);
  const csp = head.headers.get('content-security-policy') ?? '';
  assert.match(
    csp,
    new RegExp(`frame-ancestors [^;]*${ctx.host}(;|$| )`),
    `/embed may be framed by the key's sites: ${csp}`,
  );
  assert.doesNotMatch(csp, /frame-ancestors[^;]*(\*|'self')/, `/embed may be framed by the key's sites only: ${csp}`);
  assert.equal(head.headers.get('x-frame-options'), null, 'no X-Frame-Options on /embed');
  const embedHtml = await head.text();
  assert.match(embedHtml, new RegExp(`<darkroom-widget key="${key}" theme="dark" aspect-ratio="16:9">`));
  const xss = await (
    await fetch(
      `${ctx.app}/embed?key=${encodeURIComponent('"><script>x</script>')}&placeholder=${encodeURIComponent('"><img src=x onerror=alert(1)>')}`,
    )
  ).text();
  assert.doesNotMatch(xss, /<script>x|<img src=x/, 'query values are escaped');

  const page = await ctx.context.newPage();
  await page.goto(`${ctx.host}/iframe.html`);
  const frame = page.frameLocator('#darkroom');
  const input = frame.locator('darkroom-widget').getByLabel('Image prompt');
  await input.waitFor({ timeout: TIMEOUT });
  await input.fill('A cozy reading nook, rainy window');
  await frame.locator('darkroom-widget').getByRole('button', { name: 'Generate' }).click();
  await until('the postMessage', () =>
    page.evaluate(() => window.__darkroom.messages.some((m) => m.data.type === 'darkroom:image')),
  );
  const msg = (await page.evaluate(() => window.__darkroom.messages)).find((m) => m.data.type === 'darkroom:image');
  assert.equal(msg.origin, ctx.app, 'the message comes from the Darkroom origin');
  assert.equal(msg.data.detail.prompt, 'A cozy reading nook, rainy window');
  assert.match(msg.data.detail.url, new RegExp(`^${ctx.app}/i/[0-9a-f]{64}\\.png$`));
  assert.match(msg.data.detail.shareUrl, new RegExp(`^${ctx.app}/s/`));
  assert.equal(typeof msg.data.detail.seed, 'number');
  const img = frame.locator('darkroom-widget img');
  await until('the iframe image', () => img.evaluate((el) => el.complete && el.naturalWidth > 0));
  assert.match(await img.evaluate((el) => el.currentSrc), VARIANT, 'the iframe shows a variant, not the original');
  const resized = await page.evaluate(() => window.__darkroom.messages.some((m) => m.data.type === 'darkroom:resize'));
  assert.ok(resized, 'the iframe reports its height');
  await shot(ctx, page, 'iframe-embed');
});

/** One generation through the API, as a server would send it (x-image-format: url). */
export async function apiGenerate(ctx, key, prompt, seed) {
  const res = await fetch(`${ctx.app}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-image-format': 'url' },
    body: JSON.stringify({ model: 'openai/gpt-5.4-image-2', messages: [{ role: 'user', content: prompt }], seed }),
  });
  return { status: res.status, cache: res.headers.get('x-cache'), body: await res.json() };
}

/** The numbers a console chart draws for one series (its bars' or points' data-value). */
const chartValues = (page, title, series) =>
  page
    .locator(`figure[data-chart="${title}"] [data-series="${series}"]`)
    .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value'))));
const sum = (xs) => xs.reduce((a, b) => a + b, 0);
const statText = (page, name) => page.locator(`[data-stat="${name}"] dd`).first().textContent();

test('console: nothing without a session; sign in, see usage, create a key, use it, see it counted, revoke it', async (ctx) => {
  // Without a session: the sign-in form only, and the admin API answers 401.
  const bare = await fetch(`${ctx.app}/admin`);
  const bareHtml = await bare.text();
  assert.equal(bare.status, 401);
  assert.doesNotMatch(bareHtml, /<script|\/admin\/assets\//, 'no console code before signing in');
  for (const path of ['/v1/admin/keys', '/v1/admin/usage?range=1h', '/v1/admin/generations']) {
    assert.equal((await fetch(`${ctx.app}${path}`)).status, 401, `${path} without a session`);
  }

  // Generations made before signing in, with the development key.
  const prompt = `Console e2e: a brass telescope on a windowsill ${Date.now()}`;
  const miss = await apiGenerate(ctx, 'sk-local-dev', prompt, 31);
  const hit = await apiGenerate(ctx, 'sk-local-dev', prompt, 31);
  assert.deepEqual([miss.status, miss.cache, hit.status, hit.cache], [200, 'MISS', 200, 'HIT']);

  const page = await ctx.context.newPage();
  await ctx.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: ctx.app });
  await page.goto(`${ctx.app}/admin`);
  await page.getByLabel('Admin token').fill('not-the-token-0123456789');
  await page.getByRole('button', { name: 'Sign in' }).click();
  assert.match(await page.getByRole('alert').textContent(), /not the admin token/);
  await page.getByLabel('Admin token').fill(ctx.adminToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Usage' }).waitFor();
  const cookie = (await ctx.context.cookies(ctx.app)).find((c) => c.name === 'darkroom_admin');
  assert.ok(cookie?.httpOnly && cookie.sameSite === 'Strict', 'an HttpOnly, SameSite=Strict session cookie');

  // The console's bundle is served to the session only.
  const bundle = await page.locator('script[src^="/admin/assets/"]').getAttribute('src');
  assert.equal((await page.request.get(`${ctx.app}${bundle}`)).status(), 200);
  assert.equal((await fetch(`${ctx.app}${bundle}`)).status, 404, 'the bundle without a session');

  // The development key's generations: in the numbers, the charts and the recent list.
  await page.getByLabel('Key', { exact: true }).selectOption('dev');
  // The numbers and charts below are read once the one-key report has replaced the all-keys one.
  await until('the usage of one key', async () => /one key/.test(await page.locator('.range-note').textContent()));
  // The usage rows are written in a batch a moment after the answers: refresh until they are in.
  await until('the recent list to show the prompt', async () => {
    if ((await page.locator('table.recent tbody tr', { hasText: prompt }).count()) === 2) return true;
    await page.getByRole('button', { name: 'Refresh' }).click();
    return false;
  });
  const rows = page.locator('table.recent tbody tr', { hasText: prompt });
  assert.equal(await rows.nth(0).locator('td').nth(5).textContent(), 'HIT');
  assert.equal(await rows.nth(1).locator('td').nth(5).textContent(), 'MISS');
  assert.equal(
    await rows
      .nth(1)
      .getByRole('link', { name: /^Share page/ })
      .getAttribute('href'),
    `${ctx.app}/s/${miss.body.darkroom.generation_id}`,
  );
  assert.match(await rows.nth(1).locator('img').getAttribute('src'), /\/i\/[0-9a-f]{64}\.png$/);
  const devRequests = Number(await statText(page, 'requests'));
  assert.ok(devRequests >= 2, `the dev key's requests are counted (${devRequests})`);
  assert.equal(
    sum(await chartValues(page, 'Requests per hour', 'requests')),
    devRequests,
    'the requests chart draws every counted request',
  );
  assert.ok(sum(await chartValues(page, 'Requests per hour', 'cache_hits')) >= 1, 'the hit is in the chart');
  assert.ok(sum(await chartValues(page, 'USD per hour', 'saved_usd')) > 0, 'the saving is in the chart');
  await shot(ctx, page, 'console-dev-usage');

  // Create a key: shown once, with a copy button.
  await page.getByLabel('Name', { exact: true }).fill('e2e console key');
  await page.getByRole('button', { name: 'Create key' }).click();
  const key = (await page.getByTestId('new-key').textContent()).trim();
  assert.match(key, /^sk_[0-9A-Za-z]{32}$/);
  await page.getByRole('button', { name: 'Copy key' }).click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), key, 'Copy key copies it');
  await page.getByRole('button', { name: 'Done' }).click();
  assert.equal(await page.getByTestId('new-key').count(), 0, 'the key is not shown again');

  // Use it from the API, then see it counted.
  const keyPrompt = `Console e2e: a key's own lighthouse ${Date.now()}`;
  assert.equal((await apiGenerate(ctx, key, keyPrompt, 8)).status, 200);
  assert.equal((await apiGenerate(ctx, key, keyPrompt, 8)).cache, 'HIT');
  const row = page.locator('tr', { has: page.getByRole('rowheader', { name: /e2e console key/ }) });
  await until('the key to be counted', async () => {
    await page.getByRole('button', { name: 'Refresh' }).click();
    return (await row.locator('[data-cell="requests"]').textContent()).trim() === '2 / 2';
  });
  const id = await row.getAttribute('data-key-id');
  await page.getByLabel('Key', { exact: true }).selectOption(id);
  await until('the key usage', async () => (await statText(page, 'requests')) === '2');
  assert.equal(sum(await chartValues(page, 'Requests per hour', 'requests')), 2);
  assert.equal(sum(await chartValues(page, 'Requests per hour', 'cache_hits')), 1);
  assert.match(await statText(page, 'hit-ratio'), /^50\.0%$/);
  await until(
    'the key in the recent list',
    async () => (await page.locator('table.recent tbody tr', { hasText: keyPrompt }).count()) === 2,
  );
  await shot(ctx, page, 'console-key-usage');

  // Revoke it, after a confirmation; the API then refuses it.
  await row.getByRole('button', { name: 'Revoke e2e console key' }).click();
  await row.getByRole('button', { name: 'Yes, revoke' }).click();
  await until('the key to show as revoked', async () => /revoked/.test(await row.textContent()));
  const refused = await apiGenerate(ctx, key, keyPrompt, 9);
  assert.equal(refused.status, 401);
  assert.equal(refused.body.error.code, 'revoked_api_key');

  // Sign out: the page and its API answer nothing again.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Admin token').waitFor();
  assert.equal((await page.request.get(`${ctx.app}/v1/admin/keys`)).status(), 401);
  assert.equal((await page.request.get(`${ctx.app}${bundle}`)).status(), 404);
});

// Last: it spends this IP's rate limit.
test(
  'playground: errors read as sentences (bad prompt, rate limit countdown)',
  async (ctx) => {
    const page = await openPlayground(ctx);
    // A prompt over the server's limit: the real API answers 400.
    const tooLong = 'a'.repeat(1_000_001);
    await page.getByLabel('Prompt').evaluate((el, v) => {
      el.value = v;
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }, tooLong);
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    const alert = page.locator('.error-notice');
    await alert.waitFor({ timeout: TIMEOUT });
    const text = await alert.textContent();
    assert.match(text, /That prompt was not accepted/);
    assert.match(text, /The prompt could not be used\./);
    assert.doesNotMatch(text, /[{}"]|invalid_request_error/, `no JSON in the message: ${text}`);
    await page.getByLabel('Prompt').fill('');
    await shot(ctx, page, 'playground-error-bad-prompt', false);

    // Rate limit: spend this IP's allowance from the page, then the UI shows a countdown.
    const seen429 = await page.evaluate(async () => {
      for (let i = 0; i < 100; i++) {
        const res = await fetch('/v1/chat/completions', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-image-format': 'url' },
          body: JSON.stringify({
            model: 'openai/gpt-5.4-image-2',
            messages: [{ role: 'user', content: `rate ${i} ${Math.random()}` }],
            modalities: ['image', 'text'],
            seed: i,
          }),
        });
        if (res.status === 429) return { i, retryAfter: res.headers.get('retry-after') };
      }
      return null;
    });
    assert.ok(seen429, 'the per-IP limit answered 429 within 100 requests');
    await page.getByLabel('Prompt').fill('One more, please');
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await until('the rate-limit alert', async () =>
      /Slow down/.test(await page.locator('.error-notice').textContent()),
    );
    const rl = await page.locator('.error-notice').textContent();
    assert.match(rl, /rate limit/i);
    assert.match(rl, /You can generate again in \d+:\d\d\./, `a countdown from Retry-After: ${rl}`);
    const t1 = await page.locator('.countdown').textContent();
    await until('the countdown to tick', async () => (await page.locator('.countdown').textContent()) !== t1, 5000);
    assert.equal(await page.locator('button[type=submit]').isDisabled(), true, 'Generate waits for the countdown');
    assert.match(await page.locator('button[type=submit]').textContent(), /Wait \d+:\d\d/);
    await shot(ctx, page, 'playground-error-rate-limit', false);
  },
  { last: true },
);

test('playground: attach an image, edit it, edit the result again, with previews before each image', async (ctx) => {
  const page = await openPlayground(ctx);
  await page
    .locator('input[type=file]')
    .setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: pngBytes(48, 32) });
  const thumb = page.getByRole('img', { name: 'Attached image 1: photo.png' });
  await thumb.waitFor({ timeout: TIMEOUT });
  assert.equal(
    await page.getByRole('button', { name: 'Remove attached image 1 (photo.png)' }).isVisible(),
    true,
    'the thumbnail can be removed',
  );
  // A second one, removed again: thumbnails are removable.
  await page
    .locator('input[type=file]')
    .setInputFiles({ name: 'other.png', mimeType: 'image/png', buffer: pngBytes(16, 16, 9) });
  await assertAccessible(page, 'playground, two images attached');
  await page.getByRole('button', { name: 'Remove attached image 2 (other.png)' }).click();
  assert.equal(await page.getByRole('img', { name: /^Attached image/ }).count(), 1);
  await page.getByLabel('Prompt').fill('Make the sky purple');
  let body;
  const first = await finishes(page, async () => {
    body = await chatBodyOf(page, () => page.getByRole('button', { name: 'Edit image', exact: true }).click());
  });
  const parts = body.messages[0].content;
  assert.equal(parts[0].type, 'image_url', 'the attached image goes first');
  assert.match(parts[0].image_url.url, /^data:image\/png;base64,/);
  assert.deepEqual(parts[1], { type: 'text', text: 'Make the sky purple' });
  let seen = await page.evaluate(() => ({
    n: window.__seen.partials?.size ?? 0,
    before: window.__seen.previewBeforeResult,
  }));
  assert.ok(seen.n >= 1 && seen.before, `previews were drawn before the final image (${seen.n})`);
  assert.equal(await page.getByRole('img', { name: /^Attached image/ }).count(), 0, 'attachments are used once');
  await shot(ctx, page, 'playground-edited');

  // Edit the result: the next request names it as the parent.
  await page.evaluate(() => window.__seen.partials?.clear());
  await page.getByRole('button', { name: 'Edit', exact: true }).click();
  assert.match(await page.locator('.editing').textContent(), /Editing/, 'the result being edited is shown');
  await assertAccessible(page, 'playground, editing a result');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'prompt', 'focus moves to the prompt');
  await page.getByLabel('Prompt').fill('Now at night');
  const second = await finishes(page, async () => {
    body = await chatBodyOf(page, () => page.getByRole('button', { name: 'Edit image', exact: true }).click());
  });
  assert.match(body.darkroom?.parent ?? '', /^[0-9A-Za-z]+$/, 'the edit names its parent generation');
  assert.equal(body.messages[0].content, 'Now at night');
  assert.notEqual(second.src, first.src);
  seen = await page.evaluate(() => ({
    n: window.__seen.partials?.size ?? 0,
    before: window.__seen.previewBeforeResult,
  }));
  assert.ok(seen.n >= 1, 'previews again');
  assert.match(
    await page.locator('.history-chain').first().textContent(),
    /Edit of “Make the sky purple”/,
    'history shows the chain',
  );
  const record = await (await fetch(`${ctx.app}/v1/generations/${body.darkroom.parent}`)).json();
  assert.equal(record.prompt, 'Make the sky purple');
  assert.equal(record.inputs.length, 1, 'the first edit recorded its input image');
});

test('widget: allow-upload adds an attach button that sends the image', async (ctx) => {
  const key = await createPublishableKey(ctx, [ctx.host]);
  ctx.hostVars.KEY = key;
  const plain = await ctx.context.newPage();
  await plain.goto(`${ctx.host}/widget.html`);
  await plain.locator('darkroom-widget').getByLabel('Image prompt').waitFor({ timeout: TIMEOUT });
  assert.equal(
    await plain.locator('darkroom-widget').getByLabel('Attach images to edit').count(),
    0,
    'no attach button without allow-upload',
  );

  const page = await ctx.context.newPage();
  await page.goto(`${ctx.host}/widget-upload.html`);
  const widget = page.locator('darkroom-widget');
  await widget.getByLabel('Image prompt').waitFor({ timeout: TIMEOUT });
  const attach = widget.getByLabel('Attach images to edit');
  assert.equal(await attach.count(), 1, 'allow-upload adds the attach button');
  await attach.setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: pngBytes(24, 24, 3) });
  await until('the attached note', async () =>
    /1 image attached/.test((await widget.locator('.attached').textContent()) ?? ''),
  );
  await assertAccessible(page, 'widget with allow-upload, an image attached');
  await widget.getByLabel('Image prompt').fill('Turn it into a watercolor');
  const body = await chatBodyOf(page, () => widget.getByRole('button', { name: 'Generate' }).click());
  assert.equal(body.messages[0].content[0].type, 'image_url', 'the attached image is sent');
  await until('the darkroom:image event', () => page.evaluate(() => window.__darkroom.events.length > 0));
  assert.equal(await widget.locator('.attached').count(), 0, 'the attachment is used once');
  await shot(ctx, page, 'widget-upload');
});
