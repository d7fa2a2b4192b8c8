// `pypi-watch status [--json]`: per-queue job counts, schedules and the poller's state.

// Narrow entry points: status loads neither the feed clients nor execa (start-up target: 0.4 s).
import { formatDuration } from '@pypi-watch/core/duration';
import { readStatus, type Status } from '@pypi-watch/core/status';
import { terminalJson, terminalText } from '@pypi-watch/core/terminal-text';
import { commandContext, openCommandRuntime } from '../context.js';

export async function statusCommand(options: { config?: string; json?: boolean }): Promise<void> {
  const context = commandContext(options.config, 'oneshot', 'cli');
  const runtime = await openCommandRuntime(context, 'cli');
  try {
    const status = await readStatus(runtime);
    // The cursor and the last poll hold feed text (RSS titles): escaped like every other output.
    process.stdout.write(options.json ? `${terminalJson(status, 2)}\n` : terminalText(formatStatus(status), { multiline: true }));
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
  lines.push(
    '',
    `cursor: ${JSON.stringify(status.cursor)}`,
    `last poll: ${formatLastPoll(status.lastPoll)}`,
    `dedupe entries: ${status.dedupeSize}`,
  );
  const { waiting, held, withdrawn } = status.gate;
  const oldest = status.oldestWaiting
    ? ` (longest: ${status.oldestWaiting.name} ${status.oldestWaiting.version}, waiting for sdist since ${status.oldestWaiting.since})`
    : '';
  lines.push(`gate: ${waiting} waiting for an sdist${oldest}, ${held} held by filters.minAge, ${withdrawn} withdrawn (restorable)`);
  if (isRecord(status.lastPoll) && status.lastPoll.gap === true) {
    lines.push(
      'RSS gap: the last poll found its last-seen release gone from the 100-item feed; releases in between were missed (use ' +
        'source.type: changelog)',
    );
  }
  return `${lines.join('\n')}\n`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function formatLastPoll(lastPoll: unknown): string {
  if (!lastPoll || typeof lastPoll !== 'object') return 'never';
  const p = lastPoll as Record<string, unknown>;
  return (
    `${String(p.startedAt)}: found ${String(p.found)}, invalid ${String(p.invalid)}, filtered ${String(p.filtered)}, ` +
    `duplicate ${String(p.duplicate)}, queued ${String(p.queued)}, waiting ${Number(p.waiting ?? 0)}, superseded ` +
    `${Number(p.superseded ?? 0)}; lag ${String(p.lag)} ${p.source === 'rss' ? 's' : 'serials'}`
  );
}
