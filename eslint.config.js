// `npm run lint`: ESLint's, typescript-eslint's and eslint-plugin-svelte's recommended rules, and
// no stylistic rules (Prettier owns layout: `npm run format`). Not type-aware, so it stays fast.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';

export default defineConfig(
  {
    ignores: [
      'dist/',
      '.wrangler/',
      'node_modules/',
      'test-results/',
      'bench/results/',
      '**/worker-configuration.d.ts',
    ],
  },
  js.configs.recommended,
  ts.configs.recommended,
  svelte.configs.recommended,
  svelte.configs.prettier,
  {
    rules: {
      // `_name` marks a parameter or binding that is deliberately unused (a signature to keep).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // `catch {}` is the house idiom for best-effort cleanup (a process already gone, a stream
      // already closed); other empty blocks are still errors.
      'no-empty': ['error', { allowEmptyCatch: true }],
      // A variable a closure reads before its one assignment (set after `await next()`) cannot be const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // `declare global { namespace Cloudflare { interface Env ... } }` adds to wrangler's generated Env.
      '@typescript-eslint/no-namespace': ['error', { allowDeclarations: true }],
    },
  },
  // Tests read answers of unknown shape as `any` and assert on them field by field.
  { files: ['tests/**'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  // Node: the scripts, the benchmark, the tests' harness and the build configs.
  { files: ['scripts/**', 'bench/**', 'tests/**', '*.js', '*.ts'], languageOptions: { globals: globals.node } },
  // The site and the browser tests' page scripts (page.evaluate callbacks) run in browsers.
  { files: ['web/**', 'tests/e2e/**'], languageOptions: { globals: globals.browser } },
  // Svelte components: TypeScript inside <script lang="ts">; `let { a } = $props()` is Svelte's
  // idiom, which svelte/prefer-const knows and the core rule does not.
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: ts.parser } },
    rules: { 'prefer-const': 'off', 'svelte/prefer-const': ['error', { ignoreReadBeforeAssign: true }] },
  },
  // Workers: fetch, Request, caches, ... (the worker's TypeScript is checked by tsc; this covers plain JS).
  { files: ['bench/floor/src/**'], languageOptions: { globals: globals.serviceworker } },
);
