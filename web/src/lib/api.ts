// The one client the site and the widget use to talk to Darkroom: fetch + SSE parsing, and
// errors turned into sentences a person can act on. Zod-free and small: the widget bundles it.
import { createParser } from 'eventsource-parser';
import { MODEL_ID } from '../../../shared/model';
import { H, type CacheStatus } from '../../../shared/headers';
import { numberOr, parseRetryAfter } from '../../../shared/parse';
import type { DarkroomImage, DarkroomMeta, GenerationRecord } from '../../../shared/api';

export type ErrorKind =
  'rate_limited' | 'bad_request' | 'auth' | 'upstream' | 'timeout' | 'network' | 'not_found' | 'unknown';

/** An error with a sentence for people (`message`) and facts for code. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly kind: ErrorKind,
    readonly status = 0,
    /** Seconds to wait before trying again (429 `Retry-After`). */
    readonly retryAfter: number | null = null,
    readonly code: string | null = null,
    readonly requestId: string | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface GenerateRequest {
  prompt: string;
  aspectRatio: string;
  seed: number;
  /** Publishable key (widget); the same-origin playground sends none. */
  key?: string;
  /** API origin; defaults to the page's own. */
  origin?: string;
  signal?: AbortSignal;
  /** Images to edit: data URLs (attached files) or Darkroom image URLs. */
  images?: string[];
  /** An earlier generation to refine: its image is sent as input by the server. */
  parent?: string;
}

/** An image as the UIs show it: always with a URL (ours, or the upstream's data URL when storage failed). */
export type ShownImage = DarkroomImage & { url: string };

export interface GenerateHandlers {
  /** Response headers arrived: the request was accepted. */
  onResponse?(info: ResponseInfo): void;
  onMeta?(meta: DarkroomMeta): void;
  onText?(delta: string): void;
  onReasoning?(delta: string): void;
  onImage?(image: ShownImage): void;
  /** A progressive preview (a data URL) arrived; `index` counts previews from 0. */
  onPartial?(url: string, index: number): void;
}

export interface ResponseInfo {
  cache: CacheStatus | null;
  /** Seconds since the cached result was made (hits only). */
  cacheAge: number | null;
  provider: string | null;
  generationId: string | null;
  shareUrl: string | null;
  requestId: string | null;
}

export interface GenerateResult extends ResponseInfo {
  text: string;
  images: ShownImage[];
  cost: number | null;
}

interface ChunkImage {
  image_url?: { url?: string };
  darkroom?: DarkroomImage;
}
interface ChunkPart {
  darkroom?: { partial_image?: { image_url?: { url?: string }; partial_image_index?: number } };
  content?: string | null;
  reasoning?: string | null;
  images?: ChunkImage[];
}
interface Chunk {
  darkroom?: DarkroomMeta;
  error?: ErrorFields;
  choices?: { delta?: ChunkPart; message?: ChunkPart }[];
  usage?: { cost?: number };
}
interface ErrorFields {
  message?: string;
  type?: string;
  code?: string | number | null;
}

const sentence = (s: string) => {
  const t = s.trim();
  return t && !/[.!?]$/.test(t) ? `${t}.` : t;
};

/** Map an HTTP status and OpenAI-style error to an ApiError with a readable sentence. */
export function toApiError(
  status: number,
  err: ErrorFields | undefined,
  retryAfter: number | null = null,
  requestId: string | null = null,
): ApiError {
  const detail = typeof err?.message === 'string' ? err.message.replace(/\s+/g, ' ').slice(0, 300) : '';
  const code = err?.code == null ? null : String(err.code);
  const type = err?.type ?? '';
  if (status === 429 || code === 'rate_limit_exceeded' || type === 'rate_limit_error') {
    // The UIs show a live countdown from `retryAfter` beside this sentence.
    return new ApiError(
      'Too many images at once: you have reached the rate limit for now.',
      'rate_limited',
      status || 429,
      retryAfter,
      code,
      requestId,
    );
  }
  if (status === 400 || status === 413 || status === 422 || type === 'invalid_request_error') {
    const why = detail ? ` ${sentence(detail)}` : '';
    return new ApiError(`The prompt could not be used.${why}`, 'bad_request', status || 400, null, code, requestId);
  }
  if (status === 401 || status === 403) {
    const why = detail ? ` ${sentence(detail)}` : '';
    return new ApiError(
      `This site is not allowed to generate images with this key.${why}`,
      'auth',
      status,
      null,
      code,
      requestId,
    );
  }
  if (status === 404)
    return new ApiError('That generation does not exist.', 'not_found', status, null, code, requestId);
  if (status === 504 || code === 'timeout' || /timed? ?out/i.test(detail)) {
    return new ApiError(
      'The image model took too long to answer. Please try again.',
      'timeout',
      status,
      retryAfter,
      code,
      requestId,
    );
  }
  if (status >= 500 || status === 0) {
    return new ApiError(
      'The image model failed to answer. Please try again in a moment.',
      'upstream',
      status,
      retryAfter,
      code,
      requestId,
    );
  }
  return new ApiError(
    sentence(detail) || `Something went wrong (HTTP ${status}).`,
    'unknown',
    status,
    null,
    code,
    requestId,
  );
}

/** Whole seconds to wait (at least 1), from Retry-After as the Worker parses it too. */
function retryAfterOf(res: Response): number | null {
  const s = parseRetryAfter(res.headers.get('retry-after'));
  return s === undefined ? null : Math.max(1, Math.ceil(s));
}

async function errorFrom(res: Response): Promise<ApiError> {
  let body: { error?: ErrorFields } | undefined;
  try {
    body = await res.json();
  } catch {
    /* not JSON: the status speaks for itself */
  }
  return toApiError(res.status, body?.error, retryAfterOf(res), res.headers.get(H.requestId));
}

function networkError(e: unknown): ApiError | unknown {
  if (e instanceof ApiError || (e as Error)?.name === 'AbortError') return e;
  console.warn('Darkroom request failed:', e);
  return new ApiError('Could not reach Darkroom. Check your connection and try again.', 'network');
}

/** Generate an image, streaming text and progress to `on`. Resolves when the stream ends. */
export async function generate(req: GenerateRequest, on: GenerateHandlers = {}): Promise<GenerateResult> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'text/event-stream',
    [H.imageFormat]: 'url',
  };
  if (req.key) headers.authorization = `Bearer ${req.key}`;
  const images = req.images ?? [];
  const content = images.length
    ? [...images.map((url) => ({ type: 'image_url', image_url: { url } })), { type: 'text', text: req.prompt }]
    : req.prompt;
  const body = {
    model: MODEL_ID,
    messages: [{ role: 'user', content }],
    ...(req.parent ? { darkroom: { parent: req.parent } } : {}),
    modalities: ['image', 'text'],
    image_config: { aspect_ratio: req.aspectRatio },
    seed: req.seed,
    stream: true,
  };
  let res: Response;
  try {
    res = await fetch(`${req.origin ?? ''}/v1/chat/completions`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal: req.signal,
    });
  } catch (e) {
    throw networkError(e);
  }
  if (!res.ok) throw await errorFrom(res);

  const num = (v: string | null) => {
    const n = numberOr(v, NaN);
    return Number.isNaN(n) ? null : n;
  };
  const result: GenerateResult = {
    cache: (res.headers.get(H.cache) as CacheStatus | null) ?? null,
    cacheAge: num(res.headers.get(H.cacheAge)),
    provider: res.headers.get(H.provider),
    generationId: res.headers.get(H.generationId),
    shareUrl: res.headers.get(H.shareUrl),
    requestId: res.headers.get(H.requestId),
    text: '',
    images: [],
    cost: null,
  };
  on.onResponse?.({ ...result });

  const failWith = (err: ErrorFields) => {
    const code = String(err.code ?? '');
    const status = /^\d{3}$/.test(code) ? Number(code) : err.type === 'invalid_request_error' ? 400 : 502;
    return toApiError(status, err, null, result.requestId);
  };
  const take = (chunk: Chunk) => {
    if (chunk.error) throw failWith(chunk.error);
    if (chunk.darkroom) {
      const m = chunk.darkroom;
      result.generationId = m.generation_id ?? result.generationId;
      result.shareUrl = m.share_url ?? result.shareUrl;
      result.provider = m.provider ?? result.provider;
      result.cache = m.cache ?? result.cache;
      on.onMeta?.(m);
    }
    if (typeof chunk.usage?.cost === 'number') result.cost = chunk.usage.cost;
    for (const choice of chunk.choices ?? []) {
      const part = choice.delta ?? choice.message;
      if (!part) continue;
      if (part.content) {
        result.text += part.content;
        on.onText?.(part.content);
      }
      if (part.reasoning) on.onReasoning?.(part.reasoning);
      const preview = part.darkroom?.partial_image;
      if (preview?.image_url?.url) on.onPartial?.(preview.image_url.url, preview.partial_image_index ?? 0);
      for (const img of part.images ?? []) {
        const url = img.darkroom?.url ?? img.image_url?.url;
        if (!url) continue;
        const image: ShownImage = { ...(img.darkroom ?? { sha256: '', content_type: '', bytes: 0 }), url };
        result.images.push(image);
        on.onImage?.(image);
      }
    }
  };

  try {
    if (!(res.headers.get('content-type') ?? '').includes('text/event-stream')) {
      take((await res.json()) as Chunk);
      return result;
    }
    let done = false;
    let failure: unknown = null;
    const parser = createParser({
      onEvent(ev) {
        if (done || failure) return;
        if (ev.data === '[DONE]') {
          done = true;
          return;
        }
        try {
          take(JSON.parse(ev.data) as Chunk);
        } catch (e) {
          failure = e instanceof SyntaxError ? toApiError(502, { message: 'The stream was garbled' }) : e;
        }
      },
    });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader() as ReadableStreamDefaultReader<string>;
    while (!done && !failure) {
      const { value, done: eof } = await reader.read();
      if (eof) break;
      parser.feed(value);
    }
    reader.cancel().catch(() => {});
    if (failure) throw failure;
    if (!result.images.length) {
      throw new ApiError(
        done
          ? 'The model answered without an image. Try rephrasing the prompt.'
          : 'The connection closed before the image was ready. Please try again.',
        'upstream',
        502,
        null,
        null,
        result.requestId,
      );
    }
    return result;
  } catch (e) {
    throw networkError(e);
  }
}

/** GET /v1/generations/:id */
export async function getGeneration(id: string, origin = ''): Promise<GenerationRecord> {
  let res: Response;
  try {
    res = await fetch(`${origin}/v1/generations/${encodeURIComponent(id)}`);
  } catch (e) {
    throw networkError(e);
  }
  if (!res.ok) throw await errorFrom(res);
  return res.json();
}
