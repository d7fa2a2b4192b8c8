// Every Redis key pypi-watch writes, in one place: the data model, read from one file (as bullmq's
// src/classes/queue-keys.ts names every key of a queue).
//
// All of them, and BullMQ's, start with the hash tag `{<redis.prefix>}`, so on a Redis Cluster they
// hash to one slot: the Lua scripts of the dedupe set, the latest-wins hash and BullMQ touch several
// keys at once. BullMQ's own keys are `{prefix}:<queue>:<what>` for the queues poll, submit, cleanup,
// result and notify (see bullmq's queue-keys.ts); none of ours starts with a queue name.

import type { GateState } from '../gate/gate-store.js';

/**
 * BullMQ's `prefix` for `redis.prefix`: the prefix wrapped in `{}` so every queue key, and every
 * key of ours, hashes to one Redis Cluster slot.
 */
export function bullPrefix(prefix: string): string {
  return `{${prefix}}`;
}

export interface RedisKeys {
  /** `{prefix}`: the hash tag every key starts with, and BullMQ's `prefix` option. */
  readonly base: string;

  // The poller (poll/poll-state.ts, poll/poll-lock.ts).
  /** String, JSON `{type, cursor}`: where the source left off (a changelog serial, or the RSS items last seen). */
  readonly cursor: string;
  /** String, JSON: the last poll's result, for `status`. */
  readonly lastPoll: string;
  /** String with a TTL, JSON `{host, pid, id}`: the lock that keeps to one poll at a time. */
  readonly pollLock: string;

  // What has been handled, and why (dedupe/dedupe-store.ts, decisions/).
  /** Hash per shard (16,384 of them), field `NAME==VERSION` (or `#<sha256>` when long) → seen-at unix seconds. */
  readonly dedupeShard: (shard: number) => string;
  /**
   * List per project (normalized name, or `invalid:<raw>`): JSON decisions, newest 100, expiring with
   * `dedupe.ttl`. The format before `whyStories`: still read, no longer written.
   */
  readonly why: (subject: string) => string;
  /**
   * Hash per bucket (4,096 of them), field subject → its story: compact decisions (decisions/story-text.ts),
   * newest 100, each told for `dedupe.ttl`; stories nothing wrote to within it are pruned by the cleanup.
   */
  readonly whyStories: (bucket: number) => string;
  /** Hash: the strings stories share, `s<text>` → id and `i<id>` → `<last used, unix s>:<text>`, `#` the last id. */
  readonly whyStrings: string;
  /** List of JSON "built, then withdrawn upstream" events, newest last, for `report` (bounded). */
  readonly withdrawnAfterSubmit: string;

  // The gate (gate/gate-store.ts).
  /** Hash `NAME==VERSION` → JSON gate entry: releases waiting for an sdist, held for `filters.minAge`, or withdrawn before a build. */
  readonly gate: string;
  /** Sorted sets of the gate's keys by when each next needs a look (ms): one per gate state. */
  readonly gateDue: Readonly<Record<GateState, string>>;

  // Submitting (coalesce/pending-latest.ts, submit/start-pacer.ts).
  /** Hash `NAME|TARGET_ID` → the not-yet-started submit job of that project and target, and the versions it stands for. */
  readonly latest: string;
  /**
   * Start of one string per `NAME|TARGET_ID` (a day's TTL): the versions a worker claimed from
   * `latest` when its job started, so a poll replayed after a crash does not queue them again.
   */
  readonly latestClaimedPrefix: string;
  /** String with a TTL: the last reserved submit start (µs, Redis' clock), pacing `submit.rateLimit` across hosts. */
  readonly submitNextStart: string;
  /** Sorted set with a TTL: the rate limit's window of submit starts, member its slot, score when it began (µs, Redis' clock). */
  readonly submitStartLog: string;

  // Numbers and outcomes (metrics/metrics-store.ts, results/result-store.ts).
  /**
   * Hash of counters (`releases:<outcome>`, `submits:<outcome>`, `results:<status>`,
   * `result-kind:<kind>`, …), `poll:last-success-ms`, and the last failed poll's `poll:last-failure-ms`
   * and `poll:last-failure-error`.
   */
  readonly metricsCounters: string;
  /** Hash: the submit-duration histogram (a count per bucket, `sum`, `count`). */
  readonly metricsSubmitDuration: string;
  /** Sorted set of JSON build outcomes, scored by finish time (ms), trimmed by cleanup after `dedupe.ttl`. */
  readonly results: string;

  // The overview's time series (metrics/time-series.ts), every key expiring with its bucket's retention.
  /**
   * Hash per bucket: `<resolution>` is `minute` (kept 48 h) or `hour` (kept 90 days), `<n>` the bucket's
   * start in minutes or hours since the epoch (UTC); fields are counters (`found`, `submits-started`, …)
   * and, hourly, latency histogram cells (`r2s:<i>`, `s2r:<i>`).
   */
  readonly seriesBucket: (resolution: 'minute' | 'hour', bucket: number) => string;
  /** Sorted set per hour bucket (kept 25 h): modules failed builds were missing, by how often; the top few only. */
  readonly seriesMissingModules: (hourBucket: number) => string;

  // Building what a failed build was missing (results/dependency-store.ts), all expiring with `dedupe.ttl`.
  /** Hash per dependency (normalized name), field `DEPENDENT|VERSION|TARGET_ID` → JSON: a build parked until the dependency is built. */
  readonly dependencyParked: (dependency: string) => string;
  /** Hash `DEPENDENCY|TARGET_ID` → JSON `{jobId, at, status, farmJobId?}`: the dependency builds queued, and how they went. */
  readonly dependencyBuilds: string;
  /** Hash `DEPENDENT|VERSION|TARGET_ID` → how often that build was resubmitted after a dependency was built. */
  readonly dependencyRounds: string;
  /** Sorted set: projects (or `module:<name>` when none maps) that failed builds were missing, scored by how often (bounded). */
  readonly dependencyWanted: string;

  // Notifications (notify/notify-store.ts, notify/notify-processor.ts). No webhook URL is ever stored.
  /** Hash `version` (commit count), `state` (JSON: cursors and open alarms): what the detector has already notified. */
  readonly notifyState: string;
  /** Hash message id → JSON message: decided by a detector run, not yet added to the notify queue. */
  readonly notifyOutbox: string;
  /** String with a TTL per webhook (its id, a hash): the last reserved send, pacing `notify.rateLimit`. */
  readonly notifyPace: (webhookId: string) => string;
}

/** The keys of a deployment whose `redis.prefix` is `prefix`. */
export function redisKeys(prefix: string): RedisKeys {
  const base = bullPrefix(prefix);
  return {
    base,
    cursor: `${base}:state:cursor`,
    lastPoll: `${base}:state:last-poll`,
    pollLock: `${base}:state:poll-lock`,
    dedupeShard: (shard) => `${base}:dedupe:${shard}`,
    why: (subject) => `${base}:why:${subject}`,
    whyStories: (bucket) => `${base}:why-stories:${bucket}`,
    whyStrings: `${base}:why-strings`,
    withdrawnAfterSubmit: `${base}:withdrawn-after-submit`,
    gate: `${base}:gate`,
    gateDue: {
      waiting: `${base}:gate:due:waiting`,
      held: `${base}:gate:due:held`,
      withdrawn: `${base}:gate:due:withdrawn`,
    },
    latest: `${base}:latest`,
    latestClaimedPrefix: `${base}:latest:claimed:`,
    submitNextStart: `${base}:submit-next-start`,
    submitStartLog: `${base}:submit-start-log`,
    metricsCounters: `${base}:metrics:counters`,
    metricsSubmitDuration: `${base}:metrics:submit-duration`,
    results: `${base}:results`,
    seriesBucket: (resolution, bucket) => `${base}:series:${resolution}:${bucket}`,
    seriesMissingModules: (hourBucket) => `${base}:series:missing-modules:${hourBucket}`,
    dependencyParked: (dependency) => `${base}:dependency:parked:${dependency}`,
    dependencyBuilds: `${base}:dependency:builds`,
    dependencyRounds: `${base}:dependency:rounds`,
    dependencyWanted: `${base}:dependency:wanted`,
    notifyState: `${base}:notifications:state`,
    notifyOutbox: `${base}:notifications:outbox`,
    notifyPace: (webhookId) => `${base}:notifications:pace:${webhookId}`,
  };
}
