// The dashboard's build report shows missing dependencies as `pypi-watch report` does.

import { describe, expect, test } from 'vitest';
import { cleanupsAfterEach } from '@pypi-watch/test-utils';
import { createLockedDashboardHarness, OPERATOR_AUTH } from './support/dashboard-harness.js';

const defer = cleanupsAfterEach();

describe('report page: missing dependencies', () => {
  test('resolved vs still missing, and the most wanted, on /report and /api/report', async () => {
    const harness = await createLockedDashboardHarness({ defer });
    const { dependencies } = harness.runtime.stores;
    const target = 'os_arch=aarch64,testbox=vm-2p8g';
    await dependencies.want(['flit-core', 'flit-core', 'b-mod', 'module:_ctypes']);
    await dependencies.setBuild('b-mod', target, {
      jobId: 'b-mod|x|dependency',
      at: Date.now(),
      status: 'success',
      farmJobId: 'crystal.1',
    });
    await dependencies.setBuild('flit-core', target, { jobId: 'flit-core|x|dependency', at: Date.now(), status: 'queued' });
    const url = harness.dashboard.url;

    const api = (await (await fetch(`${url}/api/report?since=7d`, { headers: OPERATOR_AUTH })).json()) as { dependencies: unknown };
    expect(api.dependencies).toEqual({
      resolved: 1,
      stillMissing: 2,
      mostWanted: [
        { project: 'flit-core', wantedBy: 2, status: 'building' },
        { project: 'module:_ctypes', wantedBy: 1, status: 'not built' },
      ],
    });
    const html = await (await fetch(`${url}/report?since=7d`, { headers: OPERATOR_AUTH })).text();
    expect(html).toContain('<p class="chart-note" id="dependencies">1 resolved (built), 2 still missing.');
    // Ranked bars, most wanted first, each with its count and status; a module no project was found for says so.
    expect(html).toMatch(
      new RegExp(
        [
          '<ol class="bars" id="most-wanted"><li class="c-active" data-label="flit-core" data-value="2">',
          '.*?<span class="pill c-active">building</span></span></li>',
          '<li class="c-idle" data-label="module:_ctypes" data-value="1">.*?no PyPI project',
        ].join(''),
      ),
    );
  });
});
