// `pypi-watch status`: job counts per queue, schedules, and the poller's state.

import type { Redis } from 'ioredis';
import { QUEUE_NAMES, stateKeys, type QueueName } from '../queues/queue-names.js';
import type { Queues } from '../queues/queues.js';
import { listSchedules, type ScheduleInfo } from '../scheduler/register-schedules.js';

const COUNTED_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed', 'completed'] as const;
export type JobCounts = Record<(typeof COUNTED_STATES)[number], number>;

export interface Status {
  readonly queues: Record<QueueName, JobCounts>;
  readonly schedules: readonly ScheduleInfo[];
  readonly cursor: unknown;
  readonly lastPoll: unknown;
}

export async function readStatus(queues: Queues, redis: Redis, prefix: string): Promise<Status> {
  const counts = await Promise.all(QUEUE_NAMES.map((name) => queues[name].getJobCounts(...COUNTED_STATES)));
  const keys = stateKeys(prefix);
  const [cursor, lastPoll] = await redis.mget(keys.cursor, keys.lastPoll);
  return {
    queues: Object.fromEntries(QUEUE_NAMES.map((name, i) => [name, normalizeCounts(counts[i] ?? {})])) as Record<QueueName, JobCounts>,
    schedules: await listSchedules(queues),
    cursor: parseJson(cursor),
    lastPoll: parseJson(lastPoll),
  };
}

function normalizeCounts(raw: Record<string, number>): JobCounts {
  return Object.fromEntries(COUNTED_STATES.map((state) => [state, raw[state] ?? 0])) as JobCounts;
}

function parseJson(value: string | null | undefined): unknown {
  if (value === null || value === undefined) return null;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return null;
  }
}
