// The isolate's budget for long SSE lines (images) in flight. A stream whose current line has
// grown past LONG_LINE holds bytes of the budget for it, read ahead included, and gives them back
// once the line's event has been stored; past the budget, its next read waits and the upstream
// is paused by back-pressure. So a burst of large images is taken a few at a time instead of
// every line being buffered at once: the isolate's memory stays bounded by the budget, whatever
// the number of streams (bench memory cell: 16 streams of 8 MiB at once).
import { ByteBudget, type BudgetHolder } from '../lib/byte-budget';
import { VIEW_BYTES } from '../lib/large-reads';

/**
 * Line bytes the isolate holds at once. Each byte of a line is held about three times while it
 * is parsed, handed over and stored (its pieces and the joined bytes, its text, the decoded
 * image), so 24 MiB of lines keeps well inside the isolate's 128 MB.
 */
export const LINE_BUDGET_BYTES = 24 * 1024 * 1024;
/** Shorter lines (text, small images) never wait. */
export const LONG_LINE = 256 * 1024;

export const imageLineBudget = new ByteBudget(LINE_BUDGET_BYTES, { maxWaitMs: 20_000, idleMs: 60_000 });

/**
 * A whole answer's share (a non-streaming upstream body of `bytes`, read at once): `ready` when
 * it may be read; `release` once its images are stored. Small bodies never wait.
 */
export function bodyHold(budget: ByteBudget, bytes: number, waitUntil?: (p: Promise<unknown>) => void) {
  if (!(bytes >= LONG_LINE)) return { ready: Promise.resolve(), release: () => {} };
  const holder = budget.holder();
  const letGo = keepAlive(waitUntil);
  return {
    ready: holder.take(bytes),
    release() {
      holder.release();
      letGo();
    },
  };
}

/** The request stays alive (waitUntil) until the returned function is called, so a release always runs. */
function keepAlive(waitUntil?: (p: Promise<unknown>) => void): () => void {
  let letGo = () => {};
  waitUntil?.(new Promise<void>((resolve) => (letGo = resolve)));
  return () => letGo();
}

/** One stream's share of the budget, line by line. */
export function lineHold(budget: ByteBudget, waitUntil?: (p: Promise<unknown>) => void) {
  const holder: BudgetHolder = budget.holder();
  let lineBytes = 0;
  let letGo: (() => void) | undefined;
  return {
    /** Before a read: what to wait for until the line so far and the next read fit (long lines only). */
    beforeRead(): Promise<void> | undefined {
      if (lineBytes < LONG_LINE) return undefined;
      const want = lineBytes + VIEW_BYTES - holder.held; // the line so far and what one read may add
      if (want <= 0) return undefined;
      letGo ??= keepAlive(waitUntil);
      return holder.take(want);
    },
    /** After a read of `bytes` that completed `messages` events. */
    afterRead(bytes: number, messages: number) {
      lineBytes = messages ? 0 : lineBytes + bytes;
    },
    /** The events read so far have been stored: a finished long line gives its bytes back. */
    settled() {
      if (lineBytes < LONG_LINE && holder.held > 0) this.release();
    },
    release() {
      holder.release();
      letGo?.();
      letGo = undefined;
    },
  };
}
