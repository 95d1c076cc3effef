// Coalescing across isolates: one Durable Object per cache key runs the generation once and fans
// its events out to every request that asks meanwhile. Each request holds a subscription (an RPC
// target) and reads the events as they are, in batches: no bytes to frame and parse again on
// the other side. It reads the upstream to the end even when every client has gone, so the entry
// still lands in the cache. Late joiners get the events so far, then the live ones.
import { DurableObject, RpcTarget } from 'cloudflare:workers';
import type { Env } from '../env';
import { registerSecrets } from '../lib/secrets';
import type { GenEvent } from '../stream/events';
import type { GenerationPlan } from './plan';
import { runGeneration } from './run';

interface Flight {
  log: GenEvent[];
  meta?: Extract<GenEvent, { type: 'meta' }>;
  /** Wakes every waiting reader (a new event, or the end). */
  wake: () => void;
  changed: Promise<void>;
  done: boolean;
  /** True when it finished well enough to be cached: only then may it answer late joiners. */
  succeeded: boolean;
  finishedAt?: number;
}

/** How long a finished generation still answers joiners while its cache write settles. */
const LINGER_MS = 30_000;

/** One request's view of a flight: the events it has not read yet. */
export class Subscription extends RpcTarget {
  private next = 0;
  private sentMeta = false;
  private cancelled = false;

  constructor(
    private readonly flight: Flight,
    private readonly joined: boolean,
    private readonly lingering: boolean,
  ) {
    super();
  }

  /** The events since the last read (waits for at least one); an empty batch: it is over. */
  async read(): Promise<GenEvent[]> {
    const f = this.flight;
    for (;;) {
      if (this.cancelled) return [];
      const batch: GenEvent[] = [];
      // The meta always comes first (a generation that failed before it has none).
      if (!this.sentMeta && f.meta) {
        this.sentMeta = true;
        batch.push(this.metaEvent(f.meta));
      }
      batch.push(...f.log.slice(this.next));
      this.next = f.log.length;
      if (batch.length || f.done) return batch;
      await f.changed;
    }
  }

  cancel(): void {
    this.cancelled = true;
  }

  private metaEvent(event: Extract<GenEvent, { type: 'meta' }>): GenEvent {
    // A finished generation still in memory is a cache hit in all but storage.
    if (this.lingering) {
      const age = Math.round((Date.now() - (this.flight.finishedAt ?? Date.now())) / 1000);
      return { type: 'meta', meta: { ...event.meta, cache: 'HIT', age, joined: true } };
    }
    return this.joined ? { type: 'meta', meta: { ...event.meta, joined: true } } : event;
  }
}

export class GenerationCoordinator extends DurableObject<Env> {
  private flight?: Flight;

  join(plan: GenerationPlan): Subscription {
    registerSecrets(this.env); // this object may live in an isolate no request has configured
    const f = this.flight;
    const lingering = Boolean(f?.done && f.succeeded && plan.readCache && Date.now() - (f.finishedAt ?? 0) < LINGER_MS);
    const joined = Boolean(f && !f.done) || lingering;
    if (!joined) this.start(plan);
    return new Subscription(this.flight!, joined, lingering);
  }

  private start(plan: GenerationPlan) {
    const flight = newFlight();
    this.flight = flight;
    const events = runGeneration(plan, {
      env: this.env,
      waitUntil: (p) => this.ctx.waitUntil(p),
      // Late joiners may only see what the cache itself would have stored (the one fold, in run.ts).
      onFinished: (cacheable) => (flight.succeeded = cacheable),
    });
    const pump = async () => {
      try {
        for await (const event of events) {
          if (event.type === 'meta') flight.meta = event;
          else {
            // A handed-over image is not kept for late joiners: its stored chunk (this event)
            // carries the same image. Readers past it already have it; the rest skip it.
            const last = flight.log.length - 1;
            if (event.type === 'chunk' && flight.log[last]?.type === 'image-ahead')
              flight.log[last] = { type: 'keepalive' };
            flight.log.push(event);
          }
          flight.wake();
        }
      } finally {
        flight.done = true;
        flight.finishedAt = Date.now();
        flight.wake();
        // Free the image data once nobody can join any more.
        setTimeout(() => {
          if (this.flight === flight) this.flight = undefined;
        }, LINGER_MS);
      }
    };
    this.ctx.waitUntil(pump());
  }
}

function newFlight(): Flight {
  const flight = { log: [], done: false, succeeded: false } as unknown as Flight;
  const arm = () => {
    flight.changed = new Promise<void>((resolve) => {
      flight.wake = () => {
        arm();
        resolve();
      };
    });
  };
  arm();
  return flight;
}

/** The events of a subscription as a stream; cancelling it lets the subscription go. */
export function subscriptionEvents(sub: Pick<Subscription, 'read' | 'cancel'>): ReadableStream<GenEvent> {
  // An RPC stub holds the Durable Object's side until it is disposed.
  const disposeKey = (Symbol as unknown as { dispose?: symbol }).dispose;
  const dispose = () => disposeKey && (sub as unknown as Record<symbol, (() => void) | undefined>)[disposeKey]?.();
  return new ReadableStream<GenEvent>({
    async pull(c) {
      let batch: GenEvent[];
      try {
        batch = await sub.read();
      } catch (err) {
        dispose();
        throw err;
      }
      if (!batch.length) {
        dispose();
        return c.close();
      }
      for (const e of batch) c.enqueue(e);
    },
    async cancel() {
      try {
        await sub.cancel();
      } catch {}
      dispose();
    },
  });
}
