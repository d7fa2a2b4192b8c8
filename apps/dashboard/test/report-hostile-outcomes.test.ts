// The build report over outcomes someone else wrote into Redis: a member of the results set that is not
// an outcome (not JSON, `null`, a number, an unknown status) is left out, and the page and the API still
// answer with the real outcomes (a failure of a kind the classifier never gives counts as `other`), as `pypi-watch report` and the notifications' digest read the same set.

import type { BuildOutcome, BuildReport } from '@pypi-watch/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createLockedDashboardHarness, OPERATOR_AUTH, type DashboardHarness } from './support/dashboard-harness.js';

let h: DashboardHarness;

beforeAll(async () => {
  h = await createLockedDashboardHarness();
  const now = Date.now();
  const real: BuildOutcome = {
    name: 'real-fail',
    normalized: 'real-fail',
    version: '1.0',
    target: 'os_arch=aarch64',
    farmJobId: 'crystal.1',
    resultRoot: '/srv/result/real-fail',
    batchId: 'submit-log-20261125-120000',
    status: 'failure',
    kind: 'other',
    submittedAt: now - 60_000,
    finishedAt: now,
  };
  await h.runtime.stores.results.add(real);
  const forged = [
    'not json',
    'null',
    '5',
    '"text"',
    '[]',
    JSON.stringify({ status: 'constructor' }),
    JSON.stringify({ status: '__proto__' }),
  ];
  // An outcome in shape, with a kind the classifier never gives: it counts, as `other`.
  await h.runtime.stores.results.add({
    ...real,
    name: 'odd-kind',
    normalized: 'odd-kind',
    kind: 'constructor' as 'other',
    finishedAt: now - 100,
  });
  for (const [i, member] of forged.entries()) await h.runtime.redis.zadd(h.runtime.stores.keys.results, now - i, member);
}, 60_000);

afterAll(async () => {
  await h?.close();
});

const get = (path: string) => fetch(new URL(path, h.dashboard.url), { headers: OPERATOR_AUTH });

describe('the report over forged outcomes', () => {
  test('/api/report counts the real outcomes only, an unknown kind as other', async () => {
    const response = await get('/api/report');
    expect(response.status).toBe(200);
    const report = (await response.json()) as BuildReport;
    expect(report.total).toBe(2);
    expect(report.byStatus).toEqual({ success: 0, failure: 2, 'gave-up': 0, unmapped: 0, unreadable: 0 });
    expect(Object.keys(report.byFailureKind)).not.toContain('constructor');
    expect(report.byFailureKind.other).toBe(2);
    expect(report.failing.map((o) => o.name)).toEqual(['real-fail', 'odd-kind']);
  });

  test('/report shows the real failing package', async () => {
    const response = await get('/report');
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('data-spec="real-fail==1.0"');
  });
});
