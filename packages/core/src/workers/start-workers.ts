// Runs the poll / submit / cleanup / result / notify processors of packages/core as BullMQ workers.

import type { Job, Processor, WorkerOptions } from 'bullmq';
import { Worker } from '../queues/bullmq.js';
import { join } from 'node:path';
import { settlesWithin } from '../async/with-timeout.js';
import { createCleanupProcessor } from '../cleanup/cleanup.js';
import { dependencyLoopFromConfig } from '../results/dependency-loop-config.js';
import { createResultProcessor } from '../results/result-processor.js';
import type { QueueName } from '../queues/queue-names.js';
import type { Runtime } from '../runtime.js';
import { renderJobYaml } from '../submit/job-yaml.js';
import { findExecutable } from '../submit/find-executable.js';
import { createSubmitProcessor } from '../submit/submit-processor.js';
import { submitJobDataSchema } from '../submit/submit-job.js';
import { normalizeProjectName } from '../release/project-name.js';
import { SubmitRunner } from '../submit/submit-runner.js';
import { configuredSecretValues } from '../logging/secret-redaction.js';
import { PollInProgressError } from '../errors.js';

export interface StartWorkersOptions {
  /** Which queues this process serves. */
  readonly queues: readonly QueueName[];
  /** Overrides `submit.concurrency` for this process. */
  readonly concurrency?: number;
  /**
   * Variables added to what `submit` inherits (this process's environment, pypi-watch's secrets
   * withheld), e.g. a stand-in's settings in tests, which so never touch `process.env`. @defaultValue `{}`
   */
  readonly submitEnv?: Readonly<Record<string, string>>;
  /** Where `notify.webhooks[].urlEnv` and `secretEnv` are looked up. @defaultValue process.env */
  readonly notifyEnv?: NodeJS.ProcessEnv;
}

export interface WorkerSet {
  readonly workers: readonly Worker[];
  /** Stops taking jobs, waits up to `timeoutMs` for active ones, then forces the rest back to the queue. */
  close(timeoutMs: number): Promise<void>;
}

export async function startWorkers(runtime: Runtime, options: StartWorkersOptions): Promise<WorkerSet> {
  const { config, logger, stores } = runtime;
  const { batchLog, metrics, decisions, targets } = stores;
  const workers: Worker[] = [];
  const closers: Array<() => Promise<void>> = [];

  const add = (name: QueueName, processor: Processor, extra: Partial<WorkerOptions> = {}): Worker => {
    const worker = new Worker(name, processor, { connection: runtime.redis, prefix: stores.keys.base, autorun: true, ...extra });
    worker.on('error', (err) => logger.error({ err, queue: name }, 'worker error'));
    worker.on('failed', (job, err) => {
      if (job) void reportFailure(name, job, err);
    });
    workers.push(worker);
    return worker;
  };

  /**
   * Every failed attempt is logged; a final one at error level. A submit failed for good outside
   * its processor (its worker died mid-submit more than `submit.maxStalledCount` times) still gets
   * its fail-list line, so no release leaves the pipeline unrecorded.
   */
  const reportFailure = async (queue: QueueName, job: Job, err: Error): Promise<void> => {
    try {
      // Every failed poll attempt is news for the overview; one refused because another ran is not.
      if (queue === 'poll' && !(err instanceof PollInProgressError)) await metrics.recordPollFailure(err.message);
      const final = (await job.getState()) === 'failed';
      const fields = { err, queue, jobId: job.id, attempt: job.attemptsMade };
      if (!final) return void logger.warn(fields, 'job attempt failed; will retry');
      logger.error(fields, 'job failed for good');
      if (queue === 'submit' && stalledOutOfAttempts(job, config.submit.maxStalledCount)) {
        const data = submitJobDataSchema.safeParse(job.data);
        if (!data.success) return;
        const reason = `the worker running it died ${config.submit.maxStalledCount + 1} times (submit.maxStalledCount): ${err.message}`;
        await batchLog.appendFailure(data.data.batchId, data.data.name, reason);
        await metrics.recordSubmit('failed');
        await decisions.record([
          {
            subject: normalizeProjectName(data.data.name),
            ...(data.data.version === undefined ? {} : { version: data.data.version }),
            decision: { kind: 'submit-failed', target: targets.resolve(data.data.target)?.id ?? '(unknown target)', reason, final: true },
          },
        ]);
      }
    } catch (error) {
      logger.error({ err: error, queue, jobId: job.id }, 'could not record a job failure');
    }
  };

  if (options.queues.includes('submit')) {
    const concurrency = options.concurrency ?? config.submit.concurrency;
    if (!config.submit.dryRun && (await findExecutable(config.submit.command)) === undefined) {
      logger.warn(
        { command: config.submit.command },
        'submit.command is not an executable on PATH: every submit will fail until lkp-tests is installed (or set submit.dryRun: true)',
      );
    }
    // Every configured secret (AI key, base URL, model, …), so none is kept from submit's output.
    const secrets = configuredSecretValues(config);
    const jobYamlPath = await renderJobYaml({
      templatePath: config.submit.jobYaml,
      outDir: join(config.dataDir, 'rendered'),
      secrets: {
        ...(config.secrets.aiApiKey ? { apiKey: config.secrets.aiApiKey } : {}),
        ...(config.ai.baseUrl ? { baseUrl: config.ai.baseUrl } : {}),
        ...(config.ai.model ? { aiModel: config.ai.model } : {}),
      },
    });
    const runner = new SubmitRunner({
      command: config.submit.command,
      timeoutMs: config.submit.timeout,
      homeRoot: join(config.dataDir, 'submit-home'),
      secrets,
      concurrency,
      ...(options.submitEnv === undefined ? {} : { env: options.submitEnv }),
    });
    closers.push(() => runner.close());
    const processor = createSubmitProcessor({
      runner,
      batchLog,
      jobYamlPath,
      command: config.submit.command,
      targets,
      pending: stores.pendingLatest,
      params: config.submit.params,
      dryRun: config.submit.dryRun,
      logger,
      metrics,
      decisions,
      ...(config.results.enabled ? { followResults: { queue: runtime.queues.result, firstCheckAfterMs: config.results.every } } : {}),
      rateLimit: { queue: runtime.queues.submit, pacer: stores.submitPacer },
    });
    add('submit', processor as Processor, {
      concurrency,
      // BullMQ's fixed-window counter (shared by every worker on every host) keeps workers from
      // fetching far more jobs than they may start; the processor's pacer makes the limit exact.
      limiter: { max: config.submit.rateLimit.max, duration: config.submit.rateLimit.duration },
      lockDuration: config.submit.lockDuration,
      stalledInterval: config.submit.lockDuration,
      maxStalledCount: config.submit.maxStalledCount,
    });
  }

  if (options.queues.includes('poll')) {
    // Loaded only here: the poller brings the feed clients (got, fast-xml-parser), which a
    // submit-only worker never uses (idle RSS target: 90 MB).
    const { createPoller } = await import('../poll/poller.js');
    const poller = await createPoller(runtime);
    // One poll at a time across every worker on every host (the poll lock backs this up).
    await runtime.queues.poll.setGlobalConcurrency(1);
    add('poll', ((job: Parameters<typeof poller.process>[0]) => poller.process(job)) as Processor, { concurrency: 1 });
  }

  if (options.queues.includes('result')) {
    const processor = createResultProcessor({
      pathMap: config.results.pathMap,
      everyMs: config.results.every,
      giveUpAfterMs: config.results.giveUpAfter,
      maxResubmits: config.results.maxResubmits,
      submitQueue: runtime.queues.submit,
      store: stores.results,
      decisions,
      batchLog,
      metrics,
      logger,
      ...(config.results.buildMissingDependencies
        ? { dependencies: await dependencyLoopFromConfig(config, stores, runtime.queues.submit) }
        : {}),
    });
    // Waiting builds sit in `delayed`, not in a worker slot, so a few slots follow thousands of builds.
    add('result', processor as Processor, { concurrency: 4 });
  }

  if (options.queues.includes('notify')) {
    // Loaded only here: delivery brings got, which a submit-only worker never loads.
    const { notifyProcessorFor, notifyBackoffStrategy } = await import('../notify/index.js');
    const notify = notifyProcessorFor(runtime, options.notifyEnv ?? process.env);
    // Deliveries wait on webhooks, not on CPU: enough at once that webhooks which hang until notify.timeout
    // leave slots for the others; each webhook is paced on its own (notify.rateLimit).
    add('notify', notify.process as Processor, { concurrency: 10, settings: { backoffStrategy: notifyBackoffStrategy } });
  }

  if (options.queues.includes('cleanup')) {
    add('cleanup', createCleanupProcessor({ config, stores, logger }) as Processor, { concurrency: 1 });
  }

  logger.info({ queues: options.queues }, 'workers started');
  return {
    workers,
    close: async (timeoutMs) => {
      const graceful = Promise.all(workers.map((worker) => worker.close()));
      if (!(await settlesWithin(graceful, timeoutMs, 'closing the workers'))) {
        logger.warn({ timeoutMs }, 'active jobs did not finish in time; returning them to the queue');
        await Promise.all(workers.map((worker) => worker.close(true)));
      }
      for (const close of closers) await close();
    },
  };
}

/**
 * BullMQ fails a job that stalled more than `maxStalledCount` times (its worker died or hung each
 * time) the next time a worker takes it; `stalledCounter` says so, whatever the error's wording.
 */
function stalledOutOfAttempts(job: Job, maxStalledCount: number): boolean {
  return job.stalledCounter > maxStalledCount;
}
