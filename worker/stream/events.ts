// The one event vocabulary every stage speaks: upstream SSE, upstream JSON, cache replays and
// the coalescing Durable Object all become a ReadableStream<GenEvent>, and every client shape
// (SSE, JSON, Images API) is rendered from it.
import type { OpenAIErrorBody, Usage } from '../../shared/api';
import type { CacheStatus } from '../../shared/headers';
import { noRetry } from '../lib/errors';
import type { StoredImage } from '../storage/image-store';

export type { StoredImage } from '../storage/image-store';
export type { Usage } from '../../shared/api';

export interface ImageItem {
  type: 'image_url';
  image_url: { url: string };
  index?: number;
  darkroom?: StoredImage;
  [k: string]: unknown;
}

export interface Delta {
  role?: string;
  content?: string | null;
  reasoning?: string | null;
  images?: ImageItem[];
  [k: string]: unknown;
}

export interface Choice {
  index: number;
  delta: Delta;
  finish_reason: string | null;
  [k: string]: unknown;
}

export interface Chunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Choice[];
  usage?: Usage;
  [k: string]: unknown;
}

export interface GenMeta {
  generationId: string;
  provider: string;
  cache: CacheStatus;
  /** True when this answer joined a generation another request started (it costs nothing). */
  joined?: boolean;
  /** Seconds since the cached entry was made (hits only). */
  age?: number;
  /** USD the hit saved (hits only). */
  savedUsd?: number;
  /** Answered by a fallback upstream: never cached, never replayed to late joiners. */
  fallback?: boolean;
}

export interface StreamError {
  status: number;
  error: OpenAIErrorBody['error'];
  /** Response headers that belong to the error when it is answered as HTTP (Retry-After...). */
  headers?: Record<string, string>;
}

/**
 * A progressive preview of the image being made (OpenRouter's Images API
 * `image_generation.partial_image`). Relayed to clients as it arrives; never stored or cached,
 * and never the result: the final image is a `chunk` with `delta.images`.
 */
export interface PartialImage {
  /** Raw base64 of the preview (no data: prefix). */
  b64: string;
  media_type: string;
  /** 0-based order of this preview within its generation. */
  index: number;
}

/**
 * An upstream chunk whose images are about to be stored, handed over before they are: its own
 * text, for the renderers that relay the upstream's data URLs as they arrive (streamed chat). The
 * same chunk follows as a `chunk`, its images stored, which is what every other consumer uses.
 */
export interface ImageAhead {
  raw: string;
  /** raw's bytes, when the SSE stage kept them (a long ASCII line): written as they are. */
  bytes?: Uint8Array;
  /** The upstream's chunk id (the renderer puts ours in its place). */
  upstreamId: string;
}

/** How an upstream's chunk text starts (`{"id":"…"`): the renderers put ours in its place. */
export const idPrefix = (id: string) => `{"id":${JSON.stringify(id)}`;

/**
 * A piece of an image chunk's line passed on while the line is still arriving (image-relay.ts),
 * for the same renderers as ImageAhead; the chunk itself follows, its images stored.
 */
export interface ImageRelayPiece {
  /** The next bytes of the chunk's JSON (the first piece starts at its `{`). */
  bytes: Uint8Array;
  /** On the first piece: the upstream's chunk id, which the JSON starts with (ours goes in its place). */
  upstreamId?: string;
  /** On the last piece: the frame is the upstream's whole line, or its first image only. */
  end?: 'whole' | 'first-image';
}

export type GenEvent =
  | { type: 'meta'; meta: GenMeta }
  | { type: 'chunk'; chunk: Chunk; raw?: string; rawBytes?: Uint8Array }
  | { type: 'image-ahead'; ahead: ImageAhead }
  | { type: 'image-relay'; relay: ImageRelayPiece }
  | { type: 'partial'; partial: PartialImage }
  | { type: 'keepalive' }
  | { type: 'error'; error: StreamError }
  | { type: 'end' };

export const isTerminal = (e: GenEvent) => e.type === 'end' || e.type === 'error';

/**
 * A generation's events as the answer layer takes them: live, or an array when the answer is
 * whole before it starts (a cache hit replayed), which is rendered without any stream: the
 * stream a hit was wrapped in was 5% of its isolate CPU (bench/profile.mjs, PROFILE_CACHE=hit).
 */
export type GenSource = ReadableStream<GenEvent> | GenEvent[];

/**
 * An error the generation ran into after the upstream started answering. It carries
 * `x-should-retry: false`: the upstream may already have done (and billed) the work, so an SDK's
 * automatic retry would pay for the whole generation again.
 */
/** The source broke (connection lost, a stage threw). */
export const connectionLost = () =>
  streamError(502, 'The connection to the upstream was lost mid-answer.', 'upstream_connection_lost');

/** The events stopped without `end` or `error`: never to be taken for a finished answer. */
export const endedEarly = () => streamError(502, 'The generation ended before it finished.', 'upstream_truncated');

export type ErrorEvent = Extract<GenEvent, { type: 'error' }>;

export function streamError(status: number, message: string, code: string, type = 'upstream_error'): ErrorEvent {
  return { type: 'error', error: { status, error: { message, type, param: null, code }, headers: noRetry() } };
}

/** A stage failure that knows which error event it should become (see pipeline.ts). */
export class StageError extends Error {
  constructor(readonly event: GenEvent) {
    super(event.type === 'error' ? event.error.error.message : 'stage error');
  }
}
