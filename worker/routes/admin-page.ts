// /admin: the operator console. The Worker answers every /admin path itself (run_worker_first),
// so nothing of the console leaves it without a session: a visitor without one gets only the
// sign-in form below (rendered here, no script), and the console's HTML and its bundle
// (dist/web/admin/, built by vite from web/admin/index.html) are read from the assets only for a
// signed-in browser. Signing in and out are plain form posts, checked for the console's own Origin.
import { Hono, type Context } from 'hono';
import { guardedTokenCheck } from '../access/admin-attempts';
import { adminIsOpen, tokenMatches } from '../access/admin-auth';
import { csrfProblem, endSession, newSession, SESSION_TTL_S, sessionCookie, sessionOf } from '../access/admin-session';
import type { AppEnv } from '../env';
import { ApiError } from '../lib/errors';
import { readBodyBytes } from '../lib/request-body';
import { escapeHtml } from '../lib/html';

export const adminPageRoutes = new Hono<AppEnv>();

const NO_STORE = { 'cache-control': 'no-store', 'x-robots-tag': 'noindex' };

export function renderSignIn(message: string | null, closed: boolean): string {
  const note = closed
    ? '<p class="note" role="alert">The console is closed: this Worker has no <code>ADMIN_TOKEN</code> of 16 or more characters. Set one with <code>wrangler secret put ADMIN_TOKEN</code> (locally: <code>.dev.vars</code>).</p>'
    : message
      ? `<p class="note" role="alert" id="sign-in-error">${escapeHtml(message)}</p>`
      : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Sign in · Darkroom console</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<style>
  :root { color-scheme: dark; }
  body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: #0c0c0e; color: #ededf0; font: 16px/1.5 ui-sans-serif, system-ui, sans-serif; }
  main { width: min(420px, calc(100vw - 32px)); background: #141417; border: 1px solid #3a3a41; border-radius: 14px; padding: 28px; }
  h1 { margin: 0 0 6px; font-size: 1.4rem; }
  p { margin: 0 0 18px; color: #c4c4cc; }
  label { display: block; font-weight: 600; margin-bottom: 6px; }
  input { width: 100%; box-sizing: border-box; padding: 10px 12px; border-radius: 9px; border: 1px solid #6e6e78; background: #09090b; color: #ededf0; font: inherit; }
  button { margin-top: 16px; width: 100%; padding: 10px 14px; border: 0; border-radius: 9px; background: #ff7657; color: #1a0803; font: inherit; font-weight: 700; cursor: pointer; }
  input:focus-visible, button:focus-visible, a:focus-visible { outline: 3px solid #ffb199; outline-offset: 2px; }
  .note { padding: 10px 12px; border-radius: 9px; background: #2a1411; color: #ffd2c8; }
  code { font-family: ui-monospace, Menlo, monospace; font-size: .9em; }
  a { color: #ff9b82; }
</style>
</head>
<body>
<main>
  <h1>Darkroom console</h1>
  <p>Sign in with the admin token (<code>ADMIN_TOKEN</code>) to see keys, usage, spend and recent generations.</p>
  ${note}
  <form method="post" action="/admin/sign-in">
    <label for="token">Admin token</label>
    <input id="token" name="token" type="password" autocomplete="current-password" required minlength="16" maxlength="1024"${message ? ' aria-describedby="sign-in-error"' : ''} autofocus>
    <button type="submit">Sign in</button>
  </form>
  <p style="margin:18px 0 0"><a href="/">Back to the playground</a></p>
</main>
</body>
</html>`;
}

const signInPage = (c: Context<AppEnv>, message: string | null, status: 401 | 403 | 413 | 429 = 401) =>
  c.html(renderSignIn(message, !adminIsOpen(c.env)), status, NO_STORE);

/** The built console shell, read from the assets only for a signed-in browser. */
async function consoleShell(c: Context<AppEnv>): Promise<Response> {
  const res = await c.env.ASSETS.fetch(new Request(new URL('/admin/', c.req.url)));
  if (!res.ok || !(res.headers.get('content-type') ?? '').includes('text/html')) {
    return c.text('The console is not built: run npm run build (npm start does it).', 503, NO_STORE);
  }
  return new Response(res.body, { status: 200, headers: { 'content-type': 'text/html; charset=utf-8', ...NO_STORE } });
}

adminPageRoutes.get('/', async (c) => ((await sessionOf(c.env, c.req.raw)) ? consoleShell(c) : signInPage(c, null)));

adminPageRoutes.get('/assets/:file{[A-Za-z0-9_.-]+}', async (c) => {
  if (!(await sessionOf(c.env, c.req.raw))) return c.text('Not found', 404, NO_STORE);
  const res = await c.env.ASSETS.fetch(new Request(new URL(`/admin/assets/${c.req.param('file')}`, c.req.url)));
  if (!res.ok) return c.text('Not found', 404, NO_STORE);
  // Per-browser content: never in a shared cache.
  const headers = new Headers(res.headers);
  headers.set('cache-control', 'private, max-age=3600');
  return new Response(res.body, { status: 200, headers });
});

adminPageRoutes.post('/sign-in', async (c) => {
  if (csrfProblem(c.req.raw, { needHeader: false }))
    return signInPage(c, 'Sign in from this site’s own sign-in page.', 403);
  if (!adminIsOpen(c.env)) return signInPage(c, null);
  const type = c.req.header('content-type') ?? '';
  let body: Uint8Array;
  try {
    body = await readBodyBytes(c.req.raw, 4096);
  } catch {
    return signInPage(c, 'That request is too large.', 413);
  }
  const form = type.startsWith('application/x-www-form-urlencoded')
    ? new URLSearchParams(new TextDecoder().decode(body))
    : null;
  const token = form?.get('token') ?? '';
  let matches: boolean;
  try {
    matches =
      token !== '' &&
      (await guardedTokenCheck(c.env, c.req.raw, () => tokenMatches(token, c.env.ADMIN_TOKEN as string)));
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    const res = signInPage(c, err.message, 429);
    res.headers.set('retry-after', err.headers['retry-after'] ?? '60');
    return res;
  }
  if (!matches) return signInPage(c, 'That is not the admin token.');
  const s = await newSession(c.env.ADMIN_TOKEN as string, Date.now());
  return new Response(null, {
    status: 303,
    headers: { location: '/admin', 'set-cookie': sessionCookie(c.req.url, s.value, SESSION_TTL_S), ...NO_STORE },
  });
});

adminPageRoutes.post('/sign-out', async (c) => {
  if (csrfProblem(c.req.raw, { needHeader: false })) return c.text('Sign out from the console.', 403, NO_STORE);
  const s = await sessionOf(c.env, c.req.raw);
  if (s) await endSession(c.env, s, Date.now());
  return new Response(null, {
    status: 303,
    headers: { location: '/admin', 'set-cookie': sessionCookie(c.req.url, '', 0), ...NO_STORE },
  });
});

adminPageRoutes.all('*', (c) => {
  if (c.req.method === 'GET' && new URL(c.req.url).pathname === '/admin/') return c.redirect('/admin', 308);
  return c.text('Not found', 404, NO_STORE);
});
