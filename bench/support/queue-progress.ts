// Waiting for a queue to finish a known number of jobs, and when it did, from BullMQ's own timestamps.

import type { Queue } from 'bullmq';

/** Polls the completed and failed counts until they add up to `expected`; throws after `timeoutMs`. */
export async function waitForFinished(queue: Queue, expected: number, timeoutMs: number): Promise<{ completed: number; failed: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await queue.getJobCounts('completed', 'failed');
    const completed = counts['completed'] ?? 0;
    const failed = counts['failed'] ?? 0;
    if (completed + failed >= expected) return { completed, failed };
    if (Date.now() > deadline)
      throw new Error(`${queue.name}: ${completed} completed and ${failed} failed of ${expected} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The earliest processedOn and latest finishedOn (epoch ms) over the queue's completed jobs. */
export async function finishedSpan(queue: Queue): Promise<{ firstStart: number; lastFinish: number; jobs: number }> {
  let firstStart = Infinity;
  let lastFinish = -Infinity;
  let jobs = 0;
  for (let start = 0; ; start += 1000) {
    const page = await queue.getJobs(['completed'], start, start + 999, true);
    for (const job of page) {
      jobs++;
      firstStart = Math.min(firstStart, job.processedOn ?? Infinity);
      lastFinish = Math.max(lastFinish, job.finishedOn ?? -Infinity);
    }
    if (page.length < 1000) break;
  }
  return { firstStart, lastFinish, jobs };
}
