// The status summary stays within 80 columns whatever the numbers and the outside text are.

import { describe, expect, test } from 'vitest';
import type { Status } from '@pypi-watch/core';
import { formatStatusText } from '../src/status-text.js';

const NOW = Date.parse('2026-12-01T08:30:00Z');
const LONG_AGO = NOW - (12 * 86_400 + 23 * 3600 + 59 * 60 + 59) * 1000;
const BIG = 123_456_789_012;
const counts = { waiting: BIG, active: BIG, delayed: BIG, prioritized: BIG, 'waiting-children': 0, failed: BIG, completed: BIG };
const HOSTILE = `\u202e${'\u001b[2J'.repeat(40)}`;

/** Every field at its widest: twelve-digit counts, times days ago, outside text of control characters. */
const worst: Status = {
  queues: { poll: counts, submit: counts, cleanup: counts, result: counts, notify: counts },
  schedules: [{ queue: 'poll', id: HOSTILE, everyMs: NOW - LONG_AGO, next: NOW + (NOW - LONG_AGO) }],
  cursor: { type: 'changelog', cursor: { serial: BIG } },
  lastPoll: Object.fromEntries([
    ['source', 'changelog'],
    ['startedAt', new Date(LONG_AGO).toISOString()],
    ['gap', true],
    ['durationMs', 1000],
    ...['pages', 'found', 'queued', 'queuedJobs', 'waiting', 'held', 'filtered', 'duplicate'].map((k) => [k, BIG]),
    ...['superseded', 'invalid', 'withdrawn', 'lag'].map((k) => [k, BIG]),
  ]) as unknown,
  dedupeSize: BIG,
  gate: { waiting: BIG, held: BIG, withdrawn: BIG },
  oldestWaiting: { name: HOSTILE, version: HOSTILE, since: new Date(LONG_AGO).toISOString() },
  submitRate: {
    windowMs: 60_000,
    finished: BIG,
    failed: BIG,
    limit: { max: BIG, durationMs: 1 },
    limitInWindow: BIG * 60_000,
    atLimit: true,
  },
  recentFailures: {
    submits: [{ jobId: HOSTILE, name: HOSTILE, version: HOSTILE, reason: HOSTILE, at: LONG_AGO }],
    builds: [{ name: HOSTILE, version: HOSTILE, target: HOSTILE, kind: HOSTILE, at: LONG_AGO }],
  },
  lastPollFailure: { at: LONG_AGO + 1_000_000_000, reason: HOSTILE },
};

describe('status text', () => {
  test('fits 80 columns with every field at its widest, outside text escaped', () => {
    const text = formatStatusText(worst, NOW);
    for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    expect(text).not.toMatch(/[\u001b\u202e]/);
    // Each part is there, not cut away to make it fit.
    for (const part of [
      /^last poll: FAILED .+\):\n {2}\\u202e\\x1b\[2J/m,
      /^last ok poll: 12d23h59m59s ago \(2026-11-18T08:30:01Z\), took 1s,/m,
      /^lag: 123456789012 serials behind PyPI at the last poll,\n {2}cursor at serial 123456789012$/m,
      /^RSS gap: releases were missed \(use source\.type: changelog\)$/m,
      /^submit rate: 123456789012 finished in the last 1m \(123456789012 failed\),\n/m,
      /at the limit now$/m,
      /^ {2}submit +\\u202e\\x1b\[2J.*…: \\u202e.*… \(12d23h59m59s ago\)$/m,
      /^gate: 123456789012 waiting for an sdist \(longest: \\u202e.*…, for 12d23h59m59s\),$/m,
      /^ {2}poll\/\\u202e.*…: every 12d23h59m59s, next in 12d23h59m59s$/m,
      /^ {2}submit +246913578024 123456789012 123456789012 123456789012 123456789012$/m,
      /^dedupe entries: 123456789012$/m,
    ]) {
      expect(text).toMatch(part);
    }
  });
});
