// Scripting the fake upstream (tests/fixtures/fake-upstream.mjs) from the node project's tests.
import { expect, inject } from 'vitest';

/** Requests whose prompt contains `match` take these steps (the last one repeats). */
export async function scriptUpstream(match: string, steps: Record<string, unknown>[]) {
  const res = await fetch(`${inject('fakeUpstreamUrl')}/__script`, {
    method: 'POST',
    body: JSON.stringify({ match, steps }),
  });
  expect(res.status).toBe(200);
}
