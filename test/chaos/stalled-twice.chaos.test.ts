// A release whose submit is caught in two worker crashes in a row must still end up built or in the
// fail list. BullMQ fails a job that stalls more than `maxStalledCount` times (default 1) without
// running the processor, so nothing writes the batch log unless pypi-watch handles that case.
//
// The clock is fast-forwarded instead of waited for: after each SIGKILL the test does what 30 s of
// BullMQ time would do (the job lock expires; the periodic stalled check marks the active job and is
// due again), and the next worker process runs that check as it starts.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, test } from 'vitest';
import { spawnCli, createCliSetup, readSubmitCalls, waitFor } from '@pypi-watch/test-utils';
import {
  BatchLog,
  batchIdFor,
  bullPrefix,
  connectRedis,
  createQueues,
  enqueueSubmits,
  loadConfig,
  submitJobId,
  targetId,
} from '../../packages/core/src/index.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

describe('crash suite', () => {
  test('a submit caught in two worker crashes is still built, or listed in submit-fail-list', async () => {
    const setup = await createCliSetup({ submit: { concurrency: 1, attempts: 5 } });
    cleanups.push(() => setup.remove());
    // Long enough to SIGKILL the worker mid-submit, short enough that the orphaned submits end soon.
    const env = { ...setup.env, STANDIN_SUBMIT_DELAY_MS: '4000' };
    const config = loadConfig({ file: setup.configFile, env: {} });
    const redis = await connectRedis({ url: inject('redisUrl'), connectionName: 'chaos-test' });
    const queues = createQueues(redis, config);
    cleanups.push(async () => {
      await queues.close();
      redis.disconnect();
    });

    const name = 'twice-crashed';
    const target = config.submit.targets[0] ?? {};
    const batchId = batchIdFor(new Date());
    await new BatchLog({ logDir: config.paths.logDir }).create(batchId);
    await enqueueSubmits({
      queue: queues.submit,
      releases: [{ name, normalized: name, version: '1.0' }],
      targets: [target],
      batchId,
      origin: 'enqueue',
    });
    const jobId = submitJobId(name, '1.0', targetId(target), batchId);
    const queueKey = `${bullPrefix(setup.prefix)}:submit`;

    const workers: Array<ReturnType<typeof spawnCli>> = [];
    cleanups.push(async () => {
      for (const worker of workers) if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
    });
    const startWorker = () => {
      const worker = spawnCli(['worker', '--queues', 'submit', '--config', setup.configFile], { env });
      workers.push(worker);
      return worker;
    };

    for (let crash = 1; crash <= 2; crash++) {
      const worker = startWorker();
      await waitFor(async () => (await readSubmitCalls(setup.recordFile)).length >= crash, {
        timeoutMs: 30_000,
        what: `submit call ${crash}`,
      });
      expect(await queues.submit.getJobState(jobId)).toBe('active');
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.kill('SIGKILL');
      await exited;
      // Fast-forward: the lock runs out (lockDuration), a stalled check marks the still-active job,
      // and the next check is due (stalledInterval).
      await redis.del(`${queueKey}:${jobId}:lock`);
      await redis.sadd(`${queueKey}:stalled`, jobId);
      await redis.del(`${queueKey}:stalled-check`);
    }

    const survivor = startWorker();
    await waitFor(async () => ['completed', 'failed'].includes(await queues.submit.getJobState(jobId)), {
      timeoutMs: 30_000,
      what: 'the twice-crashed job to settle',
    });
    const job = await queues.submit.getJob(jobId);
    const state = await queues.submit.getJobState(jobId);
    const batchDir = join(config.paths.logDir, batchId);
    const failList = await readFile(join(batchDir, 'submit-fail-list'), 'utf8').catch(() => '');
    const succList = await readFile(join(batchDir, 'submit-succ-list'), 'utf8').catch(() => '');
    const survivorLog = survivor.output().stdout;

    const outcome = {
      state,
      failedReason: job?.failedReason,
      inSuccList: succList.startsWith(`${name}  `),
      inFailList: failList.startsWith(`${name}  `),
      loggedAsFailed: survivorLog.includes(jobId) && /"level":50/.test(survivorLog),
    };
    // Built, or failed for good where operators look: the fail list, and an error in the log.
    expect(
      (outcome.state === 'completed' && outcome.inSuccList) || (outcome.state === 'failed' && outcome.inFailList && outcome.loggedAsFailed),
      `the release vanished from the batch log: ${JSON.stringify(outcome)}`,
    ).toBe(true);
  });
});
