// An upstream Response -> ReadableStream<GenEvent>, through the stages in order:
// SSE parse -> chunks -> watchdog -> store images -> price usage. A JSON answer joins at
// "store images". Any stage throwing ends the stream with an error event, never a crash.
import { LIMITS } from '../../shared/limits';
import { type GenEvent, isTerminal, StageError, streamError } from './events';
import { readJsonCompletion } from './json-completion';
import { priceUsage } from './price-usage';
import { sseParse } from './sse-parse';
import { type StoreImagesOptions, storeImages } from './store-images';
import { upstreamChunks } from './upstream-chunks';
import { watchdog } from './watchdog';

export interface PipelineOptions extends StoreImagesOptions {
  idleMs: number;
  progressMs: number;
  /** Largest non-streaming upstream body we read. */
  maxJsonBytes?: number;
}

export function upstreamEvents(res: Response, opts: PipelineOptions): ReadableStream<GenEvent> {
  const type = res.headers.get('content-type') ?? '';
  let events: ReadableStream<GenEvent>;
  if (type.includes('text/event-stream') && res.body) {
    const dog = watchdog(opts.idleMs, opts.progressMs);
    events = res.body.pipeThrough(sseParse({ onBytes: dog.life })).pipeThrough(upstreamChunks()).pipeThrough(dog.events);
  } else if (type.includes('json')) {
    const limits = { idleMs: opts.idleMs, totalMs: opts.progressMs };
    events = fromPromise(readJsonCompletion(res, opts.maxJsonBytes ?? LIMITS.maxOutputImageBytes * 6, limits));
  } else {
    res.body?.cancel().catch(() => {});
    events = fromEvents([streamError(502, `The upstream answered with ${describeType(type)} instead of JSON or an event stream.`, 'upstream_invalid_response')]);
  }
  return endWithError(events.pipeThrough(storeImages(opts)).pipeThrough(priceUsage()));
}

export const describeType = (type: string) => (type ? `'${type.split(';')[0].trim()}'` : 'no content type');

/** Streams made by fromEvents, with their events: answers that are already whole skip the streams. */
export const wholeAnswers = new WeakMap<ReadableStream<GenEvent>, GenEvent[]>();

export function fromEvents(events: GenEvent[]): ReadableStream<GenEvent> {
  const stream = new ReadableStream<GenEvent>({
    start(c) {
      for (const e of events) c.enqueue(e);
      c.close();
    },
  });
  wholeAnswers.set(stream, events);
  return stream;
}

function fromPromise(p: Promise<GenEvent[]>): ReadableStream<GenEvent> {
  return new ReadableStream({
    async pull(c) {
      for (const e of await p) c.enqueue(e);
      c.close();
    },
  });
}

/**
 * The pipeline's guarantee: the stream ends with exactly one terminal event (`end` or `error`).
 * A source that errors (connection lost, a stage threw) or stops without one ends with an error
 * event instead, never a crash; after the terminal event the source is cancelled, so nothing
 * keeps reading an upstream nobody needs.
 */
export function endWithError(source: ReadableStream<GenEvent>): ReadableStream<GenEvent> {
  const reader = source.getReader();
  let over = false;
  const finish = (c: ReadableStreamDefaultController<GenEvent>, last?: GenEvent) => {
    over = true;
    if (last) c.enqueue(last);
    c.close();
  };
  return new ReadableStream<GenEvent>({
    async pull(c) {
      if (over) return;
      let next: ReadableStreamReadResult<GenEvent>;
      try {
        next = await reader.read();
      } catch (err) {
        reader.cancel(err).catch(() => {});
        return finish(c, err instanceof StageError ? err.event : streamError(502, 'The connection to the upstream was lost mid-answer.', 'upstream_connection_lost'));
      }
      if (next.done) return finish(c, streamError(502, 'The upstream answer ended before it finished.', 'upstream_truncated'));
      if (!isTerminal(next.value)) return c.enqueue(next.value);
      reader.cancel().catch(() => {});
      finish(c, next.value);
    },
    cancel(reason) {
      over = true;
      return reader.cancel(reason);
    },
  });
}
