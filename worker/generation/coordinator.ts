// Coalescing across isolates: one Durable Object per cache key runs the generation once and fans
// its events out to every request that asks meanwhile, each on its own stream (never one body
// read twice). It reads the upstream to the end even when every client has gone, so the entry
// still lands in the cache. Late joiners get the events so far, then the live ones.
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';
import { entryFrom } from '../cache/entry';
import { addEvent, emptyCollected } from '../stream/collect';
import type { GenEvent } from '../stream/events';
import { encodeEvent } from './event-codec';
import type { GenerationPlan } from './plan';
import { runGeneration } from './run';

interface Subscriber {
  controller: ReadableStreamDefaultController<Uint8Array>;
  joined: boolean;
}

interface Flight {
  log: Uint8Array[];
  meta?: Extract<GenEvent, { type: 'meta' }>;
  subscribers: Set<Subscriber>;
  done: boolean;
  /** True when it ended with [DONE] after a normal finish: only then may it answer late joiners. */
  succeeded: boolean;
  finishedAt?: number;
}

/** How long a finished generation still answers joiners while its cache write settles. */
const LINGER_MS = 30_000;

export class GenerationCoordinator extends DurableObject<Env> {
  private flight?: Flight;

  async join(plan: GenerationPlan): Promise<ReadableStream<Uint8Array>> {
    const f = this.flight;
    const lingering = Boolean(f?.done && f.succeeded && plan.readCache && Date.now() - (f.finishedAt ?? 0) < LINGER_MS);
    const joined = Boolean(f && !f.done) || lingering;
    if (!joined) this.start(plan);
    const flight = this.flight!;
    let me: Subscriber;
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        me = { controller, joined };
        // A finished generation still in memory is a cache hit in all but storage.
        if (flight.meta) controller.enqueue(lingering ? encodeHit(flight) : encodeMeta(flight.meta, joined));
        for (const bytes of flight.log) controller.enqueue(bytes);
        if (flight.done) controller.close();
        else flight.subscribers.add(me);
      },
      cancel: () => {
        flight.subscribers.delete(me);
      },
    });
  }

  private start(plan: GenerationPlan) {
    const flight: Flight = { log: [], subscribers: new Set(), done: false, succeeded: false };
    this.flight = flight;
    const acc = emptyCollected();
    const events = runGeneration(plan, { env: this.env, waitUntil: (p) => this.ctx.waitUntil(p) });
    const pump = async () => {
      try {
        for await (const event of events) {
          if (event.type === 'meta') {
            flight.meta = event;
            for (const s of flight.subscribers) s.controller.enqueue(encodeMeta(event, s.joined));
            continue;
          }
          // Previews go to whoever is listening now; late joiners never need old ones.
          if (event.type === 'partial') {
            const bytes = encodeEvent(event);
            for (const s of flight.subscribers) safeEnqueue(s, bytes, flight);
            continue;
          }
          addEvent(acc, event, false);
          // Late joiners may only see what the cache itself would have stored.
          if (event.type === 'end') flight.succeeded = entryFrom(acc, '', '') !== null;
          const bytes = encodeEvent(event);
          flight.log.push(bytes);
          for (const s of flight.subscribers) safeEnqueue(s, bytes, flight);
        }
      } finally {
        flight.done = true;
        flight.finishedAt = Date.now();
        for (const s of flight.subscribers) {
          try {
            s.controller.close();
          } catch {}
        }
        flight.subscribers.clear();
        // Free the image bytes once nobody can join any more.
        setTimeout(() => {
          if (this.flight === flight) this.flight = undefined;
        }, LINGER_MS);
      }
    };
    this.ctx.waitUntil(pump());
  }
}

function encodeMeta(event: Extract<GenEvent, { type: 'meta' }>, joined: boolean): Uint8Array {
  return encodeEvent({ type: 'meta', meta: { ...event.meta, ...(joined ? { joined: true } : {}) } });
}

function encodeHit(flight: Flight): Uint8Array {
  const age = Math.round((Date.now() - (flight.finishedAt ?? Date.now())) / 1000);
  return encodeEvent({ type: 'meta', meta: { ...flight.meta!.meta, cache: 'HIT', age, joined: true } });
}

function safeEnqueue(s: Subscriber, bytes: Uint8Array, flight: Flight) {
  try {
    s.controller.enqueue(bytes);
  } catch {
    flight.subscribers.delete(s);
  }
}
