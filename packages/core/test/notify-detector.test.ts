// The detector's rules, called directly: each event is told once, each alarm once when it opens and
// once when it resolves, each digest once; the first run only takes a baseline.

import { describe, expect, test } from 'vitest';
import type { BuiltThenWithdrawnEntry } from '../src/decisions/built-then-withdrawn.js';
import { detect, digestWindowEnd, type DetectorSettings, type DetectorState, type Observations } from '../src/notify/detector.js';
import type { BuildOutcome } from '../src/results/build-outcome.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 11, 1, 8, 0, 0);
const SETTINGS: DetectorSettings = { digestEveryMs: HOUR, lagAlarm: 1000, refusedAfter: 3, pollStaleAfterMs: 90 * 60_000 };

function observations(now: number, extra: Partial<Observations> = {}): Observations {
  return {
    now,
    submits: { succeeded: 10, failed: 0, retried: 0 },
    submitBacklog: 0,
    lastSuccessfulPollAt: now - 60_000,
    lastPoll: { lag: 0, source: 'changelog' },
    feedGaps: 0,
    outcomes: [],
    withdrawn: [],
    ...extra,
  };
}

function outcome(name: string, finishedAt: number, extra: Partial<BuildOutcome> = {}): BuildOutcome {
  const status = extra.status ?? 'failure';
  return {
    name,
    normalized: name,
    version: '1.0',
    target: 'os_arch=aarch64,testbox=vm-2p8g',
    farmJobId: `z9.${name}`,
    resultRoot: `/srv/result/${name}`,
    batchId: 'submit-log-20261201-080000',
    submittedAt: finishedAt - 60_000,
    finishedAt,
    ...extra,
    status,
    // Only a failure has a kind.
    ...(status === 'failure' ? { kind: extra.kind ?? 'missing-dependency' } : {}),
  };
}

/** Runs the detector over a sequence of observations, returning every message's id per run. */
function run(sequence: readonly Observations[], settings = SETTINGS): { ids: string[][]; state: DetectorState } {
  let state: DetectorState | undefined;
  const ids: string[][] = [];
  for (const obs of sequence) {
    const result = detect(state, obs, settings);
    state = result.state;
    ids.push(result.messages.map((m) => m.id));
  }
  return { ids, state: state! };
}

describe('the notification detector', () => {
  test('the first run takes a baseline: counters, gaps and withdrawals from before are not told', () => {
    const withdrawn: BuiltThenWithdrawnEntry[] = [{ at: T0 - 5000, normalized: 'old', version: '1.0', reason: 'yanked' }];
    const first = detect(
      undefined,
      observations(T0, { feedGaps: 7, submits: { succeeded: 0, failed: 50, retried: 9 }, withdrawn }),
      SETTINGS,
    );
    expect(first.messages).toEqual([]);
    expect(first.state).toMatchObject({ feedGaps: 7, submits: { failedAttempts: 59, streak: 0 }, digestUntil: digestWindowEnd(T0, HOUR) });
  });

  test('build failures: one digest per interval, with the failures of that interval only, and none when nothing failed', () => {
    const start = T0 + 5 * 60_000;
    const failures = [
      outcome('a', T0 + 10 * 60_000),
      outcome('b', T0 + 20 * 60_000, { status: 'gave-up' }),
      outcome('ok', T0 + 25 * 60_000, { status: 'success' }),
      outcome('unmapped', T0 + 26 * 60_000, { status: 'unmapped' }),
    ];
    const late = outcome('c', T0 + HOUR + 30 * 60_000, { kind: 'spec-needs-repair' });
    let state = detect(undefined, observations(start), SETTINGS).state;
    // Within the hour: nothing yet, however often it runs.
    for (const now of [T0 + 30 * 60_000, T0 + HOUR, T0 + HOUR + 30_000]) {
      const result = detect(state, observations(now, { outcomes: failures }), SETTINGS);
      expect(result.messages, new Date(now).toISOString()).toEqual([]);
      state = result.state;
    }
    // A minute past the hour: the digest of 08:00–09:00.
    const digest = detect(state, observations(T0 + HOUR + 61_000, { outcomes: [...failures, late] }), SETTINGS);
    expect(digest.messages).toHaveLength(1);
    const message = digest.messages[0]!;
    expect(message).toMatchObject({ id: `build-failures-${T0 + HOUR}`, event: 'build-failures', state: 'fired' });
    expect(message.title).toBe('pypi-watch: 2 build(s) failed, 2026-12-01T08:00:00.000Z to 2026-12-01T09:00:00.000Z');
    expect(message.lines[0]).toBe('missing-dependency 1, gave-up 1');
    expect(message.details).toMatchObject({ total: 2, byKind: { 'missing-dependency': 1, 'gave-up': 1 } });
    // Run again in the same interval: no second digest.
    expect(detect(digest.state, observations(T0 + HOUR + 120_000, { outcomes: [late] }), SETTINGS).messages).toEqual([]);
    // The next hour's digest holds only the next hour's failure.
    const next = detect(digest.state, observations(T0 + 2 * HOUR + 61_000, { outcomes: [late] }), SETTINGS);
    expect(next.messages.map((m) => m.details.total)).toEqual([1]);
    // An hour without failures sends nothing.
    expect(detect(next.state, observations(T0 + 3 * HOUR + 61_000), SETTINGS).messages).toEqual([]);
  });

  test('submits-refused opens once after refusedAfter failures in a row, stays quiet, resolves on the first success', () => {
    const at = (i: number) => T0 + i * 60_000;
    const { ids } = run([
      observations(at(0), { submits: { succeeded: 10, failed: 0, retried: 0 } }),
      observations(at(1), { submits: { succeeded: 10, failed: 0, retried: 2 } }),
      // One success breaks the streak.
      observations(at(2), { submits: { succeeded: 11, failed: 1, retried: 2 } }),
      observations(at(3), { submits: { succeeded: 11, failed: 1, retried: 4 } }),
      observations(at(4), {
        submits: { succeeded: 11, failed: 2, retried: 5 },
        lastSubmitFailure: 'refused: Failed to verify the account.',
      }),
      observations(at(5), { submits: { succeeded: 11, failed: 4, retried: 9 } }),
      observations(at(6), { submits: { succeeded: 11, failed: 4, retried: 9 } }),
      observations(at(7), { submits: { succeeded: 12, failed: 4, retried: 9 } }),
      observations(at(8), { submits: { succeeded: 13, failed: 4, retried: 9 } }),
    ]);
    expect(ids).toEqual([[], [], [], [], [`submits-refused-opened-${at(4)}`], [], [], [`submits-refused-resolved-${at(4)}`], []]);
  });

  test('poll-failing opens when a poll failed for good after the last success, or none succeeded for a while; resolves once polls succeed', () => {
    const at = (i: number) => T0 + i * 60_000;
    const lastOk = at(0);
    const { ids } = run([
      observations(at(1), { lastSuccessfulPollAt: lastOk }),
      // An old failure (before the last success) is no alarm.
      observations(at(2), { lastSuccessfulPollAt: lastOk, pollFailedForGood: { at: lastOk - 1, reason: 'old' } }),
      observations(at(3), { lastSuccessfulPollAt: lastOk, pollFailedForGood: { at: at(3), reason: 'HTTP 503' } }),
      observations(at(4), { lastSuccessfulPollAt: lastOk, pollFailedForGood: { at: at(3), reason: 'HTTP 503' } }),
      observations(at(5), { lastSuccessfulPollAt: at(5), pollFailedForGood: { at: at(3), reason: 'HTTP 503' } }),
      // Stale: nothing failed, nothing succeeded for longer than pollStaleAfterMs.
      observations(at(5 + 91), { lastSuccessfulPollAt: at(5) }),
      observations(at(5 + 92), { lastSuccessfulPollAt: at(5) }),
      observations(at(5 + 93), { lastSuccessfulPollAt: at(5 + 93) }),
    ]);
    expect(ids).toEqual([
      [],
      [],
      [`poll-failing-opened-${at(3)}`],
      [],
      [`poll-failing-resolved-${at(3)}`],
      [`poll-failing-opened-${at(96)}`],
      [],
      [`poll-failing-resolved-${at(96)}`],
    ]);
  });

  test('poll-lag opens above notify.lagAlarm, once, and resolves when the cursor caught up', () => {
    const at = (i: number) => T0 + i * 60_000;
    const lag = (n: number) => ({ lag: n, source: 'changelog' });
    const { ids } = run([
      observations(at(0), { lastPoll: lag(1000) }),
      observations(at(1), { lastPoll: lag(5000) }),
      observations(at(2), { lastPoll: lag(9000) }),
      observations(at(3), { lastPoll: lag(10) }),
    ]);
    expect(ids).toEqual([[], [`poll-lag-opened-${at(1)}`], [], [`poll-lag-resolved-${at(1)}`]]);
  });

  test('rss-gap: one message per run that saw new gaps, none for the same count again', () => {
    const at = (i: number) => T0 + i * 60_000;
    const { ids } = run([
      observations(at(0), { feedGaps: 2 }),
      observations(at(1), { feedGaps: 3 }),
      observations(at(2), { feedGaps: 3 }),
      observations(at(3), { feedGaps: 5 }),
    ]);
    expect(ids).toEqual([[], ['rss-gap-3'], [], ['rss-gap-5']]);
  });

  test('built-then-withdrawn: each entry is told once, also when later entries share its millisecond', () => {
    const e = (name: string, at: number): BuiltThenWithdrawnEntry => ({ at, normalized: name, version: '1.0', reason: 'yanked' });
    const a = e('a', T0 + 1000);
    const b = e('b', T0 + 2000);
    const c = e('c', T0 + 2000);
    let state = detect(undefined, observations(T0), SETTINGS).state;
    const first = detect(state, observations(T0 + 60_000, { withdrawn: [a, b] }), SETTINGS);
    expect(first.messages.map((m) => m.lines.slice(0, 2))).toEqual([
      ['a 1.0: yanked at 2026-12-01T08:00:01.000Z', 'b 1.0: yanked at 2026-12-01T08:00:02.000Z'],
    ]);
    state = first.state;
    // The list read again (entries at or after the cursor) with one more at the same ms: only that one.
    const second = detect(state, observations(T0 + 120_000, { withdrawn: [b, c] }), SETTINGS);
    expect(second.messages.map((m) => m.details.total)).toEqual([1]);
    expect(second.messages[0]!.lines[0]).toBe('c 1.0: yanked at 2026-12-01T08:00:02.000Z');
    expect(detect(second.state, observations(T0 + 180_000, { withdrawn: [b, c] }), SETTINGS).messages).toEqual([]);
  });
});
