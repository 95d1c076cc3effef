// Timeouts while the upstream answers: `idleMs` of total silence (any byte is life, keep-alive
// comments included, and so is a multi-megabyte image line still arriving), or `progressMs`
// without a real chunk (keep-alive comments are not progress). Either ends the stream with a
// 504 error event, and the upstream read is cancelled.
import { type GenEvent, streamError } from './events';

export interface Watchdog {
  /** Call on every upstream byte chunk (see sseParse's onBytes). */
  life(): void;
  /** The event stage: records progress, and emits the timeout error. */
  events: TransformStream<GenEvent, GenEvent>;
}

export function watchdog(idleMs: number, progressMs: number): Watchdog {
  let lastLife = Date.now();
  let lastProgress = lastLife;
  let timer: ReturnType<typeof setInterval> | undefined;
  const stop = () => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };
  const events = new TransformStream<GenEvent, GenEvent>({
    start(out) {
      const tick = Math.max(10, Math.min(idleMs, progressMs) / 4);
      timer = setInterval(() => {
        const now = Date.now();
        const stalled = now - lastLife > idleMs ? 'sent nothing' : now - lastProgress > progressMs ? 'made no progress' : null;
        if (!stalled) return;
        stop();
        const limit = stalled === 'sent nothing' ? idleMs : progressMs;
        out.enqueue(timeoutEvent(`The upstream ${stalled} for ${seconds(limit)}.`));
        // Errors the writable side: the pipe from the upstream body is cancelled with it.
        out.terminate();
      }, tick);
    },
    transform(event, out) {
      if (event.type === 'chunk') lastProgress = lastLife = Date.now();
      else if (event.type === 'keepalive') lastLife = Date.now();
      else if (event.type === 'end' || event.type === 'error') stop();
      out.enqueue(event);
    },
    flush: stop,
    cancel: stop,
  } as Transformer<GenEvent, GenEvent>);
  return {
    life() {
      lastLife = Date.now();
    },
    events,
  };
}

export const timeoutEvent = (message: string): GenEvent => streamError(504, message, 'upstream_timeout', 'timeout_error');

export const seconds = (ms: number) => (ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`);
