// What a submit job carries, and the deterministic job id that makes a release queue only once.

import { z } from 'zod';
import { checkProjectName } from '../release/project-name.js';

export const SUBMIT_JOB_NAME = 'submit';

export const submitJobDataSchema = z.strictObject({
  /** The project name as PyPI or the list spelled it (already validated). */
  name: z.string().refine((name) => checkProjectName(name).ok, 'not a valid PyPI project name'),
  /** Absent for a manual `enqueue NAME` without `==VERSION`: the farm builds the newest. */
  version: z.string().max(100).optional(),
  /** The farm target, every key becoming `key=value`, e.g. `{ os_arch: 'aarch64', testbox: 'vm-2p8g' }`. */
  target: z.record(z.string(), z.string()),
  /** The batch log folder, `submit-log-YYYYMMDD-HHMMSS`. */
  batchId: z.string().regex(/^submit-log-\d{8}-\d{6}$/),
  /** Who queued it. */
  origin: z.enum(['poll', 'enqueue']),
  /** Set on an automatic resubmit after a farm repo outage (1 for the first). */
  resubmit: z.number().int().min(1).optional(),
});

export type SubmitJobData = z.infer<typeof submitJobDataSchema>;

/** `os_arch=aarch64,testbox=vm-2p8g`: a target as it appears in job ids and logs. */
export function targetKey(target: Readonly<Record<string, string>>): string {
  return Object.entries(target)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

/** BullMQ job ids may not contain `:` (key separator); `%` is escaped so the mapping stays one-to-one. */
function escapeIdPart(part: string): string {
  return part.replaceAll('%', '%25').replaceAll(':', '%3A');
}

/**
 * `requests|2.32.0|os_arch=aarch64,testbox=vm-2p8g`: the same release and target always get the
 * same id, so adding it again while the job exists is a no-op. An unversioned manual request is
 * tied to its batch instead: asking again later means "build it again".
 */
export function submitJobId(
  normalizedName: string,
  version: string | undefined,
  target: Readonly<Record<string, string>>,
  batchId: string,
): string {
  const release = version === undefined ? `latest@${batchId}` : version;
  return [normalizedName, release, targetKey(target)].map(escapeIdPart).join('|');
}
