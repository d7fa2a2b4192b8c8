// `pypi-watch status [--json]`: per-queue job counts, schedules and the poller's state.

import { formatDuration, readStatus, type Status } from '@pypi-watch/core';
import { commandContext, openCommandRuntime } from '../context.js';

export async function statusCommand(options: { config?: string; json?: boolean }): Promise<void> {
  const context = commandContext(options.config, 'oneshot', 'cli');
  const runtime = await openCommandRuntime(context, 'cli');
  try {
    const status = await readStatus({ queues: runtime.queues, redis: runtime.redis, config: context.config });
    process.stdout.write(options.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
  } finally {
    await runtime.close();
  }
}

function formatStatus(status: Status): string {
  const columns = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;
  const lines = [`${'queue'.padEnd(10)}${columns.map((c) => c.padStart(11)).join('')}`];
  for (const [name, counts] of Object.entries(status.queues)) {
    lines.push(`${name.padEnd(10)}${columns.map((c) => String(counts[c]).padStart(11)).join('')}`);
  }
  lines.push('', 'schedules:');
  if (status.schedules.length === 0) lines.push('  (none: run `pypi-watch scheduler` or `start`)');
  for (const schedule of status.schedules) {
    const every = schedule.everyMs === undefined ? '?' : formatDuration(schedule.everyMs);
    const next = schedule.next === undefined ? '?' : new Date(schedule.next).toISOString();
    lines.push(`  ${schedule.queue}/${schedule.id}: every ${every}, next ${next}`);
  }
  lines.push('', `cursor: ${JSON.stringify(status.cursor)}`, `last poll: ${formatLastPoll(status.lastPoll)}`, `dedupe entries: ${status.dedupeSize}`);
  return `${lines.join('\n')}\n`;
}

function formatLastPoll(lastPoll: unknown): string {
  if (!lastPoll || typeof lastPoll !== 'object') return 'never';
  const p = lastPoll as Record<string, unknown>;
  return (
    `${String(p.startedAt)}: found ${String(p.found)}, invalid ${String(p.invalid)}, filtered ${String(p.filtered)}, ` +
    `duplicate ${String(p.duplicate)}, queued ${String(p.queued)}; lag ${String(p.lag)} ${p.source === 'rss' ? 's' : 'serials'}`
  );
}
