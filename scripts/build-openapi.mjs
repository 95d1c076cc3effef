#!/usr/bin/env node
// Generates worker/openapi/openapi.json from the zod schemas that validate requests
// (shared/schemas.ts) via worker/openapi/document.ts. Done at build time so the Worker bundle
// carries the document, not the generator (zod-to-openapi would add ~15 KB gzipped);
// tests/worker/docs.test.ts fails if the committed file differs from a fresh generation.
//   node scripts/build-openapi.mjs          write the file
//   node scripts/build-openapi.mjs --check  exit 1 if it is stale
import { build } from 'esbuild';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const target = 'worker/openapi/openapi.json';
const dir = mkdtempSync(join(tmpdir(), 'darkroom-openapi-'));
try {
  const outfile = join(dir, 'document.mjs');
  await build({
    entryPoints: ['worker/openapi/document.ts'],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    outfile,
    logLevel: 'error',
  });
  const { openApiDocument } = await import(pathToFileURL(outfile).href);
  const json = `${JSON.stringify(openApiDocument(), null, 2)}\n`;
  if (process.argv.includes('--check')) {
    const current = readFileSync(target, 'utf8');
    if (current !== json) {
      console.error(`${target} is stale: run node scripts/build-openapi.mjs`);
      process.exit(1);
    }
  } else {
    writeFileSync(target, json);
    console.log(`${target}: ${json.length} bytes`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
