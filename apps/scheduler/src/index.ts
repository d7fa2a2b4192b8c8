// Registers the repeatable jobs. Nothing else: it can run anywhere, any number of times.

import type { Runtime } from '@pypi-watch/core/runtime';
import { listSchedules, registerSchedules, type ScheduleInfo } from '@pypi-watch/core/scheduler';

/** How often a running scheduler re-upserts, so a schedule lost with Redis data comes back. */
const REFRESH_MS = 5 * 60_000;

export interface RunningScheduler {
  readonly schedules: readonly ScheduleInfo[];
  stop(): void;
}

export async function runScheduler(runtime: Runtime): Promise<RunningScheduler> {
  await registerSchedules(runtime.queues, runtime.config);
  const schedules = await listSchedules(runtime.queueState);
  runtime.logger.info({ schedules }, 'job schedules registered');
  const timer = setInterval(() => {
    registerSchedules(runtime.queues, runtime.config).catch((err: unknown) =>
      runtime.logger.warn({ err }, 'could not refresh job schedules; will retry'),
    );
  }, REFRESH_MS);
  return { schedules, stop: () => clearInterval(timer) };
}
