// `pypi-watch poll [--since SERIAL]`: one poll now, its result printed.

import { createPoller } from '@pypi-watch/core';
import { commandContext, openCommandRuntime } from '../context.js';
import { progressBar } from '../progress-bar.js';

export async function pollCommand(options: { config?: string; since?: number; json?: boolean }): Promise<void> {
  const context = commandContext(options.config, 'oneshot', 'cli');
  const runtime = await openCommandRuntime(context, 'cli');
  try {
    // A source without serials (RSS) refuses --since with a UsageError.
    const poller = await createPoller(runtime);
    // On a terminal, a bar over the changelog pages and the jobs queued: a backfill can take minutes.
    const bar = progressBar({ json: options.json === true });
    let result: Awaited<ReturnType<typeof poller.run>>;
    try {
      result = await poller.run({ ...(options.since === undefined ? {} : { since: options.since }), onProgress: bar.update });
    } finally {
      bar.end();
    }
    if (options.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return;
    }
    const lines = [
      `source ${result.source}: ${result.pages} page(s), cursor ${JSON.stringify(result.cursorBefore)} → ` +
        `${JSON.stringify(result.cursorAfter)}`,
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
