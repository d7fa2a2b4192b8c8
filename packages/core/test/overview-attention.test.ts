// The overview's attention list: an RSS gap and a stale poll through the real poller, and each rule's
// threshold (lag alarm from notify.lagAlarm or the default, stale polls, withdrawals) on its own.

import { afterEach, describe, expect, test } from 'vitest';
import type { Config } from '../src/config/load-config.js';
import type { BuiltThenWithdrawnEntry } from '../src/decisions/built-then-withdrawn.js';
import { attentionFor, DEFAULT_LAG_ALARM, type AttentionInput } from '../src/overview/attention.js';
import { lagAlarmOf, readOverview } from '../src/overview/read-overview.js';
import { createPollHarness, type PollHarness } from '@pypi-watch/test-utils';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function harness(...args: Parameters<typeof createPollHarness>): Promise<PollHarness> {
  const h = await createPollHarness(...args);
  cleanups.push(() => h.close());
  return h;
}

const MINUTE = 60_000;

/** A quiet system: a poll a minute ago, nothing failing. */
function quiet(overrides: Partial<AttentionInput> = {}): AttentionInput {
  const now = Date.now();
  return {
    now,
    pollEveryMs: 30 * MINUTE,
    lastPoll: { at: now - MINUTE, ok: true, found: 3, queued: 2, gap: false },
    lastSuccessAt: now - MINUTE,
    lag: { value: 0, unit: 'serials' },
    lagAlarm: DEFAULT_LAG_ALARM.serials,
    backlog: { submit: { waiting: 5, active: 1, delayed: 0, failed: 0 } },
    recentSubmits: { started: 10, failed: 2 },
    builds: { success: 4, failure: 0 },
    missingModules: [],
    withdrawn: [],
    ...overrides,
  };
}

describe('attention through the real poller', () => {
  test('an RSS poll with a gap, and polls that stop: a warning, then an error once the last success is older than 2× source.every', async () => {
    const h = await harness('rss', { source: { every: '10m' } });
    h.pypi.publishGenerated(1);
    await h.poller.run();
    expect((await readOverview(h.runtime, Date.now())).attention).toEqual([]);
    h.pypi.publishGenerated(150, { sameSecond: 3 });
    expect(await h.poller.run()).toMatchObject({ gap: true });

    const overview = await readOverview(h.runtime, Date.now());
    expect(overview.lastPoll).toMatchObject({ ok: true, gap: true, queued: 100 });
    expect(overview.lag).toEqual({ value: 0, unit: 'seconds' });
    expect(overview.attention).toEqual([
      {
        severity: 'warning',
        what: 'The last RSS poll found a gap: releases fell off the feed before they were read (source.type: changelog misses none)',
        link: 'ui/queue/poll',
      },
    ]);
    // Read 21 minutes on: more than twice source.every since the last poll started.
    const later = await readOverview(h.runtime, overview.lastPoll!.at + 21 * MINUTE);
    expect(later.attention[0]).toEqual({
      severity: 'error',
      what: 'No successful poll for 21m (source.every is 10m)',
      link: 'ui/queue/poll',
    });
  });
});

describe('attention rules', () => {
  test('a quiet system needs nobody', () => {
    expect(attentionFor(quiet())).toEqual([]);
  });

  test('lag: notify.lagAlarm when the config has it, else the default; only above it', () => {
    const config = (lagAlarm?: number) => ({ notify: lagAlarm === undefined ? undefined : { lagAlarm } }) as unknown as Config;
    expect(lagAlarmOf(config(1200), 'serials')).toBe(1200);
    expect(lagAlarmOf(config(), 'serials')).toBe(DEFAULT_LAG_ALARM.serials);
    // notify.lagAlarm counts changelog serials: an RSS lag in seconds keeps its own default.
    expect(lagAlarmOf(config(1200), 'seconds')).toBe(DEFAULT_LAG_ALARM.seconds);
    expect(attentionFor(quiet({ lag: { value: 1200, unit: 'serials' }, lagAlarm: 1200 }))).toEqual([]);
    expect(attentionFor(quiet({ lag: { value: 1201, unit: 'serials' }, lagAlarm: 1200 }))).toEqual([
      { severity: 'warning', what: 'The cursor is 1201 serials behind PyPI (alarm above 1200)', link: 'ui/queue/poll' },
    ]);
  });

  test('no poll yet; submits failing with some succeeding is not a refusing farm', () => {
    expect(attentionFor(quiet({ lastPoll: undefined, lastSuccessAt: undefined })).map((a) => a.what)).toEqual([
      'No poll has run yet: is the scheduler running?',
    ]);
    expect(attentionFor(quiet({ recentSubmits: { started: 4, failed: 3 } }))).toEqual([]);
    expect(attentionFor(quiet({ recentSubmits: { started: 4, failed: 4 } }))[0]?.severity).toBe('error');
  });

  test('built-then-withdrawn: the five newest are named, newest first, the rest counted', () => {
    const withdrawn: BuiltThenWithdrawnEntry[] = Array.from({ length: 7 }, (_, i) => ({
      at: i,
      normalized: `pkg-${i}`,
      version: '1.0',
      reason: 'yanked',
    }));
    withdrawn.push({ at: 7, normalized: 'gone', reason: 'removed' });
    const items = attentionFor(quiet({ withdrawn }));
    expect(items.map((item) => item.link)).toEqual([
      'why?name=gone',
      'why?name=pkg-6',
      'why?name=pkg-5',
      'why?name=pkg-4',
      'why?name=pkg-3',
      'report',
    ]);
    expect(items[0]!.what).toBe('gone (every release) was built, then removed upstream: its RPM may need pulling');
    expect(items.at(-1)!.what).toBe('3 more releases were built, then withdrawn upstream in the last 24 h');
  });
});
