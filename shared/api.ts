// Response shapes Darkroom adds to OpenAI's. OpenAI clients ignore the extra fields.
import type { CacheStatus } from './headers';
import type { ImageVariant } from './variants';

/** Our copy of one generated image, carried beside the upstream's data URL. */
export interface DarkroomImage {
  /** Absolute, immutable URL: <origin>/i/<sha256>.<ext>. Null only when storage failed and the
   *  image is served as a data URL instead (header x-darkroom-image-fallback). */
  url: string | null;
  sha256: string;
  content_type: string;
  bytes: number;
  width?: number;
  height?: number;
  /** Smaller copies of the same image (only with a url): WebP at 256/512/1024 px wide up to the
   *  original's width, and the 1200x630 JPEG link-preview card. Any /i/<sha256>/<size>.<format>
   *  exists; see shared/variants.ts. */
  variants?: ImageVariant[];
}

/** One image a generation was made from (`inputs` of a generation record). */
export interface DarkroomInput {
  /** `image`: an image to edit or refine; `mask`: where to edit (transparent areas). */
  role: 'image' | 'mask';
  /** Ours (<origin>/i/<sha256>.<ext>) for images sent inline or uploaded; a remote URL as sent;
   *  null when storing it failed. */
  url: string | null;
  sha256?: string;
  content_type?: string;
  bytes?: number;
  width?: number;
  height?: number;
}

/** Top-level `darkroom` field on completions and on the first stream chunk. */
export interface DarkroomMeta {
  generation_id: string;
  share_url: string;
  provider: string;
  cache: CacheStatus;
}

/** GET /v1/generations/:id */
export interface GenerationRecord {
  id: string;
  object: 'generation';
  created: number;
  model: string;
  provider: string;
  prompt: string;
  seed: number | null;
  aspect_ratio: string | null;
  text: string;
  images: DarkroomImage[];
  /** The images it was made from (edits, refinements, image parts of chat messages). */
  inputs: DarkroomInput[];
  /** The generation it refines (`darkroom.parent` in chat, `parent` on /v1/images/edits). */
  parent: string | null;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number; cost: number };
  share_url: string;
}

/** Token usage of one generation, as the upstream reports it (OpenRouter adds `cost` in USD). */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cost?: number;
  [k: string]: unknown;
}

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}
