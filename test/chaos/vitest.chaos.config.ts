// The crash suite: long, process-killing tests kept out of `pnpm test`. Run with
// `pnpm test:chaos` (vitest run --config test/chaos/vitest.chaos.config.ts) from the repository root.

import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// `@pypi-watch/*` imports read the TypeScript sources (each package's `@pypi-watch/source` export), never dist/.
const SOURCE_CONDITIONS = ['@pypi-watch/source', 'module', 'node', 'development|production'];

export default defineConfig({
  root: repoRoot,
  resolve: { conditions: SOURCE_CONDITIONS },
  ssr: { resolve: { conditions: SOURCE_CONDITIONS } },
  test: {
    include: ['test/chaos/**/*.chaos.test.ts'],
    // The shared test redis-server (never 6379); the crash tests also start their own, to restart it.
    globalSetup: [resolve(repoRoot, 'packages/test-utils/src/global-setup.ts')],
    testTimeout: 300_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One crash test at a time: they measure wall time and kill processes on a 2-core machine.
    fileParallelism: false,
  },
});
