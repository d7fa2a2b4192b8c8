// A runtime on a fresh test setup, for tests that read or plant Redis state without workers: the
// returned opener gives one out, and the afterEach it registers closes it, deletes its keys and
// removes its temp dir.

import { afterEach } from 'vitest';
import { openRuntime, type Runtime } from '@pypi-watch/core';
import { captureLogs, type CapturedLogs } from './log-capture.js';
import { createTestSetup, removeTestSetup, type TestSetup } from './test-config.js';

export interface TestRuntime {
  readonly setup: TestSetup;
  readonly runtime: Runtime;
  readonly logs: CapturedLogs;
}

/** Opens a runtime over `createTestSetup(overrides, env)`; it is closed after the test. */
export type OpenTestRuntime = (...args: Parameters<typeof createTestSetup>) => Promise<TestRuntime>;

/**
 * Registers the afterEach (call it at the top of a test file) and returns the opener. Test files that
 * also start workers register their own afterEach after this one: vitest runs after-hooks last in
 * first out, so the workers stop before the runtime closes.
 */
export function runtimeAfterEach(): OpenTestRuntime {
  const opened: TestRuntime[] = [];
  afterEach(async () => {
    for (const { setup, runtime } of opened.splice(0).reverse()) {
      await runtime.close();
      await removeTestSetup(setup);
    }
  });
  return async (...args) => {
    const setup = await createTestSetup(...args);
    const logs = captureLogs();
    let runtime: Runtime;
    try {
      runtime = await openRuntime({ config: setup.config, logger: logs.logger });
    } catch (error) {
      await setup.remove();
      throw error;
    }
    const testRuntime = { setup, runtime, logs };
    opened.push(testRuntime);
    return testRuntime;
  };
}
