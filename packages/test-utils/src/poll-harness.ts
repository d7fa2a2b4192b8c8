// A poller on the test Redis against a FakePypi, with no workers: queued jobs stay countable.

import { readdir } from 'node:fs/promises';
import { createPoller, openRuntime, type Runtime } from '@pypi-watch/core';
import { FakePypi } from './fake-pypi.js';
import { captureLogs, type CapturedLogs } from './log-capture.js';
import { createTestSetup, type TestSetup } from './test-config.js';
import { connectTestRedis, deleteKeysWithPrefix } from './test-redis.js';

/** What createPoller gives (core keeps the interface's name internal). */
export type Poller = Awaited<ReturnType<typeof createPoller>>;

export interface PollHarness {
  readonly pypi: FakePypi;
  readonly setup: TestSetup;
  readonly runtime: Runtime;
  readonly poller: Poller;
  readonly logs: CapturedLogs;
  /** Submit jobs not yet run, by id. */
  pendingJobIds(): Promise<string[]>;
  updateLists(): Promise<string[]>;
  close(): Promise<void>;
}

export async function createPollHarness(type: 'changelog' | 'rss', overrides: Record<string, unknown> = {}): Promise<PollHarness> {
  const pypi = new FakePypi();
  const baseUrl = await pypi.start();
  const { source, ...rest } = overrides as { source?: Record<string, unknown> };
  const setup = await createTestSetup({ source: { type, baseUrl, pagePause: 0, ...source }, ...rest });
  const logs = captureLogs();
  const runtime = await openRuntime({ config: setup.config, logger: logs.logger });
  const poller = await createPoller({ config: setup.config, redis: runtime.redis, queues: runtime.queues, logger: logs.logger });
  return {
    pypi,
    setup,
    runtime,
    poller,
    logs,
    pendingJobIds: () => runtime.queues.submit.getRanges(['waiting', 'delayed', 'prioritized'], 0, -1),
    updateLists: async () => (await readdir(setup.config.paths.updateListDir).catch(() => [])).sort(),
    close: async () => {
      const redis = connectTestRedis();
      await deleteKeysWithPrefix(redis, setup.prefix);
      redis.disconnect();
      await runtime.close();
      await pypi.stop();
      await setup.remove();
    },
  };
}
