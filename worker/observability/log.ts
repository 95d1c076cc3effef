// One structured JSON line per request and per notable event. Never prompts, never keys (the
// scrubber runs over every line).
// LOG_LEVEL=warn keeps only warnings and errors: under `wrangler dev` every console.log travels
// through the inspector to wrangler's Node process, which measured at a third of the isolate's
// CPU per cache hit (bench/profile.mjs), so benchmarks run with the same level as wrangler.

import { scrubText } from '../lib/secrets';

const LEVELS = { debug: 0, info: 1, warn: 2, error: 3 } as const;
type Level = keyof typeof LEVELS;
let threshold: number = LEVELS.info;

/** Set per request from the LOG_LEVEL variable (default info). */
export function configureLogging(level: unknown): void {
  threshold = LEVELS[(typeof level === 'string' ? level.toLowerCase() : 'info') as Level] ?? LEVELS.info;
}

export function logLine(fields: Record<string, unknown>): void {
  const level = LEVELS[(fields.level as Level) ?? 'info'] ?? LEVELS.info;
  if (level < threshold) return;
  // Every configured secret is scrubbed from the line, whatever field carried it.
  const line = scrubText(JSON.stringify({ t: new Date().toISOString(), ...fields }));
  if (level >= LEVELS.error) console.error(line);
  else if (level >= LEVELS.warn) console.warn(line);
  else console.log(line);
}
