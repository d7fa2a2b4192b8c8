// The dashboard's build report, its why lookup, and the per-outcome counters on /metrics.

import type { BuildOutcome } from '@pypi-watch/core';
import { describe, expect, test } from 'vitest';
import { cleanupsAfterEach } from '@pypi-watch/test-utils';
import { createLockedDashboardHarness, OPERATOR_AUTH } from './support/dashboard-harness.js';
import { parseExposition } from './support/prometheus-text.js';

const defer = cleanupsAfterEach();

/** The big number of the report's figure `id`. */
const figureValue = (html: string, id: string) =>
  new RegExp(`<div class="figure[^"]*" id="${id}"><span class="label">[^<]*</span><span class="value">([^<]*)</span>`).exec(html)?.[1];

function outcome(name: string, status: BuildOutcome['status'], extra: Partial<BuildOutcome> = {}): BuildOutcome {
  const now = Date.now();
  return {
    name,
    normalized: name,
    version: '1.0',
    target: 'os_arch=aarch64,testbox=vm-2p8g',
    farmJobId: `crystal.${name}`,
    resultRoot: `/srv/result/${name}`,
    batchId: 'submit-log-20261125-120000',
    status,
    submittedAt: now - 60_000,
    finishedAt: now,
    ...extra,
  };
}

describe('report pages', () => {
  test('/report and /api/report show outcomes; /why tells a release story; /metrics counts outcomes', async () => {
    const harness = await createLockedDashboardHarness({ defer });
    const { runtime } = harness;
    const { results, metrics, decisions } = runtime.stores;
    const seeded = [
      outcome('good-a', 'success', { installed: true, buildDurationMs: 120_000 }),
      outcome('good-b', 'success', { installed: false, buildDurationMs: 30_000 }),
      outcome('bad-dep', 'failure', { kind: 'missing-dependency' }),
      outcome('bad-<script>', 'failure', { kind: 'other' }),
      outcome('old-one', 'success', { finishedAt: Date.now() - 10 * 86_400_000 }),
    ];
    for (const o of seeded) {
      await results.add(o);
      await metrics.recordResult(o.status, o.kind);
    }
    await decisions.record([
      { subject: 'bad-dep', version: '1.0', decision: { kind: 'queued', origin: 'poll', batchId: 'submit-log-20261125-120000', jobs: 1 } },
      {
        subject: 'bad-dep',
        version: '1.0',
        decision: { kind: 'result', target: 'os_arch=aarch64', status: 'failure', failureKind: 'missing-dependency' },
      },
      { subject: 'types-foo', version: '2.0', decision: { kind: 'filtered', rule: 'deny:^types-' } },
    ]);
    const url = harness.dashboard.url;

    expect((await fetch(`${url}/report`)).status).toBe(401);
    const api = (await (await fetch(`${url}/api/report?since=7d`, { headers: OPERATOR_AUTH })).json()) as {
      total: number;
      byStatus: Record<string, number>;
      successRate: number;
    };
    expect(api.total).toBe(4);
    expect(api.byStatus).toMatchObject({ success: 2, failure: 2 });
    expect(api.successRate).toBe(0.5);

    const html = await (await fetch(`${url}/report?since=7d`, { headers: OPERATOR_AUTH })).text();
    expect(figureValue(html, 'success-rate')).toBe('50.0%');
    expect(figureValue(html, 'builds')).toBe('4');
    expect(html).toMatch(/<ol class="bars" id="failure-kinds"><li class="c-bad" data-label="missing-dependency" data-value="1">/);
    expect(html).toContain('bad-&lt;script&gt;');
    expect(html).not.toContain('bad-<script>');

    const why = await (await fetch(`${url}/why?name=${encodeURIComponent('bad-dep==1.0')}`, { headers: OPERATOR_AUTH })).text();
    expect(why).toMatch(/queued by poll as 1 submit job\(s\) in submit-log-20261125-120000/);
    expect(why).toMatch(/build for os_arch=aarch64: failure \(missing-dependency\)/);
    const filtered = await (await fetch(`${url}/why?name=Types_Foo`, { headers: OPERATOR_AUTH })).text();
    expect(filtered).toContain('not built: filtered by deny:^types-');

    const exposition = parseExposition(await (await fetch(`${url}/metrics`, { headers: OPERATOR_AUTH })).text());
    const value = (name: string, labels: Record<string, string>) =>
      exposition.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    expect(value('pypi_watch_builds_total', { outcome: 'success' })).toBe(3);
    expect(value('pypi_watch_builds_total', { outcome: 'failure' })).toBe(2);
    expect(value('pypi_watch_build_failures_total', { kind: 'missing-dependency' })).toBe(1);
  });

  test('/why refuses NAME== (as `pypi-watch why` does); the report links an unversioned build by name alone', async () => {
    const harness = await createLockedDashboardHarness({ defer });
    const { runtime } = harness;
    const url = harness.dashboard.url;
    const { version: _version, ...unversioned } = outcome('whole-proj', 'failure', { kind: 'other' });
    await runtime.stores.results.add(unversioned);
    await runtime.stores.decisions.record([
      { subject: 'whole-proj', decision: { kind: 'queued', origin: 'enqueue', batchId: 'submit-log-20261125-120000', jobs: 1 } },
    ]);

    const html = await (await fetch(`${url}/report?since=7d`, { headers: OPERATOR_AUTH })).text();
    expect(html).toContain('<a href="why?name=whole-proj">');
    const story = await (await fetch(`${url}/why?name=whole-proj`, { headers: OPERATOR_AUTH })).text();
    expect(story).toMatch(/queued by enqueue as 1 submit job\(s\)/);

    for (const spec of ['whole-proj==', '==1.0']) {
      const refused = await fetch(`${url}/why?name=${encodeURIComponent(spec)}`, { headers: OPERATOR_AUTH });
      expect(refused.status).toBe(400);
      expect(await refused.text()).toMatch(/Expected NAME or NAME==VERSION \(empty (version|project name)\)/);
    }
  });
});
