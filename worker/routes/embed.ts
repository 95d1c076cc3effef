// GET /embed?key=pk_...&theme=auto&aspect=1:1[&placeholder=...]: the iframe variant of the widget,
// for sites whose Content-Security-Policy forbids third-party scripts. It is the same
// <darkroom-widget> (served from our own origin), and widget.js relays its `darkroom:image` event
// and the page height to the parent with postMessage. The only page that may be framed, and only
// by the sites its publishable key lists; without a valid publishable key it is a short page
// saying so, framable by nobody.
import { Hono } from 'hono';
import type { AppEnv } from '../env';
import { ASPECT_RATIOS } from '../../shared/model';
import { findKey, KEY_FORMAT } from '../access/keys';
import { escapeHtml } from '../lib/html';

export const embedRoutes = new Hono<AppEnv>();

const THEMES = ['light', 'dark', 'auto'];
const KEY = /^[A-Za-z0-9_.-]{1,256}$/;

export function renderEmbed(q: { key?: string; theme?: string; aspect?: string; placeholder?: string }): string {
  const attrs: [string, string | undefined][] = [
    ['key', q.key && KEY.test(q.key) ? q.key : undefined],
    ['theme', q.theme && THEMES.includes(q.theme) ? q.theme : 'auto'],
    ['aspect-ratio', q.aspect && (ASPECT_RATIOS as readonly string[]).includes(q.aspect) ? q.aspect : '1:1'],
    ['placeholder', q.placeholder ? q.placeholder.slice(0, 200) : undefined],
  ];
  const attrText = attrs
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeHtml(v)}"`)
    .join('');
  return `<!doctype html>
<html lang="en" data-darkroom-embed>
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="robots" content="noindex">
    <title>Darkroom image generator</title>
    <link rel="stylesheet" href="/embed.css">
    <script src="/widget.js" async></script>
  </head>
  <body>
    <darkroom-widget${attrText}></darkroom-widget>
    <noscript><p>The Darkroom image generator needs JavaScript.</p></noscript>
  </body>
</html>`;
}

/** The origins a live publishable key lists, as CSP host sources; null when the key is no such key. */
async function keyOrigins(env: AppEnv['Bindings'], key: string | undefined): Promise<string[] | null> {
  if (!key?.startsWith('pk_') || !KEY_FORMAT.test(key)) return null;
  const record = await findKey(env, key).catch(() => null);
  if (record?.type !== 'publishable' || record.revoked) return null;
  // Origin patterns ("https://a.example", "*.example.com") are valid CSP host sources; anything else is dropped.
  const sources = (record.origins ?? []).filter((o) => /^(https?:\/\/)?(\*\.)?[a-z0-9.-]+(:\d+)?$/i.test(o));
  return sources.length ? sources : null;
}

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'none'";

/** Without a valid publishable key there is nothing to embed: a page that says so, framable by nobody. */
export const NO_KEY_PAGE = `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8"><meta name="robots" content="noindex"><title>Darkroom embed</title></head>
  <body>
    <p>This embed needs a valid publishable key: <code>/embed?key=pk_...</code>, from a key whose
    origins include the site that frames it (<code>npm run keys -- create --type publishable --origin https://your.site</code>).</p>
  </body>
</html>`;

embedRoutes.get('/', async (c) => {
  const q = c.req.query();
  const origins = await keyOrigins(c.env, q.key);
  c.header('referrer-policy', 'strict-origin-when-cross-origin');
  if (!origins) {
    c.header('content-security-policy', `${CSP}; frame-ancestors 'none'`);
    c.header('x-frame-options', 'DENY');
    c.header('cache-control', 'no-store');
    return c.html(NO_KEY_PAGE, 403);
  }
  // Svelte's custom element puts its styles in a <style> inside its shadow root: 'unsafe-inline' styles.
  // Framable by the key's origins only: the widget then runs under that key, never as the playground.
  c.header('content-security-policy', `${CSP}; frame-ancestors ${origins.join(' ')}`);
  c.header('cache-control', 'public, max-age=300');
  return c.html(renderEmbed(q));
});
