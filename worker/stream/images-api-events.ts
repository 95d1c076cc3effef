// An Images API upstream (OpenRouter's POST /images, or OpenAI's /images/*) answers in its own
// shape: `{created, data: [{b64_json, media_type}], usage}`, or stream events
// `image_generation.partial_image` / `.text_chunk` / `.completed` (OpenAI: `image_edit.*` too).
// They become the same chat-shaped GenEvents as every other source, so one pipeline, one
// collector and every renderer serve both; previews become `partial` events.
import { type Chunk, type GenEvent, type PartialImage, streamError, type Usage } from './events';

/** True for an SSE payload (or JSON answer) of the Images API rather than chat completions. */
export const isImagesStreamEvent = (ev: object) =>
  typeof (ev as { type?: unknown }).type === 'string' &&
  /^image_(generation|edit)\./.test((ev as { type: string }).type);

export const isImagesAnswer = (body: Record<string, unknown>) =>
  Array.isArray(body.data) && !Array.isArray(body.choices);

/** One Images API stream event -> a GenEvent, or null for events that carry nothing we use. */
export function fromImagesStreamEvent(ev: Record<string, unknown>): GenEvent | null {
  const kind = String(ev.type).replace(/^image_(generation|edit)\./, '');
  if (kind === 'partial_image') {
    const partial = partialFrom(ev.b64_json, ev.media_type, ev.partial_image_index);
    return partial ? { type: 'partial', partial } : null;
  }
  if (kind === 'text_chunk' && typeof ev.text === 'string') {
    const delta =
      ev.phase === 'reasoning' ? { reasoning: ev.text } : ev.phase === 'draft' ? null : { content: ev.text };
    return delta ? { type: 'chunk', chunk: chunkOf(ev, [{ index: 0, delta, finish_reason: null }]) } : null;
  }
  if (kind === 'completed') return completedChunk([ev], ev.usage, ev);
  return null;
}

/** A whole Images API JSON answer -> the events a stream of it would have produced. */
export function imagesAnswerToEvents(body: Record<string, unknown>): GenEvent[] {
  const data = (body.data as unknown[]).filter(
    (d): d is Record<string, unknown> => Boolean(d) && typeof d === 'object',
  );
  const done = completedChunk(data, body.usage, body);
  return done.type === 'error' ? [done] : [done, { type: 'end' }];
}

function completedChunk(items: Record<string, unknown>[], usage: unknown, ev: Record<string, unknown>): GenEvent {
  const images = items.flatMap((d, index) =>
    typeof d.b64_json === 'string' && d.b64_json
      ? [
          {
            type: 'image_url' as const,
            image_url: { url: `data:${mediaType(d.media_type)};base64,${d.b64_json}` },
            index,
          },
        ]
      : [],
  );
  if (!images.length) return streamError(502, 'The upstream finished without an image (no b64_json).', 'no_image');
  const u = usageOf(usage);
  return {
    type: 'chunk',
    chunk: chunkOf(ev, [{ index: 0, delta: { role: 'assistant', content: '', images }, finish_reason: 'stop' }], u),
  };
}

function chunkOf(ev: Record<string, unknown>, choices: Chunk['choices'], usage?: Usage): Chunk {
  const created = Number(ev.created ?? ev.created_at);
  return {
    id: typeof ev.id === 'string' ? ev.id : '',
    object: 'chat.completion.chunk',
    created: Number.isFinite(created) && created > 0 ? created : Math.floor(Date.now() / 1000),
    model: typeof ev.model === 'string' ? ev.model : '',
    choices,
    ...(usage ? { usage } : {}),
  };
}

/** OpenRouter's usage (prompt/completion tokens) or OpenAI's (input/output tokens). */
function usageOf(raw: unknown): Usage | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const u = raw as Record<string, unknown>;
  const num = (...vs: unknown[]) => Number(vs.find((v) => typeof v === 'number') ?? 0);
  const prompt = num(u.prompt_tokens, u.input_tokens);
  const completion = num(u.completion_tokens, u.output_tokens);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: num(u.total_tokens, prompt + completion),
  };
}

const mediaType = (v: unknown) => (typeof v === 'string' && /^image\/[a-z0-9.+-]+$/.test(v) ? v : 'image/png');

export function partialFrom(b64: unknown, media: unknown, index: unknown): PartialImage | null {
  if (typeof b64 !== 'string' || !b64) return null;
  return { b64, media_type: mediaType(media), index: Number.isInteger(index) ? (index as number) : 0 };
}

/** `delta.darkroom.partial_image` of a chat chunk (how Darkroom itself relays previews on chat). */
export function partialOfChunk(chunk: Chunk): PartialImage | null {
  const p = (
    chunk.choices?.[0]?.delta?.darkroom as
      { partial_image?: { image_url?: { url?: unknown }; partial_image_index?: unknown } } | undefined
  )?.partial_image;
  const url = p?.image_url?.url;
  if (typeof url !== 'string' || !url.startsWith('data:')) return null;
  const comma = url.indexOf(',');
  return partialFrom(url.slice(comma + 1), url.slice(5, comma).replace(/;base64$/, ''), p!.partial_image_index);
}
