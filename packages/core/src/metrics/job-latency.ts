// The two latencies the overview charts, from what a job carries. Job data is hostile: a time from it
// only yields a latency the histogram believes (time-series.ts drops the rest), never a thrown error.

/**
 * Seconds from a release becoming buildable to its submit starting; only for a job's first attempt
 * (a retry is the same release, not a new sample) and only when the poll dated the release.
 */
export function releaseToStartSeconds(releasedAt: number | undefined, startedAtMs: number, attemptsMade: number): number | undefined {
  if (releasedAt === undefined || attemptsMade !== 0 || !Number.isFinite(releasedAt)) return undefined;
  return (startedAtMs - releasedAt) / 1000;
}

/** Seconds from a submit's success to its build's final result. */
export function submitToResultSeconds(submittedAt: number, finishedAt: number): number | undefined {
  if (!Number.isFinite(submittedAt) || !Number.isFinite(finishedAt)) return undefined;
  return (finishedAt - submittedAt) / 1000;
}
