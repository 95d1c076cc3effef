// OpenAI chat completions: `chat.completion.chunk` frames then `data: [DONE]`, or one
// `chat.completion` JSON. Our meta rides on the first chunk (`darkroom`); a chunk nobody changed
// is written as the upstream's own text; large data URLs are spliced, not re-serialised.
import { H } from '../../shared/headers';
import type { Collected } from '../stream/collect';
import { MODEL_ID } from '../../shared/model';
import { type Chunk, type GenMeta, idPrefix, type PartialImage } from '../stream/events';
import { isFree, usageFor } from './cost';
import { openAiErrorBody } from './errors';
import { darkroomImage } from '../storage/image-store';
import { type ImageFormat, publicImage, publicMeta } from './public';
import { encodeJsonSpliced, imageUrlFields } from './splice-json';
import type { AnswerContext, Renderer, SseRenderer } from './types';

const encoder = new TextEncoder();
const DONE = encoder.encode('data: [DONE]\n\n');
const FRAME_END = encoder.encode('\n\n');

const hasImages = (chunk: Chunk) => chunk.choices.some((c) => c.delta?.images?.length);

export function openAiChat(opts: { imageFormat: ImageFormat }): Renderer {
  return {
    errorBody: openAiErrorBody,
    json(answers, ctx) {
      const [acc] = answers;
      const headers: Record<string, string> = {};
      if (acc.images.some((i) => i.darkroom && !i.darkroom.key)) headers[H.imageFallback] = 'data-url';
      return { body: asStream(completionBody(acc, ctx.origin, opts.imageFormat)), headers };
    },
    sse: (ctx) => chatFrames(ctx, opts.imageFormat),
  };
}

function chatFrames(ctx: AnswerContext, imageFormat: ImageFormat): SseRenderer {
  const meta = ctx.metas[0];
  const free = isFree(meta);
  let sentMeta = false;
  /** The envelope of the last chunk, for previews (which may come before any chunk). */
  let envelope: Envelope | undefined;
  /**
   * The upstream's image chunk went out before its images were stored: all of it (the hand-off, or
   * the relay of the whole line), or its first image only (the relay closed the frame after it).
   */
  let handedOver: false | 'whole' | 'first-image' = false;
  return {
    event(event) {
      if (event.type === 'image-relay') {
        if (imageFormat !== 'data_url') return [];
        const { bytes, upstreamId, end } = event.relay;
        // The first piece starts with the upstream's `{"id":"…"` (checked ASCII): ours in its place.
        const out =
          upstreamId === undefined
            ? [bytes]
            : [encoder.encode(`data: ${idPrefix(meta.generationId)}`), bytes.subarray(idPrefix(upstreamId).length)];
        if (end) {
          out.push(FRAME_END);
          handedOver = end;
        }
        return out;
      }
      if (event.type === 'image-ahead') {
        if (imageFormat !== 'data_url') return [];
        const parts = ourIdParts(event.ahead.raw, event.ahead.upstreamId, meta.generationId);
        if (!parts) return [];
        handedOver = 'whole';
        // In pieces: joining megabytes of text to a prefix and encoding that would copy it once more.
        // The upstream's own bytes when the SSE stage kept them (ASCII: character i is byte i).
        const { bytes } = event.ahead;
        const rest = bytes ? bytes.subarray(event.ahead.raw.length - parts.rest.length) : encoder.encode(parts.rest);
        return [encoder.encode(`data: ${parts.head}`), rest, FRAME_END];
      }
      if (event.type === 'partial') {
        const first = sentMeta ? undefined : publicMeta(meta, ctx.origin);
        sentMeta = true;
        return [encoder.encode(`data: ${JSON.stringify(partialChunk(event.partial, envelope, first))}\n\n`)];
      }
      if (event.type !== 'chunk') return [];
      envelope ??= { id: event.chunk.id, created: event.chunk.created, model: event.chunk.model };
      const first = sentMeta ? undefined : publicMeta(meta, ctx.origin);
      sentMeta = true;
      // The fast path: a chunk nobody changed is the upstream's own text, with our id in place of
      // the upstream's (its prefix is rewritten, the rest is not parsed again).
      if (!first && !free && !hasImages(event.chunk) && event.raw) {
        const raw = withOurId(event.raw, event.chunk.id, meta.generationId);
        if (raw) return [encoder.encode(`data: ${raw}\n\n`)];
      }
      if (imageFormat === 'data_url' && hasImages(event.chunk)) {
        // Streamed with the upstream's data URLs, an image chunk is two frames: the image as the
        // upstream sent it (already out, when it was handed over), then our record of it.
        const early = handedOver;
        handedOver = false;
        // After the relay closed its frame after the first image: the rest of the chunk (a finish
        // reason, usage, more images) as a frame of its own.
        const source = early === 'first-image' ? withoutFirstImage(event.chunk) : event.chunk;
        const image =
          early === 'whole'
            ? []
            : encodeChunk(renderChunk(withoutRecords(source), ctx.origin, imageFormat, first, meta), source);
        // Our meta rides on the first frame we write ourselves.
        const stored = storedChunk(event.chunk, ctx.origin, meta, early === 'whole' ? first : undefined);
        return [...image, encoder.encode(`data: ${JSON.stringify(stored)}\n\n`)];
      }
      return encodeChunk(renderChunk(event.chunk, ctx.origin, imageFormat, first, meta), event.chunk);
    },
    error: (err) => [encoder.encode(`data: ${JSON.stringify({ error: err.error })}\n\n`)],
    done: () => [DONE],
  };
}

type Envelope = Pick<Chunk, 'id' | 'created' | 'model'>;

/** A rendered chunk's bytes, its clean data URLs spliced in (source: the chunk it came from). */
function encodeChunk(rendered: Chunk, source: Chunk): Uint8Array[] {
  const images = rendered.choices.flatMap((c) => c.delta?.images ?? []);
  const sources = source.choices.flatMap((c) => c.delta?.images ?? []);
  const fields = imageUrlFields(images, (i) => Boolean(sources[i]?.darkroom?.b64clean));
  return encodeJsonSpliced(rendered, fields, 'data: ', '\n\n');
}

/** The chunk with its image items as the upstream sent them (our records follow in storedChunk). */
function withoutRecords(chunk: Chunk): Chunk {
  return {
    ...chunk,
    choices: chunk.choices.map((c) =>
      c.delta?.images?.length
        ? { ...c, delta: { ...c.delta, images: c.delta.images.map(({ darkroom: _d, ...item }) => item) } }
        : c,
    ),
  };
}

/** The chunk without the first image of its first choice (the relay wrote it already). */
function withoutFirstImage(chunk: Chunk): Chunk {
  const [c, ...others] = chunk.choices;
  const { images = [], ...delta } = c?.delta ?? {};
  const left = images.slice(1);
  return { ...chunk, choices: [{ ...c, delta: left.length ? { ...delta, images: left } : delta }, ...others] };
}

/**
 * After an image chunk of a streamed data-URL answer: our record of each of its images (URL,
 * hash, size, variants) in `delta.darkroom.images`, in the order of the chunk's `delta.images`.
 * Clients that do not know the field see an empty delta.
 */
function storedChunk(chunk: Chunk, origin: string, meta: GenMeta, darkroom?: ReturnType<typeof publicMeta>): Chunk {
  return {
    id: meta.generationId,
    object: 'chat.completion.chunk',
    created: chunk.created,
    model: chunk.model,
    choices: chunk.choices
      .filter((c) => c.delta?.images?.length)
      .map((c) => ({
        index: c.index,
        delta: {
          darkroom: { images: c.delta.images!.map((i) => (i.darkroom ? darkroomImage(i.darkroom, origin) : null)) },
        },
        finish_reason: null,
      })),
    ...(darkroom ? { darkroom } : {}),
  };
}

/**
 * A preview on chat completions: a chunk whose delta carries only `darkroom.partial_image`
 * (`{type, image_url: {url: data URL}, partial_image_index}`); clients that do not know the field
 * see an empty delta. Previews are never stored, so they have no URL of ours.
 */
export function partialChunk(
  p: PartialImage,
  envelope: Envelope | undefined,
  darkroom?: ReturnType<typeof publicMeta>,
): Chunk {
  const partial_image = {
    type: 'image_url',
    image_url: { url: `data:${p.media_type};base64,${p.b64}` },
    partial_image_index: p.index,
  };
  return {
    id: envelope?.id ?? '',
    object: 'chat.completion.chunk',
    created: envelope?.created ?? Math.floor(Date.now() / 1000),
    model: envelope?.model ?? MODEL_ID,
    choices: [{ index: 0, delta: { darkroom: { partial_image } }, finish_reason: null }],
    ...(darkroom ? { darkroom } : {}),
  };
}

function renderChunk(
  chunk: Chunk,
  origin: string,
  imageFormat: ImageFormat,
  darkroom: ReturnType<typeof publicMeta> | undefined,
  meta: GenMeta,
): Chunk {
  const choices = chunk.choices.map((c) =>
    c.delta?.images?.length
      ? { ...c, delta: { ...c.delta, images: c.delta.images.map((i) => publicImage(i, origin, imageFormat)) } }
      : c,
  );
  const usage = usageFor(meta, chunk.usage);
  return { ...chunk, id: meta.generationId, choices, ...(usage ? { usage } : {}), ...(darkroom ? { darkroom } : {}) };
}

/**
 * The upstream's chunk text with our generation id in place of its own, when the text starts
 * with its id (as every OpenAI-compatible upstream writes it); null: render the chunk instead.
 */
export function withOurId(raw: string, upstreamId: string, ourId: string): string | null {
  const parts = ourIdParts(raw, upstreamId, ourId);
  return parts ? parts.head + parts.rest : null;
}

/** The same as two pieces: our `{"id":...` and the rest of the upstream's text, uncopied. */
function ourIdParts(raw: string, upstreamId: string, ourId: string): { head: string; rest: string } | null {
  const prefix = idPrefix(upstreamId);
  return raw.startsWith(prefix) ? { head: idPrefix(ourId), rest: raw.slice(prefix.length) } : null;
}

const asStream = (pieces: Uint8Array[]) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      for (const p of pieces) c.enqueue(p);
      c.close();
    },
  });

/** A finished answer -> the bytes of an OpenAI chat.completion JSON body. */
function completionBody(acc: Collected, origin: string, imageFormat: ImageFormat): Uint8Array[] {
  const completion = renderCompletion(acc, origin, imageFormat);
  const fields = imageUrlFields(completion.choices[0].message.images ?? [], (i) =>
    Boolean(acc.images[i]?.darkroom?.b64clean),
  );
  return encodeJsonSpliced(completion, fields);
}

/** A finished answer -> an OpenAI chat.completion object. */
export function renderCompletion(acc: Collected, origin: string, imageFormat: ImageFormat) {
  const usage = usageFor(acc.meta, acc.usage);
  return {
    // The answer's id is our generation id (the record, the share page and both dialects'
    // generation lookups take it); OpenRouter's clients require system_fingerprint (null is fine).
    id: acc.meta?.generationId ?? acc.id,
    object: 'chat.completion' as const,
    created: acc.created,
    model: acc.model,
    system_fingerprint: null,
    ...acc.extra,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant' as const,
          content: acc.text || (acc.images.length ? '' : null),
          ...(acc.reasoning ? { reasoning: acc.reasoning } : {}),
          ...(acc.images.length ? { images: acc.images.map((i) => publicImage(i, origin, imageFormat)) } : {}),
        },
        finish_reason: acc.finishReason,
      },
    ],
    ...(usage ? { usage } : {}),
    ...(acc.meta ? { darkroom: publicMeta(acc.meta, origin) } : {}),
  };
}
