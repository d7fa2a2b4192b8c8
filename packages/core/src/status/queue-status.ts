// `pypi-watch status`: job counts per queue, schedules, the poller's state, the submit rate and the last failures.

import type { Redis } from 'ioredis';
import type { Config } from '../config/load-config.js';
import type { GateStore, GateState } from '../gate/gate-store.js';
import { QUEUE_NAMES, type QueueName } from '../queues/queue-names.js';
import type { QueueStateReader } from '../queues/queue-state-reader.js';
import type { StatusStores } from '../wiring/status-stores.js';
import { listSchedules, type ScheduleInfo } from '../scheduler/register-schedules.js';
import { readRecentActivity, type FailedBuild, type FailedSubmit, type PollFailure, type SubmitRate } from './recent-activity.js';

export { createStatusStores } from '../wiring/status-stores.js';
export type { FailedBuild, FailedSubmit, PollFailure, SubmitRate } from './recent-activity.js';

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
  // Added for the text summary; the fields above keep their names and shapes (scripts read them).
  /** Submits finished lately against `submit.rateLimit`. */
  readonly submitRate: SubmitRate;
  /** The newest submit jobs that failed for good, and the newest failed builds (a few of each, newest first). */
  readonly recentFailures: { readonly submits: readonly FailedSubmit[]; readonly builds: readonly FailedBuild[] };
  /** The newest poll job that failed for good, if any (compare with `lastPoll.startedAt`). */
  readonly lastPollFailure?: PollFailure;
}

/** A connection's config, queue state reader, Redis and stores (a Runtime is one too). */
export interface ReadStatusOptions {
  readonly config: { readonly submit: Pick<Config['submit'], 'rateLimit'> };
  readonly queueState: QueueStateReader;
  readonly redis: Redis;
  readonly stores: StatusStores;
}

export async function readStatus({ config, queueState, redis, stores }: ReadStatusOptions): Promise<Status> {
  const { keys, dedupe, gate: gateStore } = stores;
  // All at once: the replies share one connection, so the reads cost about one round trip each in a
  // row (dedupe's size, several scripts), not the sum of them all.
  const [counts, [cursor, lastPoll], oldest, schedules, dedupeSize, gate, activity] = await Promise.all([
    Promise.all(QUEUE_NAMES.map((name) => queueState.jobCounts(name, COUNTED_STATES))),
    // Read raw: a cursor or poll result written by another version is shown as null, not thrown on.
    redis.mget(keys.cursor, keys.lastPoll),
    oldestWaiting(redis, keys.gateDue.waiting, gateStore),
    listSchedules(queueState),
    dedupe.size(),
    gateStore.counts(),
    readRecentActivity({
      redis,
      submitJobKeyPrefix: queueState.key('submit', ''),
      pollJobKeyPrefix: queueState.key('poll', ''),
      pacerKey: keys.submitNextStart,
      pacerIntervalUs: stores.submitPacer.intervalUs,
      resultsKey: keys.results,
      rateLimit: config.submit.rateLimit,
    }),
  ]);
  return {
    queues: Object.fromEntries(QUEUE_NAMES.map((name, i) => [name, counts[i]!])) as Record<QueueName, JobCounts>,
    schedules,
    cursor: parseJson(cursor),
    lastPoll: parseJson(lastPoll),
    dedupeSize,
    gate,
    ...(oldest === undefined ? {} : { oldestWaiting: oldest }),
    submitRate: activity.submitRate,
    recentFailures: activity.failures,
    ...(activity.pollFailure === undefined ? {} : { lastPollFailure: activity.pollFailure }),
  };
}

/** The waiting entry due first is, in changelog mode, the one waiting longest (due = since + sdistWait). */
async function oldestWaiting(redis: Redis, dueKey: string, gate: GateStore): Promise<Status['oldestWaiting']> {
  const [key] = await redis.zrange(dueKey, 0, 0);
  if (key === undefined) return undefined;
  const entry = (await gate.getMany([key])).get(key);
  // The entry is Redis content: a time no Date holds (or none) would throw in toISOString and stop status.
  const since = typeof entry?.since === 'number' ? new Date(entry.since) : undefined;
  if (!entry || !since || Number.isNaN(since.getTime()) || typeof entry.name !== 'string' || typeof entry.version !== 'string') {
    return undefined;
  }
  return { name: entry.name, version: entry.version, since: since.toISOString() };
}

function parseJson(value: string | null | undefined): unknown {
  if (value === null || value === undefined) return null;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return null;
  }
}
