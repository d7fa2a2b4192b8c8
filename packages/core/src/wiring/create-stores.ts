// The one place that builds pypi-watch's stores from config: every process (poller, workers,
// dashboard, each CLI command) gets them from here, so no app spells a key prefix or a TTL.

import type { Redis } from 'ioredis';
import { BatchLog } from '../batch/batch-log.js';
import { PendingLatest } from '../coalesce/pending-latest.js';
import type { Config } from '../config/load-config.js';
import { BuiltThenWithdrawn } from '../decisions/built-then-withdrawn.js';
import { DecisionLog } from '../decisions/decision-log.js';
import { MetricsStore } from '../metrics/metrics-store.js';
import { PollState } from '../poll/poll-state.js';
import { DependencyStore } from '../results/dependency-store.js';
import { ResultStore } from '../results/result-store.js';
import { SubmitTargets } from '../submit/submit-targets.js';
import { createStatusStores, type StatusStores } from './status-stores.js';

/** Building them costs no Redis round trip: each store talks to Redis only when called. */
export interface Stores extends StatusStores {
  /** What was decided about each release, and why (`pypi-watch why`). */
  readonly decisions: DecisionLog;
  /** Counters and the submit-duration histogram behind /metrics and /healthz. */
  readonly metrics: MetricsStore;
  /** Build outcomes behind `pypi-watch report`. */
  readonly results: ResultStore;
  /** Builds parked until the dependency they were missing is built, and those dependency builds. */
  readonly dependencies: DependencyStore;
  /** Latest wins: the not-yet-started submit job of each project and target. */
  readonly pendingLatest: PendingLatest;
  /** Releases withdrawn upstream after their submit. */
  readonly builtThenWithdrawn: BuiltThenWithdrawn;
  /** The source cursor, the last poll's result and the poll lock's key. */
  readonly pollState: PollState;
  /** The batch log folders under `paths.logDir`. */
  readonly batchLog: BatchLog;
  /** `submit.targets`, by id. */
  readonly targets: SubmitTargets;
}

/** `submitJobKeyPrefix`: BullMQ's key of a submit job less its id (`queues.submit.toKey('')`). */
export function createStores(config: Config, redis: Redis, submitJobKeyPrefix: string): Stores {
  const statusStores = createStatusStores(config, redis);
  const { keys } = statusStores;
  return {
    ...statusStores,
    decisions: new DecisionLog({ redis, keys, ttlMs: config.dedupe.ttl }),
    metrics: new MetricsStore({ redis, keys }),
    results: new ResultStore({ redis, keys }),
    dependencies: new DependencyStore({ redis, keys, ttlMs: config.dedupe.ttl }),
    // BullMQ's key of a submit job less its id: the join script tells a live job from a gone one.
    pendingLatest: new PendingLatest({ redis, keys, jobKeyPrefix: submitJobKeyPrefix }),
    builtThenWithdrawn: new BuiltThenWithdrawn(redis, keys),
    pollState: new PollState(redis, keys),
    batchLog: new BatchLog({ logDir: config.paths.logDir }),
    targets: new SubmitTargets(config.submit.targets),
  };
}
