// The BullMQ processor for the `result` queue: checks a build's result folder, and while it is not
// final, moves itself back to delayed (holding no worker slot) with a growing interval.

import { DelayedError, type Job, type Queue } from 'bullmq';
import type { BatchLog } from '../batch/batch-log.js';
import { DecisionLog } from '../decisions/decision-log.js';
import type { Logger } from '../logging/logger.js';
import type { MetricsStore } from '../metrics/metrics-store.js';
import { SUBMIT_JOB_NAME, submitJobId, targetKey, type SubmitJobData } from '../submit/submit-job.js';
import type { BuildOutcome } from './build-outcome.js';
import { appendResultToBatch } from './result-batch-files.js';
import { classifyResultFolder } from './result-classifier.js';
import { resultJobDataSchema } from './result-job.js';
import { localResultPath } from './result-path.js';
import type { ResultStore } from './result-store.js';

export interface ResultProcessorOptions {
  /** Farm path prefix → local mount (`results.pathMap`). */
  readonly pathMap: Readonly<Record<string, string>>;
  /** First re-check interval; doubles each check up to `maxIntervalMs` (`results.every`). */
  readonly everyMs: number;
  /** Stop waiting for a result this long after the submit (`results.giveUpAfter`). */
  readonly giveUpAfterMs: number;
  /** Automatic resubmits after a farm repo outage (`results.maxResubmits`). */
  readonly maxResubmits: number;
  readonly submitQueue: Queue;
  readonly store: ResultStore;
  readonly decisions: DecisionLog;
  readonly batchLog: BatchLog;
  readonly metrics: MetricsStore;
  readonly logger: Logger;
  /** @defaultValue 1 h */
  readonly maxIntervalMs?: number;
  /** @defaultValue Date.now */
  readonly now?: () => number;
}

export type ResultJobResult = BuildOutcome;

export function createResultProcessor(options: ResultProcessorOptions) {
  const now = options.now ?? Date.now;
  const maxIntervalMs = options.maxIntervalMs ?? 3_600_000;

  return async function processResult(job: Job, token?: string): Promise<ResultJobResult> {
    const data = resultJobDataSchema.parse(job.data);
    const target = targetKey(data.target);
    const log = options.logger.child({ queue: 'result', jobId: job.id, release: { name: data.name, version: data.version }, target });
    const local = localResultPath(data.resultRoot, options.pathMap);
    const base = {
      name: data.name,
      normalized: data.normalized,
      ...(data.version === undefined ? {} : { version: data.version }),
      target,
      farmJobId: data.farmJobId,
      resultRoot: data.resultRoot,
      batchId: data.batchId,
      submittedAt: data.submittedAt,
      ...(data.resubmit > 0 ? { resubmit: data.resubmit } : {}),
    };

    let outcome: BuildOutcome;
    if (local === undefined) {
      outcome = { ...base, status: 'unmapped', finishedAt: now() };
      log.warn({ resultRoot: data.resultRoot }, 'no results.pathMap entry maps this result_root; not following it');
    } else {
      const state = await classifyResultFolder(local);
      if (state.state !== 'done') {
        if (now() - data.submittedAt < options.giveUpAfterMs) {
          const delay = Math.min(options.everyMs * 2 ** data.checks, maxIntervalMs);
          await job.updateData({ ...data, checks: data.checks + 1 });
          await job.moveToDelayed(now() + delay, token);
          log.debug({ state: state.state, nextCheckInMs: delay }, 'build not finished; checking again later');
          throw new DelayedError();
        }
        outcome = { ...base, status: 'gave-up', finishedAt: now() };
        log.warn({ state: state.state, giveUpAfterMs: options.giveUpAfterMs }, 'gave up waiting for the build result');
      } else {
        outcome = {
          ...base,
          status: state.status,
          finishedAt: now(),
          ...(state.kind === undefined ? {} : { kind: state.kind }),
          ...(state.installed === undefined ? {} : { installed: state.installed }),
          ...(state.buildDurationMs === undefined ? {} : { buildDurationMs: state.buildDurationMs }),
        };
      }
    }

    await options.store.add(outcome);
    await appendResultToBatch(options.batchLog, outcome);
    await options.metrics.recordResult(outcome.status, outcome.kind);
    await options.decisions.record([
      {
        subject: data.normalized,
        ...(data.version === undefined ? {} : { version: data.version }),
        decision: { kind: 'result', target, status: outcome.status, ...(outcome.kind ? { failureKind: outcome.kind } : {}) },
      },
    ]);
    log.info({ status: outcome.status, kind: outcome.kind, buildDurationMs: outcome.buildDurationMs }, 'build result');
    if (outcome.kind === 'repo-outage') await resubmitAfterOutage(options, data, target, log);
    return outcome;
  };
}

/** A farm repo outage is not the package's fault: submit it again, a bounded number of times. */
async function resubmitAfterOutage(
  options: ResultProcessorOptions,
  data: ReturnType<typeof resultJobDataSchema.parse>,
  target: string,
  log: Logger,
): Promise<void> {
  const next = data.resubmit + 1;
  if (next > options.maxResubmits) {
    log.warn({ resubmits: data.resubmit }, 'farm repo outage again; resubmit limit reached');
    return;
  }
  const submitData: SubmitJobData = {
    name: data.name,
    ...(data.version === undefined ? {} : { version: data.version }),
    target: data.target,
    batchId: data.batchId,
    origin: 'enqueue',
    resubmit: next,
  };
  const id = `${submitJobId(data.normalized, data.version, data.target, data.batchId)}|resubmit-${next}`;
  await options.submitQueue.add(SUBMIT_JOB_NAME, submitData, { jobId: id });
  await options.decisions.record([
    {
      subject: data.normalized,
      ...(data.version === undefined ? {} : { version: data.version }),
      decision: { kind: 'resubmitted', target, reason: 'farm repo outage', resubmit: next },
    },
  ]);
  log.info({ resubmit: next, jobId: id }, 'resubmitted after a farm repo outage');
}
