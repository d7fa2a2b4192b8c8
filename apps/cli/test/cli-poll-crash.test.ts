// A poll killed (SIGKILL, not a mock) after each of its steps, then run again: every release ends up
// with exactly one submit job, and the update list, dedupe set and cursor stay consistent.

import { afterEach, describe, expect, test } from 'vitest';
import { FakePypi, runCli, createCliSetup, pendingSubmitJobIds } from '@pypi-watch/test-utils';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});


const STEPS = ['fetched', 'update-list', 'enqueued', 'marked-seen', 'cursor-saved'] as const;

describe('a poll killed mid-way', () => {
  test.each(STEPS)('after step "%s", the rerun queues each release exactly once', async (step) => {
    const pypi = new FakePypi();
    const baseUrl = await pypi.start();
    cleanups.push(() => pypi.stop());
    const setup = await createCliSetup({ source: { type: 'changelog', baseUrl, pagePause: 0 } });
    cleanups.push(() => setup.remove());
    const poll = (env: NodeJS.ProcessEnv = {}) => runCli(['poll', '--json', '--config', setup.configFile], { env: { ...setup.env, ...env } });

    expect((await poll()).code).toBe(0); // first run: cursor only
    const published = pypi.publishGenerated(120);

    const killed = await poll({ PYPI_WATCH_KILL_AFTER_STEP: step });
    expect(killed.code).toBeNull(); // died by signal

    const rerun = await poll();
    expect(rerun.code, rerun.stderr).toBe(0);
    const ids = await pendingSubmitJobIds(setup);
    expect(ids).toHaveLength(published.length);
    expect(new Set(ids.map((id) => id.split('|')[0]))).toEqual(new Set(published.map((r) => r.name)));

    const again = await poll();
    expect(JSON.parse(again.stdout)).toMatchObject({ found: 0, queued: 0 });
    expect(await pendingSubmitJobIds(setup)).toHaveLength(published.length);
  }, 60_000);
});
