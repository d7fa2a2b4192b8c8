// The "done when": 10,000 releases between two polls, one `pypi-watch poll` queues each
// valid, unfiltered release exactly once per target, in both source modes; a second poll queues nothing.

import { describe, expect } from 'vitest';
import { runCli, pendingSubmitJobIds } from '@pypi-watch/test-utils';
import { test } from '@pypi-watch/test-utils/fixtures';

// RSS holds the newest 100 releases and takes no parameters: its poll sees at most that many.
describe.each([
  ['changelog', { good: 9_900, denied: 50, pre: 25, bad: 25 }] as const,
  // 97 new beside the 3 seen before: the window still holds a seen release, so no gap.
  ['rss', { good: 85, denied: 4, pre: 4, bad: 4 }] as const,
])('pypi-watch poll (%s)', (type, n) => {
  const total = n.good + n.denied + n.pre + n.bad;
  test(
    `${total.toLocaleString('en')} new releases: each valid, unfiltered one queued once per target; the next poll queues ` + `nothing`,
    async ({ pypi, makeCli }) => {
      const setup = await makeCli({
        source: { type, baseUrl: pypi.baseUrl, pagePause: 0 },
        filters: { deny: ['^denied-'] },
        submit: {
          targets: [
            { os_arch: 'aarch64', testbox: 'vm-2p8g' },
            { os_arch: 'x86_64', testbox: 'vm-2p8g' },
          ],
        },
      });
      const poll = async () => {
        const result = await runCli(['poll', '--json', '--config', setup.configFile], { env: setup.env });
        expect(result.code, result.stderr).toBe(0);
        return JSON.parse(result.stdout) as Record<string, number>;
      };

      pypi.publishGenerated(3);
      expect(await poll()).toMatchObject({ queued: 0 });
      const good = pypi.publishGenerated(n.good, { sameSecond: 5 });
      pypi.publishGenerated(n.denied, { prefix: 'denied', sameSecond: 5 });
      pypi.publish([
        ...Array.from({ length: n.pre }, (_, i) => ({ name: `pre-${i}`, version: `1.0rc${i}` })),
        ...Array.from({ length: n.bad }, (_, i) => ({ name: `bad..name-${i}.`, version: '1.0' })),
      ]);

      const first = await poll();
      expect(first).toMatchObject({
        found: total,
        invalid: n.bad,
        filtered: n.denied + n.pre,
        queued: n.good,
        queuedJobs: 2 * n.good,
        capped: false,
        gap: false,
      });
      const ids = await pendingSubmitJobIds(setup);
      expect(ids).toHaveLength(2 * n.good);
      expect(new Set(ids).size).toBe(2 * n.good);
      const names = new Set(ids.map((id) => id.split('|')[0]));
      expect(names).toEqual(new Set(good.map((r) => r.name)));

      expect(await poll()).toMatchObject({ found: 0, queued: 0 });
      expect(await pendingSubmitJobIds(setup)).toHaveLength(2 * n.good);

      const status = await runCli(['status', '--config', setup.configFile], { env: setup.env });
      expect(status.stdout).toMatch(/^lag: 0(s| serials) behind .+ at the last poll, cursor at /m);
      expect(status.stdout).toMatch(
        /^last poll: ok, .*\n {2}found 0, queued 0 as 0 job\(s\), waiting 0, held 0, filtered 0, duplicate 0,/m,
      );
      expect(status.stdout).toContain(`dedupe entries: ${n.good}`);
    },
    120_000,
  );
});
