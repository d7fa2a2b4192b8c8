// `pypi-watch scheduler`: the long-running process that keeps the Job Schedulers registered.

import { runScheduler } from '@pypi-watch/scheduler';
import { commandContext, openCommandRuntime } from '../context.js';
import { onShutdownSignal } from '../shutdown.js';

export async function schedulerCommand(options: { config?: string }): Promise<void> {
  const context = commandContext(options.config, 'service', 'scheduler');
  const runtime = await openCommandRuntime(context, 'scheduler');
  try {
    const scheduler = await runScheduler(runtime);
    await onShutdownSignal(context.logger, () => {
      scheduler.stop();
      return Promise.resolve();
    });
  } finally {
    await runtime.close();
  }
}
