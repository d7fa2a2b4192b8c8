// Wires a poll from config: the source, filters, dedupe set and state; used by the poll worker and `pypi-watch poll`.

import type { Job } from 'bullmq';
import { loadAllowFile, ReleaseFilter } from '../release/release-filter.js';
import type { Runtime } from '../runtime.js';
import { createStores, type Stores } from '../wiring/create-stores.js';
import { SdistGate } from '../gate/sdist-gate.js';
import { cursorAtSerial, releaseFilesLookupFromConfig, sourceFromConfig } from '../sources/create-source.js';
import type { DedupeStore } from '../dedupe/dedupe-store.js';
import { withPollLock } from './poll-lock.js';
import type { OnProgress } from '../progress/work-progress.js';
import type { PollState } from './poll-state.js';
import { runPoll, type PollDeps, type PollRequest, type PollResult, type PollStep } from './run-poll.js';

export interface PollJobData {
  /** Backfill from this changelog serial (as `pypi-watch poll --since`). */
  readonly since?: number;
}

export interface Poller {
  readonly state: PollState;
  readonly dedupe: DedupeStore;
  /** One poll now, under the poll lock. `since` backfills from a changelog serial; `onProgress` sees its pages and jobs. */
  run(options?: { since?: number; onProgress?: OnProgress }): Promise<PollResult>;
  /** The BullMQ processor for the `poll` queue. */
  process(job: Job<PollJobData>): Promise<PollResult>;
}

/** What a poll needs of the runtime (a Runtime is one): config, logger, Redis, the queues and the stores. */
export interface CreatePollerOptions extends Pick<Runtime, 'config' | 'redis' | 'queues' | 'logger'> {
  /** @defaultValue built from `config` over `redis` (createStores) */
  readonly stores?: Stores;
  /**
   * Called after each step of a poll (see PollStep). The crash tests pass one that SIGKILLs the process
   * at a chosen step, as an OOM kill or power cut would; nothing in production sets it.
   */
  readonly checkpoint?: (step: PollStep) => void;
}

export async function createPoller({ config, redis, queues, logger, ...options }: CreatePollerOptions): Promise<Poller> {
  const stores = options.stores ?? createStores(config, redis, queues.submit.toKey(''));
  const allowNames = config.filters.allowFile === undefined ? undefined : await loadAllowFile(config.filters.allowFile);
  const filter = new ReleaseFilter({
    prereleases: config.filters.prereleases,
    deny: config.filters.deny,
    allow: config.filters.allow,
    ...(allowNames === undefined ? {} : { allowNames }),
  });
  const source = sourceFromConfig(config.source, logger);
  const gate = new SdistGate({
    requireSdist: config.filters.requireSdist,
    sdistWaitMs: config.filters.sdistWait,
    minAgeMs: config.filters.minAge,
    recheckMs: config.source.every,
    sourceReportsFiles: source.reportsFiles,
    lookup: releaseFilesLookupFromConfig(config.source, logger),
    logger,
  });
  const deps: PollDeps = {
    source,
    state: stores.pollState,
    dedupe: stores.dedupe,
    filter,
    submitQueue: queues.submit,
    targets: stores.targets,
    gate,
    gateStore: stores.gate,
    ...(config.submit.coalesce ? { pending: stores.pendingLatest } : {}),
    pendingForWithdrawals: stores.pendingLatest,
    builtThenWithdrawn: stores.builtThenWithdrawn,
    restorableMs: config.filters.sdistWait,
    batchLog: stores.batchLog,
    updateListDir: config.paths.updateListDir,
    logger,
    metrics: stores.metrics,
    decisions: stores.decisions,
    ...(options.checkpoint === undefined ? {} : { checkpoint: options.checkpoint }),
  };
  const run = ({ since, onProgress }: { since?: number; onProgress?: OnProgress } = {}): Promise<PollResult> => {
    const request: PollRequest = { ...(since === undefined ? {} : { sinceCursor: cursorAtSerial(source, since) }), onProgress };
    return withPollLock({ redis, key: stores.pollState.lockKey }, () => runPoll(deps, request));
  };
  return {
    state: stores.pollState,
    dedupe: stores.dedupe,
    run,
    process: (job) => run(job.data.since === undefined ? {} : { since: job.data.since }),
  };
}
