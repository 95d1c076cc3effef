// Content negotiation for an original's URL (`/i/<sha256>.<ext>`): an <img> whose browser says
// `Accept: image/avif,image/webp,...` may get the same picture, full size, as AVIF or WebP
// (the answer then carries `Vary: Accept`). Navigations and downloads (their Accept lists
// text/html) get the file their name promises; so do clients that ask for nothing in particular.
import type { VariantFormat } from '../../shared/variants';

/** q-value of each media range in an Accept header. */
function qualities(accept: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const part of accept.split(',').slice(0, 32)) {
    const [type, ...params] = part.trim().toLowerCase().split(';');
    if (!type) continue;
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((x) => x !== undefined);
    const value = q === undefined ? 1 : Number(q);
    out.set(type.trim(), Number.isFinite(value) ? value : 0);
  }
  return out;
}

/** The format to answer an original's URL with instead of its own, or null for the original. */
export function negotiateFormat(accept: string | undefined, originalExt: string): VariantFormat | null {
  if (!accept || originalExt === 'gif') return null; // a GIF may be animated: a still would lose that
  const q = qualities(accept);
  if ((q.get('text/html') ?? 0) > 0) return null;
  if ((q.get('image/avif') ?? 0) > 0 && originalExt !== 'avif') return 'avif';
  if ((q.get('image/webp') ?? 0) > 0 && originalExt !== 'webp') return 'webp';
  return null;
}
