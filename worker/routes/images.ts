// GET/HEAD /i/:name and /i/:sha256/:variant: immutable images and their variants from R2, with
// strong ETags, 304s and Range requests.
//
//   /i/<sha256>.<ext>              the original as the model made it (an <img> that accepts AVIF
//                                  or WebP may get that instead: Vary: Accept)
//   /i/<sha256>/<size>.<format>    a variant (shared/variants.ts): made once with the Images
//                                  binding, stored in R2 beside the original, then served from R2
//
// Variants are stored in R2, not the Cache API: the Cache API is per data centre and evicts, so
// each colo would pay for (and bill) its own transform, and R2 already has the original, the
// conditional put that keeps a URL's bytes fixed, and the Range reads this route serves. A CDN in
// front still caches every answer: they are immutable.
//
// If the binding is missing, fails or is slow, the original is served (briefly cacheable, marked
// `x-darkroom-variant: original`) and the page still shows its image.
import { Hono, type Context } from 'hono';
import { takeFromIpWindow } from '../access/read-limit';
import type { AppEnv } from '../env';
import { ApiError, badRequest } from '../lib/errors';
import { parseVariantName, type Variant } from '../../shared/variants';
import { negotiateFormat } from '../images/negotiate';
import { makeVariant, type MadeVariant } from '../images/transform';
import { logLine } from '../observability/log';
import { settings } from '../lib/settings';
import { StorageTimeout, bounded } from '../lib/bounded';
import { IMMUTABLE, findOriginalKey, isImageKey, isSha256, putVariantOnce, variantKey } from '../storage/image-store';

export const imageRoutes = new Hono<AppEnv>();

/** How long a stand-in (the original under a variant's URL) may be cached: the next try may work. */
const FALLBACK_CACHE = 'public, max-age=60';

const notFound = () => new ApiError(404, 'No such image.', 'not_found_error', 'image_not_found');

imageRoutes.on(['GET', 'HEAD'], '/:name', async (c) => {
  const name = c.req.param('name');
  // The name is the content hash: reject anything else before touching R2.
  if (!isImageKey(name)) throw notFound();
  const sha = name.slice(0, 64);
  const format = c.env.IMAGES_TRANSFORM ? negotiateFormat(c.req.header('accept'), name.slice(65)) : null;
  if (format) return serveVariant(c, sha, { size: 'full', format }, { originalKey: name, vary: true });
  return serveStored(c, name, { etag: `"${sha}"`, cacheControl: IMMUTABLE, vary: true });
});

imageRoutes.on(['GET', 'HEAD'], '/:sha/:variant', async (c) => {
  const parsed = parseVariantName(c.req.param('variant'));
  if (typeof parsed === 'string') throw badRequest(parsed, 'variant', 'invalid_variant');
  const sha = c.req.param('sha');
  if (!isSha256(sha)) throw notFound();
  return serveVariant(c, sha, parsed, {});
});

interface ServeOptions {
  etag: string;
  cacheControl: string;
  /** The answer depends on Accept (an original's URL). */
  vary?: boolean;
  extra?: Record<string, string>;
}

function baseHeaders(o: ServeOptions): Record<string, string> {
  return {
    etag: o.etag,
    'cache-control': o.cacheControl,
    'x-content-type-options': 'nosniff',
    'accept-ranges': 'bytes',
    'access-control-allow-origin': '*',
    'cross-origin-resource-policy': 'cross-origin',
    ...(o.vary ? { vary: 'Accept' } : {}),
    ...o.extra,
  };
}

/** If-None-Match names this representation: content-addressed, so no R2 round trip is needed. */
function notModified(c: Context<AppEnv>, o: ServeOptions): Response | null {
  const inm = c.req.header('if-none-match');
  if (!inm || !inm.split(',').some((t) => t.trim() === o.etag || t.trim() === '*')) return null;
  return new Response(null, { status: 304, headers: baseHeaders(o) });
}

/** An object from R2 as it is stored (an original, or a variant made before); 404 when absent. */
async function serveStored(c: Context<AppEnv>, key: string, o: ServeOptions): Promise<Response> {
  const res = await tryServeStored(c, key, o);
  if (!res) throw notFound();
  return res;
}

async function tryServeStored(c: Context<AppEnv>, key: string, o: ServeOptions): Promise<Response | null> {
  const cached = notModified(c, o);
  if (cached) return cached;
  const base = baseHeaders(o);
  const rangeHeader = c.req.method === 'GET' ? c.req.header('range') : undefined;
  // A range needs the size first; everything else is one R2 call.
  const meta = rangeHeader || c.req.method === 'HEAD' ? await c.env.IMAGES.head(key) : null;
  if ((rangeHeader || c.req.method === 'HEAD') && !meta) return null;
  const range = rangeHeader && meta ? parseRange(rangeHeader, meta.size) : null;
  if (range === 'unsatisfiable') {
    return new Response(null, { status: 416, headers: { ...base, 'content-range': `bytes */${meta!.size}` } });
  }
  const obj =
    c.req.method === 'HEAD'
      ? meta
      : await c.env.IMAGES.get(
          key,
          range ? { range: { offset: range.start, length: range.end - range.start + 1 } } : {},
        );
  if (!obj) return null;
  const headers: Record<string, string> = {
    ...base,
    'content-type': obj.httpMetadata?.contentType ?? 'application/octet-stream',
  };
  const body = 'body' in obj ? (obj as R2ObjectBody).body : null;
  if (range) {
    headers['content-range'] = `bytes ${range.start}-${range.end}/${obj.size}`;
    headers['content-length'] = String(range.end - range.start + 1);
    return new Response(body, { status: 206, headers });
  }
  headers['content-length'] = String(obj.size);
  return new Response(body, { status: 200, headers });
}

/** Bytes just made, with the same ETag, 304 and Range answers as stored ones. */
function serveBytes(c: Context<AppEnv>, made: MadeVariant, o: ServeOptions): Response {
  const base = { ...baseHeaders(o), 'content-type': made.contentType };
  const size = made.bytes.byteLength;
  const rangeHeader = c.req.method === 'GET' ? c.req.header('range') : undefined;
  const range = rangeHeader ? parseRange(rangeHeader, size) : null;
  if (range === 'unsatisfiable')
    return new Response(null, { status: 416, headers: { ...base, 'content-range': `bytes */${size}` } });
  const head = c.req.method === 'HEAD';
  if (range) {
    const part = made.bytes.subarray(range.start, range.end + 1);
    return new Response(head ? null : part, {
      status: 206,
      headers: {
        ...base,
        'content-range': `bytes ${range.start}-${range.end}/${size}`,
        'content-length': String(part.byteLength),
      },
    });
  }
  return new Response(head ? null : made.bytes, { status: 200, headers: { ...base, 'content-length': String(size) } });
}

async function serveVariant(
  c: Context<AppEnv>,
  sha: string,
  v: Variant,
  opts: { originalKey?: string; vary?: boolean },
): Promise<Response> {
  const o: ServeOptions = { etag: `"${sha}-${v.size}-${v.format}"`, cacheControl: IMMUTABLE, vary: opts.vary };
  const cached = notModified(c, o);
  if (cached) return cached;
  const key = variantKey(sha, v);
  const stored = await tryServeStored(c, key, o);
  if (stored) return stored;

  const originalKey = opts.originalKey ?? (await findOriginalKey(c.env.IMAGES, sha, settings(c.env).storageMs));
  if (!originalKey) throw notFound();
  const fallback = () =>
    serveStored(c, originalKey, {
      etag: `"${sha}"`,
      cacheControl: FALLBACK_CACHE,
      vary: opts.vary,
      extra: { 'x-darkroom-variant': 'original' },
    });
  const binding = c.env.IMAGES_TRANSFORM;
  if (!binding) return fallback();
  let made: MadeVariant | null;
  // A new transform is billed: each client IP may start IMAGE_TRANSFORMS_RPM a minute, then gets
  // the original, as for any failed transform. (Requests at once for one new variant each make
  // it: sharing one request's promise with another is unsafe in workerd, whose continuations die
  // with the request that made the promise; putVariantOnce keeps the URL's bytes the first ones.)
  if (!(await mayTransform(c))) return fallback();
  const making = makeAndStore(c, binding, key, originalKey, v);
  try {
    made = await bounded(making, settings(c.env).imageTransformMs, `image variant ${key}`);
  } catch (err) {
    // A slow transform goes on after this answer and stores its variant for the next request.
    if (err instanceof StorageTimeout) c.executionCtx.waitUntil(making.catch(() => {}));
    logLine({
      level: 'warn',
      request_id: c.get('requestId'),
      msg: 'image variant failed; serving the original',
      variant: key,
      error: String((err as Error)?.message ?? err),
    });
    return fallback();
  }
  if (!made) throw notFound();
  return serveBytes(c, made, o);
}

/** Takes one new transform from the client IP's window; false: over it. */
const mayTransform = async (c: Context<AppEnv>) =>
  (await takeFromIpWindow(c, 'transform', settings(c.env).imageTransformsRpm, 60)).ok;

/** Makes the variant and stores it (a failed write is logged: the bytes are still served). */
async function makeAndStore(
  c: Context<AppEnv>,
  binding: ImagesBinding,
  key: string,
  originalKey: string,
  v: Variant,
): Promise<MadeVariant | null> {
  const made = await makeVariant(binding, async () => (await c.env.IMAGES.get(originalKey))?.body ?? null, v, Infinity);
  if (!made) return null;
  try {
    // The bytes this URL keeps for ever: ours, or another request's that stored first.
    return {
      ...made,
      bytes: await putVariantOnce(c.env.IMAGES, key, made.bytes, made.contentType, settings(c.env).storageMs),
    };
  } catch (err) {
    logLine({
      level: 'warn',
      request_id: c.get('requestId'),
      msg: 'image variant not stored',
      variant: key,
      error: String((err as Error)?.message ?? err),
    });
    return made;
  }
}

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
