// A backlog of `count` distinct poll-queued releases (`pkg-<n>` 1.0.0), one job per configured target.

import type { Queue } from 'bullmq';
import { batchIdFor, enqueueSubmits, type ReleaseToSubmit } from '../../packages/core/src/index.js';

export async function enqueueBacklog(queue: Queue, targets: ReadonlyArray<Readonly<Record<string, string>>>, count: number): Promise<void> {
  const releases = Array.from({ length: count }, (_, index): ReleaseToSubmit => ({
    name: `pkg-${index}`,
    normalized: `pkg-${index}`,
    version: '1.0.0',
  }));
  await enqueueSubmits({ queue, releases, targets, batchId: batchIdFor(new Date()), origin: 'poll' });
}
