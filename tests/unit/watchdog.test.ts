// The watchdog alone: silence (no byte) and no progress (bytes but no chunk) each end the stream
// once with a 504 event; life and progress keep it going; stop() silences it.
import { describe, expect, it } from 'vitest';
import type { GenEvent } from '../../worker/stream/events';
import { createWatchdog, seconds } from '../../worker/stream/watchdog';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const messageOf = (e: GenEvent) => (e.type === 'error' ? e.error.error.message : '');

describe('watchdog', () => {
  it('fires once with a 504 when the upstream sends nothing for idleMs', async () => {
    const stalls: GenEvent[] = [];
    createWatchdog(40, 10_000, (e) => stalls.push(e));
    await wait(150);
    expect(stalls).toHaveLength(1);
    expect(stalls[0]).toMatchObject({
      type: 'error',
      error: { status: 504, error: { code: 'upstream_timeout', type: 'timeout_error' } },
    });
    expect(messageOf(stalls[0])).toBe('The upstream sent nothing for 0.0 s.');
  });

  it('counts bytes as life but only chunks as progress', async () => {
    const stalls: GenEvent[] = [];
    const dog = createWatchdog(60, 120, (e) => stalls.push(e));
    const beat = setInterval(() => dog.life(), 10);
    await wait(250);
    clearInterval(beat);
    dog.stop();
    expect(stalls.map(messageOf)).toEqual(['The upstream made no progress for 0.1 s.']);
  });

  it('stays quiet while chunks arrive, and after stop()', async () => {
    const stalls: GenEvent[] = [];
    const dog = createWatchdog(40, 40, (e) => stalls.push(e));
    const beat = setInterval(() => dog.progress(), 10);
    await wait(120);
    clearInterval(beat);
    dog.stop();
    await wait(100);
    expect(stalls).toEqual([]);
  });

  it('says durations as people read them', () => {
    expect(seconds(1500)).toBe('1.5 s');
    expect(seconds(150_000)).toBe('150 s');
  });
});
