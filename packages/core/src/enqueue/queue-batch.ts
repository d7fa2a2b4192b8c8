// One batch of releases to build, as the poll and `pypi-watch enqueue` both queue it: a batch
// folder, the update list (poll), latest wins (poll, `submit.coalesce`), one submit job per
// release and target, and what was decided about each.

import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { batchIdFor, type BatchLog } from '../batch/batch-log.js';
import { writeUpdateList } from '../batch/update-list.js';
import { newestVersion, type JoinRequest, type PendingLatest } from '../coalesce/pending-latest.js';
import type { DecisionLog, DecisionRecord } from '../decisions/decision-log.js';
import type { OnProgress } from '../progress/work-progress.js';
import { submitJobId, type SubmitJobData } from '../submit/submit-job.js';
import type { SubmitTargets } from '../submit/submit-targets.js';
import { addSubmitJobs, submitJob, type ReleaseToSubmit, type SubmitJobToAdd } from './enqueue-submits.js';

export interface QueueBatchOptions {
  readonly submitQueue: Queue;
  readonly targets: SubmitTargets;
  readonly batchLog: BatchLog;
  /** Who queued it: in job data and the decision log. */
  readonly origin: SubmitJobData['origin'];
  /** When the batch started: names the batch folder and the update list. */
  readonly started: Date;
  /**
   * Latest wins (the poll, with `submit.coalesce`): only the newest version of a project is queued,
   * and it joins that project's not-yet-started job instead of getting its own. @defaultValue off
   */
  readonly pending?: PendingLatest;
  /** Write the names that got a job to `<dir>/pypi_update_*.txt`, as the poll does. @defaultValue no update list */
  readonly updateListDir?: string;
  /** Count jobs whose id already existed (`enqueue` reports them as already queued). @defaultValue no count */
  readonly countExistingWith?: Redis;
  /**
   * Record the decisions now. The poll leaves it out: it records them with the rest of its
   * decisions, before it moves the cursor. @defaultValue not recorded
   */
  readonly decisions?: DecisionLog;
  /** Crash points for the tests: called right after each step. */
  readonly checkpoint?: (step: 'update-list' | 'enqueued') => void;
  /** Jobs handed to BullMQ so far, after each `addBulk` chunk (a CLI's progress bar). @defaultValue none */
  readonly onProgress?: OnProgress | undefined;
}

export interface QueueBatchResult {
  /** Releases that got a job of their own or joined a waiting one. */
  readonly queued: number;
  /** Submit jobs handed to BullMQ (release × target, less the joined ones). */
  readonly queuedJobs: number;
  /** Of those, how many ids already existed (no-ops); only counted with `countExistingWith`. */
  readonly alreadyQueued: number;
  /** Releases that joined a not-yet-started job instead of getting their own. */
  readonly joined: number;
  /** Older versions of a project queued in the same batch as a newer one. */
  readonly superseded: number;
  /** Set when at least one job was added. */
  readonly batchId?: string;
  readonly updateList?: string;
  readonly decisions: DecisionRecord[];
}

export async function queueBatch(options: QueueBatchOptions, releases: readonly ReleaseToSubmit[]): Promise<QueueBatchResult> {
  const decisions: DecisionRecord[] = [];
  const chosen = options.pending ? newestPerProject(releases, decisions) : [...releases];
  const targets = options.targets.all;
  // Job ids of versioned releases do not depend on the batch: computed once, for the join and the job.
  const jobIds = chosen.flatMap(({ normalized, version }) =>
    targets.map((target) => (version === undefined ? undefined : submitJobId(normalized, version, target.id, ''))),
  );
  const joinedJobs = options.pending ? await join(options.pending, chosen, options.targets, jobIds) : undefined;

  const batchId = batchIdFor(options.started);
  const jobs: SubmitJobToAdd[] = [];
  const withOwnJob: ReleaseToSubmit[] = [];
  let joined = 0;
  for (let index = 0; index < chosen.length; index++) {
    const release = chosen[index]!;
    // Per target: the waiting job it joined, or a job of its own.
    let own = 0;
    let joinedIds: string[] | undefined;
    for (let t = 0; t < targets.length; t++) {
      const slot = index * targets.length + t;
      const joinedId = joinedJobs?.[slot];
      if (joinedId !== undefined) (joinedIds ??= []).push(joinedId);
      else {
        jobs.push(submitJob(release, targets[t]!, batchId, options.origin, jobIds[slot]));
        own++;
      }
    }
    if (own > 0) withOwnJob.push(release);
    if (joinedIds) joined++;
    decisions.push({
      subject: release.normalized,
      ...(release.version === undefined ? {} : { version: release.version }),
      decision: { kind: 'queued', origin: options.origin, batchId, jobs: own, ...(joinedIds ? { joined: joinedIds } : {}) },
    });
  }

  let updateList: string | undefined;
  let alreadyQueued = 0;
  if (jobs.length > 0) {
    if (options.updateListDir !== undefined) {
      updateList = await writeUpdateList(
        options.updateListDir,
        withOwnJob.map((release) => release.name),
        options.started,
      );
      options.checkpoint?.('update-list');
    }
    await options.batchLog.create(batchId);
    ({ alreadyQueued } = await addSubmitJobs(options.submitQueue, jobs, {
      ...(options.countExistingWith ? { countExistingWith: options.countExistingWith } : {}),
      onProgress: options.onProgress,
    }));
    options.checkpoint?.('enqueued');
  }
  await options.decisions?.record(decisions);
  return {
    queued: chosen.length,
    queuedJobs: jobs.length,
    alreadyQueued,
    joined,
    superseded: releases.length - chosen.length,
    ...(jobs.length === 0 ? {} : { batchId }),
    ...(updateList === undefined ? {} : { updateList }),
    decisions,
  };
}

/**
 * Per release and target (release-major): the pending job it joined, or undefined for a job of its
 * own. A release without a version (an `enqueue NAME`) builds the newest anyway and joins nothing.
 */
async function join(
  pending: PendingLatest,
  releases: readonly ReleaseToSubmit[],
  targets: SubmitTargets,
  jobIds: ReadonlyArray<string | undefined>,
): Promise<Array<string | undefined>> {
  const slots: number[] = [];
  const requests: JoinRequest[] = [];
  releases.forEach(({ name, normalized, version }, index) => {
    if (version === undefined) return;
    targets.all.forEach((target, t) => {
      const slot = index * targets.all.length + t;
      slots.push(slot);
      requests.push({ normalized, targetId: target.id, jobId: jobIds[slot]!, name, version });
    });
  });
  const replies = await pending.join(requests);
  const joined = new Array<string | undefined>(releases.length * targets.all.length).fill(undefined);
  slots.forEach((slot, i) => (joined[slot] = replies[i]));
  return joined;
}

/** The newest version of each project (unversioned requests pass as they are); the others are recorded as superseded by it. */
function newestPerProject(releases: readonly ReleaseToSubmit[], decisions: DecisionRecord[]): ReleaseToSubmit[] {
  const chosen: ReleaseToSubmit[] = [];
  // Per project its first release, or all of them once there is more than one (the common case,
  // one release per project, keeps no list and compares no versions).
  const byProject = new Map<string, ReleaseToSubmit | ReleaseToSubmit[]>();
  for (const release of releases) {
    if (release.version === undefined) {
      chosen.push(release);
      continue;
    }
    const earlier = byProject.get(release.normalized);
    if (earlier === undefined) byProject.set(release.normalized, release);
    else if (Array.isArray(earlier)) earlier.push(release);
    else byProject.set(release.normalized, [earlier, release]);
  }
  for (const entry of byProject.values()) {
    if (!Array.isArray(entry)) {
      chosen.push(entry);
      continue;
    }
    const list = entry;
    const newest = newestVersion(list.map((release) => release.version!));
    const winner = list.find((release) => release.version === newest) ?? list[list.length - 1]!;
    chosen.push(winner);
    for (const release of list) {
      if (release !== winner)
        decisions.push({ subject: release.normalized, version: release.version!, decision: { kind: 'superseded', by: winner.version! } });
    }
  }
  return chosen;
}
