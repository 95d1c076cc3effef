// Timeouts while the upstream streams: `idleMs` of total silence (keep-alive comments are life),
// or `progressMs` without a real chunk (keep-alive comments are not progress). Either ends the
// stream with an error event and cancels the upstream read.
import { type GenEvent, streamError } from './events';

export function watchdog(idleMs: number, progressMs: number): TransformStream<GenEvent, GenEvent> {
  let lastLife = Date.now();
  let lastProgress = Date.now();
  let timer: ReturnType<typeof setInterval> | undefined;
  const stop = () => timer !== undefined && clearInterval(timer);
  return new TransformStream({
    start(out) {
      const tick = Math.max(10, Math.min(idleMs, progressMs) / 4);
      timer = setInterval(() => {
        const now = Date.now();
        const stalled = now - lastLife > idleMs ? 'sent nothing' : now - lastProgress > progressMs ? 'made no progress' : null;
        if (!stalled) return;
        stop();
        const limit = stalled === 'sent nothing' ? idleMs : progressMs;
        out.enqueue(streamError(504, `The upstream ${stalled} for ${Math.round(limit / 1000)} s.`, 'upstream_timeout', 'timeout_error'));
        out.terminate();
      }, tick);
    },
    transform(event, out) {
      lastLife = Date.now();
      if (event.type === 'chunk') lastProgress = lastLife;
      if (event.type === 'end' || event.type === 'error') stop();
      out.enqueue(event);
    },
    flush: stop,
    cancel: stop,
  } as Transformer<GenEvent, GenEvent>);
}
