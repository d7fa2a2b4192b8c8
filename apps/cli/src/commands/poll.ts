// `pypi-watch poll [--since SERIAL]`: one poll now, its result printed.

import { createPoller, UsageError } from '@pypi-watch/core';
import { commandContext, openCommandRuntime } from '../context.js';

export async function pollCommand(options: { config?: string; since?: number; json?: boolean }): Promise<void> {
  const context = commandContext(options.config, 'oneshot', 'cli');
  if (options.since !== undefined && context.config.source.type !== 'changelog') {
    throw new UsageError('--since takes a changelog serial; the configured source.type is rss');
  }
  const runtime = await openCommandRuntime(context, 'cli');
  try {
    const poller = await createPoller({ config: context.config, redis: runtime.redis, queues: runtime.queues, logger: context.logger });
    const result = await poller.run(options.since === undefined ? {} : { since: options.since });
    if (options.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return;
    }
    const lines = [
      `source ${result.source}: ${result.pages} page(s), cursor ${JSON.stringify(result.cursorBefore)} → ${JSON.stringify(result.cursorAfter)}`,
      `found ${result.found}, invalid ${result.invalid}, filtered ${result.filtered}, duplicate ${result.duplicate}, ` +
        `queued ${result.queued} release(s) as ${result.queuedJobs} submit job(s)`,
      `withdrawn ${result.withdrawn} (${result.withdrawnJobsRemoved} queued job(s) removed), lag ${result.lag}`,
    ];
    if (result.batchId) lines.push(`batch ${result.batchId}, update list ${result.updateList ?? '-'}`);
    if (result.capped) lines.push('warning: the fetch hit its page cap; see the log');
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await runtime.close();
  }
}
