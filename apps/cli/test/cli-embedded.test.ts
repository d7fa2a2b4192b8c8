// Single-machine use: no redis.url, so each command runs (or joins) the embedded redis-server under dataDir.

import { afterEach, describe, expect, test } from 'vitest';
import { readSubmitCalls, waitFor, runCli, spawnCli, stopCli, createCliSetup, type CliSetup } from '@pypi-watch/test-utils';

const setups: CliSetup[] = [];
afterEach(async () => {
  for (const setup of setups.splice(0)) await setup.remove();
});

async function submitCounts(setup: CliSetup): Promise<Record<string, number>> {
  const result = await runCli(['status', '--json', '--config', setup.configFile], { env: setup.env });
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { queues: { submit: Record<string, number> } }).queues.submit;
}

describe('embedded Redis', () => {
  test('queued jobs survive restarts, and `start` runs them and stops cleanly on SIGTERM', async () => {
    const setup = await createCliSetup({ dashboard: { port: 0 }, source: { baseUrl: 'http://127.0.0.1:9' } }, { embedded: true });
    setups.push(setup);

    const enqueue = await runCli(['enqueue', 'alpha-pkg==1.0', 'beta-pkg==2.0', 'gamma-pkg', '--config', setup.configFile], {
      env: setup.env,
    });
    expect(enqueue.code, enqueue.stderr).toBe(0);
    // That command's redis-server has exited; this one starts a new one from the same AOF.
    expect(await submitCounts(setup)).toMatchObject({ waiting: 3, completed: 0 });

    const start = spawnCli(['start', '--config', setup.configFile], { env: setup.env });
    try {
      await waitFor(async () => (await readSubmitCalls(setup.recordFile)).length >= 3, { timeoutMs: 30_000, what: '3 submits' });
      // `status` joins the running embedded server instead of starting a second one on the same files.
      await waitFor(async () => (await submitCounts(setup)).completed === 3, { timeoutMs: 10_000, what: 'completed count' });
    } finally {
      expect(await stopCli(start)).toBe(0);
    }
    expect(start.output().stdout).toContain('"msg":"pypi-watch started"');
    expect(await submitCounts(setup)).toMatchObject({ waiting: 0, active: 0, completed: 3 });
  }, 90_000);
});
