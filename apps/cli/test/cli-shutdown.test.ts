// SIGTERM stops a `pypi-watch worker` cleanly: the running submit finishes, nothing else is taken,
// the process exits 0, and the next worker picks up what is still waiting.

import { createQueues, loadConfig, type Queues } from '@pypi-watch/core';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, test } from 'vitest';
import { readSubmitCalls, waitFor, runCli, spawnCli, stopCli, createCliSetup, type CliSetup } from '@pypi-watch/test-utils';

const SLOW_MS = 2000;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setupWithQueues(): Promise<{ setup: CliSetup; queues: Queues }> {
  // One submit at a time, so exactly one job is running when the signal arrives.
  const setup = await createCliSetup({ submit: { concurrency: 1, attempts: 1, rateLimit: { max: 100, duration: '1s' } } });
  cleanups.push(() => setup.remove());
  const config = loadConfig({ file: setup.configFile, env: {} });
  const redis = new Redis(config.redis.url ?? '', { maxRetriesPerRequest: null });
  const queues = createQueues(redis, config);
  cleanups.push(async () => {
    await queues.close();
    redis.disconnect();
  });
  return { setup, queues };
}

const repoOf = (argv: readonly string[]): string | undefined =>
  argv.find((arg) => arg.startsWith('repo_addr='))?.slice('repo_addr='.length);

describe('worker shutdown on SIGTERM', () => {
  test('lets the active submit finish, exits 0, leaves waiting jobs untouched for the next worker', async () => {
    const { setup, queues } = await setupWithQueues();
    const enqueue = await runCli(['enqueue', 'first-pkg==1.0', 'second-pkg==1.0', 'third-pkg==1.0', '--config', setup.configFile], {
      env: setup.env,
    });
    expect(enqueue.code, enqueue.stderr).toBe(0);
    expect(await queues.submit.getWaitingCount()).toBe(3);

    const worker = spawnCli(['worker', '--queues', 'submit', '--config', setup.configFile], {
      env: { ...setup.env, STANDIN_SUBMIT_MODE: 'slow', STANDIN_SUBMIT_DELAY_MS: String(SLOW_MS) },
    });
    cleanups.push(async () => void (await stopCli(worker, 'SIGKILL')));
    const [call] = await waitFor(
      async () => {
        const calls = await readSubmitCalls(setup.recordFile);
        return calls.length > 0 && calls;
      },
      { what: 'the first submit to start' },
    );
    const running = repoOf(call?.argv ?? []);
    expect(await queues.submit.getActiveCount()).toBe(1);

    const signalledAt = Date.now();
    const code = await stopCli(worker, 'SIGTERM');
    expect(code, worker.output().stderr).toBe(0);
    const logLines = worker
      .output()
      .stdout.split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logLines).toContainEqual(expect.objectContaining({ msg: 'shutting down', signal: 'SIGTERM' }));

    expect(await readSubmitCalls(setup.recordFile)).toHaveLength(1);
    const completed = await queues.submit.getCompleted();
    expect(completed.map((job) => job.data.name)).toEqual([running]);
    expect(completed[0]?.returnvalue).toMatchObject({ jobId: expect.stringMatching(/^crystal\./) });
    // Finished after the signal: the process waited for it instead of abandoning it.
    expect(completed[0]?.finishedOn).toBeGreaterThanOrEqual(signalledAt);
    expect(await queues.submit.getActiveCount()).toBe(0);
    expect(await queues.submit.getFailedCount()).toBe(0);
    const waiting = await queues.submit.getWaiting();
    expect(waiting).toHaveLength(2);
    for (const job of waiting) {
      expect(job.attemptsMade).toBe(0);
      expect(job.processedOn).toBeUndefined();
    }

    const next = spawnCli(['worker', '--queues', 'submit', '--config', setup.configFile], { env: setup.env });
    cleanups.push(async () => void (await stopCli(next, 'SIGKILL')));
    await waitFor(async () => (await queues.submit.getCompletedCount()) === 3, { what: 'the second worker to finish the waiting jobs' });
    expect(await stopCli(next, 'SIGTERM')).toBe(0);
    const calls = await readSubmitCalls(setup.recordFile);
    expect(calls.map((c) => repoOf(c.argv)).sort()).toEqual(['first-pkg', 'second-pkg', 'third-pkg']);
    // Each worker process runs submits in HOMEs of its own, named after its pid.
    const processOf = (home: string) => home.split('/').at(-2);
    expect(calls.slice(1).every((c) => processOf(c.home) !== processOf(calls[0]?.home ?? ''))).toBe(true);
  }, 60_000);
});
