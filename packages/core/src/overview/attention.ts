// The overview's "what needs a person now": each rule looks at numbers already read for the page, so
// the list costs no Redis round trip of its own. Errors first (the pipeline is stopped or losing
// work), then warnings (something to look at when there is time).

import { formatDuration } from '../config/duration.js';
import type { BuiltThenWithdrawnEntry } from '../decisions/built-then-withdrawn.js';
import type { AttentionItem, OverviewLag, OverviewLastPoll, QueueBacklog } from './overview.js';

/**
 * Lag alarms when the config has no `notify.lagAlarm`: a changelog more than this many serials behind
 * (notify's own default), or an RSS cursor this many seconds behind.
 */
export const DEFAULT_LAG_ALARM: Readonly<Record<OverviewLag['unit'], number>> = { serials: 50_000, seconds: 3_600 };
/** "The farm refuses submits": submits failed in this window, and none succeeded. */
export const REFUSING_WINDOW_MINUTES = 15;
/** Build failures and built-then-withdrawn releases are news for this long. */
export const ATTENTION_WINDOW_MS = 24 * 3_600_000;
/** Built-then-withdrawn releases named one by one; the rest are counted. */
const WITHDRAWN_NAMED = 5;

export interface AttentionInput {
  readonly now: number;
  /** `source.every` (ms). */
  readonly pollEveryMs: number;
  readonly lastPoll: OverviewLastPoll | undefined;
  /** When the last poll that succeeded started, if any did. */
  readonly lastSuccessAt: number | undefined;
  readonly lag: OverviewLag | undefined;
  readonly lagAlarm: number;
  readonly backlog: Readonly<Record<string, QueueBacklog>>;
  /** Submit attempts over the last REFUSING_WINDOW_MINUTES minutes. */
  readonly recentSubmits: { readonly started: number; readonly failed: number };
  /** Builds over the last 24 hours. */
  readonly builds: { readonly success: number; readonly failure: number };
  /** Modules failed builds of the last 24 hours were missing, most missed first. */
  readonly missingModules: ReadonlyArray<{ readonly module: string; readonly count: number }>;
  /** Built, then withdrawn upstream, within the window, oldest first. */
  readonly withdrawn: readonly BuiltThenWithdrawnEntry[];
}

export function attentionFor(input: AttentionInput): AttentionItem[] {
  const items: AttentionItem[] = [];
  const poll = input.lastPoll;
  const pollLink = 'ui/queue/poll';
  if (poll === undefined) {
    items.push({ severity: 'warning', what: 'No poll has run yet: is the scheduler running?', link: pollLink });
  } else if (!poll.ok) {
    items.push({ severity: 'error', what: `The last poll failed: ${poll.error ?? 'no reason recorded'}`, link: pollLink });
  }
  if (input.lastSuccessAt !== undefined && input.now - input.lastSuccessAt > 2 * input.pollEveryMs) {
    items.push({
      severity: 'error',
      what: `No successful poll for ${formatDuration(input.now - input.lastSuccessAt)} (source.every is ${formatDuration(input.pollEveryMs)})`,
      link: pollLink,
    });
  }
  if (input.lag && input.lag.value > input.lagAlarm) {
    items.push({
      severity: 'warning',
      what: `The cursor is ${input.lag.value} ${input.lag.unit} behind PyPI (alarm above ${input.lagAlarm})`,
      link: pollLink,
    });
  }
  if (poll?.ok && poll.gap) {
    items.push({
      severity: 'warning',
      what: 'The last RSS poll found a gap: releases fell off the feed before they were read (source.type: changelog misses none)',
      link: pollLink,
    });
  }
  const { started, failed } = input.recentSubmits;
  if (failed > 0 && started - failed <= 0) {
    items.push({
      severity: 'error',
      what: `The farm is refusing submits: ${failed} failed in the last ${REFUSING_WINDOW_MINUTES} min, none succeeded`,
      link: 'ui/queue/submit',
    });
  }
  for (const [queue, counts] of Object.entries(input.backlog)) {
    if (counts.failed > 0) {
      items.push({
        severity: 'warning',
        what: `${counts.failed} failed ${counts.failed === 1 ? 'job' : 'jobs'} in queue ${queue}`,
        link: `ui/queue/${encodeURIComponent(queue)}`,
      });
    }
  }
  const { success, failure } = input.builds;
  if (failure > 0) {
    const modules = input.missingModules.slice(0, 3).map(({ module, count }) => `${module} (${count})`);
    items.push({
      severity: 'warning',
      what:
        `${failure} of ${success + failure} builds failed in the last 24 h` +
        (modules.length > 0 ? `; most missed modules: ${modules.join(', ')}` : ''),
      link: 'report',
    });
  }
  const newest = input.withdrawn.slice(-WITHDRAWN_NAMED).reverse();
  for (const entry of newest) {
    const release = entry.version === undefined ? `${entry.normalized} (every release)` : `${entry.normalized} ${entry.version}`;
    items.push({
      severity: 'warning',
      what: `${release} was built, then ${entry.reason} upstream: its RPM may need pulling`,
      link: `why?name=${encodeURIComponent(entry.normalized)}`,
    });
  }
  if (input.withdrawn.length > newest.length) {
    items.push({
      severity: 'warning',
      what: `${input.withdrawn.length - newest.length} more releases were built, then withdrawn upstream in the last 24 h`,
      link: 'report',
    });
  }
  // Stable: within a severity, the order above (poll, farm, queues, builds, withdrawals).
  return [...items.filter((item) => item.severity === 'error'), ...items.filter((item) => item.severity === 'warning')];
}
