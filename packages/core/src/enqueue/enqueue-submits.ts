// Queues submit jobs for a batch of releases: one job per release × target, deterministic ids.

import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { SUBMIT_JOB_NAME, submitJobId, type SubmitJobData } from '../submit/submit-job.js';

export interface ReleaseToSubmit {
  readonly name: string;
  readonly normalized: string;
  readonly version?: string;
}

export interface EnqueueSubmitsOptions {
  readonly queue: Queue;
  readonly releases: readonly ReleaseToSubmit[];
  readonly targets: ReadonlyArray<Readonly<Record<string, string>>>;
  readonly batchId: string;
  readonly origin: SubmitJobData['origin'];
  /** Given a client, count jobs whose id already exists (one EXISTS each, pipelined). @defaultValue no count */
  readonly countExistingWith?: Redis;
  /** Jobs per `addBulk` pipeline. @defaultValue 1000 */
  readonly chunkSize?: number;
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
  const chunkSize = options.chunkSize ?? 1000;
  const jobs = options.releases.flatMap((release) =>
    options.targets.map((target) => {
      const data: SubmitJobData = {
        name: release.name,
        ...(release.version === undefined ? {} : { version: release.version }),
        target: { ...target },
        batchId: options.batchId,
        origin: options.origin,
      };
      return { name: SUBMIT_JOB_NAME, data, opts: { jobId: submitJobId(release.normalized, release.version, target, options.batchId) } };
    }),
  );
  let alreadyQueued = 0;
  let next = 0;
  let failed = false;
  // Several chunks in flight: while Redis runs one chunk's scripts, this process encodes the next,
  // instead of each side idling half the time (bench/poll-fanout.ts measures the difference).
  const sender = async (): Promise<void> => {
    while (!failed && next < jobs.length) {
      const chunk = jobs.slice(next, next + chunkSize);
      next += chunkSize;
      try {
        if (options.countExistingWith) {
          alreadyQueued += await countExistingJobs(options.countExistingWith, options.queue, chunk.map((job) => job.opts.jobId));
        }
        await options.queue.addBulk(chunk);
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
