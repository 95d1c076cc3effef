// Accessibility (WCAG 2.1 AA) browser tests: axe-core on every page and state, keyboard-only use,
// the live regions, reduced motion and reflow. Run by tests/e2e/run.mjs with the other tests.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assertAccessible } from './axe.mjs';
import {
  TIMEOUT,
  apiGenerate,
  createPublishableKey,
  finishes,
  generateIn,
  openPlayground,
  shot,
  shownImage,
  until,
  watchProgress,
} from './tests.mjs';

export const a11yTests = [];
const test = (name, run) => a11yTests.push({ name, run });

const COMPLETIONS = '**/v1/chat/completions';
const GENERATING = 'Generating your image. This usually takes about a minute.';

/** Holds every generation request until release() (to look at the "generating" state). */
async function holdGenerations(page) {
  let release;
  const gate = new Promise((r) => (release = r));
  const held = [];
  const handler = async (route) => {
    if (route.request().method() === 'POST') {
      const done = gate.then(() => route.continue().catch(() => {})); // cancelled meanwhile: nothing to continue
      held.push(done);
      await done;
    } else await route.continue();
  };
  await page.route(COMPLETIONS, handler);
  return async () => {
    release();
    await Promise.all(held);
    await page.unroute(COMPLETIONS, handler);
  };
}

/** Answers the next same-origin generation with an OpenAI-style error. */
async function failNextGeneration(page, status, message, headers = {}) {
  await page.route(COMPLETIONS, (route) =>
    route.fulfill({
      status,
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ error: { message, type: status === 429 ? 'rate_limit_error' : 'api_error', code: null } }),
    }),
  );
}

/** A real generation through the API, and its share page URL. */
async function makeSharePage(ctx, prompt) {
  const res = await fetch(`${ctx.app}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-image-format': 'url', origin: ctx.app },
    body: JSON.stringify({
      model: 'openai/gpt-5.4-image-2',
      messages: [{ role: 'user', content: prompt }],
      modalities: ['image', 'text'],
      seed: 77,
    }),
  });
  assert.equal(res.status, 200, `generation answered ${res.status}`);
  await res.text();
  return res.headers.get('x-darkroom-share-url');
}

const widgetRoot = (page) => page.locator('darkroom-widget');

/** One publishable key for these tests, allowed on the host page and on /embed (the app's origin). */
let widgetKey = null;
async function useWidgetKey(ctx) {
  widgetKey ??= await createPublishableKey(ctx, [ctx.host, ctx.app]);
  ctx.hostVars.KEY = widgetKey;
  return widgetKey;
}

/** Loads the third-party host page with the widget on it. */
async function openWidgetHost(ctx, context) {
  await useWidgetKey(ctx);
  const page = await context.newPage();
  await page.goto(`${ctx.host}/widget.html`);
  await widgetRoot(page).getByLabel('Image prompt').waitFor({ timeout: TIMEOUT });
  return page;
}

/** Generates in the widget and waits for its image to load. */
async function widgetGenerates(page, prompt) {
  const w = widgetRoot(page);
  const before = await page.evaluate(() => window.__darkroom.events.length);
  await w.getByLabel('Image prompt').fill(prompt);
  await w.getByRole('button', { name: 'Generate' }).click();
  await until('the darkroom:image event', () => page.evaluate((n) => window.__darkroom.events.length > n, before));
  await until('the widget image', () => w.locator('img').evaluate((el) => el.complete && el.naturalWidth > 0));
}

/** The focused element, looking through shadow roots, and whether it shows a focus indicator. */
const focused = (page) =>
  page.evaluate(() => {
    let el = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    if (!el || el === document.body) return null;
    const ring = (e) => {
      const s = getComputedStyle(e);
      return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
    };
    const label = el.closest('label');
    return {
      tag: el.tagName.toLowerCase(),
      id: el.id,
      cls: typeof el.className === 'string' ? el.className : '',
      // Roughly the accessible name: aria-label, alt, an image's alt inside a link, or the text.
      name: (
        el.getAttribute('aria-label') ||
        el.getAttribute('alt') ||
        el.querySelector('img')?.alt ||
        el.textContent ||
        ''
      )
        .trim()
        .replace(/\s+/g, ' ')
        .slice(0, 80),
      type: el.getAttribute('type') ?? '',
      src: el.getAttribute('src'),
      ring: ring(el) || (!!label && ring(label)),
      inWidget: el.getRootNode() instanceof ShadowRoot,
    };
  });

/** Presses Tab (or Shift+Tab) until `pred` holds; every stop on the way must show its focus. */
async function tabTo(page, what, pred, { back = false, max = 60 } = {}) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    const f = await focused(page);
    if (f) assert.ok(f.ring, `a visible focus indicator on ${f.tag}#${f.id}.${f.cls} "${f.name}"`);
    if (f && pred(f)) return f;
  }
  throw new Error(`Tab never reached ${what}`);
}

/** Records every text the live region shows, as it changes (inside the widget's shadow root too). */
const recordLiveRegion = ({ host, selector }) => {
  window.__said = [];
  let last = '';
  const read = (root) => {
    const text = root.querySelector(selector)?.textContent.trim() ?? '';
    if (text && text !== last) window.__said.push((last = text));
  };
  const watch = (root) =>
    new MutationObserver(() => read(root)).observe(root, { subtree: true, childList: true, characterData: true });
  if (!host) return watch(document);
  const wait = setInterval(() => {
    const root = document.querySelector(host)?.shadowRoot;
    if (!root) return;
    clearInterval(wait);
    watch(root);
    read(root);
  }, 10);
};
const PLAYGROUND_LIVE = { selector: '[data-live=generation]' };
const WIDGET_LIVE = { host: 'darkroom-widget', selector: '[role=status]' };

async function assertAnnounced(page, expected, where) {
  await until(`${where} to announce "${expected.at(-1)}"`, () =>
    page.evaluate((last) => window.__said.some((t) => t.startsWith(last)), expected.at(-1)),
  );
  const said = await page.evaluate(() => window.__said);
  let at = -1;
  for (const e of expected) {
    const i = said.findIndex((t, k) => k > at && t.startsWith(e));
    assert.ok(
      i > at,
      `${where} announces "${e}" after ${JSON.stringify(said.slice(0, at + 1))}: it said ${JSON.stringify(said)}`,
    );
    at = i;
  }
}

const overflowX = (page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

// ---------------------------------------------------------------------------------------------

test('a11y: playground empty, generating, with a result, with errors, and its history pass axe', async (ctx) => {
  const page = await openPlayground(ctx);
  await assertAccessible(page, 'playground, empty');

  await page.getByLabel('Prompt').fill('A glass greenhouse in the fog, morning light');
  const release = await holdGenerations(page);
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  await page.locator('.progress-card').waitFor();
  await assertAccessible(page, 'playground, generating');
  await finishes(page, release);
  await assertAccessible(page, 'playground, with a result');

  await page.getByRole('button', { name: 'Copy image link' }).click();
  await until('the toast', async () => /copied/.test(await page.locator('.toast').textContent()));
  await assertAccessible(page, 'playground, with a toast');

  await failNextGeneration(page, 502, 'upstream exploded');
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  await page.locator('.error-notice').waitFor();
  await assertAccessible(page, 'playground, upstream error');
  await page.unroute(COMPLETIONS);

  await failNextGeneration(page, 429, 'Rate limit reached', { 'retry-after': '30' });
  await page.getByRole('button', { name: 'Try again' }).click();
  await until('the rate-limit notice', async () => /Slow down/.test(await page.locator('.error-notice').textContent()));
  await assertAccessible(page, 'playground, rate-limit countdown');
  await page.unroute(COMPLETIONS);

  await page.reload();
  await page.locator('.history-item').first().waitFor();
  await assertAccessible(page, 'playground, history after a reload');
  await page.locator('.history-item').first().click();
  await until('the reopened image', async () => (await shownImage(page))?.loaded);
  await assertAccessible(page, 'playground, a reopened history item');
});

test('a11y: share page and its 404 pass axe', async (ctx) => {
  const shareUrl = await makeSharePage(ctx, 'A tin robot watering tulips, soft pastel');
  const page = await ctx.context.newPage();
  await page.goto(shareUrl);
  await until('the share image', () =>
    page.locator('img.share-image').evaluate((el) => el.complete && el.naturalWidth > 0),
  );
  await assertAccessible(page, 'share page');
  await page.locator('.share-notes summary').click();
  await assertAccessible(page, 'share page, notes open');
  await page.goto(`${ctx.app}/s/doesnotexist42`);
  await assertAccessible(page, 'share 404 page');
});

test('a11y: /docs passes axe in both colour schemes; its scrolling code blocks take the keyboard', async (ctx) => {
  for (const colorScheme of ['dark', 'light']) {
    const context = await ctx.browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme });
    try {
      const page = await context.newPage();
      await page.goto(`${ctx.app}/docs`);
      await assertAccessible(page, `/docs (${colorScheme})`);
      if (colorScheme === 'light') continue;
      // Every code block that scrolls sideways is in the Tab order, and the arrow keys scroll it.
      const blocks = await page.evaluate(() =>
        [...document.querySelectorAll('pre')]
          .filter((p) => p.offsetParent && p.scrollWidth > p.clientWidth)
          .map((p) => ({ tabIndex: p.tabIndex, label: p.getAttribute('aria-label') })),
      );
      assert.ok(blocks.length >= 1, 'some code blocks scroll sideways');
      for (const b of blocks) assert.equal(b.tabIndex, 0, `code block "${b.label}" is focusable`);
      await page.locator('#start a[href="/openapi.json"]').focus();
      // The first one Tab reaches (the error example) scrolls: the arrow keys scroll it (smoothly: poll).
      const f = await tabTo(page, 'a code block', (x) => x.tag === 'pre', { max: 10 });
      assert.equal(
        await page.evaluate(() => document.activeElement.scrollWidth > document.activeElement.clientWidth),
        true,
        `${f.name} scrolls sideways`,
      );
      await page.keyboard.press('ArrowRight');
      await until(
        'the arrow key to scroll the code block',
        () => page.evaluate(() => document.activeElement.scrollLeft > 0),
        3000,
      );
    } finally {
      await context.close();
    }
  }
});

test('a11y: the widget passes axe in every theme under both colour schemes (idle, generating, result, error)', async (ctx) => {
  for (const colorScheme of ['light', 'dark']) {
    const context = await ctx.browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme });
    try {
      const page = await openWidgetHost(ctx, context);
      const w = widgetRoot(page);
      const setTheme = (theme) => w.evaluate((el, t) => el.setAttribute('theme', t), theme);
      for (const theme of ['light', 'dark', 'auto']) {
        await setTheme(theme);
        await assertAccessible(page, `widget idle, theme=${theme}, ${colorScheme} scheme`);
      }
      await widgetGenerates(page, `A paper lantern festival over a river (${colorScheme})`);
      for (const theme of ['light', 'dark', 'auto']) {
        await setTheme(theme);
        await assertAccessible(page, `widget with a result, theme=${theme}, ${colorScheme} scheme`);
      }
      // Generating, then an error (a key the server does not know), in theme="auto".
      const release = await holdGenerations(page);
      await w.getByLabel('Image prompt').fill('A snail racing a tortoise');
      await w.getByRole('button', { name: 'Generate' }).click();
      await w.locator('.progress').waitFor();
      await assertAccessible(page, `widget generating, theme=auto, ${colorScheme} scheme`);
      await release();
      await until('the second image', () => page.evaluate(() => window.__darkroom.events.length >= 2));
      await w.evaluate((el) => el.setAttribute('key', 'pk_unknown_e2e'));
      await w.getByLabel('Image prompt').fill('This key is not known');
      await w.getByRole('button', { name: 'Generate' }).click();
      await w.locator('.err').waitFor();
      await assertAccessible(page, `widget error, theme=auto, ${colorScheme} scheme`);
      await shot(ctx, page, `widget-a11y-${colorScheme}`);
    } finally {
      await context.close();
    }
  }
});

/** The README's widget theme example (the css block after its marker). */
function readmeThemeExample() {
  const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
  const css = readme.split('<!-- widget-theme-example -->')[1]?.match(/```css\n([\s\S]*?)```/)?.[1];
  assert.ok(css, 'the README has the widget theme example');
  return css;
}

test('a11y: the widget has a role and a name on the host page, and the README theme keeps it accessible', async (ctx) => {
  const page = await openWidgetHost(ctx, ctx.context);
  const group = page.getByRole('group', { name: 'Darkroom image generator' });
  assert.equal(await group.count(), 1, 'the host page sees a group named "Darkroom image generator"');
  assert.equal(await group.evaluate((el) => el.tagName), 'DARKROOM-WIDGET');

  await page.addStyleTag({ content: readmeThemeExample() });
  await widgetGenerates(page, 'A blue bicycle against a yellow wall');
  const button = widgetRoot(page).getByRole('button', { name: 'Generate' });
  const look = () =>
    button.evaluate((el) => ({
      bg: getComputedStyle(el).backgroundColor,
      radius: getComputedStyle(el).borderTopLeftRadius,
    }));
  assert.deepEqual(
    await look(),
    { bg: 'rgb(11, 87, 208)', radius: '999px' },
    'the host page themes the widget (custom properties and ::part)',
  );
  await assertAccessible(page, 'widget themed by the README example, theme=light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await widgetRoot(page).evaluate((el) => el.setAttribute('theme', 'auto'));
  assert.equal((await look()).bg, 'rgb(168, 199, 250)', 'the example themes the dark scheme too');
  await assertAccessible(page, 'widget themed by the README example, theme=auto, dark scheme');
});

test('a11y: /embed passes axe in every theme under both colour schemes', async (ctx) => {
  await useWidgetKey(ctx);
  for (const colorScheme of ['light', 'dark']) {
    const context = await ctx.browser.newContext({ viewport: { width: 600, height: 700 }, colorScheme });
    try {
      const page = await context.newPage();
      for (const theme of ['light', 'dark', 'auto']) {
        await page.goto(`${ctx.app}/embed?key=${widgetKey}&theme=${theme}&aspect=16:9`);
        await widgetRoot(page).getByLabel('Image prompt').waitFor({ timeout: TIMEOUT });
        await assertAccessible(page, `/embed idle, theme=${theme}, ${colorScheme} scheme`);
      }
      // theme=auto (the last one loaded) with a result.
      const w = widgetRoot(page);
      await w.getByLabel('Image prompt').fill(`A lighthouse keeper's cat (${colorScheme})`);
      await w.getByRole('button', { name: 'Generate' }).click();
      await until('the embed image', () => w.locator('img').evaluate((el) => el.complete && el.naturalWidth > 0));
      await assertAccessible(page, `/embed with a result, theme=auto, ${colorScheme} scheme`);
    } finally {
      await context.close();
    }
  }
});

test('a11y: the console passes axe signed out and in (sign-in error, data, a new key, a revoke to confirm, tables) and reflows at 320 px', async (ctx) => {
  const prompt = `Console a11y: a kingfisher on a reed ${Date.now()}`;
  assert.equal((await apiGenerate(ctx, 'sk-local-dev', prompt, 4)).status, 200);
  assert.equal((await apiGenerate(ctx, 'sk-local-dev', prompt, 4)).cache, 'HIT');
  const page = await ctx.context.newPage();
  await page.goto(`${ctx.app}/admin`);
  await assertAccessible(page, 'console sign-in');
  await page.getByLabel('Admin token').fill('not-the-admin-token-0123');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').waitFor();
  await assertAccessible(page, 'console sign-in, wrong token');
  await page.getByLabel('Admin token').fill(ctx.adminToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // The usage rows are written in a batch a moment after the answers: refresh until they are in.
  await until('the recent list', async () => {
    if ((await page.locator('table.recent tbody tr', { hasText: prompt }).count()) === 2) return true;
    await page.getByRole('button', { name: 'Refresh' }).click();
    return false;
  });
  await assertAccessible(page, 'console with data');
  // Keyboard: the range radios and the key filter take focus, with a visible ring.
  await page.getByRole('radio', { name: 'Last 7 days' }).focus();
  await page.keyboard.press('ArrowRight');
  assert.equal(
    await page.getByRole('radio', { name: 'Last 30 days' }).isChecked(),
    true,
    'arrow keys move through the ranges',
  );
  const ring = await page.evaluate(() => getComputedStyle(document.activeElement.closest('label')).boxShadow);
  assert.notEqual(ring, 'none', 'the focused range shows a focus ring');
  await page.getByLabel('Name', { exact: true }).fill('a11y key');
  await page.getByRole('button', { name: 'Create key' }).click();
  await page.getByTestId('new-key').waitFor();
  await page.getByRole('button', { name: 'Revoke a11y key' }).click();
  await assertAccessible(page, 'console with a new key and a revoke to confirm');
  await page.getByRole('button', { name: 'Cancel' }).click();
  for (const d of await page.locator('details').all()) await d.evaluate((el) => (el.open = true));
  await page.getByLabel('Type').selectOption('publishable');
  await assertAccessible(page, 'console with the chart tables open and the publishable form');
  await page.setViewportSize({ width: 320, height: 640 });
  const wide = await page.evaluate(() =>
    [...document.querySelectorAll('body *')]
      .filter((el) => {
        const over = (e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1;
        return over(el) && !(el.parentElement && over(el.parentElement));
      })
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}.${el.className}`),
  );
  assert.ok(
    (await overflowX(page)) <= 0,
    `the console at 320px scrolls sideways by ${await overflowX(page)}px: ${wide.join(', ')}`,
  );
  await shot(ctx, page, 'console-320');
});

test('keyboard: every playground action by Tab, Enter and Space, with focus on the result after a generation', async (ctx) => {
  const page = await openPlayground(ctx);
  await page.evaluate(() => document.activeElement?.blur());
  const skip = await tabTo(page, 'the skip link', (f) => f.cls.includes('skip-link'));
  assert.match(skip.name, /Skip to the prompt/);
  await page.keyboard.press('Enter');
  assert.equal((await focused(page))?.id, 'prompt', 'the skip link moves focus to the prompt');
  await page.keyboard.type('A brass telescope on a windowsill, starry night');

  await tabTo(page, 'the aspect ratio', (f) => f.type === 'radio');
  const before = await page.evaluate(() => document.querySelector('input[name=aspect]:checked').value);
  await page.keyboard.press('ArrowRight');
  const after = await page.evaluate(() => document.querySelector('input[name=aspect]:checked').value);
  assert.notEqual(after, before, 'the arrow keys change the aspect ratio');

  await tabTo(page, 'the seed', (f) => f.id === 'seed');
  await tabTo(page, 'Lock', (f) => /^Lock/.test(f.name));
  await page.keyboard.press('Space');
  assert.equal(
    await page.getByRole('button', { name: /^(Lock|Locked)$/ }).getAttribute('aria-pressed'),
    'true',
    'Space locks the seed',
  );
  await page.keyboard.press('Space');
  assert.equal(
    await page.getByRole('button', { name: /^(Lock|Locked)$/ }).getAttribute('aria-pressed'),
    'false',
    'Space unlocks it',
  );
  const seed = await page.locator('#seed').inputValue();
  await tabTo(page, 'New random seed', (f) => f.name === 'New random seed');
  await page.keyboard.press('Enter');
  assert.notEqual(await page.locator('#seed').inputValue(), seed, 'Enter on the dice picks a new seed');

  // Generate and Cancel replace each other, and the focus follows.
  await tabTo(page, 'Generate', (f) => f.name === 'Generate');
  const release = await holdGenerations(page);
  await page.keyboard.press('Enter');
  await until('focus on Cancel', async () => (await focused(page))?.name === 'Cancel');
  await page.keyboard.press('Enter');
  await until('focus back on Generate', async () => (await focused(page))?.name === 'Generate');
  await release();

  const first = await finishes(page, () => page.keyboard.press('Enter'));
  let f = await focused(page);
  assert.equal(f?.cls.includes('result'), true, `focus is on the result after a generation (got ${JSON.stringify(f)})`);
  assert.equal(f.name, 'A brass telescope on a windowsill, starry night', 'the focused result is named by its prompt');
  assert.ok(f.ring, 'the focused result shows its focus');

  await tabTo(page, 'Download', (x) => x.name === 'Download');
  await tabTo(page, 'Copy image link', (x) => x.name === 'Copy image link');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), first.src, 'Enter copies the image link');
  await tabTo(page, 'Share', (x) => x.name === 'Share');
  await page.keyboard.press('Space');
  await until('the share link in the clipboard', async () =>
    /\/s\/[0-9A-Za-z]+$/.test(await page.evaluate(() => navigator.clipboard.readText())),
  );
  await tabTo(page, 'New seed', (x) => x.name === 'New seed');
  const second = await finishes(page, () => page.keyboard.press('Enter'));
  assert.notEqual(second.seed, first.seed, 'Enter on New seed generates with another seed');
  f = await focused(page);
  assert.equal(f?.cls.includes('result'), true, 'focus is back on the new result');

  const item = await tabTo(
    page,
    'a history item',
    (x) => x.cls.includes('history-item') && x.name.includes(`Seed ${first.seed}`),
  );
  assert.match(item.name, /^Reopen: /);
  await page.keyboard.press('Enter');
  await until('the reopened image', async () => (await shownImage(page))?.src === first.src);
  await until('focus on the reopened result', async () => (await focused(page))?.src === first.src);

  // A failed generation: focus lands on the error, and its Try again works by keyboard.
  await failNextGeneration(page, 502, 'upstream exploded');
  await tabTo(page, 'Generate', (x) => x.name === 'Generate', { back: true, max: 5 });
  await page.keyboard.press('Enter');
  await until('focus on the error', async () => (await focused(page))?.cls.includes('error-notice'));
  assert.ok((await focused(page)).ring, 'the focused error shows its focus');
  await tabTo(page, 'Try again', (x) => x.name === 'Try again', { max: 2 });
  await page.keyboard.press('Enter');
  await until('focus on the new error', async () => (await focused(page))?.cls.includes('error-notice'));
  await page.unroute(COMPLETIONS);
});

test('keyboard: the widget on a host page, in and out of its shadow root without a trap', async (ctx) => {
  const page = await openWidgetHost(ctx, ctx.context);
  await page.locator('#host-button').focus();
  await tabTo(page, 'the widget prompt', (x) => x.inWidget && x.tag === 'input', { max: 3 });
  await page.keyboard.type('A fox made of autumn leaves');
  await tabTo(page, 'Generate', (x) => x.inWidget && x.name === 'Generate', { max: 1 });
  await page.keyboard.press('Enter');
  await until('the darkroom:image event', () => page.evaluate(() => window.__darkroom.events.length > 0));
  await until('focus on the widget result', async () => {
    const x = await focused(page);
    return x?.inWidget && x.tag === 'a';
  });
  let f = await focused(page);
  assert.equal(
    f.name,
    'A fox made of autumn leaves',
    'the focused result link is named by its image (alt: the prompt)',
  );
  assert.ok(f.ring, 'the focused result shows its focus');
  await tabTo(page, 'Share page', (x) => x.inWidget && x.name === 'Share page', { max: 2 });
  await tabTo(page, 'the Darkroom link', (x) => x.inWidget && x.name === 'Darkroom', { max: 1 });
  f = await tabTo(page, 'the host link after the widget', (x) => !x.inWidget, { max: 1 });
  assert.equal(f.id, 'after-widget', 'Tab leaves the widget to the next host element');
  f = await tabTo(page, 'back into the widget', (x) => x.inWidget, { back: true, max: 1 });
  assert.equal(f.name, 'Darkroom', 'Shift+Tab comes back into the widget');
});

test('live region: playground, widget and /embed announce generating, ready and errors politely', async (ctx) => {
  // Playground.
  await ctx.context.addInitScript(recordLiveRegion, PLAYGROUND_LIVE);
  const page = await openPlayground(ctx);
  const live = page.locator('[data-live=generation]');
  assert.equal(await live.getAttribute('role'), 'status');
  assert.equal(await live.getAttribute('aria-live'), 'polite');
  const prompt = 'A hummingbird drinking from a teacup';
  await generateIn(page, prompt);
  await assertAnnounced(page, [GENERATING, `Image ready: ${prompt}`], 'the playground');
  await failNextGeneration(page, 502, 'upstream exploded');
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  await assertAnnounced(
    page,
    [GENERATING, `Image ready: ${prompt}`, GENERATING, 'Image failed. The image model failed'],
    'the playground',
  );
  await page.unroute(COMPLETIONS);
  await page.close();

  // Widget on a host page, and /embed.
  const context = await ctx.browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    await context.addInitScript(recordLiveRegion, WIDGET_LIVE);
    const host = await openWidgetHost(ctx, context);
    const region = widgetRoot(host).locator('[role=status]');
    assert.equal(await region.getAttribute('aria-live'), 'polite');
    await widgetGenerates(host, 'A kite shaped like a whale');
    await assertAnnounced(host, [GENERATING, 'Image ready: A kite shaped like a whale'], 'the widget');
    await widgetRoot(host).evaluate((el) => el.setAttribute('key', 'pk_unknown_e2e'));
    await widgetRoot(host).getByLabel('Image prompt').fill('Refused');
    await widgetRoot(host).getByRole('button', { name: 'Generate' }).click();
    // (The refusal reaches the page without CORS headers, so the widget reads it as a network error.)
    await assertAnnounced(host, [GENERATING, 'Image ready', GENERATING, 'Image failed. '], 'the widget');

    const embed = await context.newPage();
    await embed.goto(`${ctx.app}/embed?key=${widgetKey}&theme=dark`);
    const w = widgetRoot(embed);
    await w.getByLabel('Image prompt').fill('A teapot shaped like a snail');
    await w.getByRole('button', { name: 'Generate' }).click();
    await assertAnnounced(embed, [GENERATING, 'Image ready: A teapot shaped like a snail'], '/embed');
  } finally {
    await context.close();
  }
});

test('reduced motion: animations stop when the visitor asks for less motion', async (ctx) => {
  const measure = async (reducedMotion) => {
    const context = await ctx.browser.newContext({ viewport: { width: 1280, height: 900 }, reducedMotion });
    try {
      const page = await context.newPage();
      await page.goto(`${ctx.app}/`);
      await page.getByLabel('Prompt').fill(`A carousel at night (${reducedMotion})`);
      const release = await holdGenerations(page);
      await page.getByRole('button', { name: 'Generate', exact: true }).click();
      await page.locator('.developing').waitFor();
      const developing = await page
        .locator('.developing')
        .evaluate((el) => getComputedStyle(el).animationIterationCount);
      await release();
      await until('the image', () => page.locator('img.result').evaluate((el) => el.complete && el.naturalWidth > 0));
      const result = await page
        .locator('img.result')
        .evaluate((el) => parseFloat(getComputedStyle(el).animationDuration));
      const widget = await openWidgetHost(ctx, context);
      await widgetGenerates(widget, `A spinning top (${reducedMotion})`);
      const widgetImg = await widgetRoot(widget)
        .locator('img')
        .evaluate((el) => getComputedStyle(el).animationName);
      await widget.goto(`${ctx.app}/docs`);
      const scroll = await widget.evaluate(() => getComputedStyle(document.documentElement).scrollBehavior);
      return { developing, result, widgetImg, scroll };
    } finally {
      await context.close();
    }
  };
  const moving = await measure('no-preference');
  assert.match(moving.developing, /infinite/, 'the safelight pulses by default');
  assert.ok(moving.result > 0.5, `the result develops in by default (${moving.result}s)`);
  assert.notEqual(moving.widgetImg, 'none', 'the widget image develops in by default');
  assert.equal(moving.scroll, 'smooth');
  const still = await measure('reduce');
  assert.doesNotMatch(still.developing, /infinite/, 'no endless safelight with reduced motion');
  assert.ok(still.result < 0.01, `no develop-in animation with reduced motion (${still.result}s)`);
  assert.equal(still.widgetImg, 'none', 'no widget animation with reduced motion');
  assert.equal(still.scroll, 'auto', '/docs does not smooth-scroll with reduced motion');
});

test('reflow: no horizontal scrolling at 320 px wide or at 200% zoom (640 px)', async (ctx) => {
  await useWidgetKey(ctx);
  const shareUrl = await makeSharePage(
    ctx,
    'An extraordinarily long prompt about a ' + 'very '.repeat(40) + 'small snail',
  );
  for (const width of [320, 640]) {
    const context = await ctx.browser.newContext({ viewport: { width, height: 640 } });
    try {
      const page = await context.newPage();
      await page.addInitScript(watchProgress);
      const check = async (where) => {
        await page.waitForLoadState('load');
        const over = await overflowX(page);
        assert.ok(over <= 0, `${where} at ${width}px scrolls sideways by ${over}px`);
      };
      await page.goto(`${ctx.app}/`);
      await page.getByLabel('Prompt').waitFor();
      await check('the empty playground');
      if (width === 320) {
        await generateIn(page, 'A long-legged heron in a rice paddy');
        await check('the playground with a result');
      }
      await page.goto(shareUrl);
      await check('the share page');
      await page.goto(`${ctx.app}/s/doesnotexist42`);
      await check('the share 404 page');
      await page.goto(`${ctx.app}/docs`);
      await check('/docs');
      await page.goto(`${ctx.app}/embed?key=${widgetKey}`);
      await widgetRoot(page).getByLabel('Image prompt').waitFor({ timeout: TIMEOUT });
      await check('/embed');
      await page.goto(`${ctx.host}/widget.html`);
      await widgetRoot(page).getByLabel('Image prompt').waitFor({ timeout: TIMEOUT });
      await check('the widget on a host page');
      if (width === 320) await shot(ctx, page, 'widget-320');
    } finally {
      await context.close();
    }
  }
});

test('a11y: the operator console (sign-in, its error, usage and keys) passes axe', async (ctx) => {
  await makeSharePage(ctx, 'Console a11y: a lighthouse made of glass'); // something to list
  const page = await ctx.context.newPage();
  await page.goto(`${ctx.app}/admin`);
  await page.getByLabel('Admin token').waitFor();
  await assertAccessible(page, 'console sign-in');
  await page.getByLabel('Admin token').fill('not-the-token-0123456789');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').waitFor();
  await assertAccessible(page, 'console sign-in, wrong token');
  await page.getByLabel('Admin token').fill(ctx.adminToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Usage' }).waitFor();
  await until('the recent list', async () => (await page.locator('table.recent tbody tr').count()) > 0);
  await assertAccessible(page, 'console, signed in');
});
