// An upstream Response -> ReadableStream<GenEvent>, through the stages in order:
// SSE decode -> chunks -> watchdog -> (image hand-off) store images -> price usage. A JSON answer joins at
// "store images". Any stage throwing ends the stream with an error event, never a crash.
//
// The stages are plain objects and functions (each in its own module, each testable alone),
// composed here in one pull loop instead of a chain of TransformStreams: per request, the chain
// of eleven stream objects was most of the streaming path's CPU under load (bench/profile.mjs:
// stream construction, enqueue/read and their promises), for no gain in what it can express.
import { LIMITS } from '../../shared/limits';
import { nextTurn } from '../lib/bytes';
import { largeChunkReader } from '../lib/large-reads';
import { connectionLost, endedEarly, type GenEvent, isTerminal, StageError, streamError } from './events';
import { readJsonCompletion } from './json-completion';
import { priceEvent } from './price-usage';
import { bodyHold, imageLineBudget, lineHold } from './line-budget';
import { createImageRelay } from './image-relay';
import { createSseDecoder } from './sse-parse';
import { checkPartial, imageAhead, type StoreImagesOptions, storeEventImages } from './store-images';
import { createChunkReader } from './upstream-chunks';
import { createWatchdog } from './watchdog';
import type { ByteBudget } from '../lib/byte-budget';

export interface PipelineOptions extends StoreImagesOptions {
  idleMs: number;
  progressMs: number;
  /** Largest non-streaming upstream body we read. */
  maxJsonBytes?: number;
  /** The budget long lines are held under (default: the isolate's, line-budget.ts). */
  lineBudget?: ByteBudget;
  /** Pass an image chunk's line on while it arrives (image-relay.ts): a streamed data-URL answer. */
  relayImages?: boolean;
}

export function upstreamEvents(res: Response, opts: PipelineOptions): ReadableStream<GenEvent> {
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('text/event-stream') && res.body) return sseEvents(res.body, opts);
  if (type.includes('json')) {
    const limits = { idleMs: opts.idleMs, totalMs: opts.progressMs };
    // A large body (its declared length) holds its share of the line budget until it is stored.
    const declared = Number(res.headers.get('content-length') ?? NaN);
    const hold = bodyHold(opts.lineBudget ?? imageLineBudget, declared, opts.waitUntil);
    let gone = false; // the reader went away while the body waited for its share
    const events = hold.ready.then(() => {
      if (!gone) return readJsonCompletion(res, opts.maxJsonBytes ?? LIMITS.maxOutputImageBytes * 6, limits);
      res.body?.cancel().catch(() => {});
      return [];
    });
    return processed(events, opts, () => {
      gone = true;
      hold.release();
    });
  }
  res.body?.cancel().catch(() => {});
  return fromEvents([
    streamError(
      502,
      `The upstream answered with ${describeType(type)} instead of JSON or an event stream.`,
      'upstream_invalid_response',
    ),
  ]);
}

/**
 * Two turns of the event loop, so bytes just handed to the answer reach the socket before the
 * thread is held by joining, parsing and storing a line of megabytes: the answer's stream, the
 * response body's pump and the socket write each need the loop. Measured (bench handoff, the image
 * arriving in 32 pieces, last byte upstream -> client, p50): one turn 16.9 ms, two 4.7, four 4.8,
 * eight 5.0 (floor 2.4-2.6).
 */
async function letWritesThrough() {
  await nextTurn();
  await nextTurn();
}

/** After the upstream-specific stages, every event goes through these, in order. */
const finishStages = async (event: GenEvent, opts: StoreImagesOptions) =>
  priceEvent(await storeEventImages(checkPartial(event, opts), opts));

function sseEvents(body: ReadableStream<Uint8Array>, opts: PipelineOptions): ReadableStream<GenEvent> {
  // The SSE stage copies what it keeps of each piece at once, so one buffer serves the whole body.
  const reader = largeChunkReader(body, { reuse: true });
  const decoder = createSseDecoder();
  const chunks = createChunkReader();
  const hold = lineHold(opts.lineBudget ?? imageLineBudget, opts.waitUntil);
  const relay = opts.relayImages ? createImageRelay(opts) : null;
  let relayed = false; // the next chunk's image went out through the relay: no hand-off for it
  const queue: GenEvent[] = [];
  let over = false;
  let controller!: ReadableStreamDefaultController<GenEvent>;
  const close = (last?: GenEvent) => {
    if (over) return;
    over = true;
    dog.stop();
    hold.release();
    reader.cancel().catch(() => {});
    try {
      // A frame the relay began is written to its end (closed after what arrived) before the error.
      for (const e of queue) if (e.type === 'image-relay') controller.enqueue(e);
      const cut = relay?.abort();
      if (cut) controller.enqueue({ type: 'image-relay', relay: cut });
      if (last) controller.enqueue(last);
      controller.close();
    } catch {}
  };
  // Timeouts: the upstream read is cancelled and the stream ends with the 504 event.
  const dog = createWatchdog(opts.idleMs, opts.progressMs, (timeout) => close(timeout));
  const push = (e: GenEvent | null) => e && queue.push(e);
  return new ReadableStream<GenEvent>({
    start(c) {
      controller = c;
    },
    async pull(c) {
      try {
        while (!queue.length && !over) {
          const wait = hold.beforeRead(); // undefined unless a long line must wait: no promise per read
          if (wait) await wait;
          if (over) return;
          const { done, value } = await reader.read();
          if (over) return;
          if (done) {
            for (const m of decoder.end()) push(chunks.next(m));
            const cut = relay?.abort();
            if (cut) push({ type: 'image-relay', relay: cut });
            push(chunks.end());
            break;
          }
          dog.life();
          if (relay?.open) {
            const end = decoder.lineEndIn(value);
            if (end >= 0) {
              // The relayed line ends here: its last bytes go out before the SSE stage joins and
              // decodes the whole line (the queue is empty whenever a read is made).
              c.enqueue({ type: 'image-relay', relay: relay.finish(value.subarray(0, end)) });
              relayed = true;
              decoder.forgetBytes(); // written already: the hand-off will not want them
              await letWritesThrough();
              if (over) return;
            }
          }
          const messages = decoder.feed(value);
          hold.afterRead(value.byteLength, messages.length);
          for (const m of messages) push(chunks.next(m));
          const piece = relay?.grew(decoder.pending());
          if (piece) push({ type: 'image-relay', relay: piece });
          if (piece?.end) relayed = true; // closed early (past the image limit): the chunk follows
        }
        const next = queue.shift();
        if (over || !next) return;
        if (next.type === 'image-relay') return c.enqueue(next);
        if (next.type === 'chunk' || next.type === 'partial') dog.progress();
        // Images go out as they arrived, before the store (the stored chunk follows).
        const ahead = relayed && next.type === 'chunk' ? null : imageAhead(next, opts);
        if (next.type === 'chunk') relayed = false;
        if (ahead) {
          c.enqueue(ahead);
          // Written to the client before the store's decode and hash hold the thread.
          await letWritesThrough();
        }
        emit(c, await finishStages(next, opts));
      } catch (err) {
        close(err instanceof StageError ? err.event : connectionLost());
      }
    },
    cancel(reason) {
      over = true;
      dog.stop();
      hold.release();
      return reader.cancel(reason).catch(() => {});
    },
  });

  function emit(c: ReadableStreamDefaultController<GenEvent>, event: GenEvent) {
    if (!queue.length) hold.settled();
    if (over) return;
    if (isTerminal(event)) return close(event);
    c.enqueue(event);
  }
}

/** A whole answer (the JSON path) through the common stages, as a stream. */
function processed(
  source: Promise<GenEvent[]>,
  opts: StoreImagesOptions,
  onOver: () => void = () => {},
): ReadableStream<GenEvent> {
  let events: GenEvent[] | undefined;
  let over = false;
  const end = (c: ReadableStreamDefaultController<GenEvent>, last?: GenEvent) => {
    over = true;
    onOver();
    if (last) c.enqueue(last);
    c.close();
  };
  return new ReadableStream<GenEvent>({
    async pull(c) {
      if (over) return;
      try {
        events ??= await source;
        const next = events.shift();
        if (!next) return end(c, endedEarly());
        const event = await finishStages(next, opts);
        if (isTerminal(event)) return end(c, event);
        c.enqueue(event);
      } catch (err) {
        end(c, err instanceof StageError ? err.event : connectionLost());
      }
    },
    cancel() {
      over = true;
      onOver();
    },
  });
}

export const describeType = (type: string) => (type ? `'${type.split(';')[0].trim()}'` : 'no content type');

export function fromEvents(events: GenEvent[]): ReadableStream<GenEvent> {
  return new ReadableStream<GenEvent>({
    start(c) {
      for (const e of events) c.enqueue(e);
      c.close();
    },
  });
}
