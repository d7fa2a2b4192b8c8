// `pypi-watch start`: embedded Redis if needed, scheduler, every worker and the dashboard in one process.

import { startDashboard } from '@pypi-watch/dashboard';
import { runScheduler } from '@pypi-watch/scheduler';
import { runWorkers } from '@pypi-watch/worker';
import { QUEUE_NAMES } from '@pypi-watch/core';
import { commandContext, openCommandRuntime } from '../context.js';
import { onShutdownSignal } from '../shutdown.js';

export async function startCommand(options: { config?: string }): Promise<void> {
  const context = commandContext(options.config, 'service', 'start');
  const runtime = await openCommandRuntime(context, 'start');
  try {
    const scheduler = await runScheduler(runtime);
    const stopWorkers = await runWorkers(runtime, { queues: QUEUE_NAMES });
    const dashboard = await startDashboard(runtime);
    context.logger.info({ dashboard: dashboard.url, redis: runtime.embedded ? 'embedded' : 'external' }, 'pypi-watch started');
    await onShutdownSignal(context.logger, async () => {
      scheduler.stop();
      await dashboard.close();
      await stopWorkers();
    });
  } finally {
    await runtime.close();
  }
}
