// The isolate's byte budget alone: within it everyone is let in at once; past it newcomers wait
// until bytes come back, the oldest holder always gets through (no deadlock, even for a line
// longer than the budget), waits are soft, and a holder that went quiet is forgotten.
import { describe, expect, it } from 'vitest';
import { ByteBudget } from '../../worker/lib/byte-budget';

const MiB = 1024 * 1024;
const tick = () => new Promise((r) => setTimeout(r, 5));
/** Whether p settled within a few turns of the event loop. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(() => (done = true));
  for (let i = 0; i < 3; i++) await tick();
  return done;
}

describe('ByteBudget', () => {
  it('lets everyone in while the total fits, and counts what each holds', async () => {
    const budget = new ByteBudget(10 * MiB, { maxWaitMs: 10_000, idleMs: 60_000 });
    const [a, b] = [budget.holder(), budget.holder()];
    await a.take(4 * MiB);
    await b.take(6 * MiB);
    expect([a.held, b.held, budget.inUse]).toEqual([4 * MiB, 6 * MiB, 10 * MiB]);
    a.release();
    expect([a.held, budget.inUse]).toEqual([0, 6 * MiB]);
  });

  it('makes a newcomer wait past the total until a holder gives its bytes back', async () => {
    const budget = new ByteBudget(10 * MiB, { maxWaitMs: 10_000, idleMs: 60_000 });
    const [a, b] = [budget.holder(), budget.holder()];
    await a.take(8 * MiB);
    const waiting = b.take(4 * MiB);
    expect(await settled(waiting)).toBe(false);
    expect(b.held).toBe(0);
    a.release();
    expect(await settled(waiting)).toBe(true);
    expect([b.held, budget.inUse]).toEqual([4 * MiB, 4 * MiB]);
  });

  it('always lets the oldest holder grow, past the total and past waiters, so it can finish', async () => {
    const budget = new ByteBudget(10 * MiB, { maxWaitMs: 10_000, idleMs: 60_000 });
    const [a, b, c] = [budget.holder(), budget.holder(), budget.holder()];
    await a.take(6 * MiB);
    await b.take(4 * MiB);
    const cWaits = c.take(MiB);
    const bWaits = b.take(MiB); // not the oldest: waits
    expect(await settled(a.take(20 * MiB))).toBe(true); // a line longer than the whole budget
    expect(await settled(bWaits)).toBe(false);
    a.release();
    // b (a holder, now the oldest) and c both fit again once a's bytes are back.
    expect(await settled(Promise.all([bWaits, cWaits]))).toBe(true);
    expect(budget.inUse).toBe(6 * MiB);
  });

  it('grants a wait that took longer than maxWaitMs anyway (soft), and lets a released waiter go empty-handed', async () => {
    const budget = new ByteBudget(MiB, { maxWaitMs: 30, idleMs: 60_000 });
    const [a, b, c] = [budget.holder(), budget.holder(), budget.holder()];
    await a.take(MiB);
    const late = b.take(MiB);
    const given = c.take(MiB);
    c.release();
    expect(await settled(given)).toBe(true);
    expect(c.held).toBe(0);
    await new Promise((r) => setTimeout(r, 60));
    expect(await settled(late)).toBe(true);
    expect([b.held, budget.inUse]).toEqual([MiB, 2 * MiB]);
  });

  it('forgets a holder that took nothing for idleMs (a request torn down before it gave back)', async () => {
    let now = 0;
    const budget = new ByteBudget(MiB, { maxWaitMs: 10_000, idleMs: 1000, now: () => now });
    const [gone, next] = [budget.holder(), budget.holder()];
    await gone.take(MiB);
    now = 999;
    expect(await settled(next.take(MiB))).toBe(false);
    now = 2000;
    expect(await settled(next.take(1))).toBe(true); // the next take looks for idle holders first
    expect(gone.held).toBe(0);
  });
});
