// What a submit job carries, and the deterministic job id that makes a release queue only once.

import { z } from '#zod';
import { checkProjectName } from '../release/project-name.js';
import { checkVersion } from '../release/version.js';

export const SUBMIT_JOB_NAME = 'submit';

export const submitJobDataSchema = z.strictObject({
  /** The project name as PyPI or the list spelled it (already validated). */
  name: z.string().refine((name) => checkProjectName(name).ok, 'not a valid PyPI project name'),
  /** Absent for a manual `enqueue NAME` without `==VERSION`: the farm builds the newest. */
  version: z
    .string()
    .refine((version) => checkVersion(version).ok, 'not a valid PEP 440 version of at most 100 characters')
    .optional(),
  /**
   * Which of `submit.targets` to build on: its id (see `targetId`), e.g. `os_arch=aarch64,testbox=vm-2p8g`.
   * Only config turns it into arguments; a map (jobs queued before ids) must equal a configured target.
   */
  target: z.union([z.string().min(1).max(2000), z.record(z.string(), z.string())]),
  /** The batch log folder, `submit-log-YYYYMMDD-HHMMSS`. */
  batchId: z.string().regex(/^submit-log-\d{8}-\d{6}$/),
  /** Who queued it. */
  origin: z.enum(['poll', 'enqueue']),
  /** Set on an automatic resubmit after a farm repo outage (1 for the first). */
  resubmit: z.number().int().min(1).optional(),
  /**
   * When the release became buildable on PyPI (ms): its sdist's event with the gate on, else its first
   * appearance; set by the poll, for the overview's release→submit latency. Job data is hostile: a
   * value that is not a number is dropped (not the build), and the latency is bounded where it is recorded.
   */
  releasedAt: z.number().optional().catch(undefined),
});

export type SubmitJobData = z.infer<typeof submitJobDataSchema>;

/** BullMQ job ids may not contain `:` (key separator); `%` is escaped so the mapping stays one-to-one. */
function escapeIdPart(part: string): string {
  return part.replaceAll('%', '%25').replaceAll(':', '%3A');
}

/**
 * `requests|2.32.0|os_arch=aarch64,testbox=vm-2p8g`: the same release and target always get the
 * same id, so adding it again while the job exists is a no-op. An unversioned manual request is
 * tied to its batch instead: asking again later means "build it again".
 */
export function submitJobId(normalizedName: string, version: string | undefined, targetId: string, batchId: string): string {
  const release = version === undefined ? `latest@${batchId}` : version;
  return [normalizedName, release, targetId].map(escapeIdPart).join('|');
}
