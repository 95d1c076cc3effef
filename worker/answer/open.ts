// Opening a generation's events: the first event decides whether there is an answer at all. An
// error first (or nothing) is answered as a plain HTTP error; a meta first opens the answer.
import { addEvent, collectFrom, type Collected, emptyCollected } from '../stream/collect';
import { type GenEvent, type GenMeta, type GenSource, isTerminal, type StreamError } from '../stream/events';
import { fromEvents } from '../stream/pipeline';

export interface Opened {
  meta: GenMeta;
  /** The meta event itself (folded like any other). */
  first: GenEvent;
  /** The live rest of the events (after `first`). */
  reader?: ReadableStreamDefaultReader<GenEvent>;
  /** Every event, when the answer was whole before it started (a cache hit): no streams needed. */
  whole?: GenEvent[];
}

export const noAnswer = (): StreamError => ({
  status: 502,
  error: { message: 'The generation produced no answer.', type: 'upstream_error', param: null, code: 'upstream_empty' },
});

export async function openEvents(source: GenSource): Promise<Opened | StreamError> {
  if (Array.isArray(source)) {
    const head = source[0];
    if (head?.type === 'meta' && isTerminal(source[source.length - 1]))
      return { meta: head.meta, first: head, whole: source };
  }
  const reader = (Array.isArray(source) ? fromEvents(source) : source).getReader();
  let first: ReadableStreamReadResult<GenEvent>;
  try {
    first = await reader.read();
  } catch {
    first = { done: true, value: undefined };
  }
  if (first.done || first.value.type !== 'meta') {
    reader.cancel().catch(() => {});
    return !first.done && first.value.type === 'error' ? first.value.error : noAnswer();
  }
  return { meta: first.value.meta, first: first.value, reader };
}

/** Lets an opened answer go (another one of the same request failed before anything was sent). */
export function release(o: Opened): void {
  o.reader?.cancel().catch(() => {});
}

/** The whole answer folded (the JSON path): up to its terminal event, or an error if it has none. */
export async function collectOpened(o: Opened): Promise<Collected> {
  if (o.whole) {
    const acc = emptyCollected();
    for (const e of o.whole) addEvent(acc, e);
    return acc;
  }
  return collectFrom(o.reader!, o.first);
}
