// Origin allowlists: exact origins ("https://shop.example.com") and wildcards
// ("*.example.com", "https://*.example.com"); a wildcard matches subdomains, not the apex.
// No runtime imports: scripts/keys.mjs loads this file directly (Node type stripping), so the CLI
// and the Worker accept and store exactly the same patterns.

/** The canonical origin ("https://a.example:8443"), or null for anything that is not http(s). */
export function normaliseOrigin(origin: string): string | null {
  if (!origin || origin === 'null' || origin.includes('*')) return null;
  try {
    const u = new URL(origin);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    if (u.username || u.password || !u.hostname) return null;
    return u.origin;
  } catch {
    return null;
  }
}

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
// A wildcard needs at least two labels under the star: "*.example.com", never "*.com".
const WILDCARD = new RegExp(`^(?:(https?)://)?\\*\\.((?:${LABEL}\\.)+${LABEL})(?::(\\d{1,5}))?$`);

/**
 * The stored form of an allowlist entry, or null when it is neither an http(s) origin nor a
 * `*.domain` wildcard. Exact origins lose paths and default ports; wildcards are lower-cased.
 */
export function parseOriginPattern(pattern: string): string | null {
  const p = pattern.trim().toLowerCase().replace(/\/+$/, '');
  if (!p.includes('*')) {
    if (!/^https?:\/\//.test(p)) return null;
    const o = normaliseOrigin(p);
    // Paths, queries and credentials are not part of an origin: refuse rather than guess.
    return o && (o === p || o === p.replace(/:(80|443)$/, '')) ? o : null;
  }
  const m = WILDCARD.exec(p);
  if (!m) return null;
  const [, scheme, domain, port] = m;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return null;
  const defaultPort = (scheme === 'http' && port === '80') || (scheme === 'https' && port === '443');
  return `${scheme ? `${scheme}://` : ''}*.${domain}${port && !defaultPort ? `:${port}` : ''}`;
}

export function originMatches(origin: string, pattern: string): boolean {
  const o = normaliseOrigin(origin);
  if (!o) return false;
  const p = parseOriginPattern(pattern);
  if (!p) return false;
  if (!p.includes('*')) return p === o;
  const url = new URL(o);
  const [, scheme, domain, port] = WILDCARD.exec(p)!;
  if (scheme && `${scheme}:` !== url.protocol) return false;
  if ((port ?? '') !== url.port) return false;
  return url.hostname.endsWith(`.${domain}`);
}

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
