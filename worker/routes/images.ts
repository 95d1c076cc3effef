// GET/HEAD /i/:name: immutable images from R2 with strong ETags, 304s and Range requests.
import { Hono } from 'hono';
import type { AppEnv } from '../env';
import { ApiError } from '../lib/errors';
import { isImageKey } from '../storage/image-store';

export const imageRoutes = new Hono<AppEnv>();

const IMMUTABLE = 'public, max-age=31536000, immutable';

imageRoutes.on(['GET', 'HEAD'], '/:name', async (c) => {
  const name = c.req.param('name');
  // The name is the content hash: reject anything else before touching R2.
  if (!isImageKey(name)) throw new ApiError(404, 'No such image.', 'not_found_error', 'image_not_found');
  const etag = `"${name.slice(0, 64)}"`;
  const base = {
    etag,
    'cache-control': IMMUTABLE,
    'x-content-type-options': 'nosniff',
    'accept-ranges': 'bytes',
    'access-control-allow-origin': '*',
    'cross-origin-resource-policy': 'cross-origin',
  };
  const inm = c.req.header('if-none-match');
  if (inm && inm.split(',').some((t) => t.trim() === etag || t.trim() === '*')) {
    // Content-addressed: the name proves the bytes, no R2 round trip needed.
    return new Response(null, { status: 304, headers: base });
  }
  const rangeHeader = c.req.method === 'GET' ? c.req.header('range') : undefined;
  // A range needs the size first; everything else is one R2 call.
  const meta = rangeHeader || c.req.method === 'HEAD' ? await c.env.IMAGES.head(name) : null;
  const range = rangeHeader && meta ? parseRange(rangeHeader, meta.size) : null;
  if (range === 'unsatisfiable') {
    return new Response(null, { status: 416, headers: { ...base, 'content-range': `bytes */${meta!.size}` } });
  }
  const obj =
    c.req.method === 'HEAD'
      ? meta
      : await c.env.IMAGES.get(name, range ? { range: { offset: range.start, length: range.end - range.start + 1 } } : {});
  if (!obj) throw new ApiError(404, 'No such image.', 'not_found_error', 'image_not_found');
  const headers: Record<string, string> = { ...base, 'content-type': obj.httpMetadata?.contentType ?? 'application/octet-stream' };
  const body = 'body' in obj ? (obj as R2ObjectBody).body : null;
  if (range) {
    headers['content-range'] = `bytes ${range.start}-${range.end}/${obj.size}`;
    headers['content-length'] = String(range.end - range.start + 1);
    return new Response(body, { status: 206, headers });
  }
  headers['content-length'] = String(obj.size);
  return new Response(body, { status: 200, headers });
});

/** One `bytes=` range (the common case); multi-range requests get the whole image. */
export function parseRange(header: string, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}
