// Timeouts while the upstream answers: `idleMs` of total silence (any byte is life, keep-alive
// comments included, and so is a multi-megabyte image line still arriving), or `progressMs`
// without a real chunk (keep-alive comments are not progress). Either ends the stream with a
// 504 error event, and the upstream read is cancelled.
import { type GenEvent, streamError } from './events';

export interface Watchdog {
  /** Any upstream byte arrived. */
  life(): void;
  /** A real chunk arrived. */
  progress(): void;
  stop(): void;
}

/** Calls onStall once with the timeout event when the upstream goes silent or stops progressing. */
export function createWatchdog(idleMs: number, progressMs: number, onStall: (event: GenEvent) => void): Watchdog {
  let lastLife = Date.now();
  let lastProgress = lastLife;
  const timer: ReturnType<typeof setInterval> = setInterval(
    () => {
      const now = Date.now();
      const stalled =
        now - lastLife > idleMs ? 'sent nothing' : now - lastProgress > progressMs ? 'made no progress' : null;
      if (!stalled) return;
      clearInterval(timer);
      onStall(
        timeoutEvent(`The upstream ${stalled} for ${seconds(stalled === 'sent nothing' ? idleMs : progressMs)}.`),
      );
    },
    Math.max(10, Math.min(idleMs, progressMs) / 4),
  );
  return {
    life() {
      lastLife = Date.now();
    },
    progress() {
      lastProgress = lastLife = Date.now();
    },
    stop() {
      clearInterval(timer);
    },
  };
}

export const timeoutEvent = (message: string): GenEvent =>
  streamError(504, message, 'upstream_timeout', 'timeout_error');

export const seconds = (ms: number) => (ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`);
