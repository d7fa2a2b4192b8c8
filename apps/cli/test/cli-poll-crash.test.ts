// A poll killed (SIGKILL, not a mock) after each of its steps, then run again: every release ends up
// with exactly one submit job, and the update list, dedupe set and cursor stay consistent. The killed
// poll is a fixture process (FIXTURES.pollKilledAt) that passes createPoller a checkpoint which kills
// it; the runs before and after are the real `pypi-watch poll`.

import { describe, expect } from 'vitest';
import { FIXTURES, runCli, runFixture, pendingSubmitJobIds } from '@pypi-watch/test-utils';
import { test } from '@pypi-watch/test-utils/fixtures';

const STEPS = ['fetched', 'update-list', 'enqueued', 'marked-seen', 'cursor-saved'] as const;

describe('a poll killed mid-way', () => {
  test.for(STEPS)('after step "%s", the rerun queues each release exactly once', { timeout: 60_000 }, async (step, { pypi, makeCli }) => {
    const setup = await makeCli({ source: { type: 'changelog', baseUrl: pypi.baseUrl, pagePause: 0 } });
    const poll = () => runCli(['poll', '--json', '--config', setup.configFile], { env: setup.env });

    expect((await poll()).code).toBe(0); // first run: cursor only
    const published = pypi.publishGenerated(120);

    const killed = await runFixture(FIXTURES.pollKilledAt, [setup.configFile, step], { env: setup.env });
    expect(killed.code, killed.stderr).toBeNull(); // died by signal

    const rerun = await poll();
    expect(rerun.code, rerun.stderr).toBe(0);
    const ids = await pendingSubmitJobIds(setup);
    expect(ids).toHaveLength(published.length);
    expect(new Set(ids.map((id) => id.split('|')[0]))).toEqual(new Set(published.map((r) => r.name)));

    const again = await poll();
    expect(JSON.parse(again.stdout)).toMatchObject({ found: 0, queued: 0 });
    expect(await pendingSubmitJobIds(setup)).toHaveLength(published.length);
  });
});
