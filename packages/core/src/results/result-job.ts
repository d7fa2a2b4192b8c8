// The `result` queue's job: follow one submitted build to its outcome.

import { z } from '#zod';

export const RESULT_JOB_NAME = 'result';

export const resultJobDataSchema = z.strictObject({
  name: z.string(),
  normalized: z.string(),
  version: z.string().optional(),
  /** The submit target's id (see `targetId`). */
  target: z.string().min(1).max(2000),
  batchId: z.string(),
  farmJobId: z.string(),
  /** The farm's path, as `submit` printed it. */
  resultRoot: z.string(),
  submittedAt: z.number(),
  /** Which automatic resubmit (after a farm repo outage) this build is; 0 for the first. */
  resubmit: z.number().int().min(0).default(0),
  /** Checks so far; the next one waits `results.every × 2^checks`, capped. */
  checks: z.number().int().min(0).default(0),
});

export type ResultJobData = z.input<typeof resultJobDataSchema>;

/** `result|<submit job id>`: one follow-up per submit, however often the submit job is retried. */
export function resultJobId(submitJobId: string): string {
  return `result|${submitJobId}`;
}
