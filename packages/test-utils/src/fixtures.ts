// vitest fixtures (test.extend) for what tests set up and must tear down, in place of per-file
// `const cleanups = []; afterEach(...)` arrays. A fixture is built only when a test names it, and
// removed after that test whether it passed or not:
//
//   import { test } from '@pypi-watch/test-utils/fixtures';
//   test('…', async ({ pypi, makeCli }) => {
//     const setup = await makeCli({ source: { type: 'changelog', baseUrl: pypi.baseUrl } });
//   });

import type { Redis } from 'ioredis';
import { test as base } from 'vitest';
import { createCliSetup, type CliSetup } from './cli-setup.js';
import { FakePypi } from './fake-pypi.js';
import { createTestSetup, removeTestSetup, type TestSetup } from './test-config.js';
import { connectTestRedis } from './test-redis.js';

export interface TestFixtures {
  /** A connection to the run's redis-server; disconnected after the test. */
  readonly redis: Redis;
  /** A started fake PyPI (`pypi.baseUrl`); stopped after the test. */
  readonly pypi: FakePypi;
  /** A default config (temp dir, fresh key prefix, stand-in submit); the dir and its keys are removed after. */
  readonly setup: TestSetup;
  /** As `setup`, with config-file overrides (and the environment it is loaded with). */
  readonly makeSetup: (...args: Parameters<typeof createTestSetup>) => Promise<TestSetup>;
  /** A default CLI setup (config file, data dir, stand-in's record file); removed after the test. */
  readonly cli: CliSetup;
  /** As `cli`, with config-file keys. */
  readonly makeCli: (...args: Parameters<typeof createCliSetup>) => Promise<CliSetup>;
  /** Runs `cleanup` after the test, after those deferred later (last in, first out). */
  readonly defer: (cleanup: () => unknown) => void;
}

export const test = base.extend<TestFixtures>({
  // Declared first: the others' teardowns run before it, and a deferred cleanup can use them.
  defer: async ({}, use) => {
    const cleanups: Array<() => unknown> = [];
    await use((cleanup) => void cleanups.push(cleanup));
    for (const cleanup of cleanups.reverse()) await cleanup();
  },
  redis: async ({}, use) => {
    const redis = connectTestRedis();
    await use(redis);
    redis.disconnect();
  },
  pypi: async ({}, use) => {
    const pypi = new FakePypi();
    await pypi.start();
    await use(pypi);
    await pypi.stop();
  },
  makeSetup: async ({ defer }, use) => {
    await use(async (...args) => {
      const setup = await createTestSetup(...args);
      defer(() => removeTestSetup(setup));
      return setup;
    });
  },
  setup: async ({ makeSetup }, use) => {
    await use(await makeSetup());
  },
  makeCli: async ({ defer }, use) => {
    await use(async (...args) => {
      const setup = await createCliSetup(...args);
      defer(() => setup.remove());
      return setup;
    });
  },
  cli: async ({ makeCli }, use) => {
    await use(await makeCli());
  },
});
