// `pypi-watch status`: job counts per queue, schedules, and the poller's state.

import type { Redis } from 'ioredis';
import type { Config } from '../config/load-config.js';
import { DedupeStore } from '../dedupe/dedupe-store.js';
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
  /** Releases in the dedupe set (seen within `dedupe.ttl`, or expired and not yet trimmed). */
  readonly dedupeSize: number;
}

export interface ReadStatusOptions {
  readonly queues: Queues;
  readonly redis: Redis;
  readonly config: Config;
}

export async function readStatus({ queues, redis, config }: ReadStatusOptions): Promise<Status> {
  const counts = await Promise.all(QUEUE_NAMES.map((name) => queues[name].getJobCounts(...COUNTED_STATES)));
  const keys = stateKeys(config.redis.prefix);
  const dedupe = new DedupeStore({ redis, keyPrefix: keys.base, ttlMs: config.dedupe.ttl });
  const [cursor, lastPoll] = await redis.mget(keys.cursor, keys.lastPoll);
  return {
    queues: Object.fromEntries(QUEUE_NAMES.map((name, i) => [name, normalizeCounts(counts[i] ?? {})])) as Record<QueueName, JobCounts>,
    schedules: await listSchedules(queues),
    cursor: parseJson(cursor),
    lastPoll: parseJson(lastPoll),
    dedupeSize: await dedupe.size(),
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
