// Origin allowlists: exact origins ("https://shop.example.com") and wildcards
// ("*.example.com", "https://*.example.com"); a wildcard matches subdomains, not the apex.

export function normaliseOrigin(origin: string): string | null {
  try {
    const u = new URL(origin);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    return u.origin;
  } catch {
    return null;
  }
}

export function originMatches(origin: string, pattern: string): boolean {
  const o = normaliseOrigin(origin);
  if (!o) return false;
  const url = new URL(o);
  const p = pattern.trim().toLowerCase().replace(/\/+$/, '');
  if (!p.includes('*')) return normaliseOrigin(p) === o;
  const m = /^(?:(https?):\/\/)?\*\.([a-z0-9.-]+)(?::(\d+))?$/.exec(p);
  if (!m) return false;
  const [, scheme, domain, port] = m;
  if (scheme && `${scheme}:` !== url.protocol) return false;
  if ((port ?? '') !== url.port) return false;
  return url.hostname.endsWith(`.${domain}`);
}

export const isValidOriginPattern = (p: string) =>
  normaliseOrigin(p) !== null || /^(?:https?:\/\/)?\*\.[a-z0-9-]+(\.[a-z0-9-]+)+(?::\d+)?$/i.test(p.trim());

/** The index entries that could allow this origin: the origin itself, then every wildcard above it. */
export function originCandidates(origin: string): string[] {
  const o = normaliseOrigin(origin);
  if (!o) return [];
  const url = new URL(o);
  const port = url.port ? `:${url.port}` : '';
  const labels = url.hostname.split('.');
  const out = [o];
  for (let i = 1; i < labels.length - 1; i++) {
    const domain = labels.slice(i).join('.');
    out.push(`*.${domain}${port}`, `${url.protocol}//*.${domain}${port}`);
  }
  return out;
}
