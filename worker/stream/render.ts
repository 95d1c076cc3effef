// The last stage: GenEvents -> what the client asked for. Image items keep the upstream data URL
// by default (drop-in clients decode it) and carry our URL in `darkroom.url`; with
// `x-image-format: url` they carry only our URL.
import type { DarkroomImage, DarkroomMeta } from '../../shared/api';
import type { Collected } from './collect';
import { encodeJsonSpliced, imageUrlFields } from './splice-json';
import { MODEL_ID } from '../../shared/model';
import { type Chunk, endedEarly, type GenEvent, type GenMeta, type ImageItem, type PartialImage } from './events';

export type ImageFormat = 'data_url' | 'url';

export interface RenderOptions {
  origin: string;
  imageFormat: ImageFormat;
  /** Milliseconds of client silence before a keep-alive comment (0: never). */
  keepAliveMs?: number;
}

export function publicImage(item: ImageItem, opts: RenderOptions): ImageItem {
  const stored = item.darkroom;
  if (!stored) return item;
  const url = stored.key ? `${opts.origin}/i/${stored.key}` : null;
  const darkroom: DarkroomImage = {
    url,
    sha256: stored.sha256,
    content_type: stored.content_type,
    bytes: stored.bytes,
    ...(stored.width ? { width: stored.width, height: stored.height } : {}),
  };
  const { darkroom: _d, image_url, ...rest } = item;
  const useUrl = opts.imageFormat === 'url' && url;
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

function renderChunk(chunk: Chunk, opts: RenderOptions, meta: DarkroomMeta | undefined, zeroCost: boolean): Chunk {
  const choices = chunk.choices.map((c) =>
    c.delta?.images?.length ? { ...c, delta: { ...c.delta, images: c.delta.images.map((i) => publicImage(i, opts)) } } : c,
  );
  const usage = chunk.usage && zeroCost ? { ...chunk.usage, cost: 0 } : chunk.usage;
  return { ...chunk, choices, ...(usage ? { usage } : {}), ...(meta ? { darkroom: meta } : {}) };
}

const encoder = new TextEncoder();
const DONE = encoder.encode('data: [DONE]\n\n');
export const KEEPALIVE = encoder.encode(': keep-alive\n\n');
const TRUNCATED = encoder.encode(`data: ${JSON.stringify({ error: endedEarly().error.error })}\n\n`);

/** The SSE encoding of one event after another (state: the meta, whether it is over). */
export function sseRenderer(opts: RenderOptions) {
  let meta: GenMeta | undefined;
  let sentMeta = false;
  /** The envelope of the last chunk, for previews (which may come before any chunk). */
  let envelope: Pick<Chunk, 'id' | 'created' | 'model'> | undefined;
  const state = {
    done: false,
    /** The bytes for one event (none for meta, which rides on the first chunk). */
    render(event: GenEvent): Uint8Array[] {
      if (state.done) return [];
      switch (event.type) {
        case 'meta':
          meta = event.meta;
          return [];
        case 'keepalive':
          return [KEEPALIVE];
        case 'partial': {
          const first = !sentMeta && meta ? publicMeta(meta, opts.origin) : undefined;
          sentMeta ||= Boolean(first);
          return [encoder.encode(`data: ${JSON.stringify(partialChunk(event.partial, envelope, first))}\n\n`)];
        }
        case 'chunk': {
          envelope ??= { id: event.chunk.id, created: event.chunk.created, model: event.chunk.model };
          const zeroCost = Boolean(meta && (meta.cache === 'HIT' || meta.joined));
          const first = !sentMeta && meta ? publicMeta(meta, opts.origin) : undefined;
          const plain = !first && !zeroCost && !hasImages(event.chunk);
          sentMeta ||= Boolean(first);
          if (plain && event.raw) return [encoder.encode(`data: ${event.raw}\n\n`)];
          const rendered = renderChunk(event.chunk, opts, first, zeroCost);
          const images = rendered.choices.flatMap((c) => c.delta?.images ?? []);
          const sources = event.chunk.choices.flatMap((c) => c.delta?.images ?? []);
          const fields = imageUrlFields(images, (i) => Boolean(sources[i]?.darkroom?.b64clean));
          return encodeJsonSpliced(rendered, fields, 'data: ', '\n\n');
        }
        case 'error':
          state.done = true;
          return [encoder.encode(`data: ${JSON.stringify({ error: event.error.error })}\n\n`)];
        case 'end':
          state.done = true;
          return [DONE];
      }
    },
    /** Events that stop without `end` or `error` must not look like a finished answer. */
    finish(): Uint8Array[] {
      return state.done ? [] : [TRUNCATED];
    },
  };
  return state;
}

/** GenEvents -> SSE bytes for the client, with keep-alive comments whenever it has waited too long. */
export function renderSse(opts: RenderOptions): TransformStream<GenEvent, Uint8Array> {
  const sse = sseRenderer(opts);
  let lastWrite = Date.now();
  let timer: ReturnType<typeof setInterval> | undefined;
  const stop = () => timer !== undefined && clearInterval(timer);
  const write = (out: TransformStreamDefaultController<Uint8Array>, pieces: Uint8Array[]) => {
    if (pieces.length) lastWrite = Date.now();
    for (const p of pieces) out.enqueue(p);
  };
  return new TransformStream({
    start(out) {
      const every = opts.keepAliveMs ?? 15_000;
      if (every > 0) {
        timer = setInterval(() => {
          if (!sse.done && Date.now() - lastWrite >= every) write(out, [KEEPALIVE]);
        }, Math.max(50, every / 3));
      }
    },
    transform(event, out) {
      write(out, sse.render(event));
      if (sse.done) stop();
    },
    flush(out) {
      stop();
      // openai-node treats a stream without [DONE] as complete: say that it is not.
      write(out, sse.finish());
    },
    cancel: stop,
  } as Transformer<GenEvent, Uint8Array>);
}

/**
 * A preview on chat completions: a chunk whose delta carries only `darkroom.partial_image`
 * (`{type, image_url: {url: data URL}, partial_image_index}`); clients that do not know the field
 * see an empty delta. Previews are never stored, so they have no URL of ours.
 */
export function partialChunk(p: PartialImage, envelope: Pick<Chunk, 'id' | 'created' | 'model'> | undefined, meta?: DarkroomMeta): Chunk {
  const partial_image = { type: 'image_url', image_url: { url: `data:${p.media_type};base64,${p.b64}` }, partial_image_index: p.index };
  return {
    id: envelope?.id ?? '',
    object: 'chat.completion.chunk',
    created: envelope?.created ?? Math.floor(Date.now() / 1000),
    model: envelope?.model ?? MODEL_ID,
    choices: [{ index: 0, delta: { darkroom: { partial_image } }, finish_reason: null }],
    ...(meta ? { darkroom: meta } : {}),
  };
}

const hasImages = (chunk: Chunk) => chunk.choices.some((c) => c.delta?.images?.length);

/** A finished collection -> the bytes of an OpenAI chat.completion JSON body. */
export function completionBody(acc: Collected, opts: RenderOptions): ReadableStream<Uint8Array> {
  const completion = renderCompletion(acc, opts);
  const fields = imageUrlFields(completion.choices[0].message.images ?? [], (i) => Boolean(acc.images[i]?.darkroom?.b64clean));
  const pieces = encodeJsonSpliced(completion, fields);
  return new ReadableStream({
    start(c) {
      for (const p of pieces) c.enqueue(p);
      c.close();
    },
  });
}

/** A finished collection -> an OpenAI chat.completion object. */
export function renderCompletion(acc: Collected, opts: RenderOptions) {
  const zeroCost = Boolean(acc.meta && (acc.meta.cache === 'HIT' || acc.meta.joined));
  const usage = acc.usage && zeroCost ? { ...acc.usage, cost: 0 } : acc.usage;
  return {
    id: acc.id,
    object: 'chat.completion' as const,
    created: acc.created,
    model: acc.model,
    ...acc.extra,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant' as const,
          content: acc.text || (acc.images.length ? '' : null),
          ...(acc.reasoning ? { reasoning: acc.reasoning } : {}),
          ...(acc.images.length ? { images: acc.images.map((i) => publicImage(i, opts)) } : {}),
        },
        finish_reason: acc.finishReason,
      },
    ],
    ...(usage ? { usage } : {}),
    ...(acc.meta ? { darkroom: publicMeta(acc.meta, opts.origin) } : {}),
  };
}
