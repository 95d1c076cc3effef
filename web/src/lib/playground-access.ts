// How this deployment lets a visitor without a key use the playground (GET /v1/playground):
// open, behind Cloudflare Turnstile (solve once, POST /v1/playground/session sets an HttpOnly
// session cookie that later same-origin requests carry), or off. Kept apart from api.ts so the
// widget bundle does not carry it.

export type PlaygroundMode = 'open' | 'turnstile' | 'off';

export interface PlaygroundAccess {
  mode: PlaygroundMode;
  turnstileSiteKey?: string;
  message?: string;
}

export async function playgroundAccess(): Promise<PlaygroundAccess> {
  try {
    const res = await fetch('/v1/playground');
    if (!res.ok) return { mode: 'open' }; // an older server: it has no modes
    const body = (await res.json()) as { mode?: PlaygroundMode; turnstile_site_key?: string; message?: string };
    return { mode: body.mode ?? 'open', turnstileSiteKey: body.turnstile_site_key, message: body.message };
  } catch {
    return { mode: 'open' };
  }
}

/** Exchanges a solved Turnstile token for the session cookie. */
export async function startSession(token: string): Promise<boolean> {
  const res = await fetch('/v1/playground/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  }).catch(() => null);
  return Boolean(res?.ok);
}

interface Turnstile {
  render(el: HTMLElement, opts: Record<string, unknown>): string;
  reset(id?: string): void;
}

const SCRIPT = 'https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit';

/** Loads Cloudflare's Turnstile script once (the site's CSP allows challenges.cloudflare.com). */
export function loadTurnstile(): Promise<Turnstile> {
  const w = window as unknown as { turnstile?: Turnstile };
  if (w.turnstile) return Promise.resolve(w.turnstile);
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = SCRIPT;
    s.async = true;
    s.onload = () => (w.turnstile ? resolve(w.turnstile) : reject(new Error('Turnstile did not load')));
    s.onerror = () => reject(new Error('Turnstile did not load'));
    document.head.append(s);
  });
}
