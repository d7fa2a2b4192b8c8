// The worker process: serves the chosen queues until SIGINT/SIGTERM, then drains them.

// Narrow entry point: a submit-only worker loads no feed client (got, fast-xml-parser).
import type { QueueName } from '@pypi-watch/core/queue-names';
import type { Runtime } from '@pypi-watch/core/runtime';
import { startWorkers } from '@pypi-watch/core/workers';

export interface WorkerProcessOptions {
  readonly queues: readonly QueueName[];
  readonly concurrency?: number;
}

/** Starts the workers; the returned function stops them within `shutdown.timeout`. */
export async function runWorkers(runtime: Runtime, options: WorkerProcessOptions): Promise<() => Promise<void>> {
  const workers = await startWorkers(runtime, options);
  return () => workers.close(runtime.config.shutdown.timeout);
}
