// `pypi-watch worker`: serves the chosen queues until SIGINT/SIGTERM. It loads no web stack, so a
// fleet of submit workers stays small.

import { runWorkers } from '@pypi-watch/worker';
import type { QueueName } from '@pypi-watch/core/queue-names';
import { commandContext, openCommandRuntime } from '../context.js';
import { onShutdownSignal } from '../shutdown.js';

export async function workerCommand(options: { config?: string; queues: QueueName[]; concurrency?: number }): Promise<void> {
  const context = commandContext(options.config, 'service', 'worker');
  const runtime = await openCommandRuntime(context, 'worker');
  try {
    const stopWorkers = await runWorkers(runtime, {
      queues: options.queues,
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    });
    await onShutdownSignal(context.logger, stopWorkers);
  } finally {
    await runtime.close();
  }
}
