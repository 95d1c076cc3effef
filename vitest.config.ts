// Every test project of `npm test`:
//   worker  - inside workerd (real local KV, R2, Durable Objects), upstream = the fake upstream
//   demo    - inside workerd with no upstream configured: the built-in demo provider
//   node    - real client SDKs (openai, Vercel AI SDK) against `wrangler dev`
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

/** Settings shared by the workerd projects: short timeouts so fault tests run fast. */
const testVars = {
  DARKROOM_ENV: 'development',
  UPSTREAM_API_KEY: 'sk-upstream-secret-test-0123456789',
  ADMIN_TOKEN: 'admin-test-token-0123456789',
  FIRST_BYTE_TIMEOUT_MS: '3000',
  IDLE_TIMEOUT_MS: '1500',
  PROGRESS_TIMEOUT_MS: '4000',
  RETRY_BASE_MS: '10',
  RETRY_MAX_TOTAL_MS: '5000',
  KEEPALIVE_MS: '15000',
  DEMO_DELAY_MS: '0',
  RATE_LIMIT_WINDOW_S: '60',
  // The auth tests try many wrong admin tokens from one address (the test's own limit test reads this).
  ADMIN_AUTH_FAILURES: '50',
};

/** The console's D1 schema, applied by tests/fixtures/apply-migrations.ts in each test file. */
const migrations = await readD1Migrations('./migrations');

export default defineConfig({
  test: {
    // Log lines of passing tests are noise; a failing test's own output is still shown. (A root
    // option: set per project it was ignored.)
    silent: 'passed-only',
    projects: [
      {
        plugins: [
          cloudflareTest(({ inject }) => {
            const up = `http://127.0.0.1:${inject('fakeUpstreamPort')}`;
            return {
              wrangler: { configPath: './wrangler.toml' },
              miniflare: {
                bindings: {
                  ...testVars,
                  UPSTREAM_BASE_URL: `${up}/v1`,
                  UPSTREAM_FALLBACKS: `${up}/fallback/v1`,
                  FAKE_UPSTREAM: up,
                  TEST_MIGRATIONS: migrations,
                },
              },
            };
          }),
        ],
        test: {
          name: 'worker',
          include: ['tests/unit/**/*.test.ts', 'tests/worker/**/*.test.ts'],
          globalSetup: ['tests/fixtures/global-setup.ts'],
          setupFiles: ['tests/fixtures/apply-migrations.ts'],
          testTimeout: 30_000,
        },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: { bindings: { ...testVars, TEST_MIGRATIONS: migrations } },
          }),
        ],
        test: {
          name: 'demo',
          include: ['tests/demo/**/*.test.ts'],
          setupFiles: ['tests/fixtures/apply-migrations.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'node',
          include: ['tests/node/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['tests/node/setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
