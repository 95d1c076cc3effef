// GET /s/:id: the share page of one generation, rendered here so that link previews (OpenGraph,
// Twitter cards) work for crawlers that run no JavaScript. The page reuses the built site's
// template (dist/web/share.html: its CSS and its small script) and fills two placeholders.
// Unknown ids get a real 404 page. Every interpolated value is escaped.
import { Hono, type Context } from 'hono';
import type { AppEnv } from '../env';
import type { GenerationRecord } from '../../shared/api';
import { MODEL_ID, dimensionsFor } from '../../shared/model';
import { getGenerationRecord, getStoredRecord } from '../storage/records';
import { OG_CARD, VARIANT_CONTENT_TYPES, responsiveImage, variantUrl } from '../../shared/variants';
import { escapeHtml } from '../lib/html';

/** An earlier generation in a refinement chain (the parent first). */
export interface Ancestor {
  id: string;
  prompt: string;
}

/** How many generations back the share page links. */
const CHAIN_DEPTH = 5;

async function ancestorsOf(c: Context<AppEnv>, r: GenerationRecord): Promise<Ancestor[]> {
  const chain: Ancestor[] = [];
  const seen = new Set([r.id]);
  for (let id = r.parent; id && chain.length < CHAIN_DEPTH && !seen.has(id);) {
    seen.add(id);
    const parent = await getStoredRecord(c.env, id).catch(() => null);
    chain.push({ id, prompt: parent?.prompt ?? '' });
    id = parent?.parent ?? null;
  }
  return chain;
}

/** "Made from": thumbnails of the input images, and links up the chain of refinements. */
export function madeFrom(r: GenerationRecord, chain: Ancestor[]): string {
  const inputs = r.inputs.filter((i) => i.url);
  if (!inputs.length && !chain.length) return '';
  const thumbs = inputs
    .map((i, n) => {
      const alt = i.role === 'mask' ? 'The mask (transparent where it changed)' : `Input image ${n + 1}`;
      const size = i.width && i.height ? ` width="${i.width}" height="${i.height}"` : '';
      return `<li><a href="${escapeHtml(i.url)}" title="Open the full image"><img src="${escapeHtml(i.url)}" alt="${alt}"${size} loading="lazy"></a></li>`;
    })
    .join('');
  const links = chain
    .map((a) => `<li><a href="/s/${escapeHtml(a.id)}">${escapeHtml(truncate(a.prompt, 80) || a.id)}</a></li>`)
    .join('');
  return `<section class="share-inputs" aria-labelledby="made-from">
      <h2 id="made-from" class="eyebrow">Made from</h2>
      ${thumbs ? `<ul class="input-thumbs">${thumbs}</ul>` : ''}
      ${links ? `<p class="share-chain-label">Refines</p><ol class="share-chain">${links}</ol>` : ''}
    </section>`;
}

export const shareRoutes = new Hono<AppEnv>();

/** JSON for a <script type="application/json"> island: nothing in it can close the element. */
export function jsonIsland(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const HEAD = '<!--darkroom:head-->';
const BODY = '<!--darkroom:body-->';
const FALLBACK_TEMPLATE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">${HEAD}</head><body class="share-page">${BODY}</body></html>`;

/** The built share.html (cached per isolate: assets change only with a deploy). */
let template: Promise<string> | null = null;
function shareTemplate(c: Context<AppEnv>): Promise<string> {
  const load = async () => {
    try {
      // Assets drop the .html extension (html_handling "auto-trailing-slash"): /share serves share.html.
      const res = await c.env.ASSETS.fetch(new Request(new URL('/share', c.req.url)));
      const text = res.ok ? await res.text() : '';
      if (text.includes(HEAD) && text.includes(BODY)) return text;
    } catch {
      /* no built site (e.g. unit tests): fall back to the bare template */
    }
    template = null; // try again next time
    return FALLBACK_TEMPLATE;
  };
  template ??= load();
  return template;
}

const BRAND = `<a class="brand" href="/" aria-label="Darkroom home"><svg class="brand-mark" viewBox="0 0 32 32" aria-hidden="true"><rect width="32" height="32" rx="8" fill="#1b1b1f"/><circle cx="16" cy="16" r="9" fill="none" stroke="#ff5b3a" stroke-width="2.5"/><circle cx="16" cy="16" r="3.5" fill="#ff5b3a"/></svg><span>Darkroom</span></a>`;

function header(model: string): string {
  return `<a class="skip-link" href="#main">Skip to content</a>
<header class="site-header">${BRAND}<span class="model-pill">${escapeHtml(model)}</span><nav class="site-nav" aria-label="Site"><a href="/">Playground</a><a href="/docs">API docs</a></nav></header>`;
}

function truncate(s: string, n: number): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > n ? `${flat.slice(0, n - 1).trimEnd()}…` : flat;
}

function fill(tpl: string, head: string, body: string): string {
  // Function replacers: `$` sequences in user text must not be read as replacement patterns.
  return tpl.replace(HEAD, () => head).replace(BODY, () => body);
}

/** Where "Remix" goes: the playground, filled in with this generation's prompt, seed and shape. */
export function remixUrl(r: Pick<GenerationRecord, 'prompt' | 'seed' | 'aspect_ratio'>): string {
  const q = new URLSearchParams({ prompt: r.prompt });
  if (r.seed != null) q.set('seed', String(r.seed));
  if (r.aspect_ratio) q.set('aspect', r.aspect_ratio);
  return `/?${q}`;
}

export function renderSharePage(tpl: string, r: GenerationRecord, pageUrl: string, chain: Ancestor[] = []): string {
  const image = r.images.find((i) => i.url);
  const size =
    image?.width && image?.height
      ? { width: image.width, height: image.height }
      : r.aspect_ratio
        ? dimensionsFor(r.aspect_ratio)
        : null;
  const title = truncate(r.prompt, 90) || 'An image from Darkroom';
  const description = `${r.seed != null ? `Seed ${r.seed} · ` : ''}${r.aspect_ratio ? `${r.aspect_ratio} · ` : ''}made with ${r.model} on Darkroom. Remix it with your own prompt.`;
  const shareUrl = r.share_url || pageUrl;
  const created = new Date(r.created * 1000);
  // Link previews get the 1200x630 JPEG card (chat apps drop images over ~300 KB); the page
  // shows the image itself from its variants, and links the original.
  const card = image?.url ? variantUrl(image.url, 'og', OG_CARD.format) : null;
  const preview = card
    ? { url: card, type: VARIANT_CONTENT_TYPES[OG_CARD.format], width: OG_CARD.width, height: OG_CARD.height }
    : image?.url
      ? { url: image.url, type: image.content_type || undefined, width: size?.width, height: size?.height }
      : null;
  const meta: [string, string | number | undefined][] = [
    ['og:type', 'website'],
    ['og:site_name', 'Darkroom'],
    ['og:url', shareUrl],
    ['og:title', title],
    ['og:description', description],
    ['og:image', preview?.url],
    ['og:image:secure_url', preview?.url.startsWith('https:') ? preview.url : undefined],
    ['og:image:type', preview?.type],
    ['og:image:width', preview?.width],
    ['og:image:height', preview?.height],
    ['og:image:alt', truncate(r.prompt, 300)],
  ];
  const twitter: [string, string | undefined][] = [
    ['twitter:card', image ? 'summary_large_image' : 'summary'],
    ['twitter:title', title],
    ['twitter:description', description],
    ['twitter:image', preview?.url],
    ['twitter:image:alt', truncate(r.prompt, 420)],
  ];
  const head = [
    `<title>${escapeHtml(title)} · Darkroom</title>`,
    `<meta name="description" content="${escapeHtml(description)}">`,
    `<link rel="canonical" href="${escapeHtml(shareUrl)}">`,
    ...meta
      .filter(([, v]) => v != null && v !== '')
      .map(([k, v]) => `<meta property="${k}" content="${escapeHtml(v)}">`),
    ...twitter
      .filter(([, v]) => v != null && v !== '')
      .map(([k, v]) => `<meta name="${k}" content="${escapeHtml(v)}">`),
    `<script type="application/json" id="darkroom-data">${jsonIsland({ ...r, remix_url: remixUrl(r) })}</script>`,
  ].join('\n    ');

  const facts: [string, string, boolean?][] = [
    ['Seed', r.seed != null ? String(r.seed) : 'random'],
    ['Aspect ratio', r.aspect_ratio ?? 'default'],
    ['Model', r.model, true],
    ...(size ? ([['Size', `${size.width} × ${size.height}`]] as [string, string][]) : []),
    ['Created', created.toISOString().slice(0, 10)],
  ];
  const figure = image
    ? `<a href="${escapeHtml(image.url)}" title="Open the full image">${shareImg(image.url!, r.prompt, size)}</a>`
    : `<p class="no-image">This generation has no image.</p>`;
  const body = `${header(r.model)}
<main id="main" class="share">
  <figure class="share-figure">${figure}</figure>
  <section class="share-info" aria-label="About this image">
    <p class="eyebrow">Made with Darkroom</p>
    <h1 class="share-prompt${r.prompt.length > 140 ? ' long' : ''}">${escapeHtml(r.prompt)}</h1>
    <dl class="share-meta">${facts.map(([k, v, wide]) => `<div${wide ? ' class="wide"' : ''}><dt>${k}</dt><dd>${escapeHtml(v)}</dd></div>`).join('')}</dl>
    <div class="share-actions">
      <a class="btn btn-primary remix" href="${escapeHtml(remixUrl(r))}">Remix in the playground</a>
      <button type="button" class="btn" data-copy="${escapeHtml(shareUrl)}" data-what="Share link" hidden>Copy link</button>
      ${image ? `<a class="btn" href="${escapeHtml(image.url)}" download>Download</a>` : ''}
    </div>
    ${madeFrom(r, chain)}
    ${r.text.trim() ? `<details class="share-notes"><summary>What the model said</summary><p>${escapeHtml(r.text.trim())}</p></details>` : ''}
    <p class="share-cta">Same prompt and seed give the same image. Remix to change either.</p>
  </section>
</main>
<footer class="site-footer"><span>Darkroom · an OpenAI-compatible edge gateway for ${escapeHtml(MODEL_ID)}</span><span><a href="/">Make your own</a></span></footer>
<div class="toast" role="status" aria-live="polite"></div>`;
  return fill(tpl, head, body);
}

/**
 * The image of the page, from its WebP variants: the browser picks the width it needs for the
 * column it sits in (share.css: 1.6fr of at most 1280 px beside the facts, the full width under
 * 860 px). It is the page's main content, so it loads at once with high priority rather than
 * lazily; its width and height reserve its box before it arrives.
 */
export const SHARE_IMAGE_SIZES = '(max-width: 860px) calc(100vw - 28px), min(740px, 60vw)';

function shareImg(url: string, alt: string, size: { width: number; height: number } | null): string {
  const v = responsiveImage(url, size?.width, size?.height);
  const dims = size ? ` width="${size.width}" height="${size.height}"` : '';
  const sources = v ? ` srcset="${escapeHtml(v.srcset)}" sizes="${SHARE_IMAGE_SIZES}"` : '';
  return `<img class="share-image" src="${escapeHtml(v?.src ?? url)}"${sources} alt="${escapeHtml(alt)}"${dims} decoding="async" fetchpriority="high">`;
}

export function renderNotFound(tpl: string): string {
  const head = `<title>Not found · Darkroom</title>\n    <meta name="robots" content="noindex">`;
  const body = `${header(MODEL_ID)}
<main id="main" class="not-found">
  <p class="code" aria-hidden="true">404</p>
  <h1>This image is not in the darkroom</h1>
  <p>The link may be mistyped, or the generation was never saved. You can make a new one in a minute.</p>
  <a class="btn btn-primary" href="/">Open the playground</a>
</main>`;
  return fill(tpl, head, body);
}

shareRoutes.get('/:id', async (c) => {
  const id = c.req.param('id');
  const origin = new URL(c.req.url).origin;
  const [record, tpl] = await Promise.all([getGenerationRecord(c.env, id, origin), shareTemplate(c)]);
  c.header('x-frame-options', 'DENY');
  if (!record) {
    c.header('cache-control', 'no-store');
    return c.html(renderNotFound(tpl), 404);
  }
  c.header('cache-control', 'public, max-age=300');
  return c.html(renderSharePage(tpl, record, c.req.url, await ancestorsOf(c, record)));
});
