// Registers the repeatable poll, cleanup and notification-detector jobs as BullMQ Job Schedulers.

import type { Config } from '../config/load-config.js';
import { DETECT_JOB_NAME } from '../notify/delivery-jobs.js';
import type { QueueStateReader } from '../queues/queue-state-reader.js';
import type { Queues } from '../queues/queues.js';

export const POLL_SCHEDULER_ID = 'poll-pypi';
export const CLEANUP_SCHEDULER_ID = 'cleanup';
export const NOTIFY_SCHEDULER_ID = 'notify-detect';

export interface ScheduleInfo {
  readonly queue: string;
  readonly id: string;
  readonly everyMs: number | undefined;
  readonly next: number | undefined;
}

/**
 * Upserting by a fixed id is idempotent: any number of schedulers, or a restart with a new
 * interval, leaves exactly one schedule per job.
 */
export async function registerSchedules(queues: Queues, config: Config): Promise<void> {
  await queues.poll.upsertJobScheduler(POLL_SCHEDULER_ID, { every: config.source.every }, { name: 'poll', data: {} });
  await queues.cleanup.upsertJobScheduler(CLEANUP_SCHEDULER_ID, { every: config.cleanup.every }, { name: 'cleanup', data: {} });
  if (config.notify.webhooks.length > 0) {
    // One try a run: the next run comes within notify.every anyway, and a run catches up on the last.
    await queues.notify.upsertJobScheduler(
      NOTIFY_SCHEDULER_ID,
      { every: config.notify.every },
      { name: DETECT_JOB_NAME, data: {}, opts: { attempts: 1, removeOnComplete: { count: 50 }, removeOnFail: { count: 50 } } },
    );
  } else {
    // No webhooks (any more): no detector runs either.
    await queues.notify.removeJobScheduler(NOTIFY_SCHEDULER_ID);
  }
}

/** The schedules registered now, read without BullMQ (`status` lists them too). */
export async function listSchedules(queueState: QueueStateReader): Promise<ScheduleInfo[]> {
  const queues = ['poll', 'cleanup', 'notify'] as const;
  const lists = await Promise.all(queues.map((queue) => queueState.schedulers(queue)));
  return queues.flatMap((queue, index) => lists[index]!.map((scheduler) => ({ queue, ...scheduler })));
}
