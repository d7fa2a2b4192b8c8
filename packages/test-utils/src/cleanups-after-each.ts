// One list of cleanups per test file in place of each file's own `cleanups` array and afterEach: what a
// test starts (a receiver, a harness, a temp dir) is deferred as it is made and undone after the test,
// last in first out, whether the test passed or not.

import { afterEach } from 'vitest';

/** Adds a cleanup to run after the current test. */
export type Defer = (cleanup: () => unknown) => void;

/** Registers the afterEach (call it at the top of a test file) and returns the `defer` that feeds it. */
export function cleanupsAfterEach(): Defer {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return (cleanup) => void cleanups.push(cleanup);
}
