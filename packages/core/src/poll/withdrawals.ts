// Withdrawn releases (removed, yanked, project removed): drop their submit jobs that have not run yet.

import type { Queue } from 'bullmq';
import type { Logger } from '../logging/logger.js';
import { submitJobId } from '../submit/submit-job.js';

export interface Withdrawal {
  readonly name: string;
  readonly normalized: string;
  /** Absent when the whole project was removed. */
  readonly version?: string;
}

/** States in which a submit has not started: removing the job there means it never runs. */
const NOT_STARTED = ['waiting', 'delayed', 'prioritized'] as const;

export async function removeWithdrawnJobs(
  queue: Queue,
  targets: ReadonlyArray<Readonly<Record<string, string>>>,
  withdrawals: readonly Withdrawal[],
  log: Logger,
): Promise<number> {
  const ids = new Map<string, Withdrawal>();
  for (const withdrawal of withdrawals) {
    if (withdrawal.version === undefined) continue;
    for (const target of targets) ids.set(submitJobId(withdrawal.normalized, withdrawal.version, target, ''), withdrawal);
  }
  const removedProjects = new Map(withdrawals.filter((w) => w.version === undefined).map((w) => [w.normalized, w]));
  if (removedProjects.size > 0) {
    // A project removal names no version: find its jobs among those not started (one pass for all).
    for (const id of await queue.getRanges([...NOT_STARTED], 0, -1)) {
      const project = removedProjects.get(id.slice(0, id.indexOf('|')));
      if (project) ids.set(id, project);
    }
  }
  let removed = 0;
  for (const [id, withdrawal] of ids) {
    const state = await queue.getJobState(id);
    if (!(NOT_STARTED as readonly string[]).includes(state)) continue;
    // remove() refuses a job a worker has locked meanwhile: then it runs, which is the safe side.
    if ((await queue.remove(id)) === 1) {
      removed++;
      log.info(
        { jobId: id, release: { name: withdrawal.name, version: withdrawal.version ?? '(all)' } },
        'removed submit job of a withdrawn release',
      );
    }
  }
  return removed;
}
