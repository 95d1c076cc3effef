#!/usr/bin/env node
// Builds dist/web/widget.js: <darkroom-widget>, a Svelte custom element in one classic script
// (IIFE, so `<script async>` works and document.currentScript names our origin).
// Prints its gzipped size and fails over the budget.
import { build } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const BUDGET_BYTES = 25 * 1024;
const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = `${root}dist/web`;

await build({
  configFile: false,
  root,
  logLevel: 'warn',
  publicDir: false,
  plugins: [svelte({ configFile: false, compilerOptions: { customElement: true } })],
  build: {
    outDir,
    emptyOutDir: false,
    // ES2022 (class fields, private methods: what Svelte 5 emits) is in every browser since 2022;
    // down-levelling them to ES2020 cost 1.2 KB gzipped of the 25 KB budget.
    target: 'es2022',
    minify: true,
    lib: {
      entry: `${root}web/src/widget/main.ts`,
      formats: ['iife'],
      name: 'DarkroomWidget',
      fileName: () => 'widget.js',
    },
  },
});

const bytes = readFileSync(`${outDir}/widget.js`);
const gz = gzipSync(bytes, { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log(`widget.js: ${kb(bytes.length)} raw, ${kb(gz)} gzipped (budget ${kb(BUDGET_BYTES)} gzipped)`);
if (gz > BUDGET_BYTES) {
  console.error(`widget.js is over its budget by ${kb(gz - BUDGET_BYTES)} gzipped`);
  process.exit(1);
}
