// The detector's decisions, as a pure function: the state it remembers and what it observes now in,
// the new state and the messages to send out. No I/O, so each rule is tested by calling it.
//
// Alarms (submits-refused, poll-failing, poll-lag) are episodes: a message when one opens, one when
// it resolves, none in between however many runs see it. An alarm resolves only once its condition
// has been clear for `resolveAfterMs`: a signal that comes and goes (a lag around the threshold, a
// farm refusing most submits) would otherwise send a pair of messages every run. Occurrences (rss-gap, built-then-withdrawn)
// and the build-failure digest follow cursors, so each is told once. Outcomes and withdrawals are
// stamped on other hosts' clocks: one stamped up to LATE_MS before a cursor is still told (once: the
// detector remembers what it told in that span). The first run only records where things stand:
// history from before notifications were switched on is not replayed.

import { createHash } from 'node:crypto';
import { z } from '#zod';
import { formatDuration } from '../config/duration.js';
import type { BuiltThenWithdrawnEntry } from '../decisions/built-then-withdrawn.js';
import type { BuildOutcome } from '../results/build-outcome.js';
import type { Notification, NotifyEvent } from './notify-events.js';

export const ALARMS = ['submits-refused', 'poll-failing', 'poll-lag'] as const satisfies readonly NotifyEvent[];
export type Alarm = (typeof ALARMS)[number];

export const detectorStateSchema = z.object({
  startedAt: z.number(),
  /** Build outcomes finished before this (ms) have been digested. */
  digestUntil: z.number(),
  /**
   * Fingerprints of the failures digested that finished in the LATE_MS before `digestUntil`, so one
   * recorded late is told and none twice. Absent (the first digest after the baseline, or an older
   * state): nothing before `digestUntil` is looked at.
   */
  digested: z.array(z.string()).optional(),
  /** The submit counters last seen, and failed attempts since the last success. */
  submits: z.object({ succeeded: z.number(), failedAttempts: z.number(), streak: z.number() }),
  /** Open alarms; `clearSince`: the condition has been clear since then (it resolves after resolveAfterMs). */
  alarms: z.partialRecord(z.enum(ALARMS), z.object({ openedAt: z.number(), clearSince: z.number().optional() })),
  /** `feed:gaps` last told. */
  feedGaps: z.number(),
  /**
   * Built-then-withdrawn entries up to `at` have been told; `seen`: those at exactly `at`; `recent`:
   * those at or after `at - LATE_MS` (absent in a baseline or an older state: `seen` is all there is).
   */
  withdrawn: z.object({ at: z.number(), seen: z.array(z.string()), recent: z.array(z.string()).optional() }),
});
export type DetectorState = z.infer<typeof detectorStateSchema>;

export interface DetectorSettings {
  readonly digestEveryMs: number;
  readonly lagAlarm: number;
  readonly refusedAfter: number;
  /** No successful poll for this long is a failing poll (3 × source.every). */
  readonly pollStaleAfterMs: number;
  /** An open alarm resolves once its condition has been clear this long (`notify.resolveAfter`). @defaultValue 0 */
  readonly resolveAfterMs?: number;
}

/** What one run makes of an alarm's condition: `unknown` (nothing to go by) changes nothing. */
type Reading = 'firing' | 'clear' | 'unknown';

/** What the detector reads from Redis on one run (see detector-observations.ts). */
export interface Observations {
  readonly now: number;
  readonly submits: { readonly succeeded: number; readonly failed: number; readonly retried: number };
  /** Why the newest failed submit failed, bounded (for the alarm's message). */
  readonly lastSubmitFailure?: string;
  /** Submit jobs waiting, delayed or prioritized. */
  readonly submitBacklog: number;
  readonly lastSuccessfulPollAt?: number;
  /** The newest poll job that failed for good (all its attempts). */
  readonly pollFailedForGood?: { readonly at: number; readonly reason: string };
  /** The last poll's cursor lag (changelog serials behind PyPI's head) and source type. */
  readonly lastPoll?: { readonly lag: number; readonly source: string };
  readonly feedGaps: number;
  /** Outcomes finished at or after state.digestUntil - LATE_MS, when a digest is due. */
  readonly outcomes: readonly BuildOutcome[];
  /** Entries at or after state.withdrawn.at - LATE_MS. */
  readonly withdrawn: readonly BuiltThenWithdrawnEntry[];
}

export interface Detection {
  readonly state: DetectorState;
  readonly messages: readonly Notification[];
}

/** Lines listing packages in one message; the rest is counted. */
const LISTED = 20;
/** Entries in a message's `details`. */
const DETAILED = 100;
/** Statuses a digest reports: builds that need a look (`unmapped` is a config matter, told once at start-up). */
const FAILED_STATUSES = new Set(['failure', 'gave-up', 'unreadable']);
/**
 * How far before a cursor an entry may be stamped and still be told: a result worker or poller whose
 * clock is behind the detector's, or was stepped back, writes entries "in the past".
 */
export const LATE_MS = 3_600_000;
/** Fingerprints remembered for that span; past this many (a farm failing thousands an hour) the oldest go. */
const REMEMBERED = 5000;

/**
 * A digest covers whole intervals, aligned to the epoch; it waits a little past the interval's end
 * (a minute, or a quarter of a short interval) for outcomes written around that time.
 */
export function digestWindowEnd(now: number, digestEveryMs: number): number {
  const settle = Math.min(60_000, digestEveryMs / 4);
  return Math.floor((now - settle) / digestEveryMs) * digestEveryMs;
}

export function detect(previous: DetectorState | undefined, obs: Observations, settings: DetectorSettings): Detection {
  const { now } = obs;
  const failedAttempts = obs.submits.failed + obs.submits.retried;
  const messages: Notification[] = [];
  if (previous === undefined) {
    const state: DetectorState = {
      startedAt: now,
      digestUntil: digestWindowEnd(now, settings.digestEveryMs),
      submits: { succeeded: obs.submits.succeeded, failedAttempts, streak: 0 },
      alarms: {},
      feedGaps: obs.feedGaps,
      withdrawn: { at: now, seen: [] },
    };
    // Conditions that hold now are told at once; counts from before are a baseline only.
    return { state: alarmsNow(state, obs, settings, messages, { submits: false }), messages };
  }

  let state: DetectorState = { ...previous, alarms: { ...previous.alarms } };

  // Build failures: one digest per whole interval, and only when something failed.
  const windowEnd = digestWindowEnd(now, settings.digestEveryMs);
  if (windowEnd > state.digestUntil) {
    const until = state.digestUntil;
    const told = state.digested === undefined ? undefined : new Set(state.digested);
    const failedBefore = (o: BuildOutcome): boolean => FAILED_STATUSES.has(o.status) && o.finishedAt < windowEnd;
    const failed = obs.outcomes.filter(
      (o) =>
        failedBefore(o) &&
        (o.finishedAt >= until || (told !== undefined && o.finishedAt >= until - LATE_MS && !told.has(outcomeFingerprint(o)))),
    );
    if (failed.length > 0) messages.push(digestMessage(failed, until, windowEnd));
    // Every failure now in the span before the new cursor has been told, in this digest or before.
    const digested = newest(
      obs.outcomes.filter((o) => failedBefore(o) && o.finishedAt >= windowEnd - LATE_MS),
      (o) => o.finishedAt,
    ).map(outcomeFingerprint);
    state = { ...state, digestUntil: windowEnd, digested };
  }

  // Submits: failed attempts since the last success. Counters that went down were reset: a new baseline.
  const dSucceeded = obs.submits.succeeded - state.submits.succeeded;
  const dFailed = failedAttempts - state.submits.failedAttempts;
  const reset = dSucceeded < 0 || dFailed < 0;
  const streak = reset ? 0 : dSucceeded > 0 ? 0 : state.submits.streak + dFailed;
  state = { ...state, submits: { succeeded: obs.submits.succeeded, failedAttempts, streak } };

  state = alarmsNow(state, obs, settings, messages, { submits: !reset, succeeded: dSucceeded > 0 });

  // RSS gaps: the counter only grows; a lower one was reset.
  if (obs.feedGaps > state.feedGaps) messages.push(gapMessage(obs.feedGaps - state.feedGaps, obs.feedGaps, now));
  state = { ...state, feedGaps: obs.feedGaps };

  // Built, then withdrawn upstream: every entry after the cursor, or stamped late, once.
  const cursor = state.withdrawn;
  const recent = cursor.recent === undefined ? undefined : new Set(cursor.recent);
  const seen = new Set(cursor.seen);
  const fresh = obs.withdrawn
    .filter(
      (e) =>
        e.at > cursor.at ||
        (recent === undefined
          ? e.at === cursor.at && !seen.has(fingerprint(e))
          : e.at >= cursor.at - LATE_MS && !recent.has(fingerprint(e))),
    )
    .sort((a, b) => a.at - b.at);
  if (fresh.length > 0) messages.push(withdrawnMessage(fresh));
  const at = Math.max(cursor.at, ...fresh.map((e) => e.at));
  const atCursor = fresh.filter((e) => e.at === at).map(fingerprint);
  // What was read is all told now (before or in this run): what of it is in the span before the cursor.
  const told = newest(
    obs.withdrawn.filter((e) => e.at >= at - LATE_MS),
    (e) => e.at,
  ).map(fingerprint);
  state = { ...state, withdrawn: { at, seen: at === cursor.at ? [...cursor.seen, ...atCursor] : atCursor, recent: told } };
  return { state, messages };
}

function alarmsNow(
  state: DetectorState,
  obs: Observations,
  settings: DetectorSettings,
  messages: Notification[],
  submits: { readonly submits: boolean; readonly succeeded?: boolean },
): DetectorState {
  const alarms = { ...state.alarms };
  const resolveAfterMs = settings.resolveAfterMs ?? 0;
  const set = (alarm: Alarm, reading: Reading, opened: () => Notification, resolved: (openedAt: number) => Notification): void => {
    const open = alarms[alarm];
    if (reading === 'firing') {
      if (open === undefined) {
        alarms[alarm] = { openedAt: obs.now };
        messages.push(opened());
      } else if (open.clearSince !== undefined) {
        // Back before it was clear for long enough: the same episode goes on, untold.
        alarms[alarm] = { openedAt: open.openedAt };
      }
      return;
    }
    if (open === undefined) return;
    const clearSince = open.clearSince ?? (reading === 'clear' ? obs.now : undefined);
    if (clearSince === undefined) return;
    if (obs.now - clearSince >= resolveAfterMs) {
      delete alarms[alarm];
      messages.push(resolved(open.openedAt));
    } else {
      alarms[alarm] = { openedAt: open.openedAt, clearSince };
    }
  };

  if (submits.submits) {
    const open = alarms['submits-refused'] !== undefined;
    // Open after `refusedAfter` failures in a row. Once open, only a success is a sign of health (a
    // quiet minute is not), and another `refusedAfter` failures in a row are the same episode going on.
    const streaking = state.submits.streak >= settings.refusedAfter;
    const reading: Reading = !open
      ? streaking
        ? 'firing'
        : 'clear'
      : submits.succeeded === true
        ? 'clear'
        : streaking
          ? 'firing'
          : 'unknown';
    set(
      'submits-refused',
      reading,
      () => submitsRefused(state, obs),
      (openedAt) => resolvedMessage('submits-refused', obs.now, openedAt),
    );
  }

  const lastSuccess = obs.lastSuccessfulPollAt;
  const failedForGood = obs.pollFailedForGood !== undefined && obs.pollFailedForGood.at > (lastSuccess ?? 0);
  const stale = obs.now - (lastSuccess ?? state.startedAt) > settings.pollStaleAfterMs;
  set(
    'poll-failing',
    failedForGood || stale ? 'firing' : 'clear',
    () => pollFailing(obs, failedForGood, settings),
    (openedAt) => resolvedMessage('poll-failing', obs.now, openedAt),
  );

  // No last poll to read (unreadable, or a source that has no lag) says nothing about the lag.
  const lag = obs.lastPoll?.lag;
  set(
    'poll-lag',
    lag === undefined ? 'unknown' : lag > settings.lagAlarm ? 'firing' : 'clear',
    () =>
      message(
        'poll-lag',
        openedId('poll-lag', obs.now),
        'opened',
        obs.now,
        `pypi-watch: the cursor is ${lag} changelog serials behind PyPI`,
        [
          `The last poll left the cursor ${lag} serials behind PyPI's head (notify.lagAlarm: ${settings.lagAlarm}).`,
          'The next polls page on from there (source.maxPages a poll); a lag that keeps growing needs a look.',
        ],
        { lag, lagAlarm: settings.lagAlarm },
      ),
    (openedAt) => resolvedMessage('poll-lag', obs.now, openedAt, { lag }),
  );
  return { ...state, alarms };
}

function submitsRefused(state: DetectorState, obs: Observations): Notification {
  const streak = state.submits.streak;
  return message(
    'submits-refused',
    openedId('submits-refused', obs.now),
    'opened',
    obs.now,
    `pypi-watch: the farm is refusing submits (${streak} failed in a row)`,
    [
      `${streak} submit attempts failed and none succeeded since.`,
      ...(obs.lastSubmitFailure === undefined ? [] : [`Last reason: ${obs.lastSubmitFailure}`]),
      `Submit jobs waiting: ${obs.submitBacklog}.`,
    ],
    { failedInARow: streak, lastReason: obs.lastSubmitFailure ?? null, backlog: obs.submitBacklog },
  );
}

function pollFailing(obs: Observations, failedForGood: boolean, settings: DetectorSettings): Notification {
  const last = obs.lastSuccessfulPollAt;
  const lines = [
    last === undefined
      ? 'No poll has succeeded yet.'
      : `The last successful poll was at ${iso(last)} (${formatDuration(obs.now - last)} ago).`,
  ];
  if (failedForGood && obs.pollFailedForGood) lines.push(`A poll failed after all its retries: ${obs.pollFailedForGood.reason}`);
  else
    lines.push(
      `No poll succeeded for more than ${formatDuration(settings.pollStaleAfterMs)} (3 × source.every): is a worker serving the poll queue?`,
    );
  return message('poll-failing', openedId('poll-failing', obs.now), 'opened', obs.now, 'pypi-watch: polling PyPI is failing', lines, {
    lastSuccessfulPollAt: last === undefined ? null : iso(last),
    reason: failedForGood ? (obs.pollFailedForGood?.reason ?? null) : 'stale',
  });
}

/** An alarm's "opened" message id: its name and when it opened, which its "resolved" id repeats. */
function openedId(alarm: Alarm, openedAt: number): string {
  return `${alarm}-opened-${openedAt}`;
}

/** The "opened" message a "resolved" one closes, by id; undefined for any other message. */
export function openedIdOf(resolvedId: string): string | undefined {
  const match = /^([a-z-]+)-resolved-(\d+)$/.exec(resolvedId);
  const alarm = ALARMS.find((name) => name === match?.[1]);
  return alarm === undefined ? undefined : openedId(alarm, Number(match![2]));
}

function resolvedMessage(alarm: Alarm, now: number, openedAt: number, details: Record<string, unknown> = {}): Notification {
  const what = { 'submits-refused': 'submits succeed again', 'poll-failing': 'polls succeed again', 'poll-lag': 'the cursor caught up' }[
    alarm
  ];
  return message(
    alarm,
    `${alarm}-resolved-${openedAt}`,
    'resolved',
    now,
    `pypi-watch: resolved: ${what}`,
    [`Since ${iso(openedAt)} (${formatDuration(now - openedAt)}).`],
    { openedAt: iso(openedAt), ...details },
  );
}

function digestMessage(failed: readonly BuildOutcome[], since: number, until: number): Notification {
  const kindOf = (o: BuildOutcome): string => (o.status === 'failure' ? (o.kind ?? 'other') : o.status);
  const byKind: Record<string, number> = {};
  for (const o of failed) byKind[kindOf(o)] = (byKind[kindOf(o)] ?? 0) + 1;
  const sorted = [...failed].sort((a, b) => a.finishedAt - b.finishedAt);
  const late = failed.filter((o) => o.finishedAt < since).length;
  const lines = [
    Object.entries(byKind)
      .sort((a, b) => b[1] - a[1])
      .map(([kind, count]) => `${kind} ${count}`)
      .join(', '),
    ...sorted.slice(0, LISTED).map((o) => `${o.name} ${o.version ?? ''} (${o.target}): ${kindOf(o)}, ${o.resultRoot}`),
    ...(sorted.length > LISTED ? [`… and ${sorted.length - LISTED} more (pypi-watch report)`] : []),
    ...(late > 0 ? [`${late} of them finished before ${iso(since)} but were recorded after the last digest (a clock behind?).`] : []),
  ];
  return message(
    'build-failures',
    `build-failures-${until}`,
    'fired',
    until,
    `pypi-watch: ${failed.length} build(s) failed, ${iso(since)} to ${iso(until)}`,
    lines,
    {
      since: iso(since),
      until: iso(until),
      total: failed.length,
      byKind,
      failures: sorted.slice(0, DETAILED).map((o) => ({
        name: o.name,
        version: o.version ?? null,
        target: o.target,
        status: o.status,
        kind: o.kind ?? null,
        farmJobId: o.farmJobId,
        resultRoot: o.resultRoot,
        finishedAt: iso(o.finishedAt),
      })),
    },
  );
}

function gapMessage(newGaps: number, total: number, now: number): Notification {
  return message(
    'rss-gap',
    `rss-gap-${total}`,
    'fired',
    now,
    'pypi-watch: RSS gap: releases were missed',
    [
      `${newGaps} poll(s) found the release seen last gone from PyPI's RSS window (the newest 100 releases): releases in between were not queued.`,
      'Use source.type: changelog to miss nothing.',
    ],
    { gaps: newGaps, totalGaps: total },
  );
}

function withdrawnMessage(entries: readonly BuiltThenWithdrawnEntry[]): Notification {
  const last = entries[entries.length - 1]!;
  const hash = createHash('sha256').update(entries.map(fingerprint).join('\n')).digest('hex').slice(0, 12);
  return message(
    'built-then-withdrawn',
    `built-then-withdrawn-${last.at}-${hash}`,
    'fired',
    last.at,
    `pypi-watch: ${entries.length} built release(s) withdrawn upstream`,
    [
      ...entries.slice(0, LISTED).map((e) => `${e.normalized} ${e.version ?? '(whole project)'}: ${e.reason} at ${iso(e.at)}`),
      ...(entries.length > LISTED ? [`… and ${entries.length - LISTED} more (pypi-watch report)`] : []),
      'The farm built these; PyPI no longer offers them: the RPMs may need pulling.',
    ],
    {
      entries: entries.slice(0, DETAILED).map((e) => ({ name: e.normalized, version: e.version ?? null, reason: e.reason, at: iso(e.at) })),
      total: entries.length,
    },
  );
}

/** The newest REMEMBERED of `items` by `time`. */
function newest<T>(items: readonly T[], time: (item: T) => number): T[] {
  return items.length <= REMEMBERED ? [...items] : [...items].sort((a, b) => time(b) - time(a)).slice(0, REMEMBERED);
}

/** One build's outcome (a resubmit is another farm job), short: the state keeps thousands of them at most. */
function outcomeFingerprint(o: BuildOutcome): string {
  return createHash('sha256').update(`${o.farmJobId}\n${o.target}\n${o.status}\n${o.finishedAt}`).digest('hex').slice(0, 16);
}

function fingerprint(entry: BuiltThenWithdrawnEntry): string {
  return `${entry.normalized}|${entry.version ?? ''}|${entry.reason}|${entry.at}`;
}

function message(
  event: NotifyEvent,
  id: string,
  state: Notification['state'],
  at: number,
  title: string,
  lines: string[],
  details: Record<string, unknown>,
): Notification {
  return { id, event, state, at, title, lines, details };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
