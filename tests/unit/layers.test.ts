// Dependencies point one way: a module may import from its own layer or any layer below it,
// never from one above. The order is ../shared/DESIGN.md's (top to bottom), with the folders it
// does not name placed where they sit (README "How it works"). worker/env.ts and the generated
// worker-configuration.d.ts only declare the bindings' types and may be imported from anywhere.
/// <reference types="vite/client" />
import { describe, expect, it } from 'vitest';

const LAYERS: string[][] = [
  ['index.ts'],
  ['routes', 'middleware', 'openapi'],
  ['answer'],
  ['generation'],
  ['cache'],
  ['stream'],
  ['providers'],
  ['access'],
  ['storage', 'images'],
  // Logs, stats and usage: every layer may log; they import only lib/ and shared/.
  ['observability'],
  ['lib'],
  ['shared'],
];

const sources = import.meta.glob(['../../worker/**/*.ts', '../../shared/**/*.ts'], {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>;

/** `worker/generation/run.ts` -> its layer's index (shared/ is the last). */
function layerOf(path: string): number {
  const rel = path.replace(/^(\.\.\/)+/, '');
  const top = rel.startsWith('shared/') ? 'shared' : rel.slice('worker/'.length).split('/')[0];
  const i = LAYERS.findIndex((l) => l.includes(top));
  if (i < 0) throw new Error(`${rel} is in no layer: add its folder to LAYERS (and to the README)`);
  return i;
}

function resolve(from: string, spec: string): string {
  const parts = from.split('/').slice(0, -1);
  for (const p of spec.split('/')) {
    if (p === '..') parts.pop();
    else if (p !== '.') parts.push(p);
  }
  return parts.join('/');
}

export function wrongWayImports(files: Record<string, string>): string[] {
  const wrong: string[] = [];
  for (const [path, text] of Object.entries(files)) {
    if (path.endsWith('/worker/env.ts') || path.endsWith('.d.ts')) continue;
    const mine = layerOf(path);
    for (const m of text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'/gm)) {
      const target = resolve(path, m[1]);
      if (target.endsWith('/worker/env') || target.endsWith('.json')) continue;
      const theirs = layerOf(target);
      if (theirs < mine)
        wrong.push(
          `${path.replace(/^(\.\.\/)+/, '')} imports ${m[1]} (${LAYERS[theirs].join('/')} is above ${LAYERS[mine].join('/')})`,
        );
    }
  }
  return wrong;
}

describe('layers', () => {
  it('finds the sources (the glob is not empty)', () => {
    expect(Object.keys(sources).length).toBeGreaterThan(50);
  });

  it('has no import from a higher layer into a lower one', () => {
    expect(wrongWayImports(sources)).toEqual([]);
  });

  it('would catch one', () => {
    const fake = { '../../worker/cache/policy.ts': "import type { CacheMode } from '../generation/plan';\n" };
    expect(wrongWayImports(fake)).toEqual([
      'worker/cache/policy.ts imports ../generation/plan (generation is above cache)',
    ]);
  });
});
