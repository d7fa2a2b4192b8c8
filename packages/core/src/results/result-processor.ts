// The BullMQ processor for the `result` queue: checks a build's result folder, and while it is not
// final, moves itself back to delayed (holding no worker slot) with a growing interval.

import type { Job } from 'bullmq';
import { DelayedError, type Queue } from '../queues/bullmq.js';
import type { BatchLog } from '../batch/batch-log.js';
import { type DecisionLog } from '../decisions/decision-log.js';
import type { Logger } from '../logging/logger.js';
import { submitToResultSeconds } from '../metrics/job-latency.js';
import type { MetricsStore } from '../metrics/metrics-store.js';
import { SUBMIT_JOB_NAME, submitJobId, type SubmitJobData } from '../submit/submit-job.js';
import type { BuildOutcome } from './build-outcome.js';
import type { DependencyLoop } from './dependency-loop.js';
import { appendResultToBatch } from './result-batch-files.js';
import { FsGate } from './fs-gate.js';
import { classifyResultFolder } from './result-classifier.js';
import { resultJobDataSchema } from './result-job.js';
import { resolveResultPath } from './result-path.js';
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
  /** Each filesystem call on the result mount fails (the build: `unreadable`, `timeout`) after this (ms). @defaultValue 10000 */
  readonly readTimeoutMs?: number;
  /** Bytes read at most from one result file. @defaultValue 256 MiB */
  readonly maxScanBytes?: number;
  /**
   * Builds what a `missing-dependency` failure was missing, then the failed build again
   * (`results.buildMissingDependencies`). @defaultValue off
   */
  readonly dependencies?: DependencyLoop;
  /** @defaultValue Date.now */
  readonly now?: () => number;
}

export type ResultJobResult = BuildOutcome;

export function createResultProcessor(options: ResultProcessorOptions) {
  const now = options.now ?? Date.now;
  const maxIntervalMs = options.maxIntervalMs ?? 3_600_000;
  // One per process: however many result jobs run, at most two fs calls (of libuv's four threads)
  // are on the farm mount at once, so a hung mount can never stall submit's file work.
  const gate = new FsGate({ maxInFlight: 2, ...(options.readTimeoutMs === undefined ? {} : { timeoutMs: options.readTimeoutMs }) });
  const read = { gate, ...(options.maxScanBytes === undefined ? {} : { maxScanBytes: options.maxScanBytes }) };
  const emptyPathMap = Object.keys(options.pathMap).length === 0;
  if (emptyPathMap) {
    options.logger.warn(
      { queue: 'result' },
      'results.pathMap is empty: build results are not followed (set e.g. {"/srv": "/srv"} to read them)',
    );
  }

  return async function processResult(job: Job, token?: string): Promise<ResultJobResult> {
    const data = resultJobDataSchema.parse(job.data);
    const target = data.target;
    const log = options.logger.child({ queue: 'result', jobId: job.id, release: { name: data.name, version: data.version }, target });
    const local = resolveResultPath(data.resultRoot, options.pathMap);
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
    let missingModules: readonly string[] = [];
    if (local === undefined) {
      outcome = { ...base, status: 'unmapped', finishedAt: now() };
      log.warn(
        { resultRoot: data.resultRoot, emptyPathMap },
        emptyPathMap
          ? 'results.pathMap is empty; not following this result_root'
          : 'no results.pathMap entry maps this result_root; not following it',
      );
    } else {
      const state = await classifyResultFolder(local.path, { root: local.root, ...read });
      if (state.state === 'unreadable') {
        // Final: a hostile or broken folder does not get better by waiting, and is never followed.
        outcome = {
          ...base,
          status: 'unreadable',
          finishedAt: now(),
          unreadable: { reason: state.reason, ...(state.file ? { file: state.file } : {}) },
        };
        log.warn(
          { resultRoot: data.resultRoot, reason: state.reason, file: state.file },
          'result folder is not safe to read; not reading it',
        );
      } else if (state.state !== 'done') {
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
        missingModules = state.missingModules ?? [];
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
    await options.metrics.recordResult(outcome.status, outcome.kind, {
      submitToResultSeconds: submitToResultSeconds(data.submittedAt, outcome.finishedAt),
      missingModules,
    });
    await options.decisions.record([
      {
        subject: data.normalized,
        ...(data.version === undefined ? {} : { version: data.version }),
        decision: { kind: 'result', target, status: outcome.status, ...failureKindOf(outcome) },
      },
    ]);
    log.info({ status: outcome.status, kind: outcome.kind, buildDurationMs: outcome.buildDurationMs }, 'build result');
    if (outcome.kind === 'repo-outage') await resubmitAfterOutage(options, data, target, log);
    await options.dependencies?.onOutcome(data, outcome, missingModules, log);
    return outcome;
  };
}

/** The decision's detail: the failure kind, or for an unreadable folder why (`not-a-regular-file: output`). */
function failureKindOf(outcome: BuildOutcome): { failureKind?: string } {
  if (outcome.unreadable) return { failureKind: [outcome.unreadable.reason, outcome.unreadable.file].filter(Boolean).join(': ') };
  return outcome.kind ? { failureKind: outcome.kind } : {};
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
