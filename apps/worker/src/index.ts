// The worker process: serves the chosen queues until SIGINT/SIGTERM, then drains them.

import { startWorkers, type QueueName, type Runtime } from '@pypi-watch/core';

export interface WorkerProcessOptions {
  readonly queues: readonly QueueName[];
  readonly concurrency?: number;
}

/** Starts the workers; the returned function stops them within `shutdown.timeout`. */
export async function runWorkers(runtime: Runtime, options: WorkerProcessOptions): Promise<() => Promise<void>> {
  const workers = await startWorkers(runtime, options);
  return () => workers.close(runtime.config.shutdown.timeout);
}
