// Image variants: the one URL scheme, shared by the Worker (which parses and makes them) and the
// site (which builds srcset from them). A variant is derived from an original, immutable
// `/i/<sha256>.<ext>`:
//
//   /i/<sha256>/<size>.<format>     size:   w256 | w512 | w1024 | full | og
//                                   format: avif | webp | jpg | png
//
// `wN` is N px wide (never wider than the original, height in proportion), `full` is the
// original's size in another format, `og` is the 1200x630 link-preview card (the image
// letterboxed, never cropped). The lists are fixed: anything else is a 400, so no request can
// make a new variant per URL.

export const VARIANT_WIDTHS = [256, 512, 1024] as const;
export type VariantWidth = (typeof VARIANT_WIDTHS)[number];
export type VariantSize = `w${VariantWidth}` | 'full' | 'og';
export const VARIANT_SIZES: readonly VariantSize[] = ['w256', 'w512', 'w1024', 'full', 'og'];

export const VARIANT_FORMATS = ['avif', 'webp', 'jpg', 'png'] as const;
export type VariantFormat = (typeof VARIANT_FORMATS)[number];
export const VARIANT_CONTENT_TYPES: Record<VariantFormat, string> = {
  avif: 'image/avif',
  webp: 'image/webp',
  jpg: 'image/jpeg',
  png: 'image/png',
};

/** The link-preview card: what chat apps and social sites show (WhatsApp drops images over ~300 KB). */
export const OG_CARD = { width: 1200, height: 630, format: 'jpg', maxBytes: 300 * 1000 } as const;

export interface Variant {
  size: VariantSize;
  format: VariantFormat;
}

const ORIGINAL_URL = /^(.*\/i\/)([0-9a-f]{64})\.(png|jpg|webp|gif)$/;

/** `https://h/i/<sha>.png` + w512 webp -> `https://h/i/<sha>/w512.webp`; null for any other URL. */
export function variantUrl(originalUrl: string, size: VariantSize, format: VariantFormat): string | null {
  const m = ORIGINAL_URL.exec(originalUrl);
  return m ? `${m[1]}${m[2]}/${size}.${format}` : null;
}

/** `w512.webp` -> { size, format }; a string naming what is wrong otherwise. */
export function parseVariantName(name: string): Variant | string {
  const dot = name.lastIndexOf('.');
  const size = dot < 0 ? name : name.slice(0, dot);
  const format = dot < 0 ? '' : name.slice(dot + 1);
  if (!(VARIANT_SIZES as readonly string[]).includes(size)) {
    return `Unknown image size "${size.slice(0, 40)}": use one of ${VARIANT_SIZES.join(', ')}.`;
  }
  if (!(VARIANT_FORMATS as readonly string[]).includes(format)) {
    return `Unknown image format "${format.slice(0, 40)}": use one of ${VARIANT_FORMATS.join(', ')}.`;
  }
  return { size: size as VariantSize, format: format as VariantFormat };
}

/** The pixel size a variant of a width x height original comes out at (unknown original: nominal). */
export function variantDimensions(
  size: VariantSize,
  width?: number,
  height?: number,
): { width: number; height: number } | null {
  if (size === 'og') return { width: OG_CARD.width, height: OG_CARD.height };
  if (!width || !height) {
    if (size === 'full') return null;
    const w = Number(size.slice(1));
    return { width: w, height: w };
  }
  if (size === 'full') return { width, height };
  const w = Math.min(Number(size.slice(1)), width);
  return { width: w, height: Math.max(1, Math.round((height * w) / width)) };
}

/** One entry of `darkroom.variants` in API answers. */
export interface ImageVariant {
  url: string;
  width: number;
  height: number;
  content_type: string;
}

/**
 * The widths worth offering for a width x height original: each fixed width up to the first one
 * at least as wide as the original (that one comes out at the original's width), and `full` when
 * the original is wider than every fixed width. An unknown size gets the fixed widths.
 */
function responsiveSizes(width?: number): VariantSize[] {
  const fixed = VARIANT_WIDTHS.filter((_, i) => !width || i === 0 || VARIANT_WIDTHS[i - 1] < width).map(
    (w) => `w${w}` as VariantSize,
  );
  return width && width > VARIANT_WIDTHS[VARIANT_WIDTHS.length - 1] ? [...fixed, 'full'] : fixed;
}

/**
 * The variants an answer lists for one stored image: WebP at each responsive width, and the
 * link-preview JPEG. (Every size x format combination exists; these are the ones worth linking.)
 */
export function listVariants(originalUrl: string, width?: number, height?: number): ImageVariant[] {
  const out: ImageVariant[] = [];
  for (const size of [...responsiveSizes(width), 'og' as const]) {
    const format: VariantFormat = size === 'og' ? OG_CARD.format : 'webp';
    const url = variantUrl(originalUrl, size, format);
    const dims = variantDimensions(size, width, height);
    if (url && dims) out.push({ url, ...dims, content_type: VARIANT_CONTENT_TYPES[format] });
  }
  return out;
}

/** `<img>` attributes for an original: a WebP srcset of its variants and a mid-size src. */
export interface ResponsiveImage {
  src: string;
  srcset: string;
  width?: number;
  height?: number;
}

/** Null when the URL is not one of ours (a data URL while storage was down): use it as it is. */
export function responsiveImage(originalUrl: string, width?: number, height?: number): ResponsiveImage | null {
  const entries = listVariants(originalUrl, width, height).filter((v) => v.content_type === 'image/webp');
  if (!entries.length) return null;
  // src, for the rare browser without srcset: the 1024 px variant (or the largest below it).
  const src = [...entries].reverse().find((e) => e.width <= 1024) ?? entries[0];
  return {
    src: src.url,
    srcset: entries.map((e) => `${e.url} ${e.width}w`).join(', '),
    ...(width && height ? { width, height } : {}),
  };
}
