// What a client sees of a stored image and of a generation: our URL on the caller's origin, never
// an R2 key or an internal flag. Image items keep the upstream data URL by default (drop-in
// clients decode it) and carry our URL in `darkroom.url`; with `x-image-format: url` only our URL.
import type { DarkroomMeta } from '../../shared/api';
import { darkroomImage } from '../storage/image-store';
import type { GenMeta, ImageItem } from '../stream/events';

export type ImageFormat = 'data_url' | 'url';

export function publicImage(item: ImageItem, origin: string, imageFormat: ImageFormat): ImageItem {
  const stored = item.darkroom;
  if (!stored) return item;
  const darkroom = darkroomImage(stored, origin);
  const url = darkroom.url;
  const { darkroom: _d, image_url, ...rest } = item;
  const useUrl = imageFormat === 'url' && url;
  return { ...rest, image_url: { ...image_url, url: useUrl ? url : image_url.url }, darkroom } as unknown as ImageItem;
}

export function publicMeta(meta: GenMeta, origin: string): DarkroomMeta {
  return {
    generation_id: meta.generationId,
    share_url: `${origin}/s/${meta.generationId}`,
    provider: meta.provider,
    cache: meta.cache,
  };
}
