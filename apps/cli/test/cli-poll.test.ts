// The "done when": 10,000 releases between two polls, one `pypi-watch poll` queues each
// valid, unfiltered release exactly once per target, in both source modes; a second poll queues nothing.

import { afterEach, describe, expect, test } from 'vitest';
import { FakePypi } from '../../../packages/core/test/support/fake-pypi.js';
import { runCli } from './support/cli-process.js';
import { createCliSetup, pendingSubmitJobIds } from './support/cli-setup.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});


describe.each(['changelog', 'rss'] as const)('pypi-watch poll (%s)', (type) => {
  test('10,000 new releases: each valid, unfiltered one queued once per target; the next poll queues nothing', async () => {
    const pypi = new FakePypi();
    const baseUrl = await pypi.start();
    cleanups.push(() => pypi.stop());
    const setup = await createCliSetup({
      source: { type, baseUrl, pagePause: 0 },
      filters: { deny: ['^denied-'] },
      submit: { targets: [{ os_arch: 'aarch64', testbox: 'vm-2p8g' }, { os_arch: 'x86_64', testbox: 'vm-2p8g' }] },
    });
    cleanups.push(() => setup.remove());
    const poll = async () => {
      const result = await runCli(['poll', '--json', '--config', setup.configFile], { env: setup.env });
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(result.stdout) as Record<string, number>;
    };

    pypi.publishGenerated(3);
    expect(await poll()).toMatchObject({ queued: 0 });
    const good = pypi.publishGenerated(9_900, { sameSecond: 5 });
    pypi.publishGenerated(50, { prefix: 'denied', sameSecond: 5 });
    pypi.publish([
      ...Array.from({ length: 25 }, (_, i) => ({ name: `pre-${i}`, version: `1.0rc${i}` })),
      ...Array.from({ length: 25 }, (_, i) => ({ name: `bad..name-${i}.`, version: '1.0' })),
    ]);

    const first = await poll();
    expect(first).toMatchObject({ found: 10_000, invalid: 25, filtered: 75, queued: 9_900, queuedJobs: 19_800, capped: false });
    const ids = await pendingSubmitJobIds(setup);
    expect(ids).toHaveLength(19_800);
    expect(new Set(ids).size).toBe(19_800);
    const names = new Set(ids.map((id) => id.split('|')[0]));
    expect(names).toEqual(new Set(good.map((r) => r.name)));

    expect(await poll()).toMatchObject({ found: 0, queued: 0 });
    expect(await pendingSubmitJobIds(setup)).toHaveLength(19_800);

    const status = await runCli(['status', '--config', setup.configFile], { env: setup.env });
    expect(status.stdout).toMatch(/cursor: \{/);
    expect(status.stdout).toMatch(/last poll: .*found 0, invalid 0, filtered 0, duplicate 0, queued 0; lag 0/);
    expect(status.stdout).toContain('dedupe entries: 9900');
  }, 120_000);
});
