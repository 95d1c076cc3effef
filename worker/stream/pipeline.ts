// An upstream Response -> ReadableStream<GenEvent>, through the stages in order:
// SSE parse -> chunks -> watchdog -> store images -> price usage. A JSON answer joins at
// "store images". Any stage throwing ends the stream with an error event, never a crash.
import { LIMITS } from '../../shared/limits';
import { type GenEvent, isTerminal, streamError } from './events';
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
    events = res.body.pipeThrough(sseParse()).pipeThrough(upstreamChunks()).pipeThrough(watchdog(opts.idleMs, opts.progressMs));
  } else if (type.includes('json')) {
    events = fromPromise(readJsonCompletion(res, opts.maxJsonBytes ?? LIMITS.maxOutputImageBytes * 6));
  } else {
    res.body?.cancel().catch(() => {});
    const what = type ? `'${type.split(';')[0]}'` : 'no content type';
    events = fromEvents([streamError(502, `The upstream answered with ${what} instead of JSON or an event stream.`, 'upstream_invalid_response')]);
  }
  return endWithError(events.pipeThrough(storeImages(opts)).pipeThrough(priceUsage()));
}

export function fromEvents(events: GenEvent[]): ReadableStream<GenEvent> {
  return new ReadableStream({
    start(c) {
      for (const e of events) c.enqueue(e);
      c.close();
    },
  });
}

function fromPromise(p: Promise<GenEvent[]>): ReadableStream<GenEvent> {
  return new ReadableStream({
    async start(c) {
      for (const e of await p) c.enqueue(e);
      c.close();
    },
  });
}

/** Turns a stream that errors (connection lost, a stage threw) into one that ends with an error event. */
export function endWithError(source: ReadableStream<GenEvent>): ReadableStream<GenEvent> {
  const reader = source.getReader();
  let over = false;
  return new ReadableStream<GenEvent>({
    async pull(c) {
      if (over) return c.close();
      try {
        const { done, value } = await reader.read();
        if (done) {
          over = true;
          return c.close();
        }
        if (isTerminal(value)) over = true;
        c.enqueue(value);
      } catch {
        over = true;
        c.enqueue(streamError(502, 'The connection to the upstream was lost mid-answer.', 'upstream_connection_lost'));
        c.close();
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}
