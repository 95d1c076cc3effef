// The one SSE writer: n generations' events (chat has one, the Images API `n`) through a
// renderer into one event stream. It owns the transport: keep-alive comments while the client
// waits, the terminal event (the renderer's error frames, or its closing frames once every
// generation ended well), closing and letting the sources go, and telling the caller once how the
// answer ended. A source that breaks or stops without a terminal event ends with an error event,
// never with what looks like a finished answer.
import { addEvent, type Collected, emptyCollected } from '../stream/collect';
import { connectionLost, endedEarly, type GenEvent, type StreamError } from '../stream/events';
import type { Opened } from './open';
import { type AnswerContext, isFailure, type Renderer } from './types';

const encoder = new TextEncoder();
export const KEEPALIVE = encoder.encode(': keep-alive\n\n');

export interface SseOptions {
  /** Milliseconds of client silence before a keep-alive comment (0: never). */
  keepAliveMs: number;
  /** Called once when the stream is over: its status (499: the client went away) and the answers folded. */
  onOver(status: number, answers: Collected[]): void;
}

/** The state machine shared by the live and the whole path: event in, frames out. */
function sseCore(
  sources: Opened[],
  renderer: Renderer,
  ctx: AnswerContext,
  write: (frames: Uint8Array[]) => void,
  over: (status: number, answers: Collected[]) => void,
) {
  const r = renderer.sse(ctx);
  const keepData = Boolean(renderer.keepsImageData);
  const answers = sources.map(() => emptyCollected());
  const ended = sources.map(() => false);
  const state = {
    done: false,
    ended,
    answers,
    finish(status: number) {
      if (state.done) return;
      state.done = true;
      over(status, answers);
    },
    fail(err: StreamError) {
      if (state.done) return;
      write(r.error(err));
      state.finish(err.status);
    },
    /** One event of source i; undefined: the source stopped. */
    handle(i: number, event: GenEvent | undefined) {
      if (state.done) return;
      if (!event) return state.fail(endedEarly().error);
      if (event.type === 'keepalive') return write([KEEPALIVE]);
      addEvent(answers[i], event, keepData);
      if (event.type === 'meta') return;
      if (event.type === 'error') return state.fail(event.error);
      const frames = r.event(event, i, answers[i]);
      if (isFailure(frames)) return state.fail(frames);
      write(frames);
      if (event.type !== 'end') return;
      ended[i] = true;
      if (ended.every(Boolean)) {
        write(r.done());
        state.finish(200);
      }
    },
  };
  return state;
}

/**
 * Answers that are whole before they start (cache hits) are rendered straight to bytes, without
 * the streams a live generation needs (which were most of a hit's CPU in bench/profile.mjs).
 */
function wholeBody(sources: Opened[], renderer: Renderer, ctx: AnswerContext, opts: SseOptions): Blob {
  const out: Uint8Array[] = [];
  const core = sseCore(sources, renderer, ctx, (f) => out.push(...f), opts.onOver);
  sources.forEach((s, i) => s.whole!.forEach((e) => core.handle(i, e)));
  return new Blob(out);
}

/** The answer's SSE body. */
export function sseBody(
  sources: Opened[],
  renderer: Renderer,
  ctx: AnswerContext,
  opts: SseOptions,
): ReadableStream<Uint8Array> | Blob {
  if (sources.every((s) => s.whole)) return wholeBody(sources, renderer, ctx, opts);
  const readers = sources.map((s) => s.reader ?? wholeReader(s));
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let lastWrite = Date.now();
  let written = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  const letGo = () => {
    if (timer !== undefined) clearInterval(timer);
    for (const r of readers) r.cancel().catch(() => {});
  };
  const write = (frames: Uint8Array[]) => {
    if (!frames.length) return;
    lastWrite = Date.now();
    written++;
    for (const f of frames) controller.enqueue(f);
  };
  const core = sseCore(sources, renderer, ctx, write, (status, answers) => {
    letGo();
    opts.onOver(status, answers);
    if (status !== 499) controller.close();
  });
  // Reads from every source still running, in the order events arrive.
  const pending = new Map<number, Promise<[number, GenEvent | undefined]>>();
  const read = (i: number): Promise<[number, GenEvent | undefined]> =>
    readers[i].read().then(
      (r) => [i, r.done ? undefined : r.value],
      () => [i, connectionLost()],
    );
  const next = (): Promise<[number, GenEvent | undefined]> => {
    if (readers.length === 1) return read(0);
    readers.forEach((_, i) => !core.ended[i] && !pending.has(i) && pending.set(i, read(i)));
    return Promise.race(pending.values()).then((got) => (pending.delete(got[0]), got));
  };
  return new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      sources.forEach((s, i) => core.handle(i, s.first));
      const every = opts.keepAliveMs;
      if (every > 0) {
        timer = setInterval(
          () => {
            if (core.done || Date.now() - lastWrite < every) return;
            try {
              write([KEEPALIVE]);
            } catch {
              clearInterval(timer!);
            }
          },
          Math.max(50, every / 3),
        );
      }
    },
    async pull() {
      // Until something was written: an event may render to nothing, and pull is not called again by itself.
      const before = written;
      while (written === before && !core.done) {
        const [i, event] = await next();
        core.handle(i, event);
      }
    },
    cancel() {
      core.finish(499);
      letGo();
    },
  });
}

/** A whole source mixed with live ones (n > 1, some hits): read like any stream, after its meta. */
function wholeReader(s: Opened): ReadableStreamDefaultReader<GenEvent> {
  const rest = s.whole!.slice(1);
  return new ReadableStream<GenEvent>({
    start(c) {
      for (const e of rest) c.enqueue(e);
      c.close();
    },
  }).getReader();
}
