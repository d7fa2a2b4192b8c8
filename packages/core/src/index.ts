// The public face of @pypi-watch/core: what the apps, the bench and the crash tests call, and no more.
// Everything else stays internal (core's own tests import it from its file). Each process opens a
// Runtime (openRuntime), which carries the config, the queues and the stores (runtime.stores).

// Every error class, so callers test `instanceof` or `code`: whatever a call here throws is one of them.
export * from './errors.js';

// Config, logging, time.
export { loadConfig, type Config } from './config/load-config.js';
export { parseDuration, formatDuration } from './config/duration.js';
export { createLogger, configuredSecretValues, type Logger } from './logging/logger.js';
export { withTimeout } from './async/with-timeout.js';

// Redis, the runtime and the queues.
export { startEmbeddedRedis, type EmbeddedRedis } from './redis/embedded-redis.js';
export { connectRedis } from './redis/redis-connection.js';
export { findFreePort } from './redis/free-port.js';
export { bullPrefix, redisKeys } from './redis/redis-keys.js';
export { openRuntime, type Runtime } from './runtime.js';
export { QUEUE_NAMES, type QueueName } from './queues/queue-names.js';
export { createQueues, defaultJobOptions, type Queues } from './queues/queues.js';
export { registerSchedules, POLL_SCHEDULER_ID, CLEANUP_SCHEDULER_ID, type ScheduleInfo } from './scheduler/register-schedules.js';

// What the processes run.
export { startWorkers, type WorkerSet } from './workers/start-workers.js';
export { createPoller } from './poll/poller.js';
export { runCleanupForConfig } from './cleanup/cleanup.js';
export { readStatus, type Status, type JobCounts } from './status/queue-status.js';
export {
  readOverview,
  type Overview,
  type OverviewRuntime,
  type OverviewLag,
  type OverviewLastPoll,
  type HourlyBucket,
  type MinutelyBucket,
  type DailyBucket,
  type QueueBacklog,
  type LatencySummary,
  type AttentionItem,
} from './overview/read-overview.js';

// Releases and what to build.
export { checkProjectName, normalizeProjectName } from './release/project-name.js';
export {
  parsePackageArgs,
  parsePackageList,
  splitReleaseSpec,
  printable,
  type PackageRequest,
  type RejectedRequest,
} from './release/package-list.js';
export { queueBatch } from './enqueue/queue-batch.js';
export { enqueueSubmits, type ReleaseToSubmit } from './enqueue/enqueue-submits.js';
export { submitJobId, SUBMIT_JOB_NAME, type SubmitJobData } from './submit/submit-job.js';
export { targetId } from './submit/submit-targets.js';
export { buildSubmitArgs } from './submit/submit-command.js';
export { BatchLog, batchIdFor } from './batch/batch-log.js';
export { DedupeStore } from './dedupe/dedupe-store.js';

// What happened, for why, report, /metrics and /healthz.
export { DecisionLog, describeDecision, invalidSubject } from './decisions/decision-log.js';
export type { BuiltThenWithdrawnEntry } from './decisions/built-then-withdrawn.js';
export { ResultStore, type BuildReport } from './results/result-store.js';
export type { DependencyReport } from './results/dependency-store.js';
export type { BuildOutcome } from './results/build-outcome.js';
export { FAILURE_KINDS } from './results/result-classifier.js';
export {
  RELEASE_COUNTERS,
  RESULT_COUNTERS,
  SUBMIT_COUNTERS,
  SUBMIT_DURATION_BUCKETS,
  type MetricsSnapshot,
} from './metrics/metrics-store.js';

// Terminal output of text from outside (feed, farm).
export { terminalText, terminalJson } from './text/terminal-text.js';
