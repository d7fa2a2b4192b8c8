// A submit whose worker died more than `submit.maxStalledCount` times is failed by BullMQ without
// running the processor: pypi-watch still writes its fail-list line, the metric and the decision.
// The job stalls for real (taken, its lock gone, found by BullMQ's stalled check), no message is faked.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'bullmq';
import { afterEach, describe, expect, test } from 'vitest';
import { queueBatch } from '../src/enqueue/queue-batch.js';
import { openRuntime, type Runtime } from '../src/runtime.js';
import { startWorkers, type WorkerSet } from '../src/workers/start-workers.js';
import { captureLogs, createTestSetup, type TestSetup, connectTestRedis, deleteKeysWithPrefix, waitFor } from '@pypi-watch/test-utils';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function open(): Promise<{ setup: TestSetup; runtime: Runtime }> {
  const setup = await createTestSetup({ submit: { maxStalledCount: 0 } });
  const runtime = await openRuntime({ config: setup.config, logger: captureLogs('warn').logger });
  cleanups.push(async () => {
    const redis = connectTestRedis();
    await deleteKeysWithPrefix(redis, setup.prefix);
    redis.disconnect();
    await runtime.close();
    await setup.remove();
  });
  return { setup, runtime };
}

describe('a submit that stalled out of its attempts', () => {
  test('gets its fail-list line, a failed-submit count and a final decision', async () => {
    const { runtime } = await open();
    const { stores, queues } = runtime;
    const batch = await queueBatch(
      { submitQueue: queues.submit, targets: stores.targets, batchLog: stores.batchLog, origin: 'enqueue', started: new Date() },
      [{ name: 'stall-pkg', normalized: 'stall-pkg', version: '1.0' }],
    );

    // A worker takes the job and dies: its lock runs out, and the stalled check that is due finds it.
    const doomed = new Worker('submit', null, { connection: runtime.redis, prefix: stores.keys.base, autorun: false });
    const job = await doomed.getNextJob('dead-worker-token');
    expect(job?.data).toMatchObject({ name: 'stall-pkg' });
    await doomed.close(true);
    const queueKey = queues.submit.toKey('');
    await runtime.redis.del(`${queueKey}${job.id}:lock`);
    await runtime.redis.sadd(`${queueKey}stalled`, job.id!);
    await runtime.redis.del(`${queueKey}stalled-check`);

    const workers: WorkerSet = await startWorkers(runtime, { queues: ['submit'] });
    cleanups.push(() => workers.close(5000));
    await waitFor(async () => (await queues.submit.getJobState(job.id!)) === 'failed', { what: 'the stalled job to fail' });

    const failList = join(runtime.config.paths.logDir, batch.batchId!, 'submit-fail-list');
    const line = await waitFor(async () => (await readFile(failList, 'utf8').catch(() => '')).trim() || undefined, {
      what: 'the fail-list line',
    });
    expect(line).toMatch(/^stall-pkg {2}the worker running it died 1 times \(submit\.maxStalledCount\)/);
    expect((await stores.metrics.snapshot()).submits.failed).toBe(1);
    const story = await stores.decisions.story('stall-pkg', '1.0');
    expect(story.at(-1)?.decision).toMatchObject({ kind: 'submit-failed', final: true });
  });
});
