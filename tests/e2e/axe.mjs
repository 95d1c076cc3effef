// axe-core (pinned in package.json) against a page or frame: WCAG 2.0 and 2.1, levels A and AA.
// Injected through the DevTools protocol (page.evaluate), which a page's CSP does not block, and
// run over the whole document, open shadow roots included (the widget's).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** Waits for finite animations and transitions (a fading element would measure half its contrast). */
export async function settle(target) {
  await target.evaluate(async () => {
    const finite = document
      .getAnimations({ subtree: true })
      .filter((a) => a.effect?.getComputedTiming().endTime !== Infinity);
    await Promise.all(finite.map((a) => a.finished.catch(() => {})));
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  });
}

/** The violations axe finds, as readable lines (empty when the page passes). */
export async function axeViolations(target) {
  await settle(target);
  if (!(await target.evaluate(() => typeof window.axe === 'object'))) await target.evaluate(AXE_SOURCE);
  const violations = await target.evaluate(
    (tags) =>
      window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }).then((r) =>
        r.violations.map((v) => ({
          id: v.id,
          impact: v.impact,
          help: v.help,
          nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
        })),
      ),
    WCAG_TAGS,
  );
  return violations.flatMap((v) =>
    v.nodes.map((n) => `${v.id} (${v.impact}) ${n.target}: ${n.summary?.replace(/\s+/g, ' ')}`),
  );
}

/** Fails with every violation listed, naming the page and state. */
export async function assertAccessible(target, where) {
  const found = await axeViolations(target);
  assert.equal(found.length, 0, `${where}: ${found.length} axe violation(s):\n          ${found.join('\n          ')}`);
}
