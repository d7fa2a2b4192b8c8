// Registers the repeatable poll and cleanup jobs as BullMQ Job Schedulers.

import type { Config } from '../config/load-config.js';
import type { Queues } from '../queues/queues.js';

export const POLL_SCHEDULER_ID = 'poll-pypi';
export const CLEANUP_SCHEDULER_ID = 'cleanup';

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
export async function registerSchedules(queues: Queues, config: Config): Promise<ScheduleInfo[]> {
  await queues.poll.upsertJobScheduler(POLL_SCHEDULER_ID, { every: config.source.every }, { name: 'poll', data: {} });
  await queues.cleanup.upsertJobScheduler(CLEANUP_SCHEDULER_ID, { every: config.cleanup.every }, { name: 'cleanup', data: {} });
  return listSchedules(queues);
}

export async function listSchedules(queues: Queues): Promise<ScheduleInfo[]> {
  const result: ScheduleInfo[] = [];
  for (const queue of [queues.poll, queues.cleanup]) {
    for (const scheduler of await queue.getJobSchedulers()) {
      result.push({
        queue: queue.name,
        id: scheduler.key,
        everyMs: scheduler.every === undefined || scheduler.every === null ? undefined : Number(scheduler.every),
        next: scheduler.next ?? undefined,
      });
    }
  }
  return result;
}
