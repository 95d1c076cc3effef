// The site build: web/ -> dist/web (served by the Worker as static assets).
// Pages: / (playground) and share.html (the template the Worker fills in for /s/:id).
// The widget (dist/web/widget.js) is built separately by scripts/build-widget.mjs.
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';

const web = fileURLToPath(new URL('./web', import.meta.url));

export default defineConfig({
  root: web,
  publicDir: `${web}/public`,
  plugins: [svelte({ configFile: false })],
  build: {
    outDir: fileURLToPath(new URL('./dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: {
      input: {
        index: `${web}/index.html`,
        share: `${web}/share.html`,
      },
    },
  },
  server: {
    // `vite` alone serves the UI; the API is `npm start` (wrangler dev).
    proxy: { '/v1': 'http://localhost:8787', '/i': 'http://localhost:8787', '/s': 'http://localhost:8787' },
  },
});
