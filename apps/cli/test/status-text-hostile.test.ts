// `status` text over what Redis holds, however it was written: wide characters (a farm message in
// Chinese, emoji in forged job data) are measured in terminal columns, not UTF-16 units, so no line
// passes 80 columns and no character is cut in half; a stored time Date cannot show does not stop it.

import stringWidth from 'string-width';
import { describe, expect, test } from 'vitest';
import type { Status } from '@pypi-watch/core';
import { formatStatusText } from '../src/status-text.js';

const NOW = Date.parse('2026-12-01T08:30:00Z');
const counts = { waiting: 1, active: 0, delayed: 0, prioritized: 0, 'waiting-children': 0, failed: 1, completed: 3 };

function status(extra: Partial<Status>): Status {
  return {
    queues: { poll: counts, submit: counts, cleanup: counts, result: counts, notify: counts },
    schedules: [],
    cursor: { type: 'rss', cursor: { time: NOW / 1000 } },
    lastPoll: { source: 'rss', startedAt: new Date(NOW - 60_000).toISOString(), durationMs: 1000, lag: 5 },
    dedupeSize: 0,
    gate: { waiting: 0, held: 0, withdrawn: 0 },
    submitRate: { windowMs: 60_000, finished: 1, failed: 1, limit: { max: 10, durationMs: 60_000 }, limitInWindow: 10, atLimit: false },
    recentFailures: { submits: [], builds: [] },
    ...extra,
  };
}

/** A refusal as a farm might word it, and data a forged job could carry. */
const CHINESE = '提交失败：账户配额已用完，请联系管理员'.repeat(8);
const EMOJI = '😀'.repeat(60);
const CJK_NAME = '漢字のパッケージ名'.repeat(6);

describe('status text, wide and odd text', () => {
  test('wide characters are counted as two columns: every line fits 80, every part is still there', () => {
    const text = formatStatusText(
      status({
        schedules: [{ queue: 'poll', id: CJK_NAME, everyMs: 60_000, next: NOW + 60_000 }],
        oldestWaiting: { name: CJK_NAME, version: EMOJI, since: new Date(NOW - 3_600_000).toISOString() },
        recentFailures: {
          submits: [{ jobId: 'j1', name: CJK_NAME, version: '1.0', reason: CHINESE, at: NOW - 5000 }],
          builds: [{ name: EMOJI, version: '1', target: 't', kind: CHINESE, at: NOW - 5000 }],
        },
        lastPollFailure: { at: NOW - 1000, reason: CHINESE },
      }),
      NOW,
    );
    for (const line of text.split('\n')) expect(stringWidth(line), line).toBeLessThanOrEqual(80);
    // Cut between characters: no half of a surrogate pair is left at a cut.
    expect(text).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
    expect(text).toMatch(/^ {2}提交失败：.*…$/m);
    expect(text).toMatch(/^ {2}submit +漢字.*…: 提交失败.*… \(5s ago\)$/m);
    expect(text).toMatch(/^ {2}build +(?:😀)+…: 提交失败.*… \(5s ago\)$/mu);
    expect(text).toMatch(/^gate: 0 waiting for an sdist \(longest: 漢字.*…, for 1h\),$/m);
    expect(text).toMatch(/^ {2}poll\/漢字.*…: every 1m, next in 1m$/m);
  });

  test('a stored time Date cannot hold (an RSS cursor of 1e300 seconds) shows as ?, and status still prints', () => {
    const text = formatStatusText(status({ cursor: { type: 'rss', cursor: { time: 1e300 } } }), NOW);
    expect(text).toMatch(/cursor at \?$/m);
    expect(text).toMatch(/^dedupe entries: 0$/m);
  });
});
