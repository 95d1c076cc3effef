// Bindings the tests see (wrangler.toml plus the test vars in vitest.config.ts).
import type { Env as WorkerEnv } from '../worker/env';

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      FAKE_UPSTREAM: string;
      TEST_MIGRATIONS: import('cloudflare:test').D1Migration[];
    }
  }
}
