// The public face of @pypi-watch/core: everything the apps wire together.

export * from './errors.js';
export { withTimeout } from './async/with-timeout.js';
export { loadConfig, type Config, type LoadConfigOptions, type Secrets } from './config/load-config.js';
export { configSchema, type ConfigInput } from './config/config-schema.js';
export { parseDuration, formatDuration } from './config/duration.js';
export { createLogger, configuredSecretValues, REDACT_PATHS, type Logger, type CreateLoggerOptions } from './logging/logger.js';
export { startEmbeddedRedis, findRunningEmbeddedRedis, ping, type EmbeddedRedis, type EmbeddedRedisOptions } from './redis/embedded-redis.js';
export { connectRedis, createRedisClient, redactRedisUrl, type RedisConnectionOptions } from './redis/redis-connection.js';
export { findFreePort } from './redis/free-port.js';
export { openRuntime, embeddedRedisDir, type Runtime, type OpenRuntimeOptions } from './runtime.js';
export { QUEUE_NAMES, isQueueName, type QueueName } from './queues/queue-names.js';
export { bullPrefix, redisKeys, type RedisKeys } from './redis/redis-keys.js';
export { createStores, type Stores } from './wiring/create-stores.js';
export { createQueues, defaultJobOptions, type Queues } from './queues/queues.js';
export { registerSchedules, listSchedules, POLL_SCHEDULER_ID, CLEANUP_SCHEDULER_ID, type ScheduleInfo } from './scheduler/register-schedules.js';
export { readStatus, type Status, type JobCounts } from './status/queue-status.js';
export { checkProjectName, normalizeProjectName, MAX_PROJECT_NAME_LENGTH, type ProjectNameCheck } from './release/project-name.js';
export { checkVersion } from './release/version.js';
export {
  parsePackageArgs,
  parsePackageList,
  parsePackageSpec,
  splitReleaseSpec,
  printable,
  type PackageRequest,
  type RejectedRequest,
  type ParsedRequests,
  type ReleaseSpec,
} from './release/package-list.js';
export { terminalText, terminalJson, terminalJsonText, terminalStreamText, type TerminalTextOptions } from './text/terminal-text.js';
export { enqueueSubmits, type EnqueueSubmitsOptions, type EnqueueSubmitsResult, type ReleaseToSubmit } from './enqueue/enqueue-submits.js';
export { queueBatch, type QueueBatchOptions, type QueueBatchResult } from './enqueue/queue-batch.js';
export { submitJobId, submitJobDataSchema, SUBMIT_JOB_NAME, type SubmitJobData } from './submit/submit-job.js';
export { SubmitTargets, targetId, forbiddenJobKeyReason, type SubmitTarget } from './submit/submit-targets.js';
export { GateStore, type GateEntry, type GateState } from './gate/gate-store.js';
export { BuiltThenWithdrawn, type BuiltThenWithdrawnEntry } from './decisions/built-then-withdrawn.js';
export { createSubmitProcessor, type SubmitProcessorOptions, type SubmitJobResult } from './submit/submit-processor.js';
export { SubmitRunner } from './submit/submit-runner.js';
export { renderJobYaml } from './submit/job-yaml.js';
export { buildSubmitArgs, formatCommandForLog } from './submit/submit-command.js';
export { BatchLog, batchIdFor, parseBatchTime } from './batch/batch-log.js';
export { writeUpdateList, pruneUpdateLists } from './batch/update-list.js';
export { DedupeStore } from './dedupe/dedupe-store.js';
export { runCleanup, runCleanupForConfig, createCleanupProcessor, type CleanupOptions, type CleanupResult } from './cleanup/cleanup.js';
export { startWorkers, type StartWorkersOptions, type WorkerSet } from './workers/start-workers.js';
export { createPoller, type Poller, type PollJobData, type CreatePollerOptions } from './poll/poller.js';
export { runPoll, type PollResult, type PollDeps, type PollRequest } from './poll/run-poll.js';
export { PollState } from './poll/poll-state.js';
export { withPollLock } from './poll/poll-lock.js';
export { ReleaseFilter, loadAllowFile } from './release/release-filter.js';
export { createReleaseSource } from './sources/create-source.js';
export type { ReleaseSource, ReleaseEvent, FetchResult } from './sources/release-source.js';
export { createReleaseFilesLookup, type ReleaseFilesLookupConfig } from './sources/create-source.js';
export { PypiJsonClient, type PypiJsonClientOptions } from './sources/pypi-json-client.js';
export type { ReleaseFiles, ReleaseFilesLookup } from './sources/release-files.js';
export { MetricsStore, RELEASE_COUNTERS, SUBMIT_COUNTERS, SUBMIT_DURATION_BUCKETS, type MetricsSnapshot } from './metrics/metrics-store.js';
export { DecisionLog, describeDecision, invalidSubject, type Decision, type DecisionEntry, type DecisionRecord } from './decisions/decision-log.js';
export { ResultStore, type BuildReport } from './results/result-store.js';
export { createResultProcessor, type ResultProcessorOptions } from './results/result-processor.js';
export { classifyResultFolder, FAILURE_KINDS, type FailureKind, type ResultState } from './results/result-classifier.js';
export { localResultPath } from './results/result-path.js';
export { resultJobId, RESULT_JOB_NAME, type ResultJobData } from './results/result-job.js';
export type { BuildOutcome, OutcomeStatus } from './results/build-outcome.js';
export { RESULT_COUNTERS, type ResultCounter } from './metrics/metrics-store.js';
