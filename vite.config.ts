// The site build: web/ -> dist/web (served by the Worker as static assets).
// Pages: / (playground), share.html (the template the Worker fills in for /s/:id) and
// admin/index.html (the console). The console's own code goes to dist/web/admin/assets/, which
// the Worker serves only to a signed-in browser (worker/routes/admin-page.ts).
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
        admin: `${web}/admin/index.html`,
      },
      output: {
        entryFileNames: (chunk) =>
          chunk.name === 'admin' ? 'admin/assets/[name]-[hash].js' : 'assets/[name]-[hash].js',
        assetFileNames: (asset) =>
          (asset.names ?? []).some((n) => n.startsWith('admin'))
            ? 'admin/assets/[name]-[hash][extname]'
            : 'assets/[name]-[hash][extname]',
      },
    },
  },
  server: {
    // `vite` alone serves the UI; the API is `npm start` (wrangler dev).
    proxy: { '/v1': 'http://localhost:8787', '/i': 'http://localhost:8787', '/s': 'http://localhost:8787' },
  },
});
