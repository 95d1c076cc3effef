// Bindings the tests see: the Worker's (Cloudflare.Env: wrangler.toml through `npm run types`,
// plus the settings in worker/env.ts) and the test-only vars of vitest.config.ts.
import '../worker/env';

declare global {
  namespace Cloudflare {
    interface Env {
      FAKE_UPSTREAM: string;
      TEST_MIGRATIONS: import('cloudflare:test').D1Migration[];
    }
  }
}
