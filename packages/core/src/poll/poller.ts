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
import { createReleaseSource } from '../sources/create-source.js';
import { withPollLock } from './poll-lock.js';
import { PollState } from './poll-state.js';
import { runPoll, type PollRequest, type PollResult } from './run-poll.js';

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
      ? createReleaseSource({ type, baseUrl, maxPages, timeoutMs, retries, logger })
      : createReleaseSource({ type, baseUrl, maxPages, timeoutMs, retries, pauseMs: pagePause, logger });
  const state = new PollState(redis, config.redis.prefix);
  const dedupe = new DedupeStore({ redis, keyPrefix: bullPrefix(config.redis.prefix), ttlMs: config.dedupe.ttl });
  const deps = {
    source: source as typeof source & { fetchSince(cursor: unknown): ReturnType<typeof source.fetchSince> },
    state,
    dedupe,
    filter,
    submitQueue: queues.submit,
    targets: config.submit.targets,
    batchLog: new BatchLog({ logDir: config.paths.logDir }),
    updateListDir: config.paths.updateListDir,
    logger,
    metrics: new MetricsStore({ redis, keyPrefix: bullPrefix(config.redis.prefix) }),
    decisions: new DecisionLog({ redis, keyPrefix: bullPrefix(config.redis.prefix), ttlMs: config.dedupe.ttl }),
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

function sinceCursor(config: Config, since: number): unknown {
  if (config.source.type !== 'changelog') {
    throw new Error('--since takes a changelog serial and needs `source.type: changelog`');
  }
  return { serial: since };
}
