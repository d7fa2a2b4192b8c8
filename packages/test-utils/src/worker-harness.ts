// A runtime and real workers on the test Redis, with the stand-in `submit` recording its calls.

import { join } from 'node:path';
import { openRuntime, startWorkers, type QueueName, type Runtime, type WorkerSet } from '@pypi-watch/core';
import { captureLogs, type CapturedLogs } from './log-capture.js';
import { createTestSetup, type TestSetup } from './test-config.js';
import { connectTestRedis, deleteKeysWithPrefix } from './test-redis.js';

export interface WorkerHarness {
  readonly setup: TestSetup;
  readonly runtime: Runtime;
  readonly workers: WorkerSet;
  readonly logs: CapturedLogs;
  /** Where the stand-in records each call (STANDIN_SUBMIT_RECORD). */
  readonly recordFile: string;
  close(): Promise<void>;
}

export interface WorkerHarnessOptions {
  /** The environment the config is loaded with (AI_API_KEY, …). @defaultValue `{}` */
  readonly env?: NodeJS.ProcessEnv;
  /** @defaultValue `['submit']` */
  readonly queues?: readonly QueueName[];
  /**
   * The stand-in's settings (STANDIN_SUBMIT_MODE, …; see its header), added to submit's environment
   * through startWorkers' `submitEnv`: the test process's own environment is left alone.
   */
  readonly submitEnv?: Readonly<Record<string, string>>;
}

export async function createWorkerHarness(
  overrides: Parameters<typeof createTestSetup>[0] = {},
  options: WorkerHarnessOptions = {},
): Promise<WorkerHarness> {
  const setup = await createTestSetup(overrides, options.env ?? {});
  const recordFile = join(setup.dir, 'submit-calls.jsonl');
  // Every level, so tests that grep the logs (for secrets, say) see all of them.
  const logs = captureLogs('trace');
  const runtime = await openRuntime({ config: setup.config, logger: logs.logger });
  const workers = await startWorkers(runtime, {
    queues: options.queues ?? ['submit'],
    submitEnv: { STANDIN_SUBMIT_RECORD: recordFile, ...options.submitEnv },
    // Webhook URLs and secrets named by notify.webhooks[].urlEnv come from the same environment.
    notifyEnv: options.env ?? {},
  });
  return {
    setup,
    runtime,
    workers,
    logs,
    recordFile,
    close: async () => {
      await workers.close(5000);
      const redis = connectTestRedis();
      await deleteKeysWithPrefix(redis, setup.prefix);
      redis.disconnect();
      await runtime.close();
      await setup.remove();
    },
  };
}
