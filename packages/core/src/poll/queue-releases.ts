// Queues a poll's buildable releases: latest wins per project, a newer version joins a submit job
// that has not started, the rest get one job per target in one batch (update list, batch folder).

import type { Queue } from 'bullmq';
import type { BatchLog } from '../batch/batch-log.js';
import { batchIdFor } from '../batch/batch-log.js';
import { writeUpdateList } from '../batch/update-list.js';
import { newestVersion, type PendingLatest } from '../coalesce/pending-latest.js';
import type { DecisionRecord } from '../decisions/decision-log.js';
import { addSubmitJobs, submitJob, type SubmitJobToAdd } from '../enqueue/enqueue-submits.js';
import { submitJobId } from '../submit/submit-job.js';
import type { SubmitTargets } from '../submit/submit-targets.js';

export interface BuildableRelease {
  readonly key: string;
  readonly name: string;
  readonly normalized: string;
  readonly version: string;
}

export interface QueueReleasesDeps {
  readonly submitQueue: Queue;
  readonly targets: SubmitTargets;
  /** Set when `submit.coalesce` is on. */
  readonly pending?: PendingLatest;
  readonly batchLog: BatchLog;
  readonly updateListDir: string;
  /** Crash points for the tests: called right after each step. */
  readonly checkpoint?: (step: 'update-list' | 'enqueued') => void;
}

export interface QueueReleasesResult {
  /** Releases that got a job of their own or joined a waiting one. */
  readonly queued: number;
  readonly queuedJobs: number;
  /** Releases that joined a not-yet-started job instead of getting their own. */
  readonly joined: number;
  /** Older versions of a project queued in the same poll as a newer one. */
  readonly superseded: number;
  readonly batchId?: string;
  readonly updateList?: string;
  readonly decisions: DecisionRecord[];
}

export async function queueReleases(deps: QueueReleasesDeps, releases: readonly BuildableRelease[], started: Date): Promise<QueueReleasesResult> {
  const decisions: DecisionRecord[] = [];
  const chosen = deps.pending ? newestPerProject(releases, decisions) : [...releases];

  // Per release and target: the waiting job it joins, or undefined for a job of its own.
  const targets = deps.targets.all;
  let joinedJobs: Array<string | undefined>;
  if (deps.pending) {
    joinedJobs = await deps.pending.join(
      chosen.flatMap((release) =>
        targets.map((target) => ({
          normalized: release.normalized,
          targetId: target.id,
          jobId: submitJobId(release.normalized, release.version, target.id, ''),
          name: release.name,
          version: release.version,
        })),
      ),
    );
  } else {
    joinedJobs = new Array<string | undefined>(chosen.length * targets.length).fill(undefined);
  }

  const batchId = batchIdFor(started);
  const jobs: SubmitJobToAdd[] = [];
  const withOwnJob: BuildableRelease[] = [];
  let joined = 0;
  chosen.forEach((release, index) => {
    const joinedHere = targets.map((_, t) => joinedJobs[index * targets.length + t]).filter((id): id is string => id !== undefined);
    const own = targets.filter((_, t) => joinedJobs[index * targets.length + t] === undefined);
    for (const target of own) jobs.push(submitJob(release, target, batchId, 'poll'));
    if (own.length > 0) withOwnJob.push(release);
    if (joinedHere.length > 0) joined++;
    decisions.push({
      subject: release.normalized,
      version: release.version,
      decision: { kind: 'queued', origin: 'poll', batchId, jobs: own.length, ...(joinedHere.length > 0 ? { joined: joinedHere } : {}) },
    });
  });

  let updateList: string | undefined;
  if (jobs.length > 0) {
    updateList = await writeUpdateList(deps.updateListDir, withOwnJob.map((release) => release.name), started);
    deps.checkpoint?.('update-list');
    await deps.batchLog.create(batchId);
    await addSubmitJobs(deps.submitQueue, jobs);
    deps.checkpoint?.('enqueued');
  }
  return {
    queued: chosen.length,
    queuedJobs: jobs.length,
    joined,
    superseded: releases.length - chosen.length,
    ...(updateList === undefined ? {} : { batchId, updateList }),
    decisions,
  };
}

/** The newest version of each project; the others are recorded as superseded by it. */
function newestPerProject(releases: readonly BuildableRelease[], decisions: DecisionRecord[]): BuildableRelease[] {
  const byProject = new Map<string, BuildableRelease[]>();
  for (const release of releases) {
    const list = byProject.get(release.normalized);
    if (list) list.push(release);
    else byProject.set(release.normalized, [release]);
  }
  const chosen: BuildableRelease[] = [];
  for (const list of byProject.values()) {
    if (list.length === 1) {
      chosen.push(list[0]!);
      continue;
    }
    const newest = newestVersion(list.map((release) => release.version));
    const winner = list.find((release) => release.version === newest) ?? list[list.length - 1]!;
    chosen.push(winner);
    for (const release of list) {
      if (release !== winner) decisions.push({ subject: release.normalized, version: release.version, decision: { kind: 'superseded', by: winner.version } });
    }
  }
  return chosen;
}
