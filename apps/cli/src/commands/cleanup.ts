// `pypi-watch cleanup [--dry-run]`: prune old batch logs, update lists, dedupe entries and why stories now.

import { runCleanupForConfig } from '@pypi-watch/core';
import { commandContext, openCommandRuntime } from '../context.js';

export async function cleanupCommand(options: { config?: string; dryRun?: boolean }): Promise<number> {
  const context = commandContext(options.config, 'oneshot', 'cli');
  const runtime = await openCommandRuntime(context, 'cli');
  try {
    const dryRun = options.dryRun === true;
    // Per-item failures are logged (stderr) and counted; they never stop the other prunes.
    const result = await runCleanupForConfig({ config: context.config, stores: runtime.stores, dryRun, logger: context.logger });
    const verb = dryRun ? 'would remove' : 'removed';
    for (const path of [...result.removedBatches, ...result.removedUpdateLists]) process.stdout.write(`${verb} ${path}\n`);
    process.stdout.write(
      `${verb} ${result.removedBatches.length} batch log folder(s), ${result.removedUpdateLists.length} update list(s), ` +
        `${result.expiredDedupe} expired dedupe entr${result.expiredDedupe === 1 ? 'y' : 'ies'}, ` +
        `${result.expiredDecisions} expired why stor${result.expiredDecisions === 1 ? 'y' : 'ies'}` +
        (result.failures > 0 ? `; ${result.failures} item(s) could not be removed (see the log)` : '') +
        '\n',
    );
    return result.failures > 0 ? 1 : 0;
  } finally {
    await runtime.close();
  }
}
