// Folds GenEvents into one finished answer: what a JSON client receives and what the cache keeps.
import {
  type Chunk,
  connectionLost,
  endedEarly,
  isTerminal,
  type GenEvent,
  type GenMeta,
  type ImageItem,
  type StreamError,
  type Usage,
} from './events';

export interface Collected {
  meta?: GenMeta;
  id: string;
  created: number;
  model: string;
  text: string;
  reasoning: string;
  images: ImageItem[];
  finishReason: string | null;
  usage?: Usage;
  /** Extra top-level fields the upstream sent (provider, system_fingerprint, ...). */
  extra: Record<string, unknown>;
  error?: StreamError;
  ended: boolean;
}

export function emptyCollected(): Collected {
  return {
    id: '',
    created: 0,
    model: '',
    text: '',
    reasoning: '',
    images: [],
    finishReason: null,
    extra: {},
    ended: false,
  };
}

/**
 * `keepImageData: false` keeps only our record of each image, not its data URL: for collectors
 * that only need the outcome (usage, the cache entry), so a streamed image is not held twice.
 */
export function addEvent(acc: Collected, event: GenEvent, keepImageData = true): void {
  switch (event.type) {
    case 'meta':
      acc.meta = event.meta;
      return;
    case 'chunk':
      return addChunk(acc, event.chunk, keepImageData);
    case 'error':
      acc.error = event.error;
      return;
    case 'end':
      acc.ended = true;
      return;
  }
}

function addChunk(acc: Collected, chunk: Chunk, keepImageData: boolean) {
  const { id, created, model, choices, usage, object: _o, darkroom: _d, ...extra } = chunk;
  if (!acc.id && id) acc.id = id;
  if (!acc.created && created) acc.created = created;
  if (!acc.model && model) acc.model = model;
  Object.assign(acc.extra, extra);
  if (usage) acc.usage = usage;
  for (const choice of choices) {
    if ((choice.index ?? 0) !== 0) continue; // n is always 1 for this model
    const d = choice.delta ?? {};
    if (typeof d.content === 'string') acc.text += d.content;
    if (typeof d.reasoning === 'string') acc.reasoning += d.reasoning;
    if (Array.isArray(d.images)) {
      for (const i of d.images)
        acc.images.push(keepImageData ? i : { type: 'image_url', image_url: { url: '' }, darkroom: i.darkroom });
    }
    if (choice.finish_reason) acc.finishReason = choice.finish_reason;
  }
}

/** Collect a whole event stream (the JSON path). */
export function collect(events: ReadableStream<GenEvent>): Promise<Collected> {
  return collectFrom(events.getReader());
}

/**
 * Collect from a reader (after `first`, if the caller already read it) up to the terminal event;
 * a source that throws or stops early ends in an error, and the source is let go.
 */
export async function collectFrom(reader: ReadableStreamDefaultReader<GenEvent>, first?: GenEvent): Promise<Collected> {
  const acc = emptyCollected();
  if (first) addEvent(acc, first);
  while (!first || !isTerminal(first)) {
    let next: ReadableStreamReadResult<GenEvent>;
    try {
      next = await reader.read();
    } catch {
      addEvent(acc, connectionLost());
      break;
    }
    if (next.done) break;
    addEvent(acc, next.value);
    if (isTerminal(next.value)) break;
  }
  reader.cancel().catch(() => {});
  if (!acc.ended && !acc.error) addEvent(acc, endedEarly());
  return acc;
}
