// The worker's side of "latest wins": right before a poll-queued submit runs, it takes what the job
// stands for now. Releases that joined it while it waited make it build their newest version.

import type { Job } from 'bullmq';
import type { DecisionLog } from '../decisions/decision-log.js';
import type { Logger } from '../logging/logger.js';
import { normalizeProjectName } from '../release/project-name.js';
import type { SubmitJobData } from '../submit/submit-job.js';
import { newestVersion, type PendingLatest } from './pending-latest.js';

/** Compare-and-delete retries: each lost race means a release joined in that instant. */
const MAX_CLAIM_ROUNDS = 20;

/**
 * Returns the job's data as it should run: with the newest version that joined it, stored in the
 * job before the pending entry is deleted, so a retry or a stalled rerun builds the same.
 */
export async function claimLatest(
  pending: PendingLatest,
  job: Job<SubmitJobData>,
  data: SubmitJobData,
  targetId: string,
  decisions: DecisionLog,
  log: Logger,
): Promise<SubmitJobData> {
  if (data.origin !== 'poll' || data.version === undefined || job.id === undefined) return data;
  const normalized = normalizeProjectName(data.name);
  let current = data;
  for (let round = 0; round < MAX_CLAIM_ROUNDS; round++) {
    const claimed = await pending.claim({ normalized, targetId, jobId: job.id, name: data.name, version: data.version });
    if (claimed === undefined) return current;
    const newest = newestVersion(claimed.versions) ?? data.version;
    // The job's data and the field's deletion change in one script: one round trip, and no moment
    // where the field is gone while the job still names an older version.
    const next = newest === current.version ? undefined : { ...current, version: newest };
    if (await pending.release(normalized, targetId, claimed, next)) {
      if (next !== undefined) {
        current = next;
        job.data = next;
      }
      const superseded = claimed.versions.filter((version) => version !== newest);
      await decisions.record(superseded.map((version) => ({ subject: normalized, version, decision: { kind: 'superseded', by: newest } })));
      if (superseded.length > 0)
        log.info({ release: { name: data.name, version: newest }, superseded }, 'latest wins: building the newest version');
      return current;
    }
  }
  log.warn(
    { release: { name: data.name, version: current.version } },
    'latest wins: releases kept joining; building what the job holds now',
  );
  return current;
}
