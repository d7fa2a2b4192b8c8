// Alarms on a noisy signal: a lag around notify.lagAlarm, a farm that refuses most submits but not
// all, polls that fail every other time. Each is one episode (one "opened", one "resolved" once the
// signal has been quiet for notify.resolveAfter), not a pair of messages every minute; and a run
// that cannot read the last poll resolves nothing.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadConfig } from '../src/config/load-config.js';
import { detect, type DetectorSettings, type DetectorState, type Observations } from '../src/notify/detector.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 11, 1, 8, 0, 0);
const at = (i: number) => T0 + i * MINUTE;
const SETTINGS: DetectorSettings = {
  digestEveryMs: 3_600_000,
  lagAlarm: 1000,
  refusedAfter: 3,
  pollStaleAfterMs: 90 * MINUTE,
  resolveAfterMs: 15 * MINUTE,
};

function observations(now: number, extra: Partial<Observations> = {}): Observations {
  return {
    now,
    submits: { succeeded: 10, failed: 0, retried: 0 },
    submitBacklog: 0,
    lastSuccessfulPollAt: now - MINUTE,
    lastPoll: { lag: 0, source: 'changelog' },
    feedGaps: 0,
    outcomes: [],
    withdrawn: [],
    ...extra,
  };
}

/** Every message's event and state, in order, over a run per observation. */
function told(sequence: readonly Observations[]): string[] {
  let state: DetectorState | undefined;
  const out: string[] = [];
  for (const obs of sequence) {
    const result = detect(state, obs, SETTINGS);
    state = result.state;
    out.push(...result.messages.map((m) => `${m.event} ${m.state}`));
  }
  return out;
}

describe('alarms on a noisy signal', () => {
  test('a lag going over and under notify.lagAlarm every minute is one alarm, resolved once it stayed under', () => {
    const noisy = Array.from({ length: 60 }, (_, i) =>
      observations(at(i), { lastPoll: { lag: i % 2 === 0 ? 900 : 1100, source: 'changelog' } }),
    );
    const quiet = Array.from({ length: 20 }, (_, i) => observations(at(60 + i), { lastPoll: { lag: 10, source: 'changelog' } }));
    expect(told([...noisy, ...quiet])).toEqual(['poll-lag opened', 'poll-lag resolved']);
  });

  test('a farm refusing most submits, with a success now and then, is one alarm', () => {
    // Each minute: 3 refused in a row (refusedAfter), then, every other minute, one success.
    let succeeded = 10;
    let failed = 0;
    const noisy = Array.from({ length: 40 }, (_, i) => {
      if (i > 0 && i % 2 === 0) succeeded += 1;
      else failed += 3;
      return observations(at(i), { submits: { succeeded, failed, retried: 0 } });
    });
    const healthy = Array.from({ length: 20 }, (_, i) =>
      observations(at(40 + i), { submits: { succeeded: succeeded + i + 1, failed, retried: 0 } }),
    );
    expect(told([...noisy, ...healthy])).toEqual(['submits-refused opened', 'submits-refused resolved']);
  });

  test('polls failing for good every other time are one alarm', () => {
    const noisy = Array.from({ length: 30 }, (_, i) =>
      i % 2 === 1
        ? observations(at(i), { lastSuccessfulPollAt: at(i - 1), pollFailedForGood: { at: at(i), reason: 'HTTP 503' } })
        : observations(at(i), { lastSuccessfulPollAt: at(i), pollFailedForGood: { at: at(i - 1), reason: 'HTTP 503' } }),
    );
    const healthy = Array.from({ length: 20 }, (_, i) =>
      observations(at(30 + i), { pollFailedForGood: { at: at(29), reason: 'HTTP 503' } }),
    );
    expect(told([...noisy, ...healthy])).toEqual(['poll-failing opened', 'poll-failing resolved']);
  });

  test('a run that could not read the last poll does not call the lag resolved', () => {
    const { lastPoll: _none, ...unread } = observations(at(2));
    expect(
      told([
        observations(at(0), { lastPoll: { lag: 5000, source: 'changelog' } }),
        observations(at(1), { lastPoll: { lag: 5000, source: 'changelog' } }),
        ...Array.from({ length: 30 }, (_, i) => ({ ...unread, now: at(2 + i) })),
        observations(at(40), { lastPoll: { lag: 5000, source: 'changelog' } }),
      ]),
    ).toEqual(['poll-lag opened']);
  });

  test('notify.resolveAfter is read from the config (default 15 minutes)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pypi-watch-resolve-after-'));
    try {
      expect(loadConfig({ env: {}, cwd: dir }).notify.resolveAfter).toBe(15 * MINUTE);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
