// The container test: builds both images and runs docker-compose.yml on podman, kept out of `pnpm test`.
// Run with `pnpm test:containers` from the repository root (docs/deployment.md, "Running the container test").

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
    include: ['test/containers/**/*.containers.test.ts'],
    // No host Redis: the stack brings its own, in a container.
    testTimeout: 600_000,
    hookTimeout: 1_800_000,
    pool: 'forks',
    fileParallelism: false,
    // The figures are printed from afterAll.
    silent: false,
  },
});
