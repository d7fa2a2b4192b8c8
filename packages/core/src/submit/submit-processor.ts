// The BullMQ processor for the `submit` queue: one farm `submit` call per job, recorded in its batch log.

import type { Job } from 'bullmq';
import { UnrecoverableError, Worker, type Queue } from '../queues/bullmq.js';
import type { BatchLog } from '../batch/batch-log.js';
import { claimLatest } from '../coalesce/claim-latest.js';
import type { PendingLatest } from '../coalesce/pending-latest.js';
import type { DecisionLog } from '../decisions/decision-log.js';
import { normalizeProjectName } from '../release/project-name.js';
import { RESULT_JOB_NAME, resultJobId, type ResultJobData } from '../results/result-job.js';
import type { Logger } from '../logging/logger.js';
import { releaseToStartSeconds } from '../metrics/job-latency.js';
import type { MetricsStore } from '../metrics/metrics-store.js';
import { buildSubmitArgs, formatCommandForLog } from './submit-command.js';
import type { StartPacer } from './start-pacer.js';
import { SubmitArgumentError, SubmitFailedError } from '../errors.js';
import { submitJobDataSchema, type SubmitJobData } from './submit-job.js';
import type { SubmitTargets } from './submit-targets.js';
import type { RunOptions, SubmitOutcome, SubmitRunner } from './submit-runner.js';

export interface SubmitProcessorOptions {
  readonly runner: SubmitRunner;
  readonly batchLog: BatchLog;
  /** The rendered (0600) job yaml that `submit` reads. */
  readonly jobYamlPath: string;
  /** `submit.command`, for the dry-run record. */
  readonly command: string;
  /** `submit.targets`: a job names one by id; only these become arguments. */
  readonly targets: SubmitTargets;
  /** `submit.params`: extra `key=value` arguments after the target's. */
  readonly params: Readonly<Record<string, string>>;
  /** `submit.dryRun`: record the exact command in the batch log instead of running it. */
  readonly dryRun: boolean;
  readonly logger: Logger;
  readonly metrics: MetricsStore;
  readonly decisions: DecisionLog;
  /**
   * `submit.rateLimit` as an even pace over any window, not just BullMQ's fixed ones. The job waits
   * for its reserved start; when none is free soon, it goes back to waiting (no attempt spent) and
   * the queue pauses until one is.
   */
  readonly rateLimit?: { readonly pacer: StartPacer; readonly queue: Queue };
  /** "Latest wins": a poll-queued job takes the newest version that joined it before it runs. */
  readonly pending?: PendingLatest;
  /** When set, every successful submit with a `result_root` gets a delayed `result` job. */
  readonly followResults?: { readonly queue: Queue; readonly firstCheckAfterMs: number };
}

export type SubmitJobResult =
  | { readonly dryRun: true; readonly command: readonly string[] }
  | { readonly dryRun: false; readonly jobId: string; readonly resultRoot?: string; readonly durationMs: number };

export function createSubmitProcessor(options: SubmitProcessorOptions) {
  return async function processSubmit(job: Job<SubmitJobData>): Promise<SubmitJobResult> {
    const parsed = submitJobDataSchema.safeParse(job.data);
    if (!parsed.success) {
      // Data that does not validate will not validate on retry either.
      throw new UnrecoverableError(`invalid submit job data: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    }
    let data = parsed.data;
    const log = options.logger.child({ queue: 'submit', jobId: job.id, attempt: job.attemptsMade + 1 });
    const target = options.targets.resolve(data.target);
    if (target === undefined) {
      // Whoever can add a job must not choose farm arguments: only configured targets are built.
      const reason = 'refused: the job names no target of submit.targets (a job may only name a configured target id)';
      await options.batchLog.appendFailure(data.batchId, data.name, reason);
      throw new UnrecoverableError(reason);
    }
    let args: string[];
    try {
      args = buildSubmitArgs({ jobYamlPath: options.jobYamlPath, name: data.name, target: target.args, params: options.params });
    } catch (error) {
      // Arguments that are refused now are refused on every retry.
      if (error instanceof SubmitArgumentError) {
        await options.batchLog.appendFailure(data.batchId, data.name, `refused arguments: ${error.message}`);
        throw new UnrecoverableError(error.message);
      }
      throw error;
    }
    if (options.dryRun) {
      if (options.pending) data = await claimLatest(options.pending, job, data, target.id, options.decisions, log);
      const at = new Date();
      const command = [options.command, ...args];
      await options.batchLog.appendCommand(data.batchId, { name: data.name, command, output: '(dry run: not executed)', attempt: 1, at });
      log.info(
        { release: { name: data.name, version: data.version }, command: formatCommandForLog(options.command, args) },
        'dry run: recorded submit command',
      );
      return { dryRun: true, command };
    }

    // The rate limit's start, reserved now; the runner waits for it once the submit is ready to spawn,
    // and says when the process began, so a start that began late holds the next ones back.
    let pacing: Pick<RunOptions, 'waitForStart' | 'onSpawned'> = {};
    if (options.rateLimit) {
      const start = await options.rateLimit.pacer.reserve();
      if (!start.reserved) {
        await options.rateLimit.queue.rateLimit(start.retryInMs);
        throw Worker.RateLimitError();
      }
      pacing = options.rateLimit.pacer.startGate(start);
    }
    // After the start is reserved: a job sent back by the rate limit must still take later releases.
    if (options.pending) data = await claimLatest(options.pending, job, data, target.id, options.decisions, log);
    const at = new Date();

    let outcome: SubmitOutcome;
    try {
      outcome = await options.runner.run(args, pacing);
    } catch (error) {
      if (!(error instanceof SubmitFailedError)) throw error;
      const attempt = job.attemptsMade + 1;
      // A refused farm account fails every retry until someone fixes it: fail now, retry by hand later.
      const finalAttempt = error.accountRefused || attempt >= (job.opts.attempts ?? 1);
      await options.batchLog.appendCommand(data.batchId, {
        name: data.name,
        command: [options.command, ...args],
        output: error.output,
        attempt,
        at,
      });
      if (finalAttempt) await options.batchLog.appendFailure(data.batchId, data.name, error.reason);
      try {
        // One round trip for both; what Redis holds must not turn the farm's answer into another error.
        await Promise.all([
          options.metrics.recordSubmit(finalAttempt ? 'failed' : 'retried', error.durationMs, {
            releaseToStartSeconds: releaseToStartSeconds(data.releasedAt, Date.now() - error.durationMs, job.attemptsMade),
          }),
          options.decisions.record([
            { ...subjectOf(data), decision: { kind: 'submit-failed', target: target.id, reason: error.reason, final: finalAttempt } },
          ]),
        ]);
      } catch (bookkeeping) {
        log.error({ err: bookkeeping }, 'submit failed, and could not record it (metrics or decision log)');
      }
      log.warn(
        { release: { name: data.name, version: data.version }, target: target.id, kind: error.kind, reason: error.reason, finalAttempt },
        finalAttempt ? 'submit failed for good' : 'submit failed, will retry',
      );
      if (error.accountRefused) throw new UnrecoverableError(error.reason);
      throw error;
    }

    // The farm has the job now: a bookkeeping failure must not make BullMQ retry, and submit twice.
    try {
      await options.batchLog.appendCommand(data.batchId, {
        name: data.name,
        command: outcome.command,
        output: outcome.output,
        attempt: job.attemptsMade + 1,
        at,
      });
      await options.batchLog.appendSuccess(data.batchId, data.name, outcome.jobId, outcome.resultRoot);
      // Independent writes: one round trip for all of them on every submit's path, not three in a row.
      const followUp =
        options.followResults && outcome.resultRoot && job.id
          ? options.followResults.queue.add(RESULT_JOB_NAME, resultJobData(data, target.id, outcome.jobId, outcome.resultRoot), {
              jobId: resultJobId(job.id),
              delay: options.followResults.firstCheckAfterMs,
            })
          : undefined;
      await Promise.all([
        options.metrics.recordSubmit('succeeded', outcome.durationMs, {
          releaseToStartSeconds: releaseToStartSeconds(data.releasedAt, outcome.startedAt.getTime(), job.attemptsMade),
        }),
        options.decisions.record([
          {
            ...subjectOf(data),
            decision: {
              kind: 'submitted',
              target: target.id,
              farmJobId: outcome.jobId,
              ...(outcome.resultRoot ? { resultRoot: outcome.resultRoot } : {}),
            },
          },
        ]),
        followUp,
      ]);
    } catch (error) {
      log.error(
        { err: error, farmJobId: outcome.jobId },
        'submitted, but could not record it (batch log, metrics, decision log or result job)',
      );
    }
    log.info(
      {
        release: { name: data.name, version: data.version },
        target: target.id,
        farmJobId: outcome.jobId,
        resultRoot: outcome.resultRoot,
        startedAt: outcome.startedAt,
        durationMs: outcome.durationMs,
      },
      'submitted',
    );
    return {
      dryRun: false,
      jobId: outcome.jobId,
      durationMs: outcome.durationMs,
      ...(outcome.resultRoot ? { resultRoot: outcome.resultRoot } : {}),
    };
  };
}

function resultJobData(data: SubmitJobData, target: string, farmJobId: string, resultRoot: string): ResultJobData {
  return {
    name: data.name,
    normalized: normalizeProjectName(data.name),
    ...(data.version === undefined ? {} : { version: data.version }),
    target,
    batchId: data.batchId,
    farmJobId,
    resultRoot,
    submittedAt: Date.now(),
    resubmit: data.resubmit ?? 0,
  };
}

function subjectOf(data: SubmitJobData): { subject: string; version?: string } {
  return { subject: normalizeProjectName(data.name), ...(data.version === undefined ? {} : { version: data.version }) };
}
