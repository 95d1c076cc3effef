// A per-isolate budget of bytes held in memory, shared by every request in the isolate. Workers
// give an isolate 128 MB and one image line costs several times its size while it is parsed,
// stored and handed on, so without a bound a burst of large images ends the isolate, and with
// it every request it was serving. A holder that would go over the budget waits (its upstream
// is then paused by back-pressure) until others give bytes back.
//
// It never deadlocks and never hangs a request:
// - the oldest holder is always granted, so some holder always makes progress (a line longer
//   than the whole budget still gets through, alone);
// - a wait is soft: after `maxWaitMs` the bytes are granted anyway (a holder stuck behind a
//   client that stopped reading must not stall everyone else for ever);
// - a holder that took nothing for `idleMs` is forgotten (its request may have been torn down
//   before it could give its bytes back).

export interface BudgetHolder {
  /** Bytes this holder has now. */
  readonly held: number;
  /** Waits (softly) until `bytes` more may be held, then holds them. */
  take(bytes: number): Promise<void>;
  /** Gives back everything held; waiters are let in, oldest first. */
  release(): void;
}

export interface ByteBudgetOptions {
  maxWaitMs: number;
  idleMs: number;
  now?: () => number;
}

interface Holder extends BudgetHolder {
  held: number;
  lastTake: number;
}

export class ByteBudget {
  private used = 0;
  /** Holders with bytes, oldest first (a Set keeps insertion order). */
  private readonly holders = new Set<Holder>();
  private readonly waiting: { holder: Holder; bytes: number; grant: () => void; drop: () => void }[] = [];
  private readonly now: () => number;

  constructor(
    readonly total: number,
    private readonly opts: ByteBudgetOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** Bytes held by every holder. */
  get inUse(): number {
    return this.used;
  }

  holder(): BudgetHolder {
    const h: Holder = {
      held: 0,
      lastTake: 0,
      take: (bytes) => this.take(h, bytes),
      release: () => this.release(h),
    };
    return h;
  }

  private grantable(h: Holder, bytes: number): boolean {
    if (this.used + bytes <= this.total) return true;
    const oldest = this.holders.values().next().value;
    return oldest === undefined || oldest === h;
  }

  private hold(h: Holder, bytes: number) {
    this.holders.add(h); // a Set keeps the first insertion's place: oldest first
    h.held += bytes;
    h.lastTake = this.now();
    this.used += bytes;
  }

  private take(h: Holder, bytes: number): Promise<void> {
    this.forgetIdle();
    // A newcomer queues behind waiters that came first; a holder (mid-line) that fits does not:
    // its progress is what gives bytes back.
    if (this.grantable(h, bytes) && (!this.waiting.length || this.holders.has(h))) {
      this.hold(h, bytes);
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const leave = () => {
        // Granted from another request's release: its timer may not be ours to clear (then it
        // fires later and finds the waiter gone).
        try {
          if (timer !== undefined) clearTimeout(timer);
        } catch {}
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        return i >= 0;
      };
      const waiter = {
        holder: h,
        bytes,
        grant: () => {
          if (!leave()) return;
          this.hold(h, bytes);
          resolve();
        },
        /** Released while waiting: the wait ends, with nothing held. */
        drop: () => {
          leave();
          resolve();
        },
      };
      this.waiting.push(waiter);
      timer = setTimeout(waiter.grant, this.opts.maxWaitMs);
    });
  }

  private release(h: Holder) {
    this.waiting.find((w) => w.holder === h)?.drop(); // given up while waiting: it wants nothing now
    if (this.holders.delete(h)) {
      this.used -= h.held;
      h.held = 0;
    }
    this.wake();
  }

  /**
   * Lets in every waiter that fits now, in the order they came. One that does not fit does not
   * block those behind it: the holder behind may be the oldest, whose progress frees the rest.
   */
  private wake() {
    for (const w of [...this.waiting]) if (this.grantable(w.holder, w.bytes)) w.grant();
  }

  private forgetIdle() {
    const before = this.now() - this.opts.idleMs;
    let forgot = false;
    for (const h of this.holders) {
      if (h.lastTake >= before) continue;
      this.holders.delete(h);
      this.used -= h.held;
      h.held = 0;
      forgot = true;
    }
    if (forgot) this.wake();
  }
}
