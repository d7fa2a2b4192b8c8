// `status` reads BullMQ's queue state without BullMQ (queues/queue-state-reader.ts). Here the reader and
// BullMQ's own Queue methods read the same real queues, with jobs in every state and schedulers of each
// kind, and must answer alike: a BullMQ upgrade that moves a key or changes what a state means fails here.

import { FlowProducer, Worker, type Job } from 'bullmq';
import { describe, expect, test } from 'vitest';
import { QUEUE_NAMES } from '../src/queues/queue-names.js';
import type { CountedState } from '../src/queues/queue-state-reader.js';
import { listSchedules } from '../src/scheduler/register-schedules.js';
import { cleanupsAfterEach, runtimeAfterEach, waitFor } from '@pypi-watch/test-utils';

const openTestRuntime = runtimeAfterEach();
const defer = cleanupsAfterEach();

const STATES: readonly CountedState[] = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed', 'completed'];

describe('queue state read without BullMQ', () => {
  test('job counts in every state match BullMQ getJobCounts, queue by queue', async () => {
    const { runtime } = await openTestRuntime();
    const { queues, queueState, redis } = runtime;
    const connection = { connection: redis, prefix: queues.submit.opts.prefix! };

    // Two completed and one failed on submit, then one held active so what is added after stays put.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const worker = new Worker(
      'submit',
      async (job: Job) => {
        if (job.name === 'bad') throw new Error('planned failure');
        if (job.name === 'hold') await held;
      },
      { ...connection, connection: redis.duplicate(), concurrency: 1 },
    );
    defer(async () => {
      release();
      await worker.close();
    });
    await queues.submit.addBulk(
      [{ name: 'ok' }, { name: 'ok' }, { name: 'bad', opts: { attempts: 1 } }].map((job) => ({ ...job, data: {} })),
    );
    await waitFor(async () => (await queues.submit.getJobCounts('completed', 'failed')).completed === 2, { what: 'two completed' });
    await queues.submit.add('hold', {});
    await waitFor(async () => (await queues.submit.getJobCounts('active')).active === 1, { what: 'the held job active' });
    await queues.submit.addBulk([1, 2, 3].map(() => ({ name: 'later', data: {} })));
    await queues.submit.add('delayed', {}, { delay: 60_000 });
    await queues.submit.add('urgent', {}, { priority: 5 });
    await queues.submit.add('urgent', {}, { priority: 7 });
    // A parent waiting for its child, which waits on another queue.
    const flows = new FlowProducer(connection);
    defer(() => flows.close());
    await flows.add({ name: 'parent', queueName: 'submit', data: {}, children: [{ name: 'child', queueName: 'result', data: {} }] });
    // A paused queue with jobs in it.
    await queues.cleanup.add('cleanup', {});
    await queues.cleanup.pause();

    const expected = await Promise.all(QUEUE_NAMES.map((name) => queues[name].getJobCounts(...STATES)));
    const read = await Promise.all(QUEUE_NAMES.map((name) => queueState.jobCounts(name, STATES)));
    expect(read).toEqual(expected);
    // The fixture put something in each state the status shows, so equal counts cannot be all zeros.
    expect(read[QUEUE_NAMES.indexOf('submit')]).toMatchObject({
      waiting: 3,
      active: 1,
      delayed: 1,
      prioritized: 2,
      'waiting-children': 1,
      failed: 1,
      completed: 2,
    });
    expect(read[QUEUE_NAMES.indexOf('result')]).toMatchObject({ waiting: 1 });
    expect(read[QUEUE_NAMES.indexOf('cleanup')]).toMatchObject({ waiting: 1 });
  });

  test('schedulers match BullMQ getJobSchedulers; one whose hash is gone is left out and left alone', async () => {
    const { runtime } = await openTestRuntime();
    const { queues, queueState, redis } = runtime;
    await queues.poll.upsertJobScheduler('every-30m', { every: 1_800_000 }, { name: 'poll', data: {} });
    await queues.poll.upsertJobScheduler('every-1m', { every: 60_000 }, { name: 'poll', data: {} });
    await queues.cleanup.upsertJobScheduler('nightly', { pattern: '0 3 * * *' }, { name: 'cleanup', data: {} });

    const fromBullmq = async () =>
      (
        await Promise.all(
          (['poll', 'cleanup', 'notify'] as const).map(async (queue) =>
            (await queues[queue].getJobSchedulers()).map((s) => ({
              queue,
              id: s.key,
              everyMs: s.every === undefined || s.every === null ? undefined : Number(s.every),
              next: s.next ?? undefined,
            })),
          ),
        )
      ).flat();
    const read = await listSchedules(queueState);
    expect(read).toEqual(await fromBullmq());
    expect(read.map((s) => [s.queue, s.id, s.everyMs])).toEqual([
      ['poll', 'every-1m', 60_000],
      ['poll', 'every-30m', 1_800_000],
      ['cleanup', 'nightly', undefined],
    ]);
    expect(read.every((s) => typeof s.next === 'number' && s.next > Date.now() - 60_000)).toBe(true);

    // A scheduler id whose hash was deleted: not listed, and still in Redis for BullMQ to deal with.
    await redis.del(queueState.key('poll', 'repeat:every-1m'));
    expect((await listSchedules(queueState)).map((s) => s.id)).toEqual(['every-30m', 'nightly']);
    expect(await redis.zscore(queueState.key('poll', 'repeat'), 'every-1m')).not.toBeNull();
  });

  test('keys are the ones BullMQ names', async () => {
    const { runtime } = await openTestRuntime();
    for (const name of QUEUE_NAMES) {
      expect(runtime.queueState.key(name, '')).toBe(runtime.queues[name].toKey(''));
      expect(runtime.queueState.key(name, 'repeat')).toBe(runtime.queues[name].keys.repeat);
    }
  });
});
