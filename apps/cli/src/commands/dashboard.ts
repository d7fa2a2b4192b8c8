// `pypi-watch dashboard`: Bull Board, /healthz, /metrics and the report pages.

import { startDashboard } from '@pypi-watch/dashboard';
import { commandContext, openCommandRuntime } from '../context.js';
import { onShutdownSignal } from '../shutdown.js';

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
