// Input images (images to edit, a mask, a parent generation's images) are first-class: every one
// is checked by its bytes (PNG, JPEG, WebP or GIF; size and pixel limits), stored once in R2
// content-addressed like outputs, and keyed in the cache by the SHA-256 of its bytes, so the
// same picture as a data URL, an uploaded file or its Darkroom URL (/i/<sha>.<ext> of this host)
// is one key. A remote https URL is passed upstream as it is and keyed by the URL: its bytes
// are the upstream's to fetch, and may change.
import { LIMITS } from '../../shared/limits';
import type { DarkroomInput } from '../../shared/api';
import { fromBase64, sha256Hex, toBase64 } from '../lib/bytes';
import { ApiError, badRequest } from '../lib/errors';
import { logLine } from '../observability/log';
import { isImageKey, r2ImageStore, type ImageStore } from '../storage/image-store';
import { parseDataUrl, type Sniffed, sniffImage } from './sniff';

/** What a generation record keeps of one input (R2 key, never bytes). */
export interface InputRecord {
  role: 'image' | 'mask';
  /** R2 key `<sha256>.<ext>` (null: its R2 write failed); absent for remote URLs. */
  key?: string | null;
  sha256?: string;
  content_type?: string;
  bytes?: number;
  width?: number;
  height?: number;
  /** A remote image, passed upstream as is. */
  url?: string;
}

export interface ResolvedImage {
  /** What the upstream gets: a data URL, or the remote URL. */
  upstreamUrl: string;
  /** What the cache key gets: `darkroom:sha256:<hex>`, or the remote URL. */
  keyUrl: string;
  input: InputRecord;
  /** The checked bytes (not for remote URLs): for checks that need more than the header (masks). */
  bytes?: Uint8Array;
}

export interface ImageSource {
  /** A data URL, this host's /i/ URL or a remote URL; or `bytes` (an uploaded file). */
  url?: string;
  bytes?: Uint8Array;
  /** The request parameter it came from, for error messages (`image[2]`, `messages[0].content[1]`). */
  param: string;
  role?: InputRecord['role'];
}

export interface ResolveContext {
  bucket: R2Bucket;
  /** This host's origin: its /i/ URLs are read from R2 rather than fetched. */
  origin: string;
}

export interface Checked {
  bytes: Uint8Array;
  kind: Sniffed & { width: number; height: number };
}

/** An input image's bytes, checked: a real PNG/JPEG/WebP/GIF within the size and pixel limits. */
export function checkImageBytes(bytes: Uint8Array, param: string): Checked {
  if (bytes.byteLength > LIMITS.maxInputImageBytes) {
    throw new ApiError(
      413,
      `${param} is ${bytes.byteLength} bytes; an input image may be at most ${LIMITS.maxInputImageBytes} bytes.`,
      'invalid_request_error',
      'input_too_large',
      param,
    );
  }
  const kind = sniffImage(bytes);
  if (!kind)
    throw badRequest(`${param} is not a PNG, JPEG, WebP or GIF image (checked by its bytes).`, param, 'invalid_image');
  const { width, height } = kind;
  if (!width || !height)
    throw badRequest(`${param} is a ${kind.ext.toUpperCase()} whose size cannot be read.`, param, 'invalid_image');
  if (Math.max(width, height) > LIMITS.maxInputSide || width * height > LIMITS.maxInputPixels) {
    throw badRequest(
      `${param} is ${width}x${height} pixels; input images may have at most ${LIMITS.maxInputPixels} pixels and ${LIMITS.maxInputSide} on a side.`,
      param,
      'image_too_many_pixels',
    );
  }
  return { bytes, kind: { ...kind, width, height } };
}

/** The R2 key of one of this host's image URLs (`<origin>/i/<sha>.<ext>`), else null. */
export function ownImageKey(url: string, origin: string): string | null {
  if (!url.startsWith(`${origin}/i/`)) return null;
  const key = url.slice(origin.length + 3).split(/[?#]/)[0];
  return isImageKey(key) ? key : null;
}

const keyUrlOf = (sha256: string) => `darkroom:sha256:${sha256}`;

/**
 * Checks every source (nothing is stored yet: a bad one fails the request before anything is
 * written); `store()` then writes the new ones to R2. Data URLs go upstream as sent; our URLs
 * become data URLs (the upstream cannot reach a local host, and gets the same bytes either way).
 */
export async function resolveImages(
  sources: ImageSource[],
  ctx: ResolveContext,
): Promise<{ images: ResolvedImage[]; store(): Promise<void> }> {
  if (sources.length > LIMITS.maxInputImages) {
    throw badRequest(
      `The request has ${sources.length} input images; the limit is ${LIMITS.maxInputImages}.`,
      sources[LIMITS.maxInputImages].param,
      'too_many_images',
    );
  }
  const r2 = r2ImageStore(ctx.bucket);
  const toStore: Pending[] = [];
  const images: ResolvedImage[] = [];
  for (const src of sources) {
    const role = src.role ?? 'image';
    if (src.bytes) {
      const { kind } = checkImageBytes(src.bytes, src.param);
      images.push(
        await inline(src.bytes, kind, role, toStore, () => `data:${kind.contentType};base64,${toBase64(src.bytes!)}`),
      );
      continue;
    }
    if (!src.url) throw badRequest(`${src.param} is empty.`, src.param);
    const own = ownImageKey(src.url, ctx.origin);
    if (own) {
      images.push(await fromStore(r2, own, src, role));
      continue;
    }
    if (!src.url.startsWith('data:')) {
      if (!/^https?:\/\//.test(src.url))
        throw badRequest(`${src.param} must be an https URL or a data:image URL.`, src.param);
      images.push({ upstreamUrl: src.url, keyUrl: src.url, input: { role, url: src.url } });
      continue;
    }
    const parsed = parseDataUrl(src.url);
    if (!parsed) throw badRequest(`${src.param} is not a base64 data URL.`, src.param, 'invalid_image');
    if (parsed.base64.length > Math.ceil(LIMITS.maxInputImageBytes / 3) * 4 + 4) {
      throw new ApiError(
        413,
        `${src.param} is larger than ${LIMITS.maxInputImageBytes} bytes.`,
        'invalid_request_error',
        'input_too_large',
        src.param,
      );
    }
    let bytes: Uint8Array;
    try {
      bytes = fromBase64(parsed.base64.replace(/\s+/g, ''));
    } catch {
      throw badRequest(`${src.param} has invalid base64.`, src.param, 'invalid_image');
    }
    const { kind } = checkImageBytes(bytes, src.param);
    const url = src.url;
    images.push(await inline(bytes, kind, role, toStore, () => url));
  }
  return {
    images,
    async store() {
      const seen = new Set<string>();
      await Promise.all(
        toStore.map(async (s) => {
          if (seen.has(s.key)) return;
          seen.add(s.key);
          try {
            await r2.put(s.key, s.bytes, s.contentType);
          } catch (err) {
            // The generation can still run (the upstream has the bytes); the record says it is not stored.
            s.input.key = null;
            logLine({ level: 'error', msg: 'input image not stored', key: s.key, error: String(err) });
          }
        }),
      );
    },
  };
}

type Pending = { key: string; bytes: Uint8Array; contentType: string; input: InputRecord };

/** An image whose bytes came with the request: hashed now, written to R2 by store(). */
async function inline(
  bytes: Uint8Array,
  kind: Checked['kind'],
  role: InputRecord['role'],
  toStore: Pending[],
  upstreamUrl: () => string,
): Promise<ResolvedImage> {
  const sha256 = await sha256Hex(bytes);
  const input: InputRecord = {
    role,
    key: `${sha256}.${kind.ext}`,
    sha256,
    content_type: kind.contentType,
    bytes: bytes.byteLength,
    width: kind.width,
    height: kind.height,
  };
  toStore.push({ key: input.key!, bytes, contentType: kind.contentType, input });
  return { upstreamUrl: upstreamUrl(), keyUrl: keyUrlOf(sha256), input, bytes };
}

async function fromStore(
  store: ImageStore,
  key: string,
  src: ImageSource,
  role: InputRecord['role'],
): Promise<ResolvedImage> {
  const obj = await store.get(key).catch(() => null);
  if (!obj) throw badRequest(`${src.param}: there is no image ${key} on this host.`, src.param, 'image_not_found');
  const { kind } = checkImageBytes(obj.bytes, src.param);
  const sha256 = key.slice(0, 64);
  return {
    upstreamUrl: `data:${kind.contentType};base64,${toBase64(obj.bytes)}`,
    keyUrl: keyUrlOf(sha256),
    input: {
      role,
      key,
      sha256,
      content_type: kind.contentType,
      bytes: obj.bytes.byteLength,
      width: kind.width,
      height: kind.height,
    },
    bytes: obj.bytes,
  };
}

/** The public view of an input (URLs for the asking origin). */
export function publicInput(i: InputRecord, origin: string): DarkroomInput {
  return {
    role: i.role,
    url: i.url ?? (i.key ? `${origin}/i/${i.key}` : null),
    ...(i.sha256 ? { sha256: i.sha256 } : {}),
    ...(i.content_type ? { content_type: i.content_type } : {}),
    ...(i.bytes ? { bytes: i.bytes } : {}),
    ...(i.width ? { width: i.width, height: i.height } : {}),
  };
}
