// GET /embed?key=pk_...&theme=auto&aspect=1:1[&placeholder=...]: the iframe variant of the widget,
// for sites whose Content-Security-Policy forbids third-party scripts. It is the same
// <darkroom-widget> (served from our own origin), and widget.js relays its `darkroom:image` event
// and the page height to the parent with postMessage. The only page that may be framed, and only
// by the sites its publishable key lists.
import { Hono } from 'hono';
import type { AppEnv } from '../env';
import { ASPECT_RATIOS } from '../../shared/model';
import { findKey } from '../access/keys';
import { escapeHtml } from './share';

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

/** Who may frame the page: the sites a known publishable key lists, else anyone (it then works like the playground). */
async function frameAncestors(env: AppEnv['Bindings'], key: string | undefined): Promise<string> {
  if (!key || !KEY.test(key)) return '*';
  const record = await findKey(env, key).catch(() => null);
  const origins = record?.type === 'publishable' && !record.revoked ? (record.origins ?? []) : [];
  // Origin patterns ("https://a.example", "*.example.com") are valid CSP host sources; anything else is dropped.
  const sources = origins.filter((o) => /^(https?:\/\/)?(\*\.)?[a-z0-9.-]+(:\d+)?$/i.test(o));
  return sources.length ? `'self' ${sources.join(' ')}` : '*';
}

embedRoutes.get('/', async (c) => {
  const q = c.req.query();
  // Svelte's custom element puts its styles in a <style> inside its shadow root: 'unsafe-inline' styles.
  c.header(
    'content-security-policy',
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; " +
      `object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors ${await frameAncestors(c.env, q.key)}`,
  );
  c.header('cache-control', 'public, max-age=300');
  c.header('referrer-policy', 'strict-origin-when-cross-origin');
  return c.html(renderEmbed(q));
});
