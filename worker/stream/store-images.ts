// Stage 3: every image the upstream returns is decoded, checked to be a real raster image,
// hashed and written to R2 before any answer references it. The upstream's data URL is kept
// untouched (drop-in clients decode it); our copy is described in `darkroom` beside it.
import { LIMITS } from '../../shared/limits';
import { decodeAndHash, fromBase64, sha256Hex } from '../lib/bytes';
import { parseDataUrl, sniffImage } from '../images/sniff';
import type { ImageStore } from '../storage/image-store';
import type { StoredImage } from '../storage/image-store';
import { type GenEvent, type ImageItem, streamError } from './events';

export interface StoreImagesOptions {
  store: ImageStore;
  maxBytes?: number;
  /** Called when R2 failed and an image falls back to its data URL. */
  onFallback?: (err: unknown) => void;
  /**
   * Keeps the request alive until a store that holds an image slot has finished: if the client
   * goes away mid-store, workerd drops a request's pending continuations, and the slot (shared by
   * every request in the isolate) would never come back.
   */
  waitUntil?: (p: Promise<unknown>) => void;
}

export class ImageRejected extends Error {}

/** The image limit of these options, and the longest base64 text that can decode within it. */
export function limitsOf(opts: StoreImagesOptions): { maxBytes: number; maxBase64: number } {
  const maxBytes = opts.maxBytes ?? LIMITS.maxOutputImageBytes;
  return { maxBytes, maxBase64: Math.ceil(maxBytes / 3) * 4 + 4 };
}

/**
 * At most this many images are decoded, hashed and written at once per isolate. Under a burst
 * (200 streams whose images all arrive together) the rest wait with their upstream paused by
 * back-pressure, which bounds the isolate's peak memory instead of holding every decoded copy.
 * Four since stores decode in slices and let other work run in between (decodeAndHash): with
 * eight, 16 streams of 8 MiB peaked at 452 MiB of isolate; four, 355 MiB at the same throughput;
 * two held more lines waiting (409 MiB) and finished fewer (bench memory cell, quiet machine).
 */
export const IMAGE_SLOTS = 4;

class Slots {
  private free: number;
  private waiting: (() => void)[] = [];
  constructor(n: number) {
    this.free = n;
  }
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}

const imageSlots = new Slots(IMAGE_SLOTS);

export async function storeImage(item: ImageItem, opts: StoreImagesOptions): Promise<StoredImage> {
  const url = item?.image_url?.url;
  if (typeof url !== 'string') throw new ImageRejected('The upstream sent an image item without a URL.');
  const parsed = parseDataUrl(url);
  if (!parsed) throw new ImageRejected('The upstream sent an image that is not a base64 data URL.');
  const { maxBytes, maxBase64 } = limitsOf(opts);
  if (parsed.base64.length > maxBase64) {
    throw new ImageRejected(`The upstream sent an image larger than ${maxBytes} bytes.`);
  }
  // Large images in slices, hashed as they are decoded (the event loop turns in between, so a
  // handed-over image goes on being written meanwhile); anything unusual decoded whole.
  const sliced = await decodeAndHash(parsed.base64);
  let bytes: Uint8Array;
  try {
    bytes = sliced?.bytes ?? fromBase64(parsed.base64);
  } catch {
    throw new ImageRejected('The upstream sent an image whose base64 is invalid.');
  }
  const kind = sniffImage(bytes);
  if (!kind) throw new ImageRejected('The upstream sent data that is not a PNG, JPEG, WebP or GIF image.');
  const sha256 = sliced?.sha256 ?? (await sha256Hex(bytes));
  const key = `${sha256}.${kind.ext}`;
  let stored: string | null = key;
  try {
    await opts.store.put(key, bytes, kind.contentType);
  } catch (err) {
    stored = null;
    opts.onFallback?.(err);
  }
  const b64 = parsed.base64;
  const padding = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
  return {
    key: stored,
    sha256,
    content_type: kind.contentType,
    bytes: bytes.byteLength,
    // Decoded without error to exactly the length its characters imply: nothing but base64.
    b64clean: bytes.byteLength === (b64.length / 4) * 3 - padding && /^[a-z]+\/[a-z0-9.+-]+$/.test(parsed.mediaType),
    ...(kind.width ? { width: kind.width, height: kind.height } : {}),
  };
}

/** The stage as a function: a chunk with images comes back stored (or as an error event). */
export async function storeEventImages(event: GenEvent, opts: StoreImagesOptions): Promise<GenEvent> {
  if (event.type !== 'chunk') return event;
  const withImages = event.chunk.choices.filter((c) => Array.isArray(c?.delta?.images) && c.delta.images.length);
  if (!withImages.length) return event;
  // The raw text (megabytes, a second copy of the image) is stale once we add `darkroom`:
  // let it go now rather than after the R2 write.
  const chunk = event.chunk;
  event.raw = undefined;
  event.rawBytes = undefined;
  const stored = (async (): Promise<GenEvent> => {
    const release = await imageSlots.acquire();
    try {
      for (const choice of withImages) {
        for (const item of choice.delta.images!) item.darkroom = await storeImage(item, opts);
      }
    } catch (err) {
      const message = err instanceof ImageRejected ? err.message : 'The upstream image could not be processed.';
      return streamError(502, message, 'upstream_invalid_image');
    } finally {
      release();
    }
    return { type: 'chunk', chunk };
  })();
  opts.waitUntil?.(stored);
  return stored;
}

/**
 * The hand-off: an image chunk as the upstream wrote it, to go out before its images are stored
 * (the client need not wait for our decode, hash and R2 write to get the upstream's data URL).
 * Only a chunk that is nothing but images (no finish, no usage: those are ours to price) whose
 * images pass the quick checks a preview gets; anything else waits for the store, as before.
 */
export function imageAhead(event: GenEvent, opts: StoreImagesOptions): GenEvent | null {
  if (event.type !== 'chunk' || !event.raw || event.chunk.usage) return null;
  const { choices } = event.chunk;
  if (!choices.some((c) => c?.delta?.images?.length) || choices.some((c) => c?.finish_reason)) return null;
  const { maxBase64 } = limitsOf(opts);
  for (const c of choices) {
    for (const item of c?.delta?.images ?? []) {
      const parsed = typeof item?.image_url?.url === 'string' ? parseDataUrl(item.image_url.url) : null;
      if (!parsed || parsed.base64.length > maxBase64 || !sniffBase64(parsed.base64)) return null;
    }
  }
  const ahead = { raw: event.raw, upstreamId: event.chunk.id };
  return { type: 'image-ahead', ahead: event.rawBytes ? { ...ahead, bytes: event.rawBytes } : ahead };
}

/** The image kind the start of base64 data decodes to (its first 4 KiB checked to be base64), or null. */
export function sniffBase64(b64: string) {
  try {
    return /^[A-Za-z0-9+/]+={0,2}$/.test(b64.slice(0, 4096)) ? sniffImage(fromBase64(b64.slice(0, 64))) : null;
  } catch {
    return null;
  }
}

/**
 * Previews are relayed, never stored: they are checked only to be a plausible image (size, and
 * the header of their bytes). A bad one is dropped (a keep-alive takes its place), not an error:
 * the final image is what counts.
 */
export function checkPartial(event: GenEvent, opts: StoreImagesOptions): GenEvent {
  if (event.type !== 'partial') return event;
  const { b64 } = event.partial;
  const kind = b64.length <= limitsOf(opts).maxBase64 ? sniffBase64(b64) : null;
  if (!kind) return { type: 'keepalive' };
  event.partial.media_type = kind.contentType;
  return event;
}
