// Wires a poll from config: the source, filters, dedupe set and state; used by the poll worker and `pypi-watch poll`.

import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { BatchLog } from '../batch/batch-log.js';
import type { Config } from '../config/load-config.js';
import { DedupeStore } from '../dedupe/dedupe-store.js';
import type { Logger } from '../logging/logger.js';
import { DecisionLog } from '../decisions/decision-log.js';
import { MetricsStore } from '../metrics/metrics-store.js';
import { bullPrefix } from '../queues/queue-names.js';
import type { Queues } from '../queues/queues.js';
import { loadAllowFile, ReleaseFilter } from '../release/release-filter.js';
import { PendingLatest } from '../coalesce/pending-latest.js';
import { BuiltThenWithdrawn } from '../decisions/built-then-withdrawn.js';
import { GateStore } from '../gate/gate-store.js';
import { SdistGate } from '../gate/sdist-gate.js';
import { stateKeys } from '../queues/queue-names.js';
import { createReleaseFilesLookup, createReleaseSource } from '../sources/create-source.js';
import { SubmitTargets } from '../submit/submit-targets.js';
import { withPollLock } from './poll-lock.js';
import { PollState } from './poll-state.js';
import { runPoll, type PollDeps, type PollRequest, type PollResult, type PollStep } from './run-poll.js';

export interface PollJobData {
  /** Backfill from this changelog serial (as `pypi-watch poll --since`). */
  readonly since?: number;
}

export interface Poller {
  readonly state: PollState;
  readonly dedupe: DedupeStore;
  /** One poll now, under the poll lock. `since` backfills from a changelog serial. */
  run(options?: { since?: number }): Promise<PollResult>;
  /** The BullMQ processor for the `poll` queue. */
  process(job: Job<PollJobData>): Promise<PollResult>;
}

export interface CreatePollerOptions {
  readonly config: Config;
  readonly redis: Redis;
  readonly queues: Queues;
  readonly logger: Logger;
}

export async function createPoller({ config, redis, queues, logger }: CreatePollerOptions): Promise<Poller> {
  const allowNames = config.filters.allowFile === undefined ? undefined : await loadAllowFile(config.filters.allowFile);
  const filter = new ReleaseFilter({
    prereleases: config.filters.prereleases,
    deny: config.filters.deny,
    allow: config.filters.allow,
    ...(allowNames === undefined ? {} : { allowNames }),
  });
  const { type, baseUrl, maxPages, pagePause, timeout: timeoutMs, retries } = config.source;
  const source =
    type === 'rss'
      ? createReleaseSource({ type, baseUrl, timeoutMs, retries, logger })
      : createReleaseSource({ type, baseUrl, maxPages, timeoutMs, retries, pauseMs: pagePause, logger });
  const state = new PollState(redis, config.redis.prefix);
  const keys = stateKeys(config.redis.prefix);
  const dedupe = new DedupeStore({ redis, keyPrefix: bullPrefix(config.redis.prefix), ttlMs: config.dedupe.ttl });
  const gateStore = new GateStore(redis, keys);
  const pending = new PendingLatest({ redis, key: keys.latest, jobKeyPrefix: queues.submit.toKey('') });
  const gate = new SdistGate({
    requireSdist: config.filters.requireSdist,
    sdistWaitMs: config.filters.sdistWait,
    minAgeMs: config.filters.minAge,
    recheckMs: config.source.every,
    mode: type,
    lookup: createReleaseFilesLookup({ baseUrl, timeoutMs, retries, logger }),
    logger,
  });
  const deps: PollDeps = {
    source: source as typeof source & { fetchSince(cursor: unknown): ReturnType<typeof source.fetchSince> },
    state,
    dedupe,
    filter,
    submitQueue: queues.submit,
    targets: new SubmitTargets(config.submit.targets),
    gate,
    gateStore,
    ...(config.submit.coalesce ? { pending } : {}),
    pendingForWithdrawals: pending,
    builtThenWithdrawn: new BuiltThenWithdrawn(redis, keys.withdrawnAfterSubmit),
    restorableMs: config.filters.sdistWait,
    batchLog: new BatchLog({ logDir: config.paths.logDir }),
    updateListDir: config.paths.updateListDir,
    logger,
    metrics: new MetricsStore({ redis, keyPrefix: bullPrefix(config.redis.prefix) }),
    decisions: new DecisionLog({ redis, keyPrefix: bullPrefix(config.redis.prefix), ttlMs: config.dedupe.ttl }),
    ...crashPointFromEnvironment(),
  };
  const run = ({ since }: { since?: number } = {}): Promise<PollResult> => {
    const request: PollRequest = since === undefined ? {} : { sinceCursor: sinceCursor(config, since) };
    return withPollLock({ redis, key: state.lockKey }, () => runPoll(deps, request));
  };
  return {
    state,
    dedupe,
    run,
    process: (job) => run(job.data.since === undefined ? {} : { since: job.data.since }),
  };
}

/**
 * Fault injection for the CLI crash tests: `PYPI_WATCH_KILL_AFTER_STEP=<step>` SIGKILLs this process
 * right after that step, exactly as an OOM kill or power cut would. Unset in normal operation.
 */
function crashPointFromEnvironment(): Pick<PollDeps, 'checkpoint'> {
  const step = process.env.PYPI_WATCH_KILL_AFTER_STEP;
  if (!step) return {};
  return { checkpoint: (reached: PollStep) => void (reached === step && process.kill(process.pid, 'SIGKILL')) };
}

function sinceCursor(config: Config, since: number): unknown {
  if (config.source.type !== 'changelog') {
    throw new Error('--since takes a changelog serial and needs `source.type: changelog`');
  }
  return { serial: since };
}
