// <img> attributes from an image's variants (shared/variants.ts), for every list and embed of
// the site: the browser picks the WebP width it needs for the box the image sits in. Width and
// height reserve that box before the bytes arrive (no layout shift). An image that is not one of
// ours (a data URL while storage was down) is used as it is.
import { responsiveImage } from '../../../shared/variants';

export interface ImgAttrs {
  src: string;
  srcset?: string;
  sizes?: string;
  width?: number;
  height?: number;
  loading: 'lazy' | 'eager';
  decoding: 'async';
}

/**
 * `sizes` is how wide the image is shown, as a CSS length or media list (e.g.
 * `(max-width: 560px) 100vw, 560px`). `lazy` (default true) defers images outside the viewport.
 */
export function imgAttrs(url: string, o: { sizes: string; width?: number; height?: number; lazy?: boolean }): ImgAttrs {
  const v = responsiveImage(url, o.width, o.height);
  const dims = o.width && o.height ? { width: o.width, height: o.height } : {};
  const base = {
    loading: o.lazy === false ? ('eager' as const) : ('lazy' as const),
    decoding: 'async' as const,
    ...dims,
  };
  return v ? { ...base, src: v.src, srcset: v.srcset, sizes: o.sizes } : { ...base, src: url };
}
