// What the detector reads on one run, from state the pipeline keeps in Redis anyway: the metrics
// counters, the last poll, the poll and submit queues' failed jobs, the build outcomes and the
// built-then-withdrawn list. Nothing in the pipeline calls the detector; it only reads.

import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { BuiltThenWithdrawnEntry } from '../decisions/built-then-withdrawn.js';
import { PollInProgressError } from '../errors.js';
import type { MetricsStore } from '../metrics/metrics-store.js';
import type { PollState } from '../poll/poll-state.js';
import type { RedisKeys } from '../redis/redis-keys.js';
import type { ResultStore } from '../results/result-store.js';
import { bound } from './message-formats.js';
import { digestWindowEnd, LATE_MS, type DetectorState, type Observations } from './detector.js';

export interface ObservationSources {
  readonly redis: Redis;
  readonly keys: Pick<RedisKeys, 'withdrawnAfterSubmit'>;
  readonly metrics: MetricsStore;
  readonly results: ResultStore;
  readonly pollState: PollState;
  readonly pollQueue: Queue;
  readonly submitQueue: Queue;
}

/** Characters of a job's failure reason quoted in a message (it may quote the farm or PyPI). */
const REASON_CHARS = 300;
/** The built-then-withdrawn list is read from its newest end, this many entries a step. */
const TAIL_STEP = 200;
/** Newest failed poll jobs looked through for one that failed reading PyPI (not the lock). */
const FAILED_POLLS_READ = 20;
/**
 * What a poll job that gave up because another poll held the lock failed with (BullMQ keeps only
 * the text). PyPI was being read all along: that is no failing poll, as the overview agrees.
 */
const LOCK_REFUSAL = new PollInProgressError().message;

export async function observe(
  sources: ObservationSources,
  state: DetectorState | undefined,
  now: number,
  digestEveryMs: number,
): Promise<Observations> {
  const digestDue = state !== undefined && digestWindowEnd(now, digestEveryMs) > state.digestUntil;
  const [metrics, lastPoll, pollFailed, submitFailed, backlog, outcomes, withdrawn] = await Promise.all([
    sources.metrics.snapshot(),
    sources.pollState.readLastPoll().catch(() => undefined),
    sources.pollQueue.getJobs(['failed'], 0, FAILED_POLLS_READ - 1),
    sources.submitQueue.getJobs(['failed'], 0, 0),
    sources.submitQueue.getJobCounts('waiting', 'delayed', 'prioritized'),
    // From a little before the cursors: entries stamped on a clock behind ours land there.
    digestDue ? sources.results.since(state.digestUntil - LATE_MS) : Promise.resolve([]),
    state === undefined ? Promise.resolve([]) : withdrawnSince(sources, state.withdrawn.at - LATE_MS),
  ]);
  const failedPoll = pollFailed.find((job) => job.failedReason !== LOCK_REFUSAL);
  const failedSubmit = submitFailed[0];
  const lag = typeof lastPoll?.lag === 'number' ? lastPoll.lag : undefined;
  return {
    now,
    submits: metrics.submits,
    ...(failedSubmit?.failedReason ? { lastSubmitFailure: bound(failedSubmit.failedReason, REASON_CHARS) } : {}),
    submitBacklog: (backlog.waiting ?? 0) + (backlog.delayed ?? 0) + (backlog.prioritized ?? 0),
    ...(metrics.lastSuccessfulPollAt === undefined ? {} : { lastSuccessfulPollAt: metrics.lastSuccessfulPollAt }),
    ...(failedPoll?.finishedOn
      ? { pollFailedForGood: { at: failedPoll.finishedOn, reason: bound(failedPoll.failedReason ?? '(no reason recorded)', REASON_CHARS) } }
      : {}),
    ...(lag === undefined ? {} : { lastPoll: { lag, source: String(lastPoll?.source) } }),
    feedGaps: metrics.feedGaps,
    outcomes,
    withdrawn,
  };
}

/**
 * Entries at or after `sinceMs`, read from the list's newest end until an older one shows up: the
 * list holds up to 10,000 entries and a run needs the few since the last one.
 */
async function withdrawnSince(sources: ObservationSources, sinceMs: number): Promise<BuiltThenWithdrawnEntry[]> {
  const found: BuiltThenWithdrawnEntry[] = [];
  for (let end = -1; ; end -= TAIL_STEP) {
    const raw = await sources.redis.lrange(sources.keys.withdrawnAfterSubmit, end - TAIL_STEP + 1, end);
    let older = false;
    for (const text of raw) {
      const entry = readEntry(text);
      if (entry === undefined) continue;
      if (entry.at >= sinceMs) found.push(entry);
      else older = true;
    }
    if (older || raw.length < TAIL_STEP) return found;
  }
}

/** An entry as the poll wrote it; anything else in the list (written by hand, another version) is skipped. */
function readEntry(text: string): BuiltThenWithdrawnEntry | undefined {
  try {
    const entry = JSON.parse(text) as Partial<BuiltThenWithdrawnEntry>;
    if (typeof entry.at !== 'number' || typeof entry.normalized !== 'string' || typeof entry.reason !== 'string') return undefined;
    return {
      at: entry.at,
      normalized: entry.normalized,
      reason: entry.reason,
      ...(typeof entry.version === 'string' ? { version: entry.version } : {}),
    };
  } catch {
    return undefined;
  }
}
