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

export async function createWorkerHarness(
  overrides: Parameters<typeof createTestSetup>[0] = {},
  env: NodeJS.ProcessEnv = {},
  queues: readonly QueueName[] = ['submit'],
): Promise<WorkerHarness> {
  const setup = await createTestSetup(overrides, env);
  const recordFile = join(setup.dir, 'submit-calls.jsonl');
  process.env.STANDIN_SUBMIT_RECORD = recordFile;
  // Every level, so tests that grep the logs (for secrets, say) see all of them.
  const logs = captureLogs('trace');
  const runtime = await openRuntime({ config: setup.config, logger: logs.logger });
  const workers = await startWorkers(runtime, { queues });
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
      delete process.env.STANDIN_SUBMIT_RECORD;
    },
  };
}
