import { afterEach, describe, expect, test } from 'vitest';
import { QueueStateReader } from '../src/queues/queue-state-reader.js';
import { createQueues, type Queues } from '../src/queues/queues.js';
import { listSchedules, registerSchedules } from '../src/scheduler/register-schedules.js';
import { createTestSetup, type TestSetup, connectTestRedis, deleteKeysWithPrefix } from '@pypi-watch/test-utils';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function queuesFor(setup: TestSetup): Promise<Queues & { state: QueueStateReader }> {
  const redis = connectTestRedis();
  const queues = { ...createQueues(redis, setup.config), state: new QueueStateReader(redis, setup.config.redis.prefix) };
  cleanups.push(async () => {
    await queues.close();
    await deleteKeysWithPrefix(redis, setup.prefix);
    redis.disconnect();
  });
  return queues;
}

describe('job schedules', () => {
  test('two schedulers, then a restart with new intervals, leave exactly one schedule per job', async () => {
    const setup = await createTestSetup({ source: { every: '30m' }, cleanup: { every: '1h' } });
    cleanups.push(() => setup.remove());
    const [a, b] = [await queuesFor(setup), await queuesFor(setup)];
    await Promise.all([registerSchedules(a, setup.config), registerSchedules(b, setup.config)]);
    let schedules = await listSchedules(a.state);
    expect(schedules.map((s) => [s.queue, s.everyMs])).toEqual([
      ['poll', 1_800_000],
      ['cleanup', 3_600_000],
    ]);

    const changed = await createTestSetup({ redis: { prefix: setup.prefix }, source: { every: '10m' }, cleanup: { every: '2h' } });
    cleanups.push(() => changed.remove());
    await registerSchedules(b, changed.config);
    schedules = await listSchedules(a.state);
    expect(schedules.map((s) => [s.queue, s.everyMs])).toEqual([
      ['poll', 600_000],
      ['cleanup', 7_200_000],
    ]);
    expect(await a.poll.getJobSchedulersCount()).toBe(1);
    // The next poll job exists, delayed until its time.
    expect(
      (await a.poll.getJobCounts('delayed', 'waiting')).delayed! + (await a.poll.getJobCounts('waiting')).waiting!,
    ).toBeGreaterThanOrEqual(1);
  });
});
