// `pypi-watch status`: job counts per queue, schedules, and the poller's state.

import type { Redis } from 'ioredis';
import type { GateStore, GateState } from '../gate/gate-store.js';
import { QUEUE_NAMES, type QueueName } from '../queues/queue-names.js';
import type { Queues } from '../queues/queues.js';
import type { Stores } from '../wiring/create-stores.js';
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
  /** Releases at the gate: waiting for an sdist, held by `filters.minAge`, withdrawn (restorable). */
  readonly gate: Record<GateState, number>;
  /** The oldest release still waiting for an sdist, if any. */
  readonly oldestWaiting?: { readonly name: string; readonly version: string; readonly since: string };
}

/** A runtime's queues, Redis connection and stores. */
export interface ReadStatusOptions {
  readonly queues: Queues;
  readonly redis: Redis;
  readonly stores: Pick<Stores, 'keys' | 'dedupe' | 'gate'>;
}

export async function readStatus({ queues, redis, stores }: ReadStatusOptions): Promise<Status> {
  const counts = await Promise.all(QUEUE_NAMES.map((name) => queues[name].getJobCounts(...COUNTED_STATES)));
  const { keys, dedupe, gate: gateStore } = stores;
  // Read raw: a cursor or poll result written by another version is shown as null, not thrown on.
  const [cursor, lastPoll] = await redis.mget(keys.cursor, keys.lastPoll);
  const oldest = await oldestWaiting(redis, keys.gateDue.waiting, gateStore);
  return {
    queues: Object.fromEntries(QUEUE_NAMES.map((name, i) => [name, normalizeCounts(counts[i] ?? {})])) as Record<QueueName, JobCounts>,
    schedules: await listSchedules(queues),
    cursor: parseJson(cursor),
    lastPoll: parseJson(lastPoll),
    dedupeSize: await dedupe.size(),
    gate: await gateStore.counts(),
    ...(oldest === undefined ? {} : { oldestWaiting: oldest }),
  };
}

/** The waiting entry due first is, in changelog mode, the one waiting longest (due = since + sdistWait). */
async function oldestWaiting(redis: Redis, dueKey: string, gate: GateStore): Promise<Status['oldestWaiting']> {
  const [key] = await redis.zrange(dueKey, 0, 0);
  if (key === undefined) return undefined;
  const entry = (await gate.getMany([key])).get(key);
  return entry && { name: entry.name, version: entry.version, since: new Date(entry.since).toISOString() };
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
