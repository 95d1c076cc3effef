// One variant of an image, made with the Cloudflare Images binding
// (`env.IMAGES_TRANSFORM.input(stream).transform(...).output(...)`). Under wrangler dev and the
// workerd tests the binding runs locally on sharp. Pure of HTTP and storage: bytes in, bytes out.
import { OG_CARD, VARIANT_CONTENT_TYPES, type Variant } from '../../shared/variants';
import { bounded } from '../lib/bounded';

/** Encoder quality; the link-preview card steps down until it fits OG_CARD.maxBytes. */
const QUALITY = 80;
const OG_QUALITIES = [82, 68, 55, 40];
/** Letterbox colour of the preview card: the site's dark frame. */
const OG_BACKGROUND = '#1b1b1f';

export interface MadeVariant {
  bytes: Uint8Array;
  contentType: string;
}

export class TransformFailed extends Error {}

/** What the binding is asked for one variant. */
export function transformFor(v: Variant): ImageTransform | null {
  if (v.size === 'full') return null;
  if (v.size === 'og') return { width: OG_CARD.width, height: OG_CARD.height, fit: 'pad', background: OG_BACKGROUND };
  // scale-down: never wider than the original.
  return { width: Number(v.size.slice(1)), fit: 'scale-down' };
}

/**
 * Makes the variant from the original's bytes. `open` gives a fresh stream of the original (the
 * preview card may need a second pass at a lower quality); null when the original is gone.
 */
export async function makeVariant(
  binding: ImagesBinding,
  open: () => Promise<ReadableStream<Uint8Array> | null>,
  v: Variant,
  /** Per pass; the route bounds the whole making instead (Infinity here). */
  timeoutMs: number,
): Promise<MadeVariant | null> {
  const contentType = VARIANT_CONTENT_TYPES[v.format];
  const qualities = v.size === 'og' ? OG_QUALITIES : [QUALITY];
  let made: MadeVariant | null = null;
  for (const quality of qualities) {
    const source = await open();
    if (!source) return null;
    const bytes = await bounded(
      runOnce(binding, source, v, contentType, quality),
      timeoutMs,
      `image transform ${v.size}.${v.format}`,
    );
    // A smaller quality that does not shrink the file (the local binding ignores quality) ends the search.
    if (made && bytes.byteLength >= made.bytes.byteLength) break;
    made = { bytes, contentType };
    if (v.size !== 'og' || bytes.byteLength <= OG_CARD.maxBytes) break;
  }
  return made;
}

async function runOnce(
  binding: ImagesBinding,
  source: ReadableStream<Uint8Array>,
  v: Variant,
  contentType: string,
  quality: number,
): Promise<Uint8Array> {
  let t = binding.input(source);
  const transform = transformFor(v);
  if (transform) t = t.transform(transform);
  const result = await t.output({ format: contentType as ImageOutputOptions['format'], quality });
  if (result.contentType() !== contentType)
    throw new TransformFailed(`the binding made ${result.contentType()}, not ${contentType}`);
  const bytes = new Uint8Array(await new Response(result.image()).arrayBuffer());
  if (!bytes.byteLength) throw new TransformFailed('the binding made an empty image');
  return bytes;
}
