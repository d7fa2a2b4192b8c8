import { defineConfig } from 'vitest/config';

// Tests read the TypeScript sources, never a build: `@pypi-watch/*` imports take each package's
// `@pypi-watch/source` export (src/*.ts) before `default` (dist/*.js), so a stale dist/ cannot pass or fail a test.
const SOURCE_CONDITIONS = ['@pypi-watch/source', 'module', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions: SOURCE_CONDITIONS },
  ssr: { resolve: { conditions: SOURCE_CONDITIONS } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/*.chaos.test.ts'],
    // One redis-server for the whole run, on a free loopback port; each test uses its own key prefix.
    globalSetup: ['packages/test-utils/src/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
