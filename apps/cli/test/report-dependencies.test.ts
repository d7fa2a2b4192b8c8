// `pypi-watch report`'s missing-dependency section: resolved vs still missing, and the most wanted.

import { describe, expect, test } from 'vitest';
import { formatReport } from '../src/commands/report.js';

const EMPTY = {
  since: 0,
  total: 0,
  byStatus: { success: 0, failure: 0, 'gave-up': 0, unmapped: 0, unreadable: 0 },
  byFailureKind: {
    'repo-outage': 0,
    'missing-dependency': 0,
    'spec-needs-repair': 0,
    'ai-repair-skipped': 0,
    'requirements-repaired': 0,
    other: 0,
  },
  successRate: 0,
  installFailures: 0,
  slowest: [],
  failing: [],
};

describe('report: missing dependencies', () => {
  test('resolved vs still missing, then the most wanted with their status', () => {
    const text = formatReport(EMPTY, '7d', [], {
      resolved: 3,
      stillMissing: 2,
      mostWanted: [
        { project: 'flit-core', wantedBy: 4, status: 'building' },
        { project: 'module:_ctypes', wantedBy: 1, status: 'not built' },
      ],
    });
    expect(text).toContain('missing dependencies: 3 resolved (built), 2 still missing\n');
    expect(text).toMatch(/ {2}flit-core +wanted by 4 {2}building\n/);
    expect(text).toMatch(/ {2}module:_ctypes +wanted by 1 {2}not built\n/);
  });

  test('no section when nothing was ever missing', () => {
    expect(formatReport(EMPTY, '7d', [], { resolved: 0, stillMissing: 0, mostWanted: [] })).not.toContain('missing dependencies');
  });
});
