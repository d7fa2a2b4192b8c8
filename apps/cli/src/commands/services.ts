// The separate long-running processes for containers: `scheduler`, `worker`, `dashboard`.

import { startDashboard } from '@pypi-watch/dashboard';
import { runScheduler } from '@pypi-watch/scheduler';
import { runWorkers } from '@pypi-watch/worker';
import type { QueueName } from '@pypi-watch/core';
import { commandContext, openCommandRuntime } from '../context.js';
import { onShutdownSignal } from '../shutdown.js';

export async function schedulerCommand(options: { config?: string }): Promise<void> {
  const context = commandContext(options.config, 'service', 'scheduler');
  const runtime = await openCommandRuntime(context, 'scheduler');
  try {
    const scheduler = await runScheduler(runtime);
    await onShutdownSignal(context.logger, async () => scheduler.stop());
  } finally {
    await runtime.close();
  }
}

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

export async function dashboardCommand(options: { config?: string }): Promise<void> {
  const context = commandContext(options.config, 'service', 'dashboard');
  const runtime = await openCommandRuntime(context, 'dashboard');
  try {
    const dashboard = await startDashboard(runtime);
    await onShutdownSignal(context.logger, () => dashboard.close());
  } finally {
    await runtime.close();
  }
}
