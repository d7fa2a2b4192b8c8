// Queues submit jobs for a batch of releases: one job per release × target, deterministic ids.

import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { OnProgress } from '../progress/work-progress.js';
import { SUBMIT_JOB_NAME, submitJobId, type SubmitJobData } from '../submit/submit-job.js';
import { SubmitTargets, type SubmitTarget } from '../submit/submit-targets.js';

export interface ReleaseToSubmit {
  readonly name: string;
  readonly normalized: string;
  readonly version?: string;
  /** When it became buildable on PyPI (ms), if the poll knows: carried in the job for the overview's latency. */
  readonly releasedAt?: number;
}

export interface EnqueueSubmitsOptions {
  readonly queue: Queue;
  readonly releases: readonly ReleaseToSubmit[];
  /** `submit.targets` as configured; each job names its target by id. */
  readonly targets: ReadonlyArray<Readonly<Record<string, string>>>;
  readonly batchId: string;
  readonly origin: SubmitJobData['origin'];
  /** Given a client, count jobs whose id already exists (one EXISTS each, pipelined). @defaultValue no count */
  readonly countExistingWith?: Redis;
  /** Jobs per `addBulk` pipeline. @defaultValue 1000 */
  readonly chunkSize?: number;
  /** Jobs added so far, after each chunk. @defaultValue none */
  readonly onProgress?: OnProgress | undefined;
}

export interface EnqueueSubmitsResult {
  /** Jobs handed to BullMQ (release × target). */
  readonly jobs: number;
  /** Of those, how many ids already existed (no-ops); only counted with `countExistingWith`. */
  readonly alreadyQueued: number;
}

/** `addBulk` pipelines sent at once; each waits for its own replies only. */
const CHUNKS_IN_FLIGHT = 4;

/**
 * `addBulk` is a pipeline, not a transaction: a crash halfway leaves some jobs added. Replaying
 * the same batch is safe because every id is derived from the release, so added ones are no-ops.
 */
export async function enqueueSubmits(options: EnqueueSubmitsOptions): Promise<EnqueueSubmitsResult> {
  const targets = new SubmitTargets(options.targets).all;
  const jobs = options.releases.flatMap((release) => targets.map((target) => submitJob(release, target, options.batchId, options.origin)));
  return addSubmitJobs(options.queue, jobs, options);
}

export interface SubmitJobToAdd {
  readonly name: typeof SUBMIT_JOB_NAME;
  readonly data: SubmitJobData;
  readonly opts: { readonly jobId: string };
}

/**
 * The job of one release on one target; its id is derived from both, so adding it twice is a no-op.
 * `jobId`, when the caller has it already, must be that id (submitJobId of the same release and target).
 */
export function submitJob(
  release: ReleaseToSubmit,
  target: SubmitTarget,
  batchId: string,
  origin: SubmitJobData['origin'],
  jobId: string = submitJobId(release.normalized, release.version, target.id, batchId),
): SubmitJobToAdd {
  const data: SubmitJobData = {
    name: release.name,
    ...(release.version === undefined ? {} : { version: release.version }),
    target: target.id,
    batchId,
    origin,
    ...(release.releasedAt === undefined ? {} : { releasedAt: release.releasedAt }),
  };
  return { name: SUBMIT_JOB_NAME, data, opts: { jobId } };
}

/** Adds jobs in `addBulk` chunks, several in flight. */
export async function addSubmitJobs(
  queue: Queue,
  jobs: readonly SubmitJobToAdd[],
  options: Pick<EnqueueSubmitsOptions, 'countExistingWith' | 'chunkSize' | 'onProgress'> = {},
): Promise<EnqueueSubmitsResult> {
  const chunkSize = options.chunkSize ?? 1000;
  let alreadyQueued = 0;
  let next = 0;
  let added = 0;
  let failed = false;
  // Several chunks in flight: while Redis runs one chunk's scripts, this process encodes the next,
  // instead of each side idling half the time (bench/poll-fanout.ts measures the difference).
  const sender = async (): Promise<void> => {
    while (!failed && next < jobs.length) {
      const chunk = jobs.slice(next, next + chunkSize);
      next += chunkSize;
      try {
        if (options.countExistingWith) {
          alreadyQueued += await countExistingJobs(
            options.countExistingWith,
            queue,
            chunk.map((job) => job.opts.jobId),
          );
        }
        await queue.addBulk(chunk);
        added += chunk.length;
        options.onProgress?.({ phase: 'enqueue', done: added, total: jobs.length });
      } catch (error) {
        failed = true; // send no more chunks; the ones in flight finish, then the first error is thrown
        throw error;
      }
    }
  };
  // Counting stays one chunk at a time: an id repeated in a later chunk must see the earlier add.
  const senders = Math.min(options.countExistingWith ? 1 : CHUNKS_IN_FLIGHT, Math.ceil(jobs.length / chunkSize));
  const settled = await Promise.allSettled(Array.from({ length: senders }, sender));
  const rejected = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (rejected) throw rejected.reason;
  return { jobs: jobs.length, alreadyQueued };
}

async function countExistingJobs(redis: Redis, queue: Queue, ids: readonly string[]): Promise<number> {
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.exists(queue.toKey(id));
  const replies = (await pipeline.exec()) ?? [];
  return replies.filter(([error, exists]) => !error && exists === 1).length;
}
